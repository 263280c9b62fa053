//! Definitions, paths and inputs come from users: whatever they hold, the
//! engine answers with an error, never a panic.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashMap;

use proptest::prelude::*;
use responder_sfn::{Definition, JsonPath};
use serde_json::{Value, json};

/// Characters paths and intrinsics are made of, to reach deep into the parsers.
fn path_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("$".to_owned()),
            Just("$$".to_owned()),
            Just(".".to_owned()),
            Just("..".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just("*".to_owned()),
            Just("?(".to_owned()),
            Just(")".to_owned()),
            Just("@".to_owned()),
            Just("'".to_owned()),
            Just("\\".to_owned()),
            Just(":".to_owned()),
            Just(",".to_owned()),
            Just("==".to_owned()),
            Just("&&".to_owned()),
            Just("-1".to_owned()),
            Just("0".to_owned()),
            Just("name".to_owned()),
            Just("States.Format(".to_owned()),
            Just("States.Array(".to_owned()),
            Just(" ".to_owned()),
            "[a-z0-9]{1,3}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_path_text_parses_or_is_refused(text in path_like()) {
        match JsonPath::parse(&text) {
            Ok(path) => {
                let data = json!({"name": [1, {"name": "x"}], "a": {"b": null}});
                let _ = path.read(&data, &data);
            }
            Err(message) => prop_assert!(one_line(&message), "{message:?}"),
        }
        if let Err(message) = JsonPath::parse_reference(&text) {
            prop_assert!(one_line(&message), "{message:?}");
        }
    }

    #[test]
    fn any_parameters_template_loads_or_is_refused(text in path_like()) {
        let asl = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
            "Parameters": {"x.$": text, "y": [{"z.$": "$"}]}}}});
        if let Err(e) = Definition::load(&asl.to_string(), &HashMap::new()) {
            prop_assert!(e.to_string().starts_with("state 'P': Parameters: "), "{e}");
        }
    }

    #[test]
    fn a_mangled_definition_loads_or_is_refused(cut in 0usize..2000, junk in "[\\[\\]{}\":,a-zA-Z0-9 ]{0,8}") {
        let asl = include_str!("../../../statemachine/incident-response.asl.json");
        let at = cut.min(asl.len());
        let at = (0..=at).rev().find(|i| asl.is_char_boundary(*i)).unwrap_or(0);
        let mangled = format!("{}{junk}{}", &asl[..at], &asl[at..]);
        if let Err(e) = Definition::load(&mangled, &HashMap::new()) {
            prop_assert!(one_line(&e.to_string()), "{e}");
        }
    }
}

/// An error a person reads on one line, with something in it.
fn one_line(message: &str) -> bool {
    !message.trim().is_empty() && !message.contains('\n')
}

/// Each state of the real workflow with a field removed or given a wrong
/// type: refused with the state's name, never a panic.
#[test]
fn every_field_of_the_workflow_removed_or_retyped_is_refused_by_name() {
    let asl: Value = serde_json::from_str(include_str!(
        "../../../statemachine/incident-response.asl.json"
    ))
    .unwrap();
    let (mut cases, mut refused) = (0, 0);
    visit(&asl, &mut Vec::new(), &mut |pointer| {
        for replacement in [
            None,
            Some(json!(42)),
            Some(json!(null)),
            Some(json!({"?": []})),
        ] {
            let mut changed = asl.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let Some(Value::Object(map)) = changed.pointer_mut(parent) else {
                return;
            };
            match &replacement {
                None => {
                    map.remove(key);
                }
                Some(v) => {
                    map.insert(key.to_owned(), v.clone());
                }
            }
            cases += 1;
            if let Err(e) = Definition::load(&changed.to_string(), &HashMap::new()) {
                assert!(one_line(&e.to_string()), "{pointer}: {e}");
                refused += 1;
            }
        }
    });
    assert!(cases > 500, "{cases}");
    // Most changes break the definition, and are said to.
    assert!(refused * 2 > cases, "{refused} of {cases}");
}

fn visit(value: &Value, path: &mut Vec<String>, f: &mut dyn FnMut(&str)) {
    if let Value::Object(map) = value {
        for (key, child) in map {
            path.push(key.replace('~', "~0").replace('/', "~1"));
            f(&format!("/{}", path.join("/")));
            visit(child, path, f);
            path.pop();
        }
    }
}
