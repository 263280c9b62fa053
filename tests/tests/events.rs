//! Every payload in `events/` normalizes and survives a round trip through
//! JSON (the form alerts take between workflow states); every payload in the
//! bad-input corpus is refused with its documented error.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use responder_core::{Alert, NormalizeOptions, SourceKind, normalize_bytes};
use responder_e2e::{bad_inputs, sample_payloads};

fn normalize_file(path: &std::path::Path) -> Result<Vec<Alert>, responder_core::NormalizeError> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    normalize_bytes(&bytes, &NormalizeOptions::default())
}

#[test]
fn every_sample_payload_round_trips_through_json() {
    let samples = sample_payloads();
    assert!(
        samples.len() >= 20,
        "expected the full sample set, found {}",
        samples.len()
    );
    for path in samples {
        let alerts = normalize_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

        let json = serde_json::to_string(&alerts).unwrap();
        let back: Vec<Alert> = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{}: does not read back: {e}", path.display()));

        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            json,
            "{}",
            path.display()
        );
    }
}

#[test]
fn every_source_has_a_sample() {
    let mut seen = std::collections::BTreeSet::new();
    for path in sample_payloads() {
        for alert in normalize_file(&path).unwrap() {
            seen.insert(format!("{:?}", alert.source));
        }
    }
    for kind in [
        SourceKind::EventbridgeAlarm,
        SourceKind::EventbridgeAlarmContributor,
        SourceKind::SnsAlarm,
        SourceKind::LambdaAlarmAction,
        SourceKind::CloudwatchLogs,
        SourceKind::Webhook,
        SourceKind::Alertmanager,
        SourceKind::Grafana,
    ] {
        assert!(
            seen.contains(&format!("{kind:?}")),
            "no sample in events/ for {kind:?}"
        );
    }
}

#[test]
fn every_sample_keeps_its_payload_as_evidence() {
    for path in sample_payloads() {
        for alert in normalize_file(&path).unwrap() {
            let raw: serde_json::Value = serde_json::from_str(alert.raw.get()).unwrap();
            assert!(
                raw.is_object(),
                "{}: raw evidence is not the payload",
                path.display()
            );
        }
    }
}

#[test]
fn every_bad_input_is_refused_with_its_documented_error() {
    let corpus = bad_inputs();
    assert!(
        corpus.len() >= 20,
        "the bad-input corpus is incomplete: {}",
        corpus.len()
    );
    for (path, error_type, message_part) in corpus {
        let error = normalize_file(&path).expect_err(&format!("{} was accepted", path.display()));

        assert_eq!(
            error.error_type(),
            error_type,
            "{}: {error}",
            path.display()
        );
        assert!(
            error.to_string().contains(&message_part),
            "{}: '{error}' does not contain '{message_part}'",
            path.display()
        );
    }
}

#[test]
fn the_bad_input_corpus_lists_every_file_in_it() {
    let listed: Vec<_> = bad_inputs().into_iter().map(|(p, _, _)| p).collect();
    let dir = responder_e2e::events_dir().join("invalid");
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "expected.tsv" || name == "README.md" {
            continue;
        }
        assert!(
            listed.contains(&path),
            "{name} is not in events/invalid/expected.tsv"
        );
    }
}
