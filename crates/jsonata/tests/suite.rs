//! The official JSONata test suite (jsonata-js/jsonata, `test/test-suite`),
//! run when `JSONATA_SUITE_DIR` names its folder; it is not committed here.
//!
//! ```sh
//! JSONATA_SUITE_DIR=/path/to/jsonata/test/test-suite \
//!   cargo test -p responder-jsonata --test suite -- --nocapture
//! ```
//!
//! It prints the pass rate per group and in total, and fails below
//! `MIN_PASS_RATE`. `JSONATA_SUITE_VERBOSE=1` lists each failing case.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use responder_jsonata::{Environment, Expression};
use serde_json::Value;

/// The share of cases that must pass (the suite's own runner is strict:
/// deep equality of results, equality of error codes).
const MIN_PASS_RATE: f64 = 0.99;

#[allow(clippy::disallowed_methods)] // A test's switch, not configuration.
fn setting(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

enum Outcome {
    Pass,
    Fail(String),
}

fn run_case(case: &Value, group: &Path, datasets: &BTreeMap<String, Value>) -> Outcome {
    let expr = match case.get("expr-file").and_then(Value::as_str) {
        Some(file) => std::fs::read_to_string(group.join(file)).unwrap_or_default(),
        None => case["expr"].as_str().unwrap_or_default().to_owned(),
    };
    let data = match case.get("data") {
        Some(d) => Some(d.clone()),
        None => case
            .get("dataset")
            .and_then(Value::as_str)
            .and_then(|name| datasets.get(name).cloned()),
    };
    let expected_code = case.get("code").and_then(Value::as_str).or_else(|| {
        case.get("error")
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
    });
    // The suite runs on a thread with a large stack: the depth limits of the
    // cases apply, not the default stack budget.
    let mut env = Environment::new()
        .with_stack_budget(512 << 20)
        .with_max_depth(
            case.get("depth")
                .and_then(Value::as_u64)
                .map_or(5_000, |d| d as usize),
        );
    if let Some(limit) = case.get("timelimit").and_then(Value::as_u64) {
        env = env.with_timeout(Some(std::time::Duration::from_millis(limit)));
    }
    if let Some(Value::Object(bindings)) = case.get("bindings") {
        for (name, value) in bindings {
            env.bind_json(name, value);
        }
    }
    let result = Expression::parse(&expr).and_then(|e| e.evaluate(data.as_ref(), &env));
    match (result, expected_code) {
        (Err(e), Some(code)) if e.code == code => Outcome::Pass,
        (Err(e), Some(code)) if code == "U1001" && matches!(e.code, "D1011" | "D1012") => {
            Outcome::Pass
        }
        (Err(e), _) => Outcome::Fail(format!("error {e}")),
        (Ok(v), Some(code)) => Outcome::Fail(format!("expected error {code}, got {v:?}")),
        (Ok(v), None) => {
            if case.get("undefinedResult").is_some() || case.get("result").is_none() {
                match v {
                    None => Outcome::Pass,
                    Some(v) => Outcome::Fail(format!("expected undefined, got {v}")),
                }
            } else {
                match v {
                    Some(v) if same(&v, &case["result"]) => Outcome::Pass,
                    other => Outcome::Fail(format!("expected {}, got {other:?}", case["result"])),
                }
            }
        }
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn the_official_test_suite_passes() {
    let Some(root) = setting("JSONATA_SUITE_DIR") else {
        eprintln!("JSONATA_SUITE_DIR is not set: the official suite is skipped");
        return;
    };
    let verbose = setting("JSONATA_SUITE_VERBOSE").is_some();
    let root = PathBuf::from(root);
    let handle = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let mut datasets = BTreeMap::new();
            for path in files(&root.join("datasets")) {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if let (Some(stem), Ok(v)) = (path.file_stem(), serde_json::from_str(&text)) {
                    datasets.insert(stem.to_string_lossy().into_owned(), v);
                }
            }
            let (mut total, mut passed) = (0usize, 0usize);
            for group in files(&root.join("groups")) {
                let (mut group_total, mut group_passed) = (0, 0);
                for file in files(&group) {
                    if file.extension().is_none_or(|e| e != "json") {
                        continue;
                    }
                    let text = std::fs::read_to_string(&file).unwrap_or_default();
                    // Two cases hold lone UTF-16 surrogates, which no Rust
                    // string can: they count as failures.
                    let cases = match serde_json::from_str::<Value>(&text) {
                        Ok(Value::Array(cases)) => cases,
                        Ok(case) => vec![case],
                        Err(_) => vec![Value::Null],
                    };
                    for (i, case) in cases.iter().enumerate() {
                        group_total += 1;
                        let outcome = if case.is_null() {
                            Outcome::Fail("unreadable case".to_owned())
                        } else {
                            run_case(case, &group, &datasets)
                        };
                        match outcome {
                            Outcome::Pass => group_passed += 1,
                            Outcome::Fail(why) if verbose => eprintln!(
                                "FAIL {}#{i} {}: {why}",
                                file.display(),
                                case.get("expr").and_then(Value::as_str).unwrap_or("")
                            ),
                            Outcome::Fail(_) => {}
                        }
                    }
                }
                let name = group.file_name().unwrap_or_default().to_string_lossy();
                eprintln!("{name}: {group_passed}/{group_total}");
                total += group_total;
                passed += group_passed;
            }
            (passed, total)
        })
        .expect("the suite thread starts");
    let (passed, total) = handle.join().expect("the suite runs to the end");
    let rate = passed as f64 / total.max(1) as f64;
    eprintln!(
        "JSONata test suite: {passed}/{total} passed ({:.1}%)",
        rate * 100.0
    );
    assert!(
        rate >= MIN_PASS_RATE,
        "pass rate {rate:.3} is below {MIN_PASS_RATE}"
    );
}
