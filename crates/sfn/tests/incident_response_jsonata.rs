//! The project's state machine, `statemachine/incident-response.asl.json`,
//! translated to JSONata (`tests/fixtures/incident-response.jsonata.asl.json`:
//! `Arguments` for `Parameters`, variables for `ResultPath`, `Condition`s for
//! Choice rules), runs every test case of `incident-response.mocks.json`
//! with the same outcome as the JSONPath original: the same status, output
//! and error, the same states entered, the same events, and every task
//! called with the same input.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use responder_sfn::{
    Definition, Engine, Execution, ManualClock, MockCase, Registry, SeededRandom, Store,
};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn run(asl: &str, case: &str) -> Execution {
    let definition = Arc::new(Definition::load(asl, &HashMap::new()).unwrap());
    let mocks = read(repo().join("statemachine/incident-response.mocks.json"));
    let alarm = read(repo().join("events/eventbridge/metric-alarm-lambda-errors.json"));
    Engine::new(Store::in_memory().unwrap(), Arc::new(Registry::new()))
        .with_clock(Arc::new(ManualClock::new(
            "2026-01-15T10:05:00Z".parse().unwrap(),
        )))
        .with_random(Arc::new(SeededRandom::new(3)))
        .with_mocks(MockCase::load(&mocks, Some("IncidentResponse"), case).unwrap())
        .execute(
            &definition,
            "IncidentResponse",
            None,
            serde_json::from_str(&alarm).unwrap(),
        )
        .await
        .unwrap()
}

/// Each event's type and state name, and each task's input (its token
/// masked: tokens differ per execution).
fn trace(execution: &Execution) -> Vec<(String, Option<String>, Option<Value>)> {
    execution
        .history()
        .iter()
        .map(|e| {
            let task_input = matches!(e.kind.as_ref(), "TaskScheduled" | "LambdaFunctionScheduled")
                .then(|| e.details.input.as_ref().map(|p| p.value()))
                .flatten()
                .map(|mut input| {
                    if let Some(token) = input.pointer_mut("/Payload/token") {
                        *token = Value::from("<token>");
                    }
                    input
                });
            (e.kind.to_string(), e.details.name.clone(), task_input)
        })
        .collect()
}

#[tokio::test]
async fn the_jsonata_translation_runs_every_mock_case_as_the_original_does() {
    let original = read(repo().join("statemachine/incident-response.asl.json"));
    let translated = read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/incident-response.jsonata.asl.json"),
    );
    let fixture: Value = serde_json::from_str(&translated).unwrap();
    assert_eq!(fixture["QueryLanguage"], "JSONata");
    assert!(!translated.contains(".$\""), "no JSONPath field is left");

    let mocks: Value = serde_json::from_str(&read(
        repo().join("statemachine/incident-response.mocks.json"),
    ))
    .unwrap();
    let cases = mocks["StateMachines"]["IncidentResponse"]["TestCases"]
        .as_object()
        .unwrap();
    assert_eq!(cases.len(), 14);
    for case in cases.keys() {
        let (old, new) = (run(&original, case).await, run(&translated, case).await);
        assert_eq!(new.status, old.status, "{case}: {:?}", new.error);
        assert_eq!(new.output, old.output, "{case}");
        assert_eq!(new.error, old.error, "{case}");
        let (old_trace, new_trace) = (trace(&old), trace(&new));
        for (i, (a, b)) in old_trace.iter().zip(&new_trace).enumerate() {
            assert_eq!(b, a, "{case}: event {}", i + 1);
        }
        assert_eq!(new_trace.len(), old_trace.len(), "{case}");
        eprintln!("{case}: {:?}, {} events alike", new.status, new_trace.len());
    }
}
