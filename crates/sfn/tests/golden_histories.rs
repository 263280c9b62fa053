//! Histories as AWS writes them, one state type at a time: each machine here
//! is one whose execution on AWS was recorded, and each test checks our
//! history against that record, event for event (type, id, previous id) and
//! the details AWS gave.
//!
//! The records are the LocalStack project's snapshots of executions run on
//! AWS (`tests/aws/services/stepfunctions/v2/...snapshot.json` in
//! github.com/localstack/localstack), named in each test; the event types
//! and detail fields are those of the `HistoryEvent` reference
//! (<https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html>).
//! Ids the snapshot redacts (concurrent branches) are checked for AWS's
//! order instead.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use responder_sfn::{Execution, Registry, StatesError, Status};
use serde_json::{Map, Value, json};

/// Our history as the API renders it, payload texts parsed back to JSON so
/// they compare with the records.
fn aws_history(execution: &Execution) -> Vec<Value> {
    execution
        .history()
        .iter()
        .map(|event| {
            let mut e = event.to_aws();
            let object = e.as_object_mut().unwrap();
            object.remove("timestamp");
            for (key, details) in object.iter_mut() {
                if !key.ends_with("EventDetails") {
                    continue;
                }
                for field in ["input", "output", "parameters"] {
                    if let Some(text) = details.get(field).and_then(Value::as_str) {
                        details[field] = serde_json::from_str(text).unwrap();
                    }
                }
            }
            e
        })
        .collect()
}

/// Checks the chain of (id, previous id, type) and, for the events given
/// with details, that each recorded detail field is ours too.
fn assert_recorded(execution: &Execution, recorded: &[(u64, u64, &str, Value)]) {
    let ours = aws_history(execution);
    let chain = |events: &[Value]| -> Vec<(u64, u64, String)> {
        events
            .iter()
            .map(|e| {
                (
                    e["id"].as_u64().unwrap(),
                    e["previousEventId"].as_u64().unwrap(),
                    e["type"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let expected: Vec<(u64, u64, String)> = recorded
        .iter()
        .map(|(id, prev, kind, _)| (*id, *prev, (*kind).to_owned()))
        .collect();
    assert_eq!(chain(&ours), expected, "{ours:#?}");
    for (event, (_, _, kind, details)) in ours.iter().zip(recorded) {
        let Value::Object(wanted) = details else {
            continue;
        };
        let key = details_key(kind);
        let got = event.get(&key).cloned().unwrap_or(json!({}));
        for (field, value) in wanted {
            assert_eq!(got.get(field), Some(value), "{kind}.{field} in {event}");
        }
        if wanted.is_empty() {
            assert_eq!(got, json!({}), "{kind} records no details on AWS");
        }
    }
}

fn details_key(kind: &str) -> String {
    let base = if kind.ends_with("StateEntered") {
        "StateEntered"
    } else if kind.ends_with("StateExited") {
        "StateExited"
    } else {
        kind
    };
    let mut chars = base.chars();
    let first = chars.next().unwrap().to_ascii_lowercase();
    format!("{first}{}EventDetails", chars.as_str())
}

const NONE: Value = Value::Null;

fn empty() -> Value {
    Value::Object(Map::new())
}

/// v2/base/test_base.snapshot.json, test_state_pass_result.
#[tokio::test]
async fn pass() {
    let asl = json!({"StartAt": "State_1", "States": {
        "State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": true}
    }});
    let execution = run(&asl, json!({})).await;
    assert_recorded(
        &execution,
        &[
            (
                1,
                0,
                "ExecutionStarted",
                json!({"input": {}, "inputDetails": {"truncated": false}}),
            ),
            (
                2,
                0,
                "PassStateEntered",
                json!({"input": {}, "name": "State_1"}),
            ),
            (
                3,
                2,
                "PassStateExited",
                json!({"name": "State_1", "output": {"Arg1": "argument1"}, "outputDetails": {"truncated": false}}),
            ),
            (
                4,
                3,
                "ExecutionSucceeded",
                json!({"output": {"Arg1": "argument1"}}),
            ),
        ],
    );
}

/// v2/base/test_wait.snapshot.json, test_base_wait_seconds_path[1].
#[tokio::test]
async fn wait() {
    let asl = json!({"StartAt": "WaitState", "States": {
        "WaitState": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": true}
    }});
    let execution = run(&asl, json!({"input": {"waitSeconds": 1}})).await;
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "WaitStateEntered", json!({"name": "WaitState"})),
            (
                3,
                2,
                "WaitStateExited",
                json!({"name": "WaitState", "output": {"input": {"waitSeconds": 1}}}),
            ),
            (4, 3, "ExecutionSucceeded", NONE),
        ],
    );
}

/// v2/scenarios/test_base_scenarios.snapshot.json,
/// test_choice_condition_constant_jsonata.
#[tokio::test]
async fn choice() {
    let asl = json!({"StartAt": "ChoiceState", "States": {
        "ChoiceState": {"Type": "Choice", "QueryLanguage": "JSONata",
            "Choices": [{"Condition": true, "Next": "ConditionTrue"}], "Default": "DefaultState"},
        "ConditionTrue": {"Type": "Pass", "End": true},
        "DefaultState": {"Type": "Fail", "Cause": "Condition is false"}
    }});
    let execution = run(&asl, json!({})).await;
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (
                2,
                0,
                "ChoiceStateEntered",
                json!({"name": "ChoiceState", "input": {}}),
            ),
            (
                3,
                2,
                "ChoiceStateExited",
                json!({"name": "ChoiceState", "output": {}}),
            ),
            (4, 3, "PassStateEntered", json!({"name": "ConditionTrue"})),
            (5, 4, "PassStateExited", NONE),
            (6, 5, "ExecutionSucceeded", json!({"output": {}})),
        ],
    );
}

