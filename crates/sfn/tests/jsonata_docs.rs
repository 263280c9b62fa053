//! JSONata in Step Functions: the examples of the AWS Step Functions
//! developer guide, each run and checked against the documented result.
//!
//! - "Transforming data with JSONata in Step Functions":
//!   <https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html>
//! - "Processing input and output in Step Functions" (JSONata):
//!   <https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html>
//! - The state pages (`state-choice`, `state-map`, `state-wait`,
//!   `state-fail`, `state-task`): <https://docs.aws.amazon.com/step-functions/latest/dg/>
//!
//! Where the guide gives no result, the result recorded on AWS is used (the
//! LocalStack project's snapshots of AWS executions, named per test).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use responder_sfn::{Registry, Status};
use serde_json::{Value, json};

/// A JSONata state machine of one Pass state with these fields.
fn jsonata_pass(fields: Value) -> Value {
    let mut machine = pass(fields);
    machine["QueryLanguage"] = json!("JSONata");
    machine
}

async fn output_of(machine: Value, input: Value) -> Value {
    let execution = run(&machine, input).await;
    assert_eq!(execution.status, Status::Succeeded, "{:?}", execution.error);
    execution.output.unwrap()
}

/// transforming-data: "The following code samples show a conversion from
/// JSONPath to JSONata": `Parameters` becomes `Arguments`, `.$` goes, a
/// string without `{% %}` stays as it is.
#[tokio::test]
async fn arguments_replace_parameters_as_in_the_conversion_example() {
    let (registry, calls) = recording("work", |input, _| Ok(input.clone()));
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Remember",
        "States": {
            "Remember": {"Type": "Pass", "Assign": {"customerName": "Ada"}, "Next": "Task"},
            "Task": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work",
                "Arguments": {
                    "static": "Hello",
                    "title": "{% $states.input.title %}",
                    "name": "{% $customerName %}",
                    "not-evaluated": "$customerName"
                },
                "End": true
            }
        }
    });
    let execution = run_with(registry, &asl, json!({"title": "Doctor"})).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        calls.lock().unwrap()[0],
        json!({"static": "Hello", "title": "Doctor", "name": "Ada", "not-evaluated": "$customerName"})
    );
}

/// transforming-data, "JSONata functions provided by Step Functions".
#[tokio::test]
async fn the_step_functions_functions_give_the_documented_results() {
    let out = output_of(
        jsonata_pass(json!({"Output": {
            "partition": "{% $partition([1,2,3,4,5,6,7,8,9], 3) %}",
            "range": "{% $range(0, 10, 2) %}",
            "hash": "{% $hash('input data', 'SHA-256') %}",
            "parsed": "{% $parse($states.input.json) %}",
            "uuid": "{% $uuid() %}",
            "seeded": "{% $random(42) = $random(42) %}",
            "random": "{% $random() %}"
        }})),
        json!({"json": "{\"a\": [1, true, null]}"}),
    )
    .await;
    assert_eq!(out["partition"], json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]]));
    assert_eq!(out["range"], json!([0, 2, 4, 6, 8, 10]));
    // The SHA-256 of "input data", as States.Hash gives it.
    assert_eq!(
        out["hash"],
        json!("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")
    );
    assert_eq!(out["parsed"], json!({"a": [1, true, null]}));
    let uuid = out["uuid"].as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(uuid.as_bytes()[14], b'4');
    assert_eq!(out["seeded"], json!(true));
    let random = out["random"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&random));
}

/// transforming-data: `$eval` is not available; `$parse` is.
#[tokio::test]
async fn eval_is_not_available() {
    let execution = run(
        &jsonata_pass(json!({"Output": "{% $eval('1 + 1') %}"})),
        json!({}),
    )
    .await;
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(
        execution.error.unwrap().error,
        "States.QueryEvaluationError"
    );
}

