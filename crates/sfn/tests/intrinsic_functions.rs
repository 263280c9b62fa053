//! All 18 intrinsic functions, with the examples of the AWS documentation,
//! and their failures (reported as `States.Runtime`, as AWS does).

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

async fn call(expression: &str, input: Value) -> Result<Value, String> {
    let execution = run(&pass(json!({"Parameters": {"out.$": expression}})), input).await;
    match execution.status {
        Status::Succeeded => Ok(execution.output.unwrap()["out"].clone()),
        _ => {
            let error = execution.error.unwrap();
            assert_eq!(error.error, "States.Runtime", "{expression}");
            Err(error.cause)
        }
    }
}

#[tokio::test]
async fn the_documented_examples_give_the_documented_results() {
    let input = json!({
        "name": "Arnav", "template": "Hello, my name is {}.",
        "inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9],
        "json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3},
        "someString": "{\"number\": 20}",
        "inputString": "This,is+a,test+string", "splitter": ",+",
        "data": "input data",
        "dupes": [1, 2, 3, 3, 3, 3, 3, 3, 4]
    });
    let cases: &[(&str, Value)] = &[
        (
            "States.Format('Hello, my name is {}.', $.name)",
            json!("Hello, my name is Arnav."),
        ),
        (
            "States.Format($.template, $.name)",
            json!("Hello, my name is Arnav."),
        ),
        (
            "States.Format('{} has {} items, {}', 'list', 3, true)",
            json!("list has 3 items, true"),
        ),
        (
            "States.Format('literal \\{\\} and \\'quotes\\'')",
            json!("literal {} and 'quotes'"),
        ),
        ("States.StringToJson($.someString)", json!({"number": 20})),
        (
            "States.JsonToString($.json2)",
            json!("{\"a\":{\"a3\":1,\"a4\":2},\"c\":3}"),
        ),
        (
            "States.Array('Foo', 2020, $.name)",
            json!(["Foo", 2020, "Arnav"]),
        ),
        (
            "States.ArrayPartition($.inputArray, 4)",
            json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ),
        ("States.ArrayContains($.inputArray, 5)", json!(true)),
        ("States.ArrayContains($.inputArray, 10)", json!(false)),
        ("States.ArrayRange(1, 9, 2)", json!([1, 3, 5, 7, 9])),
        ("States.ArrayRange(5, 1, -2)", json!([5, 3, 1])),
        ("States.ArrayGetItem($.inputArray, 5)", json!(6)),
        ("States.ArrayLength($.inputArray)", json!(9)),
        ("States.ArrayUnique($.dupes)", json!([1, 2, 3, 4])),
        ("States.Base64Encode($.data)", json!("aW5wdXQgZGF0YQ==")),
        (
            "States.Base64Decode('aW5wdXQgZGF0YQ==')",
            json!("input data"),
        ),
        (
            "States.Hash($.data, 'SHA-1')",
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ),
        (
            "States.Hash($.data, 'MD5')",
            json!("812f45842bc6d66ee14572ce20db8e86"),
        ),
        (
            "States.Hash('abc', 'SHA-256')",
            json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ),
        (
            "States.JsonMerge($.json1, $.json2, false)",
            json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}),
        ),
        ("States.MathAdd(111, -1)", json!(110)),
        (
            "States.StringSplit($.inputString, $.splitter)",
            json!(["This", "is", "a", "test", "string"]),
        ),
        (
            "States.ArrayLength(States.Array(1, 2, States.MathAdd(1, 2)))",
            json!(3),
        ),
    ];
    for (expression, expected) in cases {
        assert_eq!(
            call(expression, input.clone()).await.as_ref(),
            Ok(expected),
            "{expression}"
        );
    }
}

#[tokio::test]
async fn random_values_are_in_range_and_well_formed() {
    for _ in 0..20 {
        let n = call("States.MathRandom(1, 10)", json!({}))
            .await
            .unwrap()
            .as_i64()
            .unwrap();
        assert!((1..10).contains(&n), "{n}");
    }
    let uuid = call("States.UUID()", json!({})).await.unwrap();
    let uuid = uuid.as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(uuid.chars().nth(14), Some('4'), "{uuid}");
    assert!(
        matches!(uuid.chars().nth(19), Some('8' | '9' | 'a' | 'b')),
        "{uuid}"
    );
}

