//! Workflow variables (`Assign`), from the examples of the AWS developer
//! guide's "Passing data between states with variables"
//! (<https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html>)
//! and executions recorded on AWS (the LocalStack project's snapshots,
//! `tests/aws/services/stepfunctions/v2/assign`, named per test).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use responder_sfn::Status;
use serde_json::{Value, json};

fn exited(execution: &responder_sfn::Execution, state: &str) -> Value {
    execution
        .history()
        .iter()
        .map(|e| e.to_aws())
        .find(|e| e["stateExitedEventDetails"]["name"] == json!(state))
        .unwrap_or_else(|| panic!("{state} did not exit"))
}

/// workflow-variables: "To set a variable, provide a JSON object with the
/// variable names and values"; "to reference a variable, prepend the name
/// with a dollar sign", in either query language.
#[tokio::test]
async fn assigned_variables_are_read_by_later_states() {
    let asl = json!({
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"productName": "product1", "count": 42, "available": true}, "Next": "Use"},
            "Use": {"Type": "Pass", "Parameters": {"product.$": "$productName", "quantity.$": "$count"}, "Next": "UseJsonata"},
            "UseJsonata": {"Type": "Pass", "QueryLanguage": "JSONata",
                "Output": "{% $merge([$states.input, {'available': $available}]) %}", "End": true}
        }
    });
    let execution = run(&asl, json!({})).await;
    assert_eq!(
        execution.output,
        Some(json!({"product": "product1", "quantity": 42, "available": true}))
    );
    let set = exited(&execution, "Set");
    let details = &set["stateExitedEventDetails"];
    // As AWS records them: each value as JSON text, by name.
    assert_eq!(
        details["assignedVariables"],
        json!({"available": "true", "count": "42", "productName": "\"product1\""})
    );
    assert_eq!(
        details["assignedVariablesDetails"],
        json!({"truncated": false})
    );
}

/// workflow-variables, "Evaluation order": every expression of a state sees
/// the values from before the state, so `x` and `y` are swapped.
#[tokio::test]
async fn assignments_all_see_the_values_from_before_the_state() {
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"x": 3, "y": 6}, "Next": "Swap"},
            "Swap": {"Type": "Pass", "Assign": {"x": "{% $y %}", "y": "{% $x %}"},
                "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "Next": "After"},
            "After": {"Type": "Pass", "Output": {"before": "{% $states.input %}", "x": "{% $x %}", "y": "{% $y %}"}, "End": true}
        }
    });
    let execution = run(&asl, json!({})).await;
    assert_eq!(
        execution.output,
        Some(json!({"before": {"x": 3, "y": 6}, "x": 6, "y": 3}))
    );
}

/// Recorded on AWS (test_state_assign_evaluation_order,
/// BASE_EVALUATION_ORDER_PASS_STATE): a JSONPath `Assign` reads the state's
/// result; InputPath and OutputPath read variables as they were before.
#[tokio::test]
async fn jsonpath_assign_reads_the_result_and_paths_read_prior_values() {
    let asl = json!({
        "StartAt": "State0",
        "States": {
            "State0": {
                "Type": "Pass",
                "Result": {"theQuestion": "What is the answer to life the universe and everything?"},
                "Assign": {"question.$": "$.theQuestion", "answer": 42},
                "Next": "State1"
            },
            "State1": {
                "Type": "Pass",
                "InputPath": "$answer",
                "ResultPath": "$.theAnswer",
                "OutputPath": "$answer",
                "Assign": {"answer": "<omitted>"},
                "End": true
            }
        }
    });
    let execution = run(&asl, json!({})).await;
    assert_eq!(execution.output, Some(json!(42)));
    let recorded = [
        (1, 0, "ExecutionStarted"),
        (2, 0, "PassStateEntered"),
        (3, 2, "PassStateExited"),
        (4, 3, "PassStateEntered"),
        (5, 4, "PassStateExited"),
        (6, 5, "ExecutionSucceeded"),
    ];
    let history: Vec<Value> = execution.history().iter().map(|e| e.to_aws()).collect();
    for (event, (id, previous, kind)) in history.iter().zip(recorded) {
        assert_eq!(
            (
                event["id"].clone(),
                event["previousEventId"].clone(),
                event["type"].clone()
            ),
            (json!(id), json!(previous), json!(kind))
        );
    }
    assert_eq!(
        history[2]["stateExitedEventDetails"]["assignedVariables"],
        json!({"answer": "42", "question": "\"What is the answer to life the universe and everything?\""})
    );
    assert_eq!(
        history[4]["stateExitedEventDetails"]["assignedVariables"],
        json!({"answer": "\"<omitted>\""})
    );
}

