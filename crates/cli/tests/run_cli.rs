//! `responder run`, `approve`, `reject` and `incidents` as a user runs them,
//! from the repository root (its `responder.toml` points at the demo logs
//! and history) with a data directory of their own.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const ALARM: &str = "events/eventbridge/metric-alarm-lambda-errors.json";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("responder-run-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn command(data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_responder"));
    command
        .args(args)
        .current_dir(repo())
        .env("RESPONDER_DATA_DIR", data)
        .env_remove("RESPONDER_CONFIG")
        .stdin(Stdio::null());
    command
}

fn responder(data: &Path, args: &[&str]) -> Output {
    command(data, args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn outbox_files(data: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for channel in ["slack", "jira", "email"] {
        if let Ok(entries) = std::fs::read_dir(data.join("outbox").join(channel)) {
            files.extend(
                entries.map(|e| format!("{channel}/{}", e.unwrap().file_name().to_string_lossy())),
            );
        }
    }
    files.sort();
    files
}

/// The first incident id in `incidents list`, once its status is `status`.
fn wait_for_status(data: &Path, status: &str, child: &mut Child) -> String {
    // Polls up to 300 times, 100 ms apart: a guard against hanging, not a
    // measure of speed.
    for _ in 0..300 {
        let list = stdout(&responder(data, &["incidents", "list"]));
        if let Some(line) = list.lines().find(|l| l.contains(status)) {
            return line.split_whitespace().next().unwrap().to_owned();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "run ended early: {list}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no incident reached {status}");
}

#[test]
fn the_demo_alarm_becomes_an_analyzed_notified_incident() {
    let data = data_dir("demo");
    let out = responder(&data, &["run", ALARM, "--auto-approve"]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Execution succeeded"), "{text}");
    assert!(text.contains("Analyze"), "{text}");
    // The demo logs show the mechanism; the summary names it and where:
    // the payment gateway checkout-api cannot reach, not the timeouts it
    // causes.
    assert!(
        text.contains("dependency failure in 10.20.4.17:443"),
        "{text}"
    );
    assert_eq!(
        outbox_files(&data),
        [
            "email/inc-20261120-687557cf-incident.eml",
            "jira/inc-20261120-687557cf-incident.json",
            "slack/inc-20261120-687557cf-incident.json"
        ]
    );
    let shown: serde_json::Value = serde_json::from_slice(
        &responder(&data, &["incidents", "show", "inc-20261120-687557cf"]).stdout,
    )
    .unwrap();
    assert_eq!(shown["incident"]["status"], "NOTIFIED");
    let analysis = &shown["analysis"];
    let top = &analysis["root_causes"][0];
    assert_eq!(top["category"], "dependency_failure");
    assert!(
        top["component"]
            .as_str()
            .is_some_and(|c| c.starts_with("10.20.4.17:443")),
        "{top}"
    );
    // The demo logs are quoted, with their log group; the demo history is told.
    assert_eq!(top["evidence"][0]["source"], "/aws/lambda/checkout-api");
    let explanation = top["explanation"].as_str().unwrap_or_default();
    assert!(
        explanation.contains("A past incident like it"),
        "{explanation}"
    );
    assert_eq!(
        analysis["resources"]["log_groups"][0]["name"],
        "/aws/lambda/checkout-api"
    );

    // The same alarm delivered again: nothing new.
    let again = responder(&data, &["run", ALARM, "--auto-approve"]);
    assert!(stdout(&again).contains("Duplicate"), "{}", stdout(&again));
    assert_eq!(outbox_files(&data).len(), 3);

    // Back to OK: resolved, and the notified channels are told.
    let ok = responder(
        &data,
        &[
            "run",
            "events/eventbridge/metric-alarm-lambda-errors-ok.json",
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert_eq!(outbox_files(&data).len(), 6);
    let list = stdout(&responder(&data, &["incidents", "list"]));
    assert!(list.contains("RESOLVED"), "{list}");

    // The same alarm firing again later: a new incident, and the analysis
    // comes from the cache.
    let mut later: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(ALARM)).unwrap()).unwrap();
    later["time"] = serde_json::json!("2026-11-20T11:02:00Z");
    later["detail"]["state"]["timestamp"] = serde_json::json!("2026-11-20T11:02:00.118+0000");
    let later_file = data.join("later.json");
    std::fs::write(&later_file, later.to_string()).unwrap();
    let again = responder(
        &data,
        &["run", later_file.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert!(
        stdout(&again).contains("UseCachedAnalysis"),
        "{}",
        stdout(&again)
    );
    assert!(!stdout(&again).contains("  Analyze "), "{}", stdout(&again));

    // Each run is an execution, shown state by state.
    let executions = stdout(&responder(&data, &["executions", "list"]));
    let rows: Vec<&str> = executions
        .lines()
        .filter(|l| l.contains("SUCCEEDED"))
        .collect();
    assert_eq!(rows.len(), 4, "{executions}");
    let first = rows
        .last()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let shown: serde_json::Value =
        serde_json::from_slice(&responder(&data, &["executions", "show", &first, "--json"]).stdout)
            .unwrap();
    assert_eq!(shown["status"], "SUCCEEDED");
    let states = shown["states"].as_array().unwrap();
    assert_eq!(states[0]["state"], "NormalizeAlert");
    let analyze = states.iter().find(|s| s["state"] == "Analyze").unwrap();
    assert_eq!(analyze["output"]["analysis"]["analyzer"], "rules");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_rejection_from_another_shell_suppresses_the_incident() {
    let data = data_dir("reject");
    let mut run = command(&data, &["run", ALARM])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let incident = wait_for_status(&data, "PENDING_APPROVAL", &mut run);
    let out = responder(&data, &["reject", &incident, "--reason", "load test"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let finished = run.wait_with_output().unwrap();
    assert_eq!(finished.status.code(), Some(0), "{}", stdout(&finished));
    assert!(stdout(&finished).contains("Suppress"));
    // No notification: only the rejection, told in the request's thread.
    assert_eq!(
        outbox_files(&data),
        [format!("slack/{incident}-suppressed.json")]
    );
    let list = stdout(&responder(&data, &["incidents", "list"]));
    assert!(list.contains("SUPPRESSED"), "{list}");
    // Nothing is left to decide.
    let out = responder(&data, &["approve", &incident]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Conflict: incident"));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_approval_with_edits_from_another_shell_delivers_the_edits() {
    let data = data_dir("approve");
    let mut run = command(&data, &["run", ALARM])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let incident = wait_for_status(&data, "PENDING_APPROVAL", &mut run);
    // The approvers' channel got a request whose buttons carry the approval
    // id, never the task token.
    let requests: Vec<_> = std::fs::read_dir(data.join("outbox/approvals"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(requests.len(), 1);
    let request: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&requests[0]).unwrap()).unwrap();
    let value = request["blocks"][3]["elements"][0]["value"]
        .as_str()
        .unwrap();
    assert!(value.starts_with("apr-") && value.len() < 40, "{value}");

    let out = responder(
        &data,
        &[
            "approve",
            &incident,
            "--comment",
            "known issue",
            "--severity",
            "high",
            "--channel",
            "slack",
            "--summary",
            "Gateway <timeouts> & retries",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let finished = run.wait_with_output().unwrap();
    assert_eq!(finished.status.code(), Some(0), "{}", stdout(&finished));
    assert_eq!(
        outbox_files(&data),
        ["slack/inc-20261120-687557cf-incident.json"]
    );
    let slack =
        std::fs::read_to_string(data.join("outbox/slack/inc-20261120-687557cf-incident.json"))
            .unwrap();
    assert!(slack.contains("[HIGH] checkout-api-errors"), "{slack}");
    // Escaped for Slack: no markup from the summary.
    assert!(
        slack.contains("Gateway &lt;timeouts&gt; &amp; retries"),
        "{slack}"
    );

    let list = stdout(&responder(&data, &["incidents", "list"]));
    assert!(list.contains("NOTIFIED         HIGH"), "{list}");
    let out = responder(&data, &["approve", &incident, "--channel", "pager"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_approval_timeout_delivers_unreviewed_and_a_failing_channel_is_isolated() {
    let data = data_dir("timeout");
    std::fs::create_dir_all(&data).unwrap();
    // Jira at a port where nothing listens: its delivery fails, Slack's not.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let jira = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let config = data.join("responder.toml");
    std::fs::write(
        &config,
        format!(
            "[workflow]\nlogs_dir = \"events/demo/logs\"\n\n[workflow.approval_timeout_seconds]\nCRITICAL = 1\n\n[workflow.channels]\nCRITICAL = [\"slack\", \"jira\"]\n\n[workflow.jira]\nbase_url = \"{jira}\"\nemail = \"oncall@example.com\"\napi_token_env = \"TEST_JIRA_TOKEN\"\n"
        ),
    )
    .unwrap();
    let out = command(&data, &["--config", config.to_str().unwrap(), "run", ALARM])
        .env("TEST_JIRA_TOKEN", "jira-token")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("DeliverUnreviewed"), "{text}");
    assert!(text.contains("DeliveryFailed"), "{text}");
    let slack =
        std::fs::read_to_string(data.join("outbox/slack/inc-20261120-687557cf-incident.json"))
            .unwrap();
    assert!(slack.contains("Not reviewed"), "{slack}");
    let shown: serde_json::Value = serde_json::from_slice(
        &responder(&data, &["incidents", "show", "inc-20261120-687557cf"]).stdout,
    )
    .unwrap();
    let status_of = |channel: &str| {
        shown["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["channel"] == channel && d["kind"] == "incident")
            .unwrap()
            .clone()
    };
    assert_eq!(status_of("slack")["status"], "SENT");
    let failed = status_of("jira");
    assert_eq!(failed["status"], "FAILED");
    assert!(!failed["error"].as_str().unwrap().is_empty(), "{failed}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_configuration_naming_an_unknown_channel_is_refused_at_start() {
    let data = data_dir("unknown-channel");
    std::fs::create_dir_all(&data).unwrap();
    let config = data.join("responder.toml");
    std::fs::write(
        &config,
        "[workflow.channels]\nCRITICAL = [\"slack\", \"pager\"]\n",
    )
    .unwrap();
    let out = responder(&data, &["--config", config.to_str().unwrap(), "run", ALARM]);
    let error = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{error}");
    assert!(error.starts_with("InvalidConfig: "), "{error}");
    assert!(error.contains("unknown variant `pager`"), "{error}");
    assert!(error.contains("`slack`, `jira`, `email`"), "{error}");
    assert!(!data.join("responder.db").exists(), "nothing stored");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn with_write_tools_off_no_decision_is_taken_from_the_cli() {
    let data = data_dir("writes-off");
    std::fs::create_dir_all(&data).unwrap();
    let config = data.join("responder.toml");
    std::fs::write(
        &config,
        "[workflow]\nlogs_dir = \"events/demo/logs\"\n\n[api]\nwrite_tools = []\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let refused = |out: &Output, tool: &str| {
        let error = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{error}");
        assert!(
            error.contains(&format!(
                "ToolDisabled: tool '{tool}' is turned off by api.write_tools"
            )),
            "{error}"
        );
    };
    // --auto-approve decides through the same tool, so it is refused too,
    // and the incident waits for a decision instead.
    let run = responder(&data, &["--config", config, "run", ALARM, "--auto-approve"]);
    refused(&run, "approve_incident");
    let id = "inc-20261120-687557cf";
    refused(
        &responder(&data, &["--config", config, "approve", id]),
        "approve_incident",
    );
    refused(
        &responder(
            &data,
            &["--config", config, "reject", id, "--reason", "noise"],
        ),
        "reject_incident",
    );
    let list = stdout(&responder(
        &data,
        &["--config", config, "incidents", "list"],
    ));
    assert!(list.contains("PENDING_APPROVAL"), "{list}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_invalid_alert_fails_cleanly_and_stores_nothing() {
    let data = data_dir("invalid");
    let out = responder(
        &data,
        &[
            "run",
            "events/invalid/eventbridge-missing-state-value.json",
            "--auto-approve",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("Execution FAILED: InvalidAlert: detail.state.value is missing"),
        "{}",
        stdout(&out)
    );
    let list = stdout(&responder(&data, &["incidents", "list"]));
    assert!(list.starts_with("No incidents in "), "{list}");
    let out = responder(&data, &["run", "events/invalid/not-json.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("InvalidAlert: payload is not valid JSON")
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn commands_that_read_say_where_they_looked_and_create_nothing() {
    // GIVEN a data directory nothing ever ran with
    let data = data_dir("empty");
    let shown = data.display().to_string();

    // WHEN the commands that read or decide run on it
    let incidents = responder(&data, &["incidents", "list"]);
    let executions = responder(&data, &["executions", "list"]);
    let show = responder(&data, &["incidents", "show", "inc-nope"]);
    let approve = responder(&data, &["approve", "inc-nope"]);
    let execution = responder(&data, &["executions", "show", "nope"]);

    // THEN each names the directory, an unknown id is NotFound (exit 2),
    // and no database was created to find that out
    assert_eq!(incidents.status.code(), Some(0));
    assert_eq!(
        stdout(&incidents).lines().next().unwrap(),
        format!("No incidents in {shown} (RESPONDER_DATA_DIR).")
    );
    assert_eq!(executions.status.code(), Some(0));
    assert!(
        stdout(&executions).starts_with(&format!("No executions in {shown}")),
        "{}",
        stdout(&executions)
    );
    for (out, what) in [
        (&show, "incident 'inc-nope'"),
        (&approve, "incident 'inc-nope'"),
        (&execution, "execution 'nope'"),
    ] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with(&format!("NotFound: no {what} in {shown}")),
            "{stderr}"
        );
    }
    assert!(!data.exists(), "a command that reads created {shown}");
}

#[test]
fn after_make_run_the_default_directory_points_at_the_demo() {
    // GIVEN a folder where `make run` left its demo in .responder/demo
    let folder = data_dir("after-make-run");
    let demo = folder.join(".responder/demo");
    std::fs::create_dir_all(&folder).unwrap();
    let config = repo().join("responder.toml");
    let alarm = repo().join(ALARM);
    let out = command(
        &demo,
        &[
            "--config",
            config.to_str().unwrap(),
            "run",
            alarm.to_str().unwrap(),
            "--auto-approve",
        ],
    )
    .current_dir(&folder)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // WHEN `responder incidents list` runs there without RESPONDER_DATA_DIR
    let list = command(&demo, &["incidents", "list"])
        .env_remove("RESPONDER_DATA_DIR")
        .current_dir(&folder)
        .output()
        .unwrap();

    // THEN it says it read the default directory and where the demo is,
    // and creates no database in the default directory
    let text = stdout(&list);
    assert!(
        text.starts_with("No incidents in .responder (the default"),
        "{text}"
    );
    assert!(
        text.contains("RESPONDER_DATA_DIR=.responder/demo responder incidents list"),
        "{text}"
    );
    assert!(!folder.join(".responder/responder.db").exists());
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn an_unknown_incident_is_not_found_where_data_exists() {
    // GIVEN a data directory with the demo incident
    let data = data_dir("not-found");
    let out = responder(&data, &["run", ALARM, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // WHEN an incident it does not hold is approved
    let out = responder(&data, &["approve", "inc-nope"]);

    // THEN it is NotFound, not a Conflict
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("NotFound: no incident 'inc-nope'"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_bad_flag_value_is_refused_naming_the_flag() {
    let data = data_dir("bad-flags");
    for (args, flag) in [
        (["approve", "inc-1", "--severity", "urgent"], "--severity"),
        (["approve", "inc-1", "--channel", "pager"], "--channel"),
    ] {
        let out = responder(&data, &args);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag), "{stderr}");
        assert!(!stderr.contains("arguments."), "{stderr}");
    }
    assert!(!data.exists());
}

/// `2026-11-20T09:14:07.405Z`: RFC 3339, UTC, milliseconds, `Z`.
fn is_timestamp(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() == 24
        && b[10] == b'T'
        && b[19] == b'.'
        && b[23] == b'Z'
        && b[20..23].iter().all(u8::is_ascii_digit)
}

#[test]
fn lists_have_headers_and_one_timestamp_format() {
    // GIVEN one run
    let data = data_dir("lists");
    let out = responder(&data, &["run", ALARM, "--auto-approve"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");

    // WHEN both lists are printed
    let incidents = stdout(&responder(&data, &["incidents", "list"]));
    let executions = stdout(&responder(&data, &["executions", "list"]));

    // THEN each has a header, and every time in them is in the one format
    assert!(incidents.contains("INCIDENT "), "{incidents}");
    assert!(incidents.contains("OPENED (UTC)"), "{incidents}");
    assert!(executions.contains("STARTED (UTC)"), "{executions}");
    for list in [&incidents, &executions] {
        let times: Vec<&str> = list
            .split_whitespace()
            .filter(|w| w.starts_with("20") && w.contains('T'))
            .collect();
        assert!(!times.is_empty(), "{list}");
        assert!(times.iter().all(|t| is_timestamp(t)), "{list}");
        assert!(!list.contains("+00:00"), "{list}");
    }
    // And the run ended saying how to look again.
    assert!(
        text.contains(&format!(
            "RESPONDER_DATA_DIR={} responder incidents list",
            data.display()
        )),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_run_and_its_execution_read_as_a_timeline() {
    // GIVEN one run
    let data = data_dir("timeline");
    let out = responder(&data, &["run", ALARM, "--auto-approve"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");

    // THEN the run's lines say which branch a Choice took and which channel
    // each delivery went to
    let line = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("CacheHit").ends_with("→ Analyze"), "{text}");
    assert!(line("RouteDecision").ends_with("→ GatherContext"), "{text}");
    for channel in ["slack", "jira", "email"] {
        assert!(
            text.contains(&format!("channel={channel} status=SENT")),
            "{text}"
        );
    }

    // WHEN the execution is shown, by default and with --json
    let name = text
        .lines()
        .find_map(|l| l.split("responder executions show ").nth(1))
        .unwrap()
        .to_owned();
    let timeline = stdout(&responder(&data, &["executions", "show", &name]));
    let json = responder(&data, &["executions", "show", &name, "--json"]);

    // THEN the default is one line per state, the JSON the whole history,
    // each delivery paired with its own answer
    assert!(timeline.lines().count() < 40, "{timeline}");
    assert!(timeline.contains("ENTERED (UTC)"), "{timeline}");
    assert!(timeline.contains("channel=jira status=SENT"), "{timeline}");
    let shown: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let deliveries: Vec<&serde_json::Value> = shown["states"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == "Deliver")
        .collect();
    assert_eq!(deliveries.len(), 3);
    for d in deliveries {
        assert_eq!(d["input"]["channel"], d["output"]["channel"], "{d}");
    }
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_configuration_file_is_read_relative_to_its_folder_from_anywhere() {
    // GIVEN the repository's responder.toml (relative logs_dir and history
    // seed) and a command started in another directory
    let data = data_dir("elsewhere");
    let elsewhere = data_dir("elsewhere-cwd");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let config = repo().join("responder.toml");
    let alarm = repo().join(ALARM);

    // WHEN the demo alarm runs from there
    let out = command(
        &data,
        &[
            "--config",
            config.to_str().unwrap(),
            "run",
            alarm.to_str().unwrap(),
            "--auto-approve",
        ],
    )
    .current_dir(&elsewhere)
    .output()
    .unwrap();

    // THEN the history seed and the demo logs were found
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("dependency failure in 10.20.4.17:443"),
        "{text}"
    );
    assert!(text.contains("incidents=2"), "{text}");
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&elsewhere);
}

#[test]
fn serve_on_loopback_without_credentials_makes_a_key_pair_that_works() {
    use std::io::{BufRead, BufReader};

    // GIVEN no configured credentials
    let data = data_dir("serve-generated");
    let mut child = command(&data, &["serve", "--addr", "127.0.0.1:0"])
        .env_remove("RESPONDER_ACCESS_KEY_ID")
        .env_remove("RESPONDER_SECRET_ACCESS_KEY")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // WHEN serve starts on a loopback address
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let awscurl = lines
        .by_ref()
        .take(20)
        .map(Result::unwrap)
        .find(|l| l.trim_start().starts_with("awscurl "))
        .unwrap_or_default();
    let word_after = |flag: &str| {
        awscurl
            .split_whitespace()
            .skip_while(|w| *w != flag)
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    };
    let (id, secret) = (word_after("--access_key"), word_after("--secret_key"));
    let url = awscurl.split_whitespace().last().unwrap_or_default();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches("/tools")
        .to_owned();

    // THEN the printed awscurl line's keys sign a request it accepts
    assert!(id.starts_with("AKID") && secret.len() == 40, "{awscurl}");
    let response = signed_get_tools(&host, &id, &secret);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("list_incidents"), "{response}");
    let _ = std::fs::remove_dir_all(&data);
}

/// `GET /tools` on `host`, signed with the key pair `id`/`secret`; the
/// whole HTTP response.
fn signed_get_tools(host: &str, id: &str, secret: &str) -> String {
    use std::io::{Read, Write};

    let verifier = responder_api::sigv4::Verifier::new(
        "execute-api",
        "us-east-1",
        std::collections::HashMap::new(),
    );
    let headers = [("host", host)];
    let credential = responder_api::sigv4::Credential {
        name: "test".to_owned(),
        secret_access_key: secret.to_owned(),
        session_token: None,
    };
    let request = responder_api::sigv4::Request {
        method: "GET",
        path: "/tools",
        query: "",
        headers: &headers,
        body: b"",
    };
    let added =
        responder_api::sigv4::sign(&verifier, &request, id, &credential, chrono::Utc::now());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let mut text = format!("GET /tools HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (name, value) in &added {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn configured_credentials_win_over_a_generated_pair() {
    use std::io::{BufRead, BufReader};

    // GIVEN credentials in the environment
    let (id, secret) = (
        "AKIDCONFIGURED000001",
        "configured-secret-configured-secret-0000",
    );
    let data = data_dir("serve-configured");
    let mut child = command(&data, &["serve", "--addr", "127.0.0.1:0"])
        .env("RESPONDER_ACCESS_KEY_ID", id)
        .env("RESPONDER_SECRET_ACCESS_KEY", secret)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // WHEN serve starts on a loopback address
    let said: Vec<String> = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .take_while(|l| !l.contains("console at"))
        .take(20)
        .collect();
    let host = said
        .iter()
        .find_map(|l| l.split("listening on http://").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default()
        .to_owned();

    // THEN no pair is made, and the configured one is the key
    let text = said.join("\n");
    assert!(!text.contains("no credentials configured"), "{text}");
    assert!(!text.contains("awscurl"), "{text}");
    let response = signed_get_tools(&host, id, secret);
    let refused = signed_get_tools(&host, "AKIDSOMEONEELSE00001", secret);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn serve_refuses_to_start_without_credentials_off_loopback() {
    let data = data_dir("serve-no-keys");
    let out = command(&data, &["serve", "--addr", "0.0.0.0:0"])
        .env_remove("RESPONDER_ACCESS_KEY_ID")
        .env_remove("RESPONDER_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("InvalidConfig: no credentials to check signatures with"),
        "{stderr}"
    );
}

#[test]
fn half_a_key_pair_is_a_configuration_error() {
    let data = data_dir("serve-half-key");
    let out = command(&data, &["serve"])
        .env("RESPONDER_ACCESS_KEY_ID", "AKIDONLY")
        .env_remove("RESPONDER_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("set both RESPONDER_ACCESS_KEY_ID and RESPONDER_SECRET_ACCESS_KEY"),
        "{stderr}"
    );
    assert!(!stderr.contains("AKIDONLY"), "{stderr}");
}

#[test]
fn mcp_over_stdio_answers_a_desktop_clients_handshake_and_tools_list() {
    use std::io::{BufRead, BufReader, Write};

    let data = data_dir("mcp-stdio");
    let mut child = command(&data, &["mcp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"desktop","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}"#,
    ] {
        writeln!(stdin, "{line}").unwrap();
    }
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["result"]["serverInfo"]["name"], "incident-responder");
    let second: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(second["id"], 2);
    assert_eq!(second["result"]["tools"].as_array().unwrap().len(), 14);
    drop(stdin); // End of input ends the session.
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn a_replayed_storm_makes_one_analysis_per_cause_and_no_duplicate_notification() {
    let data = data_dir("replay");
    std::fs::create_dir_all(&data).unwrap();
    let storm = data.join("storm.jsonl");
    let out = responder(
        &data,
        &[
            "replay",
            "--generate",
            "600",
            "--causes",
            "12",
            "--redeliveries",
            "0.2",
            "--auto-approve",
            "--json",
            storm.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "events",
        "incidents_created",
        "duplicates_suppressed",
        "repeats_grouped",
        "recoveries",
        "analyzer_calls",
        "cache_hits",
        "deliveries",
        "transitions",
        "estimated_cost_usd",
        "wall_seconds",
    ] {
        assert!(summary.get(key).is_some(), "{key} is missing: {summary}");
    }
    assert_eq!(summary["events"], 600);
    assert_eq!(
        summary["analyzer_calls"], 12,
        "one analysis per root cause: {summary}"
    );
    assert_eq!(summary["duplicate_notifications"], 0);
    let incidents = summary["incidents_created"].as_u64().unwrap();
    assert!(incidents >= 12, "{summary}");
    assert_eq!(
        summary["cache_hits"].as_u64().unwrap(),
        incidents - 12,
        "every later incident of a cause reuses its analysis"
    );
    assert!(
        summary["duplicates_suppressed"].as_u64().unwrap() > 60,
        "{summary}"
    );
    assert_eq!(summary["executions"]["succeeded"], 600);
    assert!(summary["estimated_cost_usd"].as_f64().unwrap() > 0.0);

    // The same archive again: every event is a redelivery now.
    let again = responder(&data, &["replay", "--json", storm.to_str().unwrap()]);
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(summary["incidents_created"], 0, "{summary}");
    assert_eq!(summary["duplicates_suppressed"], 600);
    assert_eq!(summary["analyzer_calls"], 0);
    let _ = std::fs::remove_dir_all(&data);
}
