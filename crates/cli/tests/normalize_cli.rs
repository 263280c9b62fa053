//! `responder normalize` as a user runs it: exit codes, stdout, stderr.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn events(path: &str) -> String {
    format!("{}/../../events/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn responder(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_responder"))
        .args(args)
        // Run outside the repository so no responder.toml is picked up.
        .current_dir(std::env::temp_dir())
        .env_remove("RESPONDER_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        // A refused payload may close the pipe early; that is not a failure here.
        let _ = input.write_all(bytes);
    }
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn a_valid_payload_prints_a_json_array_and_exits_0() {
    let out = responder(
        &[
            "normalize",
            &events("eventbridge/metric-alarm-lambda-errors.json"),
        ],
        None,
    );

    assert_eq!(out.status.code(), Some(0));
    let alerts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(alerts.as_array().map(Vec::len), Some(1));
    assert_eq!(alerts[0]["state"], "ALARM");
    assert!(out.stderr.is_empty());
}

#[test]
fn standard_input_is_read_with_a_dash_or_no_file() {
    let payload = std::fs::read(events("webhook/generic-firing.json")).unwrap();
    for args in [&["normalize", "-"][..], &["normalize"][..]] {
        let out = responder(args, Some(&payload));

        assert_eq!(out.status.code(), Some(0));
        let alerts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(alerts[0]["source"], "webhook");
    }
}

#[test]
fn invalid_input_exits_2_with_one_line_naming_the_error_and_nothing_on_stdout() {
    let out = responder(
        &[
            "normalize",
            &events("invalid/eventbridge-missing-state-value.json"),
        ],
        None,
    );

    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "InvalidAlert: detail.state.value is missing\n"
    );
}

#[test]
fn an_unsupported_source_exits_2_naming_it() {
    let out = responder(
        &[
            "normalize",
            &events("invalid/eventbridge-ec2-state-change.json"),
        ],
        None,
    );

    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("UnsupportedSource: EventBridge detail-type"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
}

#[test]
fn an_endless_stdin_is_cut_at_the_limit_and_refused() {
    let huge = vec![b' '; 600 * 1024];
    let out = responder(&["normalize", "-"], Some(&huge));

    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("the limit is 262144 bytes"), "{stderr}");
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let out = responder(&["normalize", "/nonexistent/alarm.json"], None);

    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("ReadError: cannot read /nonexistent/alarm.json"),
        "{stderr}"
    );
}

#[test]
fn a_config_file_adds_severity_rules() {
    let dir = std::env::temp_dir().join(format!("responder-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("responder.toml");
    std::fs::write(
        &config,
        "[normalize]\nseverity_rules = [{ name = \"search\", severity = \"HIGH\", namespace = \"AWS/ApiGateway\" }]\n",
    )
    .unwrap();

    let out = responder(
        &[
            "--config",
            config.to_str().unwrap(),
            "normalize",
            &events("eventbridge/anomaly-detection-alarm.json"),
        ],
        None,
    );

    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(alerts[0]["severity"], "HIGH");
    assert_eq!(
        alerts[0]["severity_reason"],
        "severity rule 'search' matched"
    );
}

#[test]
fn a_broken_config_file_exits_2_naming_it() {
    let dir = std::env::temp_dir().join(format!("responder-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("responder.toml");
    std::fs::write(&config, "[normalize]\nseverity_rules = 3\n").unwrap();

    let out = responder(
        &["--config", config.to_str().unwrap(), "normalize", "-"],
        Some(b"{}"),
    );

    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .starts_with("InvalidConfig:")
    );
}

#[test]
fn every_subcommand_has_help() {
    for args in [&["--help"][..], &["normalize", "--help"][..]] {
        let out = responder(args, None);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            String::from_utf8(out.stdout)
                .unwrap()
                .contains("Usage: responder")
        );
    }
}
