//! `responder run` itself with real channels configured: Slack (a bot
//! token), Jira Cloud and an SMTP relay, each a server on 127.0.0.1 that
//! answers as the real one does. The binary must reach each, once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

use responder_fakes::{FakeJira, FakeSlack, FakeSmtp};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A configuration file sending to the three servers.
fn config(dir: &std::path::Path, slack: &FakeSlack, jira: &FakeJira, smtp: &FakeSmtp) -> PathBuf {
    let repo = repo().canonicalize().unwrap();
    let text = format!(
        r#"
[workflow]
logs_dir = "{logs}"
history_seed = "{history}"

[workflow.slack]
bot_token_env = "TEST_SLACK_BOT_TOKEN"
channel = "C0INCIDENTS"
api_base = "{slack}"

[workflow.jira]
base_url = "{jira}"
email = "oncall@example.com"
api_token_env = "TEST_JIRA_TOKEN"
project = "OPS"

[workflow.email]
smtp = "{smtp}"
to = ["oncall@example.com"]
"#,
        logs = repo.join("events/demo/logs").display(),
        history = repo.join("events/demo/history.jsonl").display(),
        slack = slack.api_base(),
        jira = jira.base_url(),
        smtp = smtp.relay(),
    );
    let path = dir.join("responder.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn run_with_slack_jira_and_smtp_configured_notifies_each_once() {
    // GIVEN the three real channels, on servers of our own
    let (slack, jira, smtp) = (FakeSlack::start(), FakeJira::start(), FakeSmtp::start());
    let dir = std::env::temp_dir().join(format!("responder-real-channels-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = config(&dir, &slack, &jira, &smtp);
    // WHEN the demo alarm (CRITICAL: Slack, Jira and e-mail) runs through
    let out = Command::new(env!("CARGO_BIN_EXE_responder"))
        .args(["run", "--auto-approve", "--config"])
        .arg(&config)
        .arg(repo().join("events/eventbridge/metric-alarm-lambda-errors.json"))
        .env("RESPONDER_DATA_DIR", dir.join("data"))
        .env("TEST_SLACK_BOT_TOKEN", "xoxb-test-token")
        .env("TEST_JIRA_TOKEN", "jira-test-token")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // THEN it ends well, and each channel got its message once
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let incident = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Incident "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no incident in: {stdout}"))
        .to_owned();
    assert_eq!(
        slack.posts_of(&incident, "approval").len(),
        1,
        "{:?}",
        slack.posts()
    );
    assert_eq!(
        slack.posts_of(&incident, "incident").len(),
        1,
        "{:?}",
        slack.posts()
    );
    assert!(slack.posts().iter().all(|p| p.token == "xoxb-test-token"));
    assert_eq!(jira.issues().len(), 1);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0]
            .data
            .contains("Subject: [CRITICAL] checkout-api-errors"),
        "{}",
        mails[0].data
    );
}

#[test]
fn alarm_text_cannot_drive_the_terminal() {
    // GIVEN an alarm whose name and description carry terminal escapes and
    // a right-to-left override
    let dir = std::env::temp_dir().join(format!("responder-escapes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let text =
        std::fs::read_to_string(repo().join("events/eventbridge/metric-alarm-lambda-errors.json"))
            .unwrap();
    let mut alarm: serde_json::Value = serde_json::from_str(&text).unwrap();
    alarm["detail"]["alarmName"] =
        "checkout\u{1b}]0;pwned\u{7}\u{1b}[2J-errors\u{202e}txt.exe".into();
    alarm["detail"]["configuration"]["description"] = "\u{1b}[31mred\u{1b}[0m and \u{9b}31m".into();
    let path = dir.join("alarm.json");
    std::fs::write(&path, alarm.to_string()).unwrap();
    // WHEN it runs
    let out = Command::new(env!("CARGO_BIN_EXE_responder"))
        .args(["run", "--auto-approve"])
        .arg(&path)
        .current_dir(repo())
        .env("RESPONDER_DATA_DIR", dir.join("data"))
        .env_remove("RESPONDER_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // THEN what it prints holds no control character but newlines, and no
    // bidirectional override
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("checkout"), "{stdout}");
    for c in stdout.chars() {
        assert!(c == '\n' || !c.is_control(), "{:?} in {stdout:?}", c);
        assert_ne!(c, '\u{202e}');
    }
}
