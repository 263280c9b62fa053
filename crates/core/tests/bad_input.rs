//! Inputs that must be refused cleanly: a named error, never a panic.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use responder_core::limits::{MAX_ALERTS_PER_PAYLOAD, MAX_PAYLOAD_BYTES};
use responder_core::{NormalizeError, NormalizeOptions, normalize, normalize_bytes};

fn refuse(payload: &str) -> NormalizeError {
    normalize(payload, &NormalizeOptions::default()).expect_err("payload should be refused")
}

#[test]
fn a_payload_over_256_kib_is_refused_naming_the_limit() {
    let padding = "x".repeat(MAX_PAYLOAD_BYTES);
    let payload = format!(r#"{{"title":"t","message":"{padding}"}}"#);

    let error = refuse(&payload);

    assert_eq!(error.error_type(), "InvalidAlert");
    assert!(
        error.to_string().contains("the limit is 262144 bytes"),
        "{error}"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_refused_with_their_offset() {
    let error =
        normalize_bytes(b"{\"title\": \"\xff\"}", &NormalizeOptions::default()).unwrap_err();

    assert_eq!(
        error.to_string(),
        "payload is not UTF-8 text (invalid byte at offset 11)"
    );
}

#[test]
fn an_empty_payload_is_refused() {
    assert_eq!(refuse("  \n").to_string(), "payload is empty");
}

#[test]
fn too_many_alertmanager_alerts_are_refused_naming_the_count() {
    let entry =
        r#"{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-11-20T09:00:00Z"}"#;
    let alerts = vec![entry; MAX_ALERTS_PER_PAYLOAD + 1].join(",");
    let payload = format!(r#"{{"version":"4","alerts":[{alerts}]}}"#);

    let error = refuse(&payload);

    assert_eq!(
        error.to_string(),
        "alerts has 1001 entries; the limit is 1000"
    );
}

#[test]
fn a_wrong_type_names_the_field_and_the_type() {
    let error = refuse(r#"{"title": 42, "message": "m"}"#);

    assert_eq!(
        error.to_string(),
        "title: invalid type: integer `42`, expected a string"
    );
}

#[test]
fn long_titles_are_cut_with_a_visible_marker() {
    let payload = serde_json::json!({"title": "t".repeat(1000), "message": "m"}).to_string();

    let alerts = normalize(&payload, &NormalizeOptions::default()).unwrap();

    assert!(alerts[0].title.ends_with("… [truncated]"));
    assert!(alerts[0].title.chars().count() < 300);
}

#[test]
fn an_sns_message_nested_too_deeply_is_refused_by_its_path() {
    let message = format!(
        r#"{{"AlarmName":"a","x":{}1{}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    let payload =
        serde_json::json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": message}}]});

    let error = refuse(&payload.to_string());

    assert!(
        error
            .to_string()
            .starts_with("Records[0].Sns.Message nests deeper than 32 levels"),
        "{error}"
    );
}

#[test]
fn every_prefix_of_a_real_payload_is_refused_or_accepted_without_panic() {
    let payload = include_str!("../../../events/eventbridge/composite-alarm.json");
    for end in (0..payload.len()).filter(|i| payload.is_char_boundary(*i)) {
        let _ = normalize(&payload[..end], &NormalizeOptions::default());
    }
}
