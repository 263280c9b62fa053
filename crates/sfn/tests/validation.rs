//! Definitions the engine refuses at load, each with the state at fault.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::json;

#[test]
fn transitions_must_lead_somewhere() {
    let cases = [
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}),
            "state 'A': names 'Nowhere' as a next state",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}),
            "state 'A': has neither Next nor",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Next": "A"}}}),
            "state 'A': has both Next and End",
        ),
        (
            json!({"StartAt": "Z", "States": {"A": {"Type": "Pass", "End": true}}}),
            "StartAt names 'Z'",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "B": {"Type": "Succeed"}}}),
            "state 'B': is not reachable",
        ),
    ];
    for (asl, expected) in cases {
        let error = load_error(&asl);
        assert!(error.starts_with(expected), "{error}");
    }
}

#[test]
fn error_handlers_are_checked() {
    let retry_all_first = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}}});
    assert!(
        load_error(&retry_all_first)
            .contains("state 'T': Retry[0]: States.ALL must be in the last")
    );
    let catch_all_mixed = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "T"}]}}});
    assert!(load_error(&catch_all_mixed).contains("Catch[0]: States.ALL must appear alone"));
    let bad_jitter = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "SOME"}]}}});
    assert!(load_error(&bad_jitter).contains("JitterStrategy 'SOME'"));
}

#[test]
fn malformed_paths_templates_and_rules_name_the_field() {
    let cases = [
        (
            pass(json!({"InputPath": "detail"})),
            "state 'P': InputPath: 'detail' is not a JSONPath",
        ),
        (
            pass(json!({"ResultPath": "$.a[0]"})),
            "state 'P': ResultPath: '$.a[0]' is not a reference path",
        ),
        (
            pass(json!({"Parameters": {"x.$": "$.a["}})),
            "state 'P': Parameters: field 'x.$'",
        ),
        (
            pass(json!({"Parameters": {"x.$": "States.Nope()"}})),
            "unknown intrinsic function 'States.Nope'",
        ),
        (
            pass(json!({"Retry": []})),
            "state 'P': the field 'Retry' is not supported in a Pass state",
        ),
        (
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEqual": "a", "Next": "C"}]}}}),
            "'StringEqual' is not a choice operator",
        ),
        (
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "1", "Next": "C"}]}}}),
            "the value of 'NumericEquals' has the wrong type",
        ),
        (
            json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}}}),
            "state 'W': needs exactly one of",
        ),
    ];
    for (asl, expected) in cases {
        let error = load_error(&asl);
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn unsupported_features_are_refused_by_name() {
    let activity = json!({"StartAt": "A", "States": {"A": {"Type": "Task", "End": true,
        "Resource": "arn:aws:states:us-east-1:123456789012:activity:work"}}});
    assert!(load_error(&activity).starts_with("state 'A': Resource "));
    assert!(load_error(&activity).contains("is an activity, which is not supported"));
    let distributed = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    assert!(
        load_error(&distributed)
            .starts_with("state 'M': ProcessorConfig Mode 'DISTRIBUTED' is not supported")
    );
    let reader = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemReader": {},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    assert!(load_error(&reader).contains("Distributed Map"));
}

#[test]
fn nested_machines_are_checked_too() {
    let asl = json!({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}}}
    ]}}});
    assert!(load_error(&asl).starts_with("state 'A': names 'Gone'"));
}

#[test]
fn placeholders_are_substituted_before_loading() {
    let text = r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${WorkArn}", "End": true}}}"#;
    let subs = [(
        "WorkArn".to_owned(),
        "arn:aws:lambda:us-east-1:1:function:work".to_owned(),
    )]
    .into();
    let def = responder_sfn::Definition::load(text, &subs).unwrap();
    assert!(def.text().contains("function:work"));
    // Left as is, the placeholder names the function itself.
    assert!(responder_sfn::Definition::load(text, &Default::default()).is_ok());
}

/// JSONata definitions: what AWS refuses at creation is refused at load,
/// naming the state and the field (and below it, the path to the bad
/// expression).
#[test]
fn jsonata_definitions_are_refused_naming_state_and_field() {
    let jsonata = |state: serde_json::Value| {
        json!({"QueryLanguage": "JSONata", "StartAt": "A",
            "States": {"A": state, "B": {"Type": "Succeed"}}})
    };
    let cases = [
        (
            json!({"Type": "Pass", "Parameters": {"a": 1}, "Next": "B"}),
            "state 'A': the field 'Parameters' is not supported in a JSONata state",
        ),
        (
            json!({"Type": "Pass", "Output": {"x": ["ok", "{% 1 + %}"]}, "Next": "B"}),
            "state 'A': Output/x/1: the JSONata expression ' 1 + ' is not valid: S0207: \
             unexpected end of expression (at 5)",
        ),
        (
            json!({"Type": "Pass", "Assign": {"1bad": 1}, "Next": "B"}),
            "state 'A': Assign: '1bad' is not a variable name",
        ),
        (
            json!({"Type": "Pass", "QueryLanguage": "JSONPath", "Next": "B"}),
            "state 'A': QueryLanguage cannot be JSONPath in a state when the state machine's \
             QueryLanguage is JSONata",
        ),
        (
            json!({"Type": "Choice", "Choices": [{"Condition": "$x", "Next": "B"}], "Default": "B"}),
            "state 'A': Choices[0]: Condition must be a JSONata expression {% ... %} or a boolean",
        ),
        (
            json!({"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": true, "Next": "B"}]}),
            "state 'A': Choices[0]: the field 'Variable' is not supported in a JSONata rule",
        ),
        (
            json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                "TimeoutSecondsPath": "$.t", "Next": "B"}),
            "state 'A': the field 'TimeoutSecondsPath' is not supported in a JSONata state",
        ),
        (
            json!({"Type": "Map", "ItemsPath": "$.x", "Next": "B",
                "ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Succeed"}}}}),
            "state 'A': the field 'ItemsPath' is not supported in a JSONata state",
        ),
        (
            json!({"Type": "Wait", "Seconds": "{% 'a' & %}", "Next": "B"}),
            "state 'A': Seconds: the JSONata expression ' 'a' & ' is not valid",
        ),
    ];
    for (state, expected) in cases {
        let error = load_error(&jsonata(state));
        assert!(error.starts_with(expected), "{error}\nwanted: {expected}");
    }
    let python =
        json!({"QueryLanguage": "Python", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}});
    assert_eq!(
        load_error(&python),
        "QueryLanguage \"Python\" is not JSONPath or JSONata"
    );
}

/// The JSONata translation of the project's state machine loads.
#[test]
fn the_jsonata_fixture_is_a_valid_definition() {
    let text = include_str!("fixtures/incident-response.jsonata.asl.json");
    let asl: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(definition(&asl).state_count(), 35);
}
