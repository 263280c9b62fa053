//! Every wait inside a task fits in that task's timeout: the state machine
//! file against the tasks' budgets, and the default clients against the
//! budgets. One retry layer per call: the clients try once; the retriers
//! here are the only ones.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use responder_e2e::statemachine_dir;
use responder_workflow::budget;
use serde_json::Value;

fn asl() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(statemachine_dir().join("incident-response.asl.json")).unwrap(),
    )
    .unwrap()
}

/// Every Task state, with its name, anywhere in the machine.
fn tasks(states: &Value, out: &mut Vec<(String, Value)>) {
    for (name, state) in states.as_object().unwrap() {
        if state["Type"] == "Task" {
            out.push((name.clone(), state.clone()));
        }
        for branch in state["Branches"].as_array().into_iter().flatten() {
            tasks(&branch["States"], out);
        }
        for key in ["Iterator", "ItemProcessor"] {
            if state[key].is_object() {
                tasks(&state[key]["States"], out);
            }
        }
    }
}

/// The function behind a state: `${DeliverFunctionArn}` → `Deliver`.
fn function_of(state: &Value) -> String {
    let arn = state["Resource"]
        .as_str()
        .filter(|r| r.starts_with("${"))
        .or_else(|| state["Parameters"]["FunctionName"].as_str())
        .unwrap();
    arn.trim_start_matches("${")
        .trim_end_matches("FunctionArn}")
        .to_owned()
}

#[test]
fn every_task_fits_its_budget_and_its_budget_its_timeout() {
    let mut found = Vec::new();
    tasks(&asl()["States"], &mut found);
    assert!(found.len() >= 10);
    for (name, state) in found {
        let function = function_of(&state);
        assert!(
            budget::BUDGETS.iter().any(|(f, _)| *f == function),
            "{name}: {function} has no budget"
        );
        let Some(timeout) = state["TimeoutSeconds"].as_u64() else {
            // A callback's timeout is the wait for the answer (an approval):
            // its handler's budget is far below it.
            assert!(
                state["TimeoutSecondsPath"].is_string(),
                "{name} has no timeout"
            );
            continue;
        };
        let budget = budget::of(&function).as_secs();
        assert!(
            budget + budget::MARGIN_SECONDS <= timeout,
            "{name}: {function}'s budget of {budget} s does not fit its TimeoutSeconds {timeout}"
        );
        // A task that ran out of time is retried.
        let retried = state["Retry"].as_array().unwrap().iter().any(|r| {
            r["ErrorEquals"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e == "Task.OutOfTime")
        });
        assert!(retried, "{name} does not retry Task.OutOfTime");
    }
}

/// The waits of a retrier without jitter, one after another.
fn total_wait(retrier: &Value) -> u64 {
    let (interval, rate, attempts) = (
        retrier["IntervalSeconds"].as_f64().unwrap_or(1.0),
        retrier["BackoffRate"].as_f64().unwrap_or(2.0),
        retrier["MaxAttempts"].as_u64().unwrap_or(3),
    );
    let cap = retrier["MaxDelaySeconds"].as_f64().unwrap_or(f64::MAX);
    (0..attempts)
        .map(|n| (interval * rate.powi(i32::try_from(n).unwrap())).min(cap) as u64)
        .sum()
}

#[test]
fn a_task_waiting_for_another_attempt_outlasts_that_attempt() {
    // An attempt that died holding an idempotency key keeps it until the
    // key's record expires: the task's timeout plus a margin. The retrier of
    // `Idempotency.InProgress` waits longer than that, without jitter.
    let mut found = Vec::new();
    tasks(&asl()["States"], &mut found);
    for (name, state) in found {
        for retrier in state["Retry"].as_array().into_iter().flatten() {
            if retrier["ErrorEquals"] == serde_json::json!(["Idempotency.InProgress"]) {
                assert!(retrier.get("JitterStrategy").is_none(), "{name}");
                let timeout = state["TimeoutSeconds"].as_u64().unwrap_or(30);
                assert!(
                    total_wait(retrier) > timeout + budget::MARGIN_SECONDS,
                    "{name}: waits {} s in all",
                    total_wait(retrier)
                );
            }
        }
    }
}

#[test]
fn the_default_clients_fit_the_budgets() {
    let config = responder_local::WorkflowConfig::default();
    config.check_budgets().unwrap();
    let slow = responder_local::WorkflowConfig {
        jira: responder_notify::jira::JiraConfig {
            timeout_seconds: 30,
            ..Default::default()
        },
        ..Default::default()
    };
    let error = slow.check_budgets().unwrap_err();
    assert!(error.contains("workflow.jira.timeout_seconds"), "{error}");
    assert!(budget::of("Analyze") > Duration::from_secs(60));
}
