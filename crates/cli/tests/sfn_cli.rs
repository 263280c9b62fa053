//! `responder sfn validate|run` as a user runs them.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

const MACHINE: &str = include_str!("../../sfn/examples/greeter.asl.json");

/// A file of the engine's example (read-only, shared by the tests).
fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sfn/examples")
        .join(name)
}

/// A file only this test writes: tests run in parallel.
fn fixture(name: &str, text: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("responder-sfn-cli-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn responder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_responder"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("RESPONDER_CONFIG")
        .output()
        .unwrap()
}

fn run_case(case: &str) -> (Option<i32>, Value) {
    let machine = example("greeter.asl.json");
    let mocks = example("greeter.mocks.json");
    let input = example("greeter.input.json");
    let out = responder(&[
        "sfn",
        "run",
        machine.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--mock-config",
        mocks.to_str().unwrap(),
        "--test-case",
        case,
        "--virtual-time",
    ]);
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

#[test]
fn validate_accepts_a_good_definition_and_names_the_state_of_a_bad_one() {
    let out = responder(&[
        "sfn",
        "validate",
        fixture("greeter.asl.json", MACHINE).to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid, 2 states"));

    let bad = MACHINE.replace("\"End\": true", "\"Next\": \"Missing\"");
    let out = responder(&[
        "sfn",
        "validate",
        fixture("bad.asl.json", &bad).to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "InvalidDefinition: state 'Approve': names 'Missing' as a next state, but there is no such state"
    );
}

#[test]
fn validate_accepts_jsonata_and_names_the_state_and_field_of_a_bad_expression() {
    let fixture_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sfn/tests/fixtures/incident-response.jsonata.asl.json");
    let out = responder(&["sfn", "validate", fixture_path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid, 35 states"));

    let bad = json!({"QueryLanguage": "JSONata", "StartAt": "Greet", "States": {
        "Greet": {"Type": "Pass", "Output": {"greeting": "{% 'hello ' & %}"}, "End": true}
    }});
    let out = responder(&[
        "sfn",
        "validate",
        fixture("bad.jsonata.asl.json", &bad.to_string())
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "InvalidDefinition: state 'Greet': Output/greeting: the JSONata expression \
         ' 'hello ' & ' is not valid: S0207: unexpected end of expression (at 12)"
    );
}

#[test]
fn run_with_mocks_retries_answers_the_callback_and_exits_0() {
    let (code, report) = run_case("HappyPath");
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["status"], "SUCCEEDED");
    assert_eq!(
        report["output"],
        json!({"who": "ops", "hello": {"greeting": "hello"}, "approval": {"approved": true}})
    );
    assert_eq!(report["error"], Value::Null);
    // Two states entered and one retry.
    assert_eq!(report["transitions"], 3);
    let types: Vec<&str> = report["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert!(types.contains(&"TaskSubmitted"));
}

#[test]
fn a_failed_execution_prints_its_error_and_exits_1() {
    let (code, report) = run_case("Broken");
    assert_eq!(code, Some(1));
    assert_eq!(report["status"], "FAILED");
    assert_eq!(report["error"], "Lambda.Unknown");
    assert_eq!(report["cause"], "boom");
}

#[test]
fn an_unmocked_task_fails_naming_its_function() {
    let (code, report) = run_case("NoApproval");
    assert_eq!(code, Some(1));
    assert_eq!(report["status"], "FAILED");
    assert_eq!(report["error"], "States.Runtime");
    assert_eq!(
        report["cause"],
        "no task handler is registered for 'approve' (state 'Approve')"
    );
}

#[test]
fn an_unknown_test_case_or_bad_input_is_a_usage_error() {
    let machine = example("greeter.asl.json");
    let mocks = example("greeter.mocks.json");
    let out = responder(&[
        "sfn",
        "run",
        machine.to_str().unwrap(),
        "--mock-config",
        mocks.to_str().unwrap(),
        "--test-case",
        "Nope",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("InvalidMockConfig: the mock file has no test case 'Nope'")
    );

    let input = fixture("not-json.json", "{oops");
    let out = responder(&[
        "sfn",
        "run",
        machine.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("InvalidExecutionInput:"));

    let out = responder(&[
        "sfn",
        "run",
        machine.to_str().unwrap(),
        "--test-case",
        "HappyPath",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--test-case needs --mock-config"
    );
}