/// v2/base/test_base.snapshot.json, test_state_fail: no `FailStateExited`.
#[tokio::test]
async fn fail() {
    let asl = json!({"StartAt": "FailState", "States": {
        "FailState": {"Type": "Fail", "Error": "SomeFailure",
            "Cause": "This state machines raises a 'SomeFailure' failure."}
    }});
    let execution = run(&asl, json!({})).await;
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "FailStateEntered", json!({"name": "FailState"})),
            (
                3,
                2,
                "ExecutionFailed",
                json!({"error": "SomeFailure",
                "cause": "This state machines raises a 'SomeFailure' failure."}),
            ),
        ],
    );
}

const FUNCTION: &str = "arn:aws:lambda:us-east-1:111111111111:function:fn";

fn raising() -> Registry {
    let mut registry = Registry::new();
    registry.register_fn("fn", |_| {
        Err(StatesError::new(
            "Exception",
            r#"{"errorMessage": "Some exception was raised."}"#,
        ))
    });
    registry
}

/// v2/scenarios/test_base_scenarios.snapshot.json,
/// test_retry_interval_features: a plain Lambda ARN writes
/// `LambdaFunction*` events; each retry schedules again after the failure.
#[tokio::test]
async fn task_on_a_lambda_arn_retried() {
    let asl = json!({"StartAt": "LambdaTask", "States": {
        "LambdaTask": {"Type": "Task", "Resource": FUNCTION, "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 2,
                "BackoffRate": 2, "MaxDelaySeconds": 5, "JitterStrategy": "FULL"}]}
    }});
    let execution = run_with(raising(), &asl, json!({})).await;
    let scheduled =
        json!({"input": {}, "inputDetails": {"truncated": false}, "resource": FUNCTION});
    let failed =
        json!({"error": "Exception", "cause": r#"{"errorMessage": "Some exception was raised."}"#});
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "TaskStateEntered", json!({"name": "LambdaTask"})),
            (3, 2, "LambdaFunctionScheduled", scheduled.clone()),
            (4, 3, "LambdaFunctionStarted", empty()),
            (5, 4, "LambdaFunctionFailed", failed.clone()),
            (6, 5, "LambdaFunctionScheduled", scheduled.clone()),
            (7, 6, "LambdaFunctionStarted", empty()),
            (8, 7, "LambdaFunctionFailed", failed.clone()),
            (9, 8, "LambdaFunctionScheduled", scheduled),
            (10, 9, "LambdaFunctionStarted", empty()),
            (11, 10, "LambdaFunctionFailed", failed.clone()),
            (12, 11, "ExecutionFailed", failed),
        ],
    );
}

/// v2/error_handling/test_task_lambda.snapshot.json,
/// test_raise_exception_catch: the catcher's output is the error output.
#[tokio::test]
async fn task_on_a_lambda_arn_caught() {
    let asl = json!({"StartAt": "Start", "States": {
        "Start": {"Type": "Task", "Resource": FUNCTION, "End": true,
            "Catch": [{"ErrorEquals": ["Exception"], "Next": "EndWithStateTaskFailedHandler"}]},
        "EndWithStateTaskFailedHandler": {"Type": "Pass", "End": true}
    }});
    let execution = run_with(raising(), &asl, json!({"Payload": null})).await;
    let error_output =
        json!({"Error": "Exception", "Cause": r#"{"errorMessage": "Some exception was raised."}"#});
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "TaskStateEntered", NONE),
            (
                3,
                2,
                "LambdaFunctionScheduled",
                json!({"input": {"Payload": null}, "resource": FUNCTION}),
            ),
            (4, 3, "LambdaFunctionStarted", empty()),
            (5, 4, "LambdaFunctionFailed", json!({"error": "Exception"})),
            (
                6,
                5,
                "TaskStateExited",
                json!({"name": "Start", "output": error_output}),
            ),
            (
                7,
                6,
                "PassStateEntered",
                json!({"name": "EndWithStateTaskFailedHandler"}),
            ),
            (8, 7, "PassStateExited", NONE),
            (9, 8, "ExecutionSucceeded", NONE),
        ],
    );
}

