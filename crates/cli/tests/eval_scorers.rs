//! The two scorers of `responder eval` agree: the answers that `responder
//! eval --answers` writes for the public scenarios, scored again by
//! `tests/eval/score.py` (a second scorer written in Python from the
//! scoring rules, not from the Rust code), give the same figures.
//! Needs `python3` on the PATH (CI installs it).

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{Map, Value};

const SCENARIOS: &str = "tests/scenarios";
const SECOND_SCORER: &str = "tests/eval/score.py";
const TOLERANCE: f64 = 1e-9;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `command` from the repository root; its stdout as JSON. Fails the
/// test, with the command's stderr, if it cannot start or does not succeed.
fn run_json(command: &mut Command, what: &str) -> Value {
    let output: Output = command
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{what} did not print JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Each scenario's `scores` (and `difficulty`) by name, from a report of
/// either scorer.
fn per_scenario(report: &Value, who: &str) -> BTreeMap<String, Map<String, Value>> {
    let rows = report["scenarios"]
        .as_array()
        .unwrap_or_else(|| panic!("{who}: no `scenarios` array in {report}"));
    rows.iter()
        .map(|row| {
            let name = row["name"]
                .as_str()
                .unwrap_or_else(|| panic!("{who}: a row without a name: {row}"));
            let mut scores = row["scores"]
                .as_object()
                .unwrap_or_else(|| panic!("{who}: {name} has no `scores` object"))
                .clone();
            scores.insert("difficulty".to_owned(), row["difficulty"].clone());
            (name.to_owned(), scores)
        })
        .collect()
}

/// `field` of `expected` against `actual`: numbers within [`TOLERANCE`],
/// anything else equal. A difference is pushed to `differences`.
fn compare(
    place: &str,
    expected: &Map<String, Value>,
    actual: &Map<String, Value>,
    differences: &mut Vec<String>,
) {
    for (field, want) in expected {
        let Some(got) = actual.get(field) else {
            differences.push(format!(
                "{place}: {field} is missing from {SECOND_SCORER}'s output"
            ));
            continue;
        };
        let same = match (want.as_f64(), got.as_f64()) {
            (Some(w), Some(g)) => (w - g).abs() <= TOLERANCE,
            _ => want == got,
        };
        if !same {
            differences.push(format!(
                "{place}: {field} is {want} in responder eval, {got} in {SECOND_SCORER}"
            ));
        }
    }
}

#[test]
fn the_python_scorer_gives_the_same_figures_as_responder_eval_for_every_scenario() {
    if let Err(e) = Command::new("python3").arg("--version").output() {
        panic!(
            "python3 cannot be run ({e}): this test runs the second scorer, {SECOND_SCORER}, \
             with it. Install Python 3 (CI does) and run the test again."
        );
    }

    // GIVEN the answers `responder eval` gives for the public scenarios,
    // with the built-in rules, and its own figures for them
    let work = std::env::temp_dir().join(format!("responder-eval-scorers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let answers = work.join("answers.json");
    let rust = run_json(
        Command::new(env!("CARGO_BIN_EXE_responder"))
            .args([
                "eval",
                SCENARIOS,
                "--analyzer",
                "rules",
                "--json",
                "--answers",
            ])
            .arg(&answers)
            .env_remove("RESPONDER_CONFIG")
            .env_remove("RESPONDER_ANALYZER")
            .env_remove("RESPONDER_ANALYZER_ENDPOINT")
            .env_remove("RESPONDER_ANALYZER_MODEL"),
        "responder eval",
    );
    assert_eq!(
        rust["unreadable"].as_array().map(Vec::len),
        Some(0),
        "responder eval could not read every scenario: {}",
        rust["unreadable"]
    );

    // WHEN the second scorer reads the same answers back
    let python = run_json(
        Command::new("python3")
            .arg(SECOND_SCORER)
            .arg(SCENARIOS)
            .arg(&answers)
            .arg("--json"),
        "python3 tests/eval/score.py",
    );
    let _ = std::fs::remove_dir_all(&work);

    // THEN it scores the same scenarios, and every figure of each is the
    // same, as are the means (overall and per difficulty) both print
    let ours = per_scenario(&rust, "responder eval");
    let theirs = per_scenario(&python, SECOND_SCORER);
    assert!(!ours.is_empty(), "responder eval scored no scenario");
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "the two scorers scored different scenarios"
    );
    let mut differences = Vec::new();
    for (name, scores) in &ours {
        compare(name, scores, &theirs[name], &mut differences);
    }
    let means = |report: &Value, level: Option<&str>| {
        let m = match level {
            Some(level) => &report["by_difficulty"][level],
            None => &report["overall"],
        };
        m.as_object().cloned().unwrap_or_default()
    };
    let levels: Vec<String> = rust["by_difficulty"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for level in levels.iter().map(|l| Some(l.as_str())).chain([None]) {
        // Only the figures both print: the context figures need the
        // analyzer's context, which the answers file does not hold.
        let place = format!("mean ({})", level.unwrap_or("all"));
        let theirs = means(&python, level);
        if theirs.is_empty() {
            differences.push(format!("{place}: missing from {SECOND_SCORER}'s output"));
            continue;
        }
        let ours: Map<String, Value> = means(&rust, level)
            .into_iter()
            .filter(|(field, _)| theirs.contains_key(field))
            .collect();
        compare(&place, &ours, &theirs, &mut differences);
    }
    assert!(
        differences.is_empty(),
        "the scorers disagree ({} figures):\n{}",
        differences.len(),
        differences.join("\n")
    );
}
