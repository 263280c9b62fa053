//! Input and output processing in AWS's order, paths, the context object
//! and the payload limit.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use responder_sfn::{Registry, Status};
use serde_json::json;

/// The example of the AWS developer guide ("InputPath, Parameters and
/// ResultSelector" / "ResultPath"): a task result placed next to the input.
#[tokio::test]
async fn paths_apply_in_aws_order_on_the_documented_example() {
    let (registry, calls) = recording("HelloFunction", |input, _| {
        Ok(json!(format!("Hello, {}!", input["who"].as_str().unwrap())))
    });
    let asl = json!({
        "StartAt": "Hello",
        "States": {"Hello": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:HelloFunction",
            "InputPath": "$.lambda",
            "Parameters": {"who.$": "$.who", "static": 1},
            "ResultSelector": {"greeting.$": "$"},
            "ResultPath": "$.taskresult",
            "OutputPath": "$.taskresult",
            "End": true
        }}
    });
    let input = json!({"comment": "An input", "lambda": {"who": "AWS Step Functions"}});
    let execution = run_with(registry, &asl, input).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        calls.lock().unwrap()[0],
        json!({"who": "AWS Step Functions", "static": 1})
    );
    assert_eq!(
        execution.output,
        Some(json!({"greeting": "Hello, AWS Step Functions!"}))
    );
}

#[tokio::test]
async fn result_path_merges_into_the_raw_input_and_null_discards() {
    let execution = run(
        &pass(json!({"Result": {"x": 1}, "ResultPath": "$.a.b"})),
        json!({"keep": true}),
    )
    .await;
    assert_eq!(
        execution.output,
        Some(json!({"keep": true, "a": {"b": {"x": 1}}}))
    );

    let execution = run(
        &pass(json!({"Result": {"x": 1}, "ResultPath": null})),
        json!({"keep": true}),
    )
    .await;
    assert_eq!(execution.output, Some(json!({"keep": true})));
}

#[tokio::test]
async fn null_input_and_output_paths_give_an_empty_object() {
    let execution = run(&pass(json!({"InputPath": null})), json!({"a": 1})).await;
    assert_eq!(execution.output, Some(json!({})));
    let execution = run(&pass(json!({"OutputPath": null})), json!({"a": 1})).await;
    assert_eq!(execution.output, Some(json!({})));
}

#[tokio::test]
async fn parameters_read_the_context_object() {
    let asl = pass(json!({"Parameters": {
        "execution.$": "$$.Execution.Name",
        "input.$": "$$.Execution.Input.alarm",
        "state.$": "$$.State.Name",
        "entered.$": "$$.State.EnteredTime",
        "machine.$": "$$.StateMachine.Name",
        "retries.$": "$$.State.RetryCount"
    }}));
    let execution = run(&asl, json!({"alarm": "cpu"})).await;
    assert_eq!(
        execution.output,
        Some(json!({
            "execution": "run-1",
            "input": "cpu",
            "state": "P",
            "entered": "2026-01-15T10:00:00.000Z",
            "machine": "Test",
            "retries": 0
        }))
    );
    assert!(
        execution.id.ends_with(":execution:Test:run-1"),
        "{}",
        execution.id
    );
}

#[tokio::test]
async fn indefinite_paths_give_arrays_and_definite_ones_single_values() {
    let asl = pass(json!({"Parameters": {
        "names.$": "$.items[*].name",
        "big.$": "$.items[?(@.size > 1)].name",
        "first.$": "$.items[0].name",
        "none.$": "$.items[?(@.size > 100)]"
    }}));
    let input = json!({"items": [{"name": "a", "size": 1}, {"name": "b", "size": 2}]});
    let execution = run(&asl, input).await;
    assert_eq!(
        execution.output,
        Some(json!({"names": ["a", "b"], "big": ["b"], "first": "a", "none": []}))
    );
}

/// A path that selects nothing is `States.Runtime`, which fails the
/// execution even through a `States.ALL` catcher.
#[tokio::test]
async fn a_missing_parameter_path_fails_the_execution_uncaught() {
    let (registry, _) = recording("f", |_, _| Ok(json!({})));
    let asl = json!({
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload": {"id.$": "$.missing"}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": true
            },
            "Caught": {"Type": "Succeed"}
        }
    });
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(execution.status, Status::Failed);
    let error = execution.error.clone().unwrap();
    assert_eq!(error.error, "States.Runtime");
    assert!(error.cause.contains("'id.$'"), "{}", error.cause);
    assert!(!event_types(&execution).contains(&"SucceedStateEntered".to_owned()));
}

#[tokio::test]
async fn result_path_into_a_non_object_is_a_runtime_error() {
    let execution = run(
        &pass(json!({"Result": 1, "ResultPath": "$.a.b"})),
        json!({"a": "text"}),
    )
    .await;
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(execution.error.unwrap().error, "States.Runtime");
}

#[tokio::test]
async fn output_over_256_kib_is_data_limit_exceeded_and_not_caught() {
    let mut registry = Registry::new();
    registry.register_fn("big", |_| Ok(json!("x".repeat(300 * 1024))));
    let asl = json!({
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:big",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true
            },
            "Caught": {"Type": "Succeed"}
        }
    });
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(execution.status, Status::Failed);
    let error = execution.error.unwrap();
    assert_eq!(error.error, "States.DataLimitExceeded");
    assert!(error.cause.contains("262144"), "{}", error.cause);
}

#[tokio::test]
async fn execution_input_over_256_kib_is_refused() {
    let engine = engine(Registry::new());
    let error = engine
        .start(
            &definition(&pass(json!({}))),
            "Test",
            None,
            json!("x".repeat(300 * 1024)),
        )
        .unwrap_err();
    assert_eq!(error.name(), "InvalidExecutionInput");
}
