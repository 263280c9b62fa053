//! Every state type, every Choice operator, Map and Parallel ordering and
//! failure.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use responder_sfn::{Registry, StatesError, Status};
use serde_json::{Value, json};

/// Runs a Choice with one rule; `true` when the rule matched.
async fn matches(rule: Value, input: Value) -> Result<bool, StatesError> {
    let mut rule = rule;
    rule["Next"] = json!("Yes");
    let asl = json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [rule], "Default": "No"},
            "Yes": {"Type": "Pass", "Result": true, "End": true},
            "No": {"Type": "Pass", "Result": false, "End": true}
        }
    });
    let execution = run(&asl, input).await;
    match execution.status {
        Status::Succeeded => Ok(execution.output.unwrap().as_bool().unwrap()),
        _ => Err(execution.error.unwrap()),
    }
}

#[tokio::test]
async fn every_comparison_operator_and_its_path_variant() {
    let input = json!({
        "s": "beta", "n": 5, "b": true, "t": "2026-01-15T10:00:00Z",
        "other": {"s": "beta", "n": 5, "b": true, "t": "2026-01-15T10:00:00Z"}
    });
    let cases: &[(&str, &str, Value, bool)] = &[
        ("StringEquals", "$.s", json!("beta"), true),
        ("StringEquals", "$.s", json!("alpha"), false),
        ("StringLessThan", "$.s", json!("gamma"), true),
        ("StringGreaterThan", "$.s", json!("alpha"), true),
        ("StringLessThanEquals", "$.s", json!("beta"), true),
        ("StringGreaterThanEquals", "$.s", json!("gamma"), false),
        ("NumericEquals", "$.n", json!(5), true),
        ("NumericEquals", "$.n", json!(5.0), true),
        ("NumericLessThan", "$.n", json!(6), true),
        ("NumericGreaterThan", "$.n", json!(5), false),
        ("NumericLessThanEquals", "$.n", json!(5), true),
        ("NumericGreaterThanEquals", "$.n", json!(4.5), true),
        ("BooleanEquals", "$.b", json!(true), true),
        ("BooleanEquals", "$.b", json!(false), false),
        (
            "TimestampEquals",
            "$.t",
            json!("2026-01-15T11:00:00+01:00"),
            true,
        ),
        (
            "TimestampLessThan",
            "$.t",
            json!("2026-01-15T10:00:01Z"),
            true,
        ),
        (
            "TimestampGreaterThan",
            "$.t",
            json!("2026-01-15T10:00:01Z"),
            false,
        ),
        (
            "TimestampLessThanEquals",
            "$.t",
            json!("2026-01-15T10:00:00Z"),
            true,
        ),
        (
            "TimestampGreaterThanEquals",
            "$.t",
            json!("2026-01-14T10:00:00Z"),
            true,
        ),
    ];
    for (operator, variable, value, expected) in cases {
        let rule = json!({"Variable": variable, *operator: value});
        assert_eq!(
            matches(rule, input.clone()).await.unwrap(),
            *expected,
            "{operator} {value}"
        );
        // The ...Path variant compares with a value read from the input.
        let mut with_path = input.clone();
        with_path["operand"] = value.clone();
        let rule = json!({"Variable": variable, format!("{operator}Path"): "$.operand"});
        assert_eq!(
            matches(rule, with_path).await.unwrap(),
            *expected,
            "{operator}Path {value}"
        );
    }
}

#[tokio::test]
async fn mismatched_types_compare_false_rather_than_fail() {
    let input = json!({"n": "5", "s": 5});
    assert!(
        !matches(
            json!({"Variable": "$.n", "NumericEquals": 5}),
            input.clone()
        )
        .await
        .unwrap()
    );
    assert!(
        !matches(
            json!({"Variable": "$.s", "StringEquals": "5"}),
            input.clone()
        )
        .await
        .unwrap()
    );
    assert!(
        !matches(
            json!({"Variable": "$.s", "TimestampEquals": "2026-01-15T10:00:00Z"}),
            input
        )
        .await
        .unwrap()
    );
}