/// v2/callback/test_callback.snapshot.json, test_sqs_wait_for_task_token:
/// a callback task records `TaskSubmitted` with what the service answered,
/// then `TaskSucceeded` with what the token's holder sent.
#[tokio::test]
async fn task_waiting_for_a_token() {
    let resource = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
    let mut registry = Registry::new();
    let tokens = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&tokens);
    registry.register_fn(resource, move |request| {
        seen.lock().unwrap().push(request.token.clone().unwrap());
        Ok(json!({"MessageId": "m-1"}))
    });
    let asl = json!({"StartAt": "SendMessageWithWait", "States": {
        "SendMessageWithWait": {"Type": "Task", "Resource": resource,
            "Parameters": {"QueueUrl.$": "$.QueueUrl",
                "MessageBody": {"Message.$": "$.Message", "TaskToken.$": "$$.Task.Token"}},
            "End": true}
    }});
    let engine = engine(registry);
    let input = json!({"QueueUrl": "https://sqs/q", "Message": "test_message_txt"});
    let waiting = engine
        .execute(&definition(&asl), "Test", Some("run-1"), input)
        .await
        .unwrap();
    assert_eq!(waiting.status, Status::Running, "{:?}", waiting.error);
    let token = tokens.lock().unwrap()[0].clone();
    let id = engine
        .send_task_success(&token, json!("test_message_txt"))
        .unwrap();
    let execution = engine.run(&id).await.unwrap();
    let sqs = |more: Value| {
        let mut d = json!({"resource": "sendMessage.waitForTaskToken", "resourceType": "sqs"});
        d.as_object_mut()
            .unwrap()
            .extend(more.as_object().unwrap().clone());
        d
    };
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "TaskStateEntered", NONE),
            (
                3,
                2,
                "TaskScheduled",
                sqs(json!({"parameters": {"QueueUrl": "https://sqs/q",
                "MessageBody": {"Message": "test_message_txt", "TaskToken": token}}})),
            ),
            (4, 3, "TaskStarted", sqs(json!({}))),
            (
                5,
                4,
                "TaskSubmitted",
                sqs(json!({"output": {"MessageId": "m-1"}})),
            ),
            (
                6,
                5,
                "TaskSucceeded",
                sqs(json!({"output": "test_message_txt"})),
            ),
            (
                7,
                6,
                "TaskStateExited",
                json!({"output": "test_message_txt"}),
            ),
            (
                8,
                7,
                "ExecutionSucceeded",
                json!({"output": "test_message_txt"}),
            ),
        ],
    );
}

/// v2/evaluate_jsonata/test_base_evaluate_expressions.snapshot.json,
/// test_base_map[ITEMS] (its `MaxConcurrency` is 1): each iteration starts
/// after the one before, chained to that one's last state event; `MapStateSucceeded` and `MapStateExited` both
/// follow the last iteration's last state event.
#[tokio::test]
async fn map() {
    let asl = json!({"QueryLanguage": "JSONata", "StartAt": "Start", "States": {
        "Start": {"Type": "Map", "Items": "{% [1, 2, 3] %}", "MaxConcurrency": 1,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Process",
                "States": {"Process": {"Type": "Pass", "End": true}}},
            "End": true}
    }});
    let execution = run(&asl, json!({})).await;
    let iteration = |index: u64| json!({"index": index, "name": "Start"});
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "MapStateEntered", json!({"name": "Start"})),
            (3, 2, "MapStateStarted", json!({"length": 3})),
            (4, 3, "MapIterationStarted", iteration(0)),
            (
                5,
                4,
                "PassStateEntered",
                json!({"input": 1, "name": "Process"}),
            ),
            (6, 5, "PassStateExited", json!({"output": 1})),
            (7, 6, "MapIterationSucceeded", iteration(0)),
            (8, 6, "MapIterationStarted", iteration(1)),
            (9, 8, "PassStateEntered", json!({"input": 2})),
            (10, 9, "PassStateExited", NONE),
            (11, 10, "MapIterationSucceeded", iteration(1)),
            (12, 10, "MapIterationStarted", iteration(2)),
            (13, 12, "PassStateEntered", json!({"input": 3})),
            (14, 13, "PassStateExited", NONE),
            (15, 14, "MapIterationSucceeded", iteration(2)),
            (16, 15, "MapStateSucceeded", empty()),
            (
                17,
                15,
                "MapStateExited",
                json!({"name": "Start", "output": [1, 2, 3]}),
            ),
            (18, 17, "ExecutionSucceeded", json!({"output": [1, 2, 3]})),
        ],
    );
}