/// concepts-input-output-filtering (JSONata): without `Output`, a Task's
/// output is its result; `$states.input` is the state's input throughout.
#[tokio::test]
async fn output_defaults_to_the_result_and_reads_input_and_result() {
    let (registry, _) = recording("price", |_, _| Ok(json!({"price": 12.5})));
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Plain",
        "States": {
            "Plain": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:price",
                "Next": "Shaped"
            },
            "Shaped": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:price",
                "Output": {
                    "input": "{% $states.input %}",
                    "total": "{% $states.result.price * 2 %}"
                },
                "End": true
            }
        }
    });
    let execution = run_with(registry, &asl, json!({"item": "hat"})).await;
    assert_eq!(
        execution.output,
        Some(json!({"input": {"price": 12.5}, "total": 25}))
    );
}

/// state-choice (JSONata): rules are `Condition` expressions; the first
/// that is true picks the next state, else `Default`.
#[tokio::test]
async fn choice_conditions_pick_the_documented_branches() {
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $states.input.type = 'Private' %}", "Next": "Private"},
                    {"Condition": "{% $states.input.value >= 20 and $states.input.value < 30 %}", "Next": "Twenties"}
                ],
                "Default": "Other"
            },
            "Private": {"Type": "Pass", "Output": "private", "End": true},
            "Twenties": {"Type": "Pass", "Output": "twenties", "End": true},
            "Other": {"Type": "Pass", "Output": "other", "End": true}
        }
    });
    for (input, expected) in [
        (json!({"type": "Private", "value": 0}), "private"),
        (json!({"type": "Public", "value": 25}), "twenties"),
        (json!({"type": "Public", "value": 35}), "other"),
    ] {
        assert_eq!(output_of(asl.clone(), input).await, json!(expected));
    }
}

/// state-map (JSONata): `Items` selects the array, `ItemSelector` builds each
/// item's input from `$states.context.Map.Item`, processors use `Output`.
#[tokio::test]
async fn map_items_and_item_selector_follow_the_documented_example() {
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "ProcessItems",
        "States": {"ProcessItems": {
            "Type": "Map",
            "Items": "{% $states.input.orderData.items %}",
            "ItemSelector": {
                "item": "{% $states.context.Map.Item.Value %}",
                "index": "{% $states.context.Map.Item.Index %}"
            },
            "MaxConcurrency": 5,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Process",
                "States": {"Process": {
                    "Type": "Pass",
                    "Output": "{% $states.input.item.name & '#' & $states.input.index %}",
                    "End": true
                }}
            },
            "Assign": {"processedItems": "{% $states.result %}"},
            "Output": "{% $processedItems %}",
            "End": true
        }}
    });
    let input = json!({"orderData": {"items": [{"name": "hat"}, {"name": "cloak"}]}});
    // `Output` cannot see the variable its own state assigns: it is the
    // value from before the state, undefined here.
    let execution = run(&asl, input.clone()).await;
    assert_eq!(execution.status, Status::Failed);
    let mut fixed = asl.clone();
    fixed["States"]["ProcessItems"]["Output"] = json!("{% $states.result %}");
    assert_eq!(output_of(fixed, input).await, json!(["hat#0", "cloak#1"]));
}

/// state-wait (JSONata): `Seconds` and `Timestamp` may be expressions.
#[tokio::test]
async fn wait_takes_seconds_and_timestamps_from_expressions() {
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Short",
        "States": {
            "Short": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "Next": "Until"},
            "Until": {"Type": "Wait", "Timestamp": "{% $states.input.until %}", "End": true}
        }
    });
    let input = json!({"delay": 30, "until": "2026-01-15T11:00:00Z"});
    let execution = run(&asl, input.clone()).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(execution.output, Some(input));
    let exited = execution.history().last().unwrap().timestamp;
    assert_eq!(
        exited,
        "2026-01-15T11:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
}

/// state-fail (JSONata): `Error` and `Cause` may be expressions.
#[tokio::test]
async fn fail_takes_error_and_cause_from_expressions() {
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Fail",
        "States": {"Fail": {
            "Type": "Fail",
            "Error": "{% 'Custom.' & $states.input.code %}",
            "Cause": "{% $string($states.input.detail) %}"
        }}
    });
    let execution = run(&asl, json!({"code": "Bad", "detail": {"n": 1}})).await;
    let error = execution.error.unwrap();
    assert_eq!(error.error, "Custom.Bad");
    assert_eq!(error.cause, "{\"n\":1}");
}