/// workflow-variables, "Assign in Choice": a matching rule's `Assign`, else
/// the state's (recorded on AWS: BASE_ASSIGN_IN_CHOICE).
#[tokio::test]
async fn a_choice_assigns_from_the_matching_rule_or_the_state() {
    let asl = json!({
        "StartAt": "CheckInputState",
        "States": {
            "CheckInputState": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.input_value", "IsPresent": false, "Assign": {"status": "UNKNOWN"}, "Next": "FinalState"},
                    {"Variable": "$.input_value", "NumericEquals": 42, "Assign": {"status": "CORRECT"}, "Next": "FinalState"}
                ],
                "Assign": {"status": "INCORRECT", "guess.$": "$.input_value"},
                "Default": "FinalState"
            },
            "FinalState": {"Type": "Pass", "Parameters": {"result.$": "$status"}, "End": true}
        }
    });
    for (input, status) in [
        (json!({}), "UNKNOWN"),
        (json!({"input_value": 42}), "CORRECT"),
        (json!({"input_value": 41}), "INCORRECT"),
    ] {
        let execution = run(&asl, input).await;
        assert_eq!(execution.output, Some(json!({"result": status})));
    }
}

/// Recorded on AWS (test_base_cases[BASE_SCOPE_MAP]): iterations read the
/// outer variables; what they assign stays in the iteration.
#[tokio::test]
async fn map_iterations_read_outer_variables_in_scopes_of_their_own() {
    let asl = json!({
        "StartAt": "State0",
        "States": {
            "State0": {"Type": "Pass", "Assign": {"x": 42, "items": [1, 2, 3]}, "Next": "State1"},
            "State1": {
                "Type": "Map",
                "ItemsPath": "$items",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "Assign": {"innerX.$": "$x"}, "End": true}}
                },
                "Next": "State2"
            },
            "State2": {"Type": "Pass", "Assign": {"final.$": "$x"}, "Next": "Gone"},
            "Gone": {"Type": "Pass", "QueryLanguage": "JSONata",
                "Output": "{% $exists($innerX) %}", "End": true}
        }
    });
    let execution = run(&asl, json!({"input_value": "input_value_literal"})).await;
    assert_eq!(execution.output, Some(json!(false)));
    let types: Vec<(u64, u64, String)> = execution
        .history()
        .iter()
        .map(|e| (e.id, e.previous_event_id, e.kind.to_string()))
        .take(22)
        .collect();
    // The recorded history, event for event (ids and previous ids).
    let recorded = [
        (1, 0, "ExecutionStarted"),
        (2, 0, "PassStateEntered"),
        (3, 2, "PassStateExited"),
        (4, 3, "MapStateEntered"),
        (5, 4, "MapStateStarted"),
        (6, 5, "MapIterationStarted"),
        (7, 6, "PassStateEntered"),
        (8, 7, "PassStateExited"),
        (9, 8, "MapIterationSucceeded"),
        (10, 8, "MapIterationStarted"),
        (11, 10, "PassStateEntered"),
        (12, 11, "PassStateExited"),
        (13, 12, "MapIterationSucceeded"),
        (14, 12, "MapIterationStarted"),
        (15, 14, "PassStateEntered"),
        (16, 15, "PassStateExited"),
        (17, 16, "MapIterationSucceeded"),
        (18, 17, "MapStateSucceeded"),
        (19, 17, "MapStateExited"),
        (20, 19, "PassStateEntered"),
        (21, 20, "PassStateExited"),
    ];
    for (got, want) in types.iter().zip(recorded) {
        assert_eq!((got.0, got.1, got.2.as_str()), want);
    }
    assert_eq!(
        exited(&execution, "Inner")["stateExitedEventDetails"]["assignedVariables"],
        json!({"innerX": "42"})
    );
}

