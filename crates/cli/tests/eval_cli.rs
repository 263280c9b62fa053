//! `responder eval` on a folder of one's own: `--only` runs one scenario,
//! `--keep` writes what the analyzer read and answered, and a scenario that
//! cannot be read is reported and skipped, never scored.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn eval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_responder"))
        .arg("eval")
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn only_keep_and_an_unreadable_scenario() {
    // GIVEN a folder with one real scenario and one whose alarm is not JSON
    let root = std::env::temp_dir().join(format!("responder-eval-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let scenarios = root.join("scenarios");
    copy_folder(
        &repo().join("tests/scenarios/build-runner-disk"),
        &scenarios.join("disk"),
    );
    let broken = scenarios.join("broken");
    copy_folder(&repo().join("tests/scenarios/build-runner-disk"), &broken);
    std::fs::write(broken.join("alarm.json"), "{ this is not an alarm").unwrap();
    let dir = scenarios.to_str().unwrap();

    // WHEN the whole folder is scored
    let out = eval(&[dir, "--json"]);
    let report = json_of(&out);

    // THEN the broken one is named with its reason and not scored
    let scored: Vec<&str> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(scored, ["disk"]);
    assert_eq!(report["unreadable"][0]["name"], "broken", "{report}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("broken: skipped:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // WHEN one scenario is run and kept
    let keep = root.join("kept");
    let report = json_of(&eval(&[
        dir,
        "--only",
        "disk",
        "--keep",
        keep.to_str().unwrap(),
        "--json",
    ]));

    // THEN only it is scored, and its context and answer are on disk
    assert_eq!(report["scenarios"].as_array().unwrap().len(), 1);
    assert_eq!(report["unreadable"].as_array().unwrap().len(), 0);
    let context = std::fs::read_to_string(keep.join("disk.context.txt")).unwrap();
    assert!(!context.trim().is_empty());
    let analysis: Value =
        serde_json::from_str(&std::fs::read_to_string(keep.join("disk.analysis.json")).unwrap())
            .unwrap();
    assert_eq!(analysis["schema_version"], 2, "{analysis}");
    let _ = std::fs::remove_dir_all(&root);
}
