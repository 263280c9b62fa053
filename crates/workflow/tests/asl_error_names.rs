//! The state machine's `Retry` and `Catch` against the error names the
//! steps produce (`responder_workflow::error::names`): a name the ASL
//! matches that no error carries is a retry that never happens, and a
//! transient name a task can fail with that its state does not retry is an
//! incident lost to a blip.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use responder_workflow::error::{ErrorName, names};
use serde_json::Value;

const ASL: &str = include_str!("../../../statemachine/incident-response.asl.json");

/// A Task state: its name, its function, what it retries and catches.
struct Task {
    state: String,
    function: String,
    retried: BTreeSet<String>,
    caught: BTreeSet<String>,
}

fn tasks() -> Vec<Task> {
    fn walk(states: &Value, out: &mut Vec<Task>) {
        for (name, state) in states.as_object().unwrap() {
            if state["Type"] == "Task" {
                let function = state["Parameters"]["FunctionName"]
                    .as_str()
                    .or_else(|| state["Resource"].as_str())
                    .unwrap()
                    .trim_start_matches("${")
                    .trim_end_matches("FunctionArn}")
                    .to_owned();
                let names_of = |key: &str| -> BTreeSet<String> {
                    state[key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|r| r["ErrorEquals"].as_array().unwrap())
                        .map(|n| n.as_str().unwrap().to_owned())
                        .collect()
                };
                out.push(Task {
                    state: name.clone(),
                    function,
                    retried: names_of("Retry"),
                    caught: names_of("Catch"),
                });
            }
            for branch in state["Branches"].as_array().into_iter().flatten() {
                walk(&branch["States"], out);
            }
            if state["ItemProcessor"].is_object() {
                walk(&state["ItemProcessor"]["States"], out);
            }
        }
    }
    let asl: Value = serde_json::from_str(ASL).unwrap();
    let mut out = Vec::new();
    walk(&asl["States"], &mut out);
    out
}

/// The names each function's step can fail with that a retry can fix.
fn transient_names(function: &str) -> &'static [ErrorName] {
    match function {
        "NormalizeAlert" => &[],
        "QueryHistory" => &[names::HISTORY_TRANSIENT],
        "QueryLogs" => &[names::LOGS_TRANSIENT],
        "QueryChanges" => &[names::CHANGES_TRANSIENT],
        "Deliver" => &[
            names::STORE_TRANSIENT,
            names::DELIVERY_TRANSIENT,
            names::DELIVERY_THROTTLED,
            names::IN_PROGRESS,
        ],
        "RequestApproval" => &[names::STORE_TRANSIENT, names::IN_PROGRESS],
        "RegisterAlert" | "CheckCache" | "Analyze" | "RecordOutcome" => &[names::STORE_TRANSIENT],
        other => panic!("a Task state calls {other}: name what it can fail with here"),
    }
}

#[test]
fn every_name_the_asl_matches_is_one_an_error_carries() {
    let known: BTreeSet<&str> = ErrorName::ALL.iter().map(|n| n.as_str()).collect();
    for task in tasks() {
        for name in task.retried.iter().chain(&task.caught) {
            // AWS's own: the engine's and the Lambda service's.
            if name.starts_with("States.") || name.starts_with("Lambda.") {
                continue;
            }
            assert!(
                known.contains(name.as_str()),
                "state {} matches {name}, which no error carries (responder_workflow::error::names)",
                task.state
            );
        }
    }
}

#[test]
fn every_task_retries_what_a_retry_can_fix() {
    let tasks = tasks();
    assert!(tasks.len() >= 15, "{} Task states", tasks.len());
    for task in &tasks {
        let expected = transient_names(&task.function)
            .iter()
            .chain(&[names::TASK_OUT_OF_TIME])
            .map(|n| n.as_str())
            .chain(["Lambda.ServiceException"]);
        for name in expected {
            assert!(
                task.retried.contains(name),
                "state {} ({}) can fail with {name} and does not retry it",
                task.state,
                task.function
            );
        }
    }
    // The analyzer's blips are retried before the rules take over.
    let analyze = tasks.iter().find(|t| t.state == "Analyze").unwrap();
    for name in [names::ANALYZER_THROTTLED, names::ANALYZER_UNAVAILABLE] {
        assert!(
            analyze.retried.contains(name.as_str()),
            "Analyze does not retry {name}"
        );
    }
}

#[test]
fn refusals_and_rejections_are_caught_where_they_end_the_run() {
    let tasks = tasks();
    let normalize = tasks.iter().find(|t| t.state == "NormalizeAlert").unwrap();
    for name in [names::INVALID_ALERT, names::UNSUPPORTED_SOURCE] {
        assert!(
            normalize.caught.contains(name.as_str()),
            "NormalizeAlert does not catch {name}"
        );
    }
    for task in tasks.iter().filter(|t| t.function == "RequestApproval") {
        assert!(
            task.caught.contains(names::APPROVAL_REJECTED.as_str()),
            "{} does not catch a rejection",
            task.state
        );
    }
}