/// The conversion guide's Catch: `Assign` and `Output` read
/// `$states.errorOutput`; without `Output`, the error output goes on.
#[tokio::test]
async fn catch_outputs_and_assigns_the_error_output() {
    let (registry, _) = recording("fail", |_, _| {
        Err(responder_sfn::StatesError::new("Custom.Broken", "it broke"))
    });
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:fail",
                "Catch": [{
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {"errorInfo": "{% $states.errorOutput %}"},
                    "Output": "{% $states.input %}",
                    "Next": "HandleError"
                }],
                "End": true
            },
            "HandleError": {
                "Type": "Pass",
                "Output": {"input": "{% $states.input %}", "error": "{% $errorInfo %}"},
                "End": true
            }
        }
    });
    let execution = run_with(registry, &asl, json!({"order": 7})).await;
    assert_eq!(
        execution.output,
        Some(
            json!({"input": {"order": 7}, "error": {"Error": "Custom.Broken", "Cause": "it broke"}})
        )
    );
}

/// An expression with no value fails the state with
/// `States.QueryEvaluationError` and an `EvaluationFailed` event, as
/// recorded on AWS (LocalStack, test_assign_reference_variables,
/// BASE_UNDEFINED_OUTPUT and BASE_UNDEFINED_ASSIGN).
#[tokio::test]
async fn undefined_results_fail_as_aws_records_them() {
    for (fields, location) in [
        (json!({"Output": "{% $doesNotExist %}"}), "Output"),
        (
            json!({"Output": {"result": "{% $doesNotExist %}"}}),
            "Output/result",
        ),
        (
            json!({"Assign": {"result": "{% $doesNotExist %}"}}),
            "Assign/result",
        ),
    ] {
        let mut machine = jsonata_pass(fields);
        machine["States"]["State0"] = machine["States"]["P"].take();
        machine["States"].as_object_mut().unwrap().remove("P");
        machine["StartAt"] = json!("State0");
        let execution = run(&machine, json!({})).await;
        let cause = format!(
            "An error occurred while executing the state 'State0' (entered at the event id #2). \
             The JSONata expression '$doesNotExist' specified for the field '{location}' returned \
             nothing (undefined)."
        );
        let events: Vec<Value> = execution.history().iter().map(|e| e.to_aws()).collect();
        assert_eq!(events.len(), 4);
        assert_eq!(events[2]["type"], "EvaluationFailed");
        assert_eq!(events[2]["previousEventId"], 0);
        let details = &events[2]["evaluationFailedEventDetails"];
        assert_eq!(details["error"], "States.QueryEvaluationError");
        assert_eq!(details["cause"], json!(cause));
        assert_eq!(details["location"], json!(location));
        assert_eq!(details["state"], "State0");
        assert_eq!(events[3]["type"], "ExecutionFailed");
        assert_eq!(events[3]["previousEventId"], 3);
        assert_eq!(
            events[3]["executionFailedEventDetails"]["cause"],
            json!(cause)
        );
    }
}

/// A Map's `Items` must be an array, as recorded on AWS (LocalStack,
/// test_map_state_items_eval_jsonata_fail[number]).
#[tokio::test]
async fn map_items_that_are_not_an_array_fail_as_aws_records_it() {
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "MapIterateState",
        "States": {"MapIterateState": {
            "Type": "Map",
            "Items": "{% 1 %}",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true
        }}
    });
    let execution = run(&asl, json!({})).await;
    let types = event_types(&execution);
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "MapStateEntered",
            "EvaluationFailed",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
    assert_eq!(
        execution.error.unwrap().cause,
        "An error occurred while executing the state 'MapIterateState' (entered at the event id \
         #2). The JSONata expression '1' specified for the field 'Items' returned an unexpected \
         result type. Expected 'array', but was 'number' for value: 1"
    );
}