/// AWS refuses a state nothing reaches: the catch target only with a Catch.
fn with_catch_target(asl: &mut Value) {
    if asl.to_string().contains("FinalCaught") {
        asl["States"]["FinalCaught"] = json!({"Type": "Pass", "End": true});
    }
}

fn failing_map(handler: Value) -> Value {
    let mut map = json!({"Type": "Map", "ResultPath": null, "InputPath": "$.arr", "MaxConcurrency": 1,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "HandleItemFail",
            "States": {"HandleItemFail": {"Type": "Fail", "Error": "HandleItemFailError",
                "Cause": "HandleItemFailCause"}}},
        "Next": "Final"});
    map.as_object_mut()
        .unwrap()
        .extend(handler.as_object().unwrap().clone());
    let mut asl = json!({"StartAt": "StartState", "States": {
        "StartState": {"Type": "Pass", "Result": [1], "ResultPath": "$.arr", "Next": "MapState"},
        "MapState": map,
        "Final": {"Type": "Pass", "End": true}
    }});
    with_catch_target(&mut asl);
    asl
}

/// v2/scenarios/test_base_scenarios.snapshot.json, test_map_state_retry: a
/// retried Map starts again (`MapStateStarted`) with no `MapStateFailed`
/// until its retries are spent.
#[tokio::test]
async fn map_retried() {
    let asl =
        failing_map(json!({"Retry": [{"ErrorEquals": ["HandleItemFailError"], "MaxAttempts": 2}]}));
    let execution = run(&asl, json!({})).await;
    let index = json!({"index": 0, "name": "MapState"});
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "PassStateEntered", NONE),
            (3, 2, "PassStateExited", json!({"output": {"arr": [1]}})),
            (4, 3, "MapStateEntered", NONE),
            (5, 4, "MapStateStarted", json!({"length": 1})),
            (6, 5, "MapIterationStarted", index.clone()),
            (
                7,
                6,
                "FailStateEntered",
                json!({"input": 1, "name": "HandleItemFail"}),
            ),
            (8, 7, "MapIterationFailed", index.clone()),
            (9, 7, "MapStateStarted", json!({"length": 1})),
            (10, 9, "MapIterationStarted", index.clone()),
            (11, 10, "FailStateEntered", NONE),
            (12, 11, "MapIterationFailed", index.clone()),
            (13, 11, "MapStateStarted", NONE),
            (14, 13, "MapIterationStarted", NONE),
            (15, 14, "FailStateEntered", NONE),
            (16, 15, "MapIterationFailed", index),
            (17, 15, "MapStateFailed", empty()),
            (
                18,
                17,
                "ExecutionFailed",
                json!({"error": "HandleItemFailError", "cause": "HandleItemFailCause"}),
            ),
        ],
    );
}

/// v2/scenarios/test_base_scenarios.snapshot.json, test_map_state_catch.
#[tokio::test]
async fn map_caught() {
    let asl =
        failing_map(json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "FinalCaught"}]}));
    let execution = run(&asl, json!({})).await;
    let error_output = json!({"Error": "HandleItemFailError", "Cause": "HandleItemFailCause"});
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "PassStateEntered", NONE),
            (3, 2, "PassStateExited", NONE),
            (4, 3, "MapStateEntered", NONE),
            (5, 4, "MapStateStarted", NONE),
            (6, 5, "MapIterationStarted", NONE),
            (7, 6, "FailStateEntered", NONE),
            (8, 7, "MapIterationFailed", NONE),
            (9, 7, "MapStateFailed", empty()),
            (
                10,
                9,
                "MapStateExited",
                json!({"name": "MapState", "output": error_output}),
            ),
            (11, 10, "PassStateEntered", json!({"name": "FinalCaught"})),
            (12, 11, "PassStateExited", NONE),
            (
                13,
                12,
                "ExecutionSucceeded",
                json!({"output": error_output}),
            ),
        ],
    );
}