#[tokio::test]
async fn bad_arguments_fail_with_a_cause_that_names_the_function() {
    let cases = [
        ("States.ArrayGetItem($.a, 5)", "out of bounds"),
        ("States.ArrayPartition($.a, 0)", "chunk size"),
        ("States.StringToJson('not json')", "not JSON"),
        ("States.Format('{} {}', 1)", "more {}"),
        ("States.Hash('x', 'SHA-3')", "unknown algorithm"),
        ("States.JsonMerge($.o, $.o, true)", "shallow"),
        ("States.ArrayRange(1, 2000, 1)", "limit is 1000"),
        ("States.MathAdd('a', 1)", "must be a number"),
        ("States.Base64Decode('***')", "base64"),
        ("States.ArrayLength($.missing)", "could not be found"),
    ];
    for (expression, expected) in cases {
        let cause = call(expression, json!({"a": [1], "o": {}}))
            .await
            .unwrap_err();
        assert!(cause.contains(expected), "{expression}: {cause}");
    }
}

/// Where AWS is more lenient than its guide, the outputs AWS recorded (the
/// LocalStack project's snapshots of executions on AWS,
/// `tests/aws/services/stepfunctions/v2/intrinsic_functions/*.snapshot.json`).
#[tokio::test]
async fn where_aws_is_more_lenient_than_its_guide_it_gives_what_aws_recorded() {
    // test_math_operations.snapshot.json, test_math_add: each operand is
    // rounded half up (Java's Math.round), then added.
    let sums = [
        (1.49, 1.5, 3),
        (1.5, 1.51, 4),
        (-1.49, -1.5, -2),
        (-1.5, -1.51, -3),
        (1.49, -1.49, 0),
        (0.5, 0.0, 1),
        (2.5, 0.0, 3),
        (-0.5, 0.0, 0),
        (-0.5, 0.5, 1),
        (-2.5, 0.0, -2),
        (-3.5, 0.0, -3),
    ];
    for (a, b, sum) in sums {
        let out = call("States.MathAdd($.a, $.b)", json!({"a": a, "b": b})).await;
        assert_eq!(out, Ok(json!(sum)), "{a} + {b}");
    }
    // test_math_random: a start and end with fractions are accepted.
    let n = call(
        "States.MathRandom($.a, $.b)",
        json!({"a": 12.5, "b": 44.51}),
    )
    .await
    .unwrap();
    assert!((13..45).contains(&n.as_i64().unwrap()), "{n}");
    // test_json_manipulation.snapshot.json, test_string_to_json: a blank
    // string is null, "-0" is 0.
    for (text, value) in [("", json!(null)), (" ", json!(null)), ("-0", json!(0))] {
        let out = call("States.StringToJson($.s)", json!({"s": text})).await;
        assert_eq!(out, Ok(value), "{text:?}");
    }
    // test_generic.snapshot.json, test_format_2: an object argument prints
    // in Java's form, its strings unquoted.
    let out = call(
        "States.Format('fst={} and snd={}.', $.o, $.s)",
        json!({"o": {"Arg1": 1, "Arg2": []}, "s": "{\"Arg1\": 1, \"Arg2\": []}"}),
    )
    .await;
    assert_eq!(
        out,
        Ok(json!(
            "fst={Arg1=1, Arg2=[]} and snd={\"Arg1\": 1, \"Arg2\": []}."
        ))
    );
    // test_context_json_path: nested objects and strings, the same form.
    let out = call(
        "States.Format('{}', $.o)",
        json!({"o": {"Id": "arn:x", "Name": "n", "List": ["a", 1, null]}}),
    )
    .await;
    assert_eq!(out, Ok(json!("{Id=arn:x, Name=n, List=[a, 1, null]}")));
}