#[tokio::test]
async fn type_tests_and_presence() {
    let input = json!({"null": null, "n": 1.5, "s": "x", "b": false, "t": "2026-01-15T10:00:00Z", "bad_t": "2026-01-15t10:00:00z"});
    let cases = [
        ("IsNull", "$.null", true),
        ("IsNull", "$.n", false),
        ("IsNumeric", "$.n", true),
        ("IsNumeric", "$.s", false),
        ("IsString", "$.s", true),
        ("IsBoolean", "$.b", true),
        ("IsTimestamp", "$.t", true),
        ("IsTimestamp", "$.bad_t", false),
        ("IsPresent", "$.s", true),
        ("IsPresent", "$.absent", false),
    ];
    for (operator, variable, expected) in cases {
        let rule = json!({"Variable": variable, operator: true});
        assert_eq!(
            matches(rule, input.clone()).await.unwrap(),
            expected,
            "{operator} {variable}"
        );
    }
    let rule = json!({"Variable": "$.absent", "IsPresent": false});
    assert!(matches(rule, input).await.unwrap());
}

#[tokio::test]
async fn string_matches_with_wildcards_and_escapes() {
    let input = json!({"file": "log-*-2026.txt"});
    assert!(
        matches(
            json!({"Variable": "$.file", "StringMatches": "log-*.txt"}),
            input.clone()
        )
        .await
        .unwrap()
    );
    assert!(
        matches(
            json!({"Variable": "$.file", "StringMatches": "log-\\*-*"}),
            input.clone()
        )
        .await
        .unwrap()
    );
    assert!(
        !matches(
            json!({"Variable": "$.file", "StringMatches": "log-\\*.txt"}),
            input
        )
        .await
        .unwrap()
    );
}

#[tokio::test]
async fn and_or_not_combine_rules() {
    let input = json!({"severity": "critical", "count": 3});
    let rule = json!({"And": [
        {"Variable": "$.severity", "StringEquals": "critical"},
        {"Or": [
            {"Variable": "$.count", "NumericGreaterThan": 10},
            {"Not": {"Variable": "$.count", "NumericLessThan": 2}}
        ]}
    ]});
    assert!(matches(rule, input.clone()).await.unwrap());
    let rule = json!({"Not": {"Variable": "$.severity", "StringEquals": "critical"}});
    assert!(!matches(rule, input).await.unwrap());
}

#[tokio::test]
async fn a_missing_variable_is_a_runtime_error() {
    let error = matches(
        json!({"Variable": "$.nope", "StringEquals": "x"}),
        json!({}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error, "States.Runtime");
    assert!(
        error.cause.contains("Invalid path '$.nope'"),
        "{}",
        error.cause
    );
}

/// AWS reports "no rule matched and no Default" as `States.Runtime`.
#[tokio::test]
async fn no_match_without_default_fails_with_runtime() {
    let asl = json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "D"}]},
            "D": {"Type": "Succeed"}
        }
    });
    let execution = run(&asl, json!({"x": 2})).await;
    assert_eq!(execution.status, Status::Failed);
    let error = execution.error.unwrap();
    assert_eq!(error.error, "States.Runtime");
    assert!(
        error.cause.contains("No Choice Rule matched"),
        "{}",
        error.cause
    );
}