fn failing_parallel(handler: Value) -> Value {
    let mut parallel = json!({"Type": "Parallel", "Branches": [{"StartAt": "Branch1", "States": {
            "Branch1": {"Type": "Fail", "Error": "FailureType", "Cause": "Cause description"}}}],
        "Next": "Final"});
    parallel
        .as_object_mut()
        .unwrap()
        .extend(handler.as_object().unwrap().clone());
    let mut asl = json!({"StartAt": "ParallelState", "States": {
        "ParallelState": parallel,
        "Final": {"Type": "Pass", "End": true}
    }});
    with_catch_target(&mut asl);
    asl
}

/// v2/scenarios/test_base_scenarios.snapshot.json, test_parallel_state_retry.
#[tokio::test]
async fn parallel_retried() {
    let asl =
        failing_parallel(json!({"Retry": [{"ErrorEquals": ["FailureType"], "MaxAttempts": 2}]}));
    let execution = run(&asl, json!({})).await;
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (
                2,
                0,
                "ParallelStateEntered",
                json!({"name": "ParallelState"}),
            ),
            (3, 2, "ParallelStateStarted", empty()),
            (4, 3, "FailStateEntered", json!({"name": "Branch1"})),
            (5, 4, "ParallelStateStarted", empty()),
            (6, 5, "FailStateEntered", NONE),
            (7, 6, "ParallelStateStarted", empty()),
            (8, 7, "FailStateEntered", NONE),
            (9, 8, "ParallelStateFailed", empty()),
            (
                10,
                9,
                "ExecutionFailed",
                json!({"error": "FailureType", "cause": "Cause description"}),
            ),
        ],
    );
}

/// v2/scenarios/test_base_scenarios.snapshot.json, test_parallel_state_catch.
#[tokio::test]
async fn parallel_caught() {
    let asl = failing_parallel(
        json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "FinalCaught"}]}),
    );
    let execution = run(&asl, json!({})).await;
    let error_output = json!({"Error": "FailureType", "Cause": "Cause description"});
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "ParallelStateEntered", NONE),
            (3, 2, "ParallelStateStarted", empty()),
            (4, 3, "FailStateEntered", NONE),
            (5, 4, "ParallelStateFailed", empty()),
            (6, 5, "ParallelStateExited", json!({"output": error_output})),
            (7, 6, "PassStateEntered", json!({"name": "FinalCaught"})),
            (8, 7, "PassStateExited", NONE),
            (9, 8, "ExecutionSucceeded", NONE),
        ],
    );
}

/// v2/scenarios/test_base_scenarios.snapshot.json, test_parallel_state_order
/// (the snapshot redacts the branch events' ids, which vary with timing on
/// AWS): every branch enters before any leaves, branches in order, then
/// `ParallelStateSucceeded` and `ParallelStateExited` (ids 12 and 13, both
/// after event 11) with the outputs in branch order.
#[tokio::test]
async fn parallel_branches_in_aws_order() {
    let branch = |i: u64| {
        json!({"StartAt": format!("Branch{i}"), "States": {
            format!("Branch{i}"): {"Type": "Pass", "Result": {"branch": i}, "End": true}}})
    };
    let asl = json!({"StartAt": "StartState", "States": {
        "StartState": {"Type": "Parallel", "Branches": [branch(0), branch(1), branch(2), branch(3)], "End": true}
    }});
    let execution = run(&asl, json!({})).await;
    let output = json!([{"branch": 0}, {"branch": 1}, {"branch": 2}, {"branch": 3}]);
    assert_recorded(
        &execution,
        &[
            (1, 0, "ExecutionStarted", NONE),
            (2, 0, "ParallelStateEntered", NONE),
            (3, 2, "ParallelStateStarted", empty()),
            (4, 3, "PassStateEntered", json!({"name": "Branch0"})),
            (5, 3, "PassStateEntered", json!({"name": "Branch1"})),
            (6, 3, "PassStateEntered", json!({"name": "Branch2"})),
            (7, 3, "PassStateEntered", json!({"name": "Branch3"})),
            (
                8,
                4,
                "PassStateExited",
                json!({"name": "Branch0", "output": {"branch": 0}}),
            ),
            (9, 5, "PassStateExited", json!({"name": "Branch1"})),
            (10, 6, "PassStateExited", json!({"name": "Branch2"})),
            (11, 7, "PassStateExited", json!({"name": "Branch3"})),
            (12, 11, "ParallelStateSucceeded", empty()),
            (
                13,
                11,
                "ParallelStateExited",
                json!({"name": "StartState", "output": output}),
            ),
            (14, 13, "ExecutionSucceeded", json!({"output": output})),
        ],
    );
}