/// workflow-variables, "Variable scope": an inner scope cannot assign a
/// variable of an outer scope; the definition is refused, naming the state.
#[test]
fn an_inner_scope_assigning_an_outer_variable_is_refused() {
    let asl = json!({
        "StartAt": "Outer",
        "States": {
            "Outer": {"Type": "Pass", "Assign": {"total": 0}, "Next": "Each"},
            "Each": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Inner", "States": {
                "Inner": {"Type": "Pass", "Assign": {"total": 1}, "End": true}
            }}}
        }
    });
    let error = load_error(&asl);
    assert!(
        error.starts_with("state 'Inner': Assign: the variable 'total'"),
        "{error}"
    );
}

/// Parallel branches read outer values and keep their own; a Catch on the
/// Parallel state assigns in the outer scope (the guide's "Catch Assign").
#[tokio::test]
async fn parallel_branches_are_isolated_and_catch_assigns_outside() {
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"base": 10}, "Next": "Both"},
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"mine": 1}, "Next": "A2"},
                        "A2": {"Type": "Pass", "Output": "{% $base + $mine %}", "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": "{% $exists($mine) %}", "End": true}}}
                ],
                "Next": "Fails"
            },
            "Fails": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops"}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"failed": true, "results": "{% $states.input %}"}, "Next": "End"}],
                "End": true
            },
            "End": {"Type": "Pass", "Output": {"failed": "{% $failed %}", "results": "{% $results %}"}, "End": true}
        }
    });
    let execution = run(&asl, json!({})).await;
    assert_eq!(
        execution.output,
        Some(json!({"failed": true, "results": [11, false]}))
    );
}

/// workflow-variables, "Variable limits": a state may assign 256 KiB; past
/// that the execution fails with States.DataLimitExceeded.
#[tokio::test]
async fn an_assignment_over_256_kib_fails_the_execution() {
    let big = "x".repeat(200 * 1024);
    let asl = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Big",
        "States": {"Big": {"Type": "Pass",
            "Assign": {"a": "{% $states.input.s %}", "b": "{% $states.input.s %}"}, "End": true}}
    });
    let execution = run(&asl, json!({"s": big})).await;
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(execution.error.unwrap().error, "States.DataLimitExceeded");
}

/// The context object reaches a JSONPath `Assign` through `$$`
/// (recorded on AWS: BASE_PATHS).
#[tokio::test]
async fn jsonpath_assign_reads_the_context_object_and_intrinsics() {
    let asl = json!({
        "StartAt": "State0",
        "States": {"State0": {"Type": "Pass", "Assign": {
            "str_path.$": "$.input_value",
            "str_contextpath.$": "$$.Execution.Id",
            "str_intrinsic_func.$": "States.Format('Format Func {}', $.input_value)"
        }, "Next": "Read"},
        "Read": {"Type": "Pass", "Parameters": {"a.$": "$str_path", "b.$": "$str_contextpath", "c.$": "$str_intrinsic_func"}, "End": true}}
    });
    let execution = run(&asl, json!({"input_value": "input_value_literal"})).await;
    assert_eq!(
        execution.output,
        Some(json!({
            "a": "input_value_literal",
            "b": "arn:aws:states:local:000000000000:execution:Test:run-1",
            "c": "Format Func input_value_literal"
        }))
    );
}

/// A Fail state with only a `Cause` fails without an error name, as AWS
/// records it (test_assign_in_choice[CONDITION_FALSE]).
#[tokio::test]
async fn a_fail_state_with_only_a_cause_records_no_error() {
    let asl =
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Cause": "Condition is false"}}});
    let execution = run(&asl, json!({})).await;
    let last = execution.history().last().unwrap().to_aws();
    assert_eq!(
        last["executionFailedEventDetails"],
        json!({"cause": "Condition is false"})
    );
}