#[tokio::test]
async fn wait_states_move_the_clock_and_not_the_test() {
    let clock = clock();
    let engine = engine_with(Registry::new(), Arc::clone(&clock));
    let asl = json!({
        "StartAt": "W1",
        "States": {
            "W1": {"Type": "Wait", "Seconds": 3600, "Next": "W2"},
            "W2": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "W3"},
            "W3": {"Type": "Wait", "TimestampPath": "$.until", "Next": "W4"},
            "W4": {"Type": "Wait", "Timestamp": "2026-01-16T00:00:00Z", "End": true}
        }
    });
    let input = json!({"delay": 60, "until": "2026-01-15T12:00:00Z"});
    let execution = engine
        .execute(&definition(&asl), "Test", None, input.clone())
        .await
        .unwrap();
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(execution.output, Some(input));
    let exits: Vec<String> = execution
        .history()
        .iter()
        .filter(|e| e.kind == "WaitStateExited")
        .map(|e| e.timestamp.to_rfc3339())
        .collect();
    assert_eq!(
        exits,
        [
            "2026-01-15T11:00:00+00:00",
            "2026-01-15T11:01:00+00:00",
            "2026-01-15T12:00:00+00:00",
            "2026-01-16T00:00:00+00:00"
        ]
    );
}

#[tokio::test]
async fn fail_state_sets_error_and_cause_from_text_or_paths() {
    let asl = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Custom.Error", "Cause": "it broke"}}});
    let execution = run(&asl, json!({})).await;
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(
        execution.error,
        Some(StatesError::new("Custom.Error", "it broke"))
    );
    assert_eq!(event_types(&execution).last().unwrap(), "ExecutionFailed");

    let asl = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}}});
    let execution = run(&asl, json!({"e": "From.Input", "c": "because"})).await;
    assert_eq!(
        execution.error,
        Some(StatesError::new("From.Input", "because"))
    );
}

#[tokio::test]
async fn succeed_state_applies_its_paths() {
    let asl = json!({"StartAt": "S", "States": {"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}});
    let execution = run(&asl, json!({"a": {"b": 2}})).await;
    assert_eq!(execution.output, Some(json!(2)));
}

fn parallel(second_branch: Value) -> Value {
    json!({
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"branch": "a", "in.$": "$.x"}, "End": true}}},
                    {"StartAt": "B", "States": {"B": second_branch}}
                ],
                "ResultPath": "$.results",
                "Catch": [{"ErrorEquals": ["Branch.Error"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": true
            },
            "Caught": {"Type": "Pass", "End": true}
        }
    })
}

#[tokio::test]
async fn parallel_outputs_are_in_branch_order() {
    let asl = parallel(json!({"Type": "Pass", "Result": {"branch": "b"}, "End": true}));
    let execution = run(&asl, json!({"x": 1})).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        execution.output,
        Some(json!({"x": 1, "results": [{"branch": "a", "in": 1}, {"branch": "b"}]}))
    );
    let types = event_types(&execution);
    assert!(types.contains(&"ParallelStateStarted".to_owned()));
    assert!(types.contains(&"ParallelStateSucceeded".to_owned()));
}

#[tokio::test]
async fn a_failing_branch_fails_the_parallel_state_with_its_error() {
    let asl = parallel(json!({"Type": "Fail", "Error": "Branch.Error", "Cause": "b failed"}));
    let execution = run(&asl, json!({"x": 1})).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        execution.output,
        Some(json!({"x": 1, "error": {"Error": "Branch.Error", "Cause": "b failed"}}))
    );
    assert!(event_types(&execution).contains(&"ParallelStateFailed".to_owned()));
}

fn map(fields: Value) -> Value {
    let mut state = json!({
        "Type": "Map",
        "ItemsPath": "$.channels",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Send",
            "States": {"Send": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:send", "End": true}}
        },
        "End": true
    });
    if let (Some(s), Value::Object(f)) = (state.as_object_mut(), fields) {
        s.extend(f);
    }
    json!({"StartAt": "M", "States": {"M": state}})
}

fn sender() -> (Registry, Arc<Mutex<Vec<Value>>>) {
    recording("send", |input, _| {
        if input["fail"] == json!(true) {
            Err(StatesError::new(
                "Channel.Down",
                format!("{} is down", input["name"]),
            ))
        } else {
            Ok(json!({"sent": input["name"]}))
        }
    })
}