/// A runtime error inside an expression names JSONata's code, as recorded
/// on AWS (LocalStack, test_math_operations_jsonata: "threw an error during
/// evaluation. T1006: Attempted to invoke a non-function").
#[tokio::test]
async fn expression_errors_name_jsonatas_code() {
    let machine = jsonata_pass(json!({"Output": "{% $nope(1) %}"}));
    let execution = run(&machine, json!({})).await;
    let cause = execution.error.unwrap().cause;
    assert!(
        cause.contains(
            "threw an error during evaluation. T1006: Attempted to invoke a non-function"
        ),
        "{cause}"
    );
}

/// A QueryEvaluationError is caught like any error (not terminal).
#[tokio::test]
async fn query_evaluation_errors_can_be_caught() {
    let (registry, _) = recording("work", |input, _| Ok(input.clone()));
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work",
                "Arguments": "{% $missing %}",
                "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}],
                "End": true
            },
            "Caught": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": true}
        }
    });
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(execution.output, Some(json!("States.QueryEvaluationError")));
}

/// The guide's `$states.context` fields: the execution, the state, the task
/// token in a callback task.
#[tokio::test]
async fn states_context_holds_the_context_object() {
    let out = output_of(
        jsonata_pass(json!({"Output": {
            "name": "{% $states.context.Execution.Name %}",
            "state": "{% $states.context.State.Name %}",
            "input": "{% $states.context.Execution.Input %}"
        }})),
        json!({"a": 1}),
    )
    .await;
    assert_eq!(
        out,
        json!({"name": "run-1", "state": "P", "input": {"a": 1}})
    );
}

/// JSONPath and JSONata states in one machine (the top level says JSONPath,
/// a state JSONata), as transforming-data allows.
#[tokio::test]
async fn states_may_mix_query_languages() {
    let asl = json!({
        "StartAt": "Old",
        "States": {
            "Old": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "New"},
            "New": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.n + 1 %}", "End": true}
        }
    });
    assert_eq!(output_of(asl, json!({"n": 1, "x": 2})).await, json!(2));
    let _ = Registry::new();
}

/// Recorded on AWS (LocalStack's `test_array_jsonata.snapshot.json`,
/// test_array_range): `$range` returns a sequence, so one number comes out
/// as the number itself.
#[tokio::test]
async fn range_of_one_number_is_that_number() {
    let out = output_of(
        jsonata_pass(json!({"Output": "{% $range(1, 9, 9) %}"})),
        json!({}),
    )
    .await;
    assert_eq!(out, json!(1));
}

/// Recorded on AWS (LocalStack's `test_base_scenarios.snapshot.json`,
/// test_wait_timestamp_jsonata[NO_Z]): a Wait `Timestamp` that is not an
/// ISO-8601 date-time with an offset fails with this cause, its
/// `EvaluationFailed` chained to the state's entry.
#[tokio::test]
async fn a_wait_timestamp_without_an_offset_fails_as_on_aws() {
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "WaitState",
        "States": {"WaitState": {"Type": "Wait", "Timestamp": "{% $states.input.TimestampValue %}", "End": true}}
    });
    let execution = run(&asl, json!({"TimestampValue": "2016-12-05T21:29:29"})).await;
    let error = execution.error.clone().unwrap();
    assert_eq!(error.error, "States.QueryEvaluationError");
    assert_eq!(
        error.cause,
        "An error occurred while executing the state 'WaitState' (entered at the event id #2). \
         The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format \
         string: 2016-12-05T21:29:29"
    );
    let chain: Vec<(u64, u64, String)> = execution
        .history()
        .iter()
        .map(|e| (e.id, e.previous_event_id, e.kind.to_string()))
        .collect();
    assert_eq!(
        chain,
        [
            (1, 0, "ExecutionStarted".to_owned()),
            (2, 0, "WaitStateEntered".to_owned()),
            (3, 2, "EvaluationFailed".to_owned()),
            (4, 3, "ExecutionFailed".to_owned()),
        ]
    );
}