#[tokio::test]
async fn map_selects_items_with_their_index_and_keeps_item_order() {
    let (registry, calls) = sender();
    let asl = map(json!({
        "ItemSelector": {"name.$": "$$.Map.Item.Value.name", "index.$": "$$.Map.Item.Index", "incident.$": "$.id"},
        "MaxConcurrency": 1
    }));
    let input = json!({"id": "inc-1", "channels": [{"name": "slack"}, {"name": "jira"}, {"name": "email"}]});
    let execution = run_with(registry, &asl, input).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        execution.output,
        Some(json!([{"sent": "slack"}, {"sent": "jira"}, {"sent": "email"}]))
    );
    assert_eq!(
        *calls.lock().unwrap(),
        vec![
            json!({"name": "slack", "index": 0, "incident": "inc-1"}),
            json!({"name": "jira", "index": 1, "incident": "inc-1"}),
            json!({"name": "email", "index": 2, "incident": "inc-1"})
        ]
    );
    let types = event_types(&execution);
    assert_eq!(
        types.iter().filter(|t| *t == "MapIterationStarted").count(),
        3
    );
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "MapIterationSucceeded")
            .count(),
        3
    );
    assert!(types.contains(&"MapStateStarted".to_owned()));
}

#[tokio::test]
async fn the_legacy_iterator_and_parameters_fields_work_too() {
    let (registry, _) = sender();
    let asl = json!({
        "StartAt": "M",
        "States": {"M": {
            "Type": "Map", "ItemsPath": "$.names",
            "Parameters": {"name.$": "$$.Map.Item.Value"},
            "Iterator": {"StartAt": "Send", "States": {"Send": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:send", "End": true}}},
            "End": true
        }}
    });
    let execution = run_with(registry, &asl, json!({"names": ["a", "b"]})).await;
    assert_eq!(
        execution.output,
        Some(json!([{"sent": "a"}, {"sent": "b"}]))
    );
}

#[tokio::test]
async fn one_failing_item_fails_a_map_without_tolerance() {
    let (registry, _) = sender();
    let input = json!({"channels": [{"name": "slack"}, {"name": "jira", "fail": true}]});
    let execution = run_with(registry, &map(json!({})), input).await;
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(execution.error.unwrap().error, "Channel.Down");
}

#[tokio::test]
async fn tolerated_failures_keep_the_map_going_until_the_threshold() {
    let (registry, _) = sender();
    let input =
        json!({"channels": [{"name": "slack"}, {"name": "jira", "fail": true}, {"name": "email"}]});
    let execution = run_with(
        registry,
        &map(json!({"ToleratedFailureCount": 1})),
        input.clone(),
    )
    .await;
    assert_eq!(execution.status, Status::Succeeded);
    let output = execution.output.unwrap();
    assert_eq!(output[0], json!({"sent": "slack"}));
    assert_eq!(output[1]["Error"], json!("Channel.Down"));
    assert_eq!(output[2], json!({"sent": "email"}));

    let (registry, _) = sender();
    let execution = run_with(
        registry,
        &map(json!({"ToleratedFailurePercentage": 10})),
        input,
    )
    .await;
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(
        execution.error.unwrap().error,
        "States.ExceedToleratedFailureThreshold"
    );
}

#[tokio::test]
async fn max_concurrency_path_and_an_empty_map() {
    let (registry, _) = sender();
    let asl = map(json!({"MaxConcurrencyPath": "$.limit"}));
    let execution = run_with(registry, &asl, json!({"limit": 2, "channels": []})).await;
    assert_eq!(execution.output, Some(json!([])));
}

#[tokio::test]
async fn items_path_must_select_an_array() {
    let (registry, _) = sender();
    let execution = run_with(registry, &map(json!({})), json!({"channels": "slack"})).await;
    assert_eq!(execution.error.unwrap().error, "States.Runtime");
}
