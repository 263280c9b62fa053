//! Faults in the local backends (`[workflow.faults]`) and in the services
//! the deliveries reach (servers on 127.0.0.1 that misbehave), each through
//! the real workflow file on the engine: every fault ends in its documented
//! outcome, and a redelivered alarm afterwards makes no second incident and
//! no second notification.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use responder_e2e::{Answer, LocalSetup, events_dir, local_setup_with, states_entered};
use responder_local::WorkflowConfig;
use responder_local::faults::{Faults, QueryFault};
use responder_notify::{JiraTarget, SlackTarget};
use responder_sfn::{Clock, Execution, ManualClock, Status, SystemClock};
use serde_json::{Value, json};

fn alarm() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("eventbridge/metric-alarm-lambda-errors.json"))
            .unwrap(),
    )
    .unwrap()
}

fn manual() -> Arc<dyn Clock> {
    Arc::new(ManualClock::new("2026-11-20T09:15:00Z".parse().unwrap()))
}

/// Runs the alarm to the end, approving with the routed channels.
async fn run(s: &LocalSetup) -> Execution {
    s.run_deciding(alarm(), |approval| {
        Answer::Approve(json!({"decision": "APPROVED", "reviewed": true, "approver": "test", "channels": approval.channels}))
    })
    .await
}

/// (channel, kind, status) of every delivery.
fn deliveries(s: &LocalSetup) -> Vec<(String, String, String)> {
    let conn = s.local.db.conn();
    let mut stmt = conn
        .prepare("SELECT channel, kind, status FROM deliveries ORDER BY channel, kind")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The alarm again (EventBridge redelivers): a DUPLICATE, nothing new.
async fn redelivery_changes_nothing(s: &LocalSetup) {
    let before = deliveries(s);
    let again = run(s).await;
    assert!(states_entered(&again).contains(&"Duplicate".to_owned()));
    assert_eq!(
        s.local.db.incidents(10).unwrap().len(),
        1,
        "no second incident"
    );
    assert_eq!(deliveries(s), before, "no second notification");
}

/// How many times a state's task was tried: its Scheduled events, each
/// found through the chain of events back to the state's Entered event.
fn task_attempts(execution: &Execution, state: &str) -> usize {
    let mut state_of: std::collections::HashMap<u64, String> = Default::default();
    let mut attempts = 0;
    for event in execution.history() {
        let name = if event.kind.ends_with("StateEntered") {
            event.details.name.clone()
        } else {
            state_of.get(&event.previous_event_id).cloned()
        };
        if let Some(name) = name {
            if event.kind.ends_with("Scheduled") && name == state {
                attempts += 1;
            }
            state_of.insert(event.id, name);
        }
    }
    attempts
}

fn config(faults: Faults) -> WorkflowConfig {
    WorkflowConfig {
        faults,
        ..WorkflowConfig::default()
    }
}

#[tokio::test]
async fn a_throttled_analyzer_is_retried_then_answers() {
    let s = local_setup_with(
        "fault-throttled",
        3,
        config(Faults {
            analyzer_throttled: 2,
            ..Faults::default()
        }),
        manual(),
    );
    let execution = run(&s).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        task_attempts(&execution, "Analyze"),
        3,
        "two throttles, then the answer"
    );
    assert!(!states_entered(&execution).contains(&"AnalyzeFallback".to_owned()));
    let incident = s.local.db.incidents(10).unwrap().remove(0);
    assert_eq!(incident.status.as_str(), "NOTIFIED");
    redelivery_changes_nothing(&s).await;
}

#[tokio::test]
async fn an_analyzer_that_is_down_degrades_to_the_rules_and_still_notifies() {
    let s = local_setup_with(
        "fault-down",
        3,
        config(Faults {
            analyzer_down: true,
            ..Faults::default()
        }),
        manual(),
    );
    let execution = run(&s).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        task_attempts(&execution, "Analyze"),
        4,
        "the first try and 3 retries"
    );
    assert!(states_entered(&execution).contains(&"AnalyzeFallback".to_owned()));
    let output = execution.output.clone().unwrap();
    assert_eq!(output["incidents"][0]["status"], "NOTIFIED", "{output}");
    let analysis: Value = s
        .local
        .db
        .conn()
        .query_row("SELECT analysis FROM analyses LIMIT 1", [], |r| {
            r.get::<_, String>(0)
        })
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(analysis["degraded"], true, "{analysis}");
    redelivery_changes_nothing(&s).await;
}

#[tokio::test]
async fn a_failing_history_query_and_a_slow_log_query_leave_the_analysis_without_them() {
    let faults = Faults {
        history: Some(QueryFault::Fail),
        logs: Some(QueryFault::Slow),
        slow_ms: 200,
        ..Faults::default()
    };
    let s = local_setup_with("fault-context", 3, config(faults), manual());
    let execution = run(&s).await;
    assert_eq!(execution.status, Status::Succeeded);
    let entered = states_entered(&execution);
    assert!(
        entered.contains(&"HistoryUnavailable".to_owned()),
        "{entered:?}"
    );
    assert!(
        entered.contains(&"LogsUnavailable".to_owned()),
        "{entered:?}"
    );
    assert_eq!(
        task_attempts(&execution, "QueryHistory"),
        1,
        "History.Failed is not retried"
    );
    assert_eq!(
        task_attempts(&execution, "QueryLogs"),
        4,
        "a timeout is retried 3 times"
    );
    assert_eq!(
        s.local.db.incidents(10).unwrap()[0].status.as_str(),
        "NOTIFIED"
    );
    redelivery_changes_nothing(&s).await;
}

/// A service on 127.0.0.1 that answers each request with the next of
/// `answers` (the last one repeats), counting requests by path.
#[derive(Default)]
struct Misbehaving {
    answers: Vec<(u16, Option<&'static str>, Value)>,
    requests: Vec<String>,
}

async fn answer(State(state): State<Arc<Mutex<Misbehaving>>>, uri: axum::http::Uri) -> Response {
    let mut state = state.lock().unwrap();
    state.requests.push(uri.path().to_owned());
    let (status, retry_after, body) = if state.answers.len() > 1 {
        state.answers.remove(0)
    } else {
        state.answers[0].clone()
    };
    let mut response = (StatusCode::from_u16(status).unwrap(), body.to_string()).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", seconds.parse().unwrap());
    }
    response
}

async fn misbehaving(
    answers: Vec<(u16, Option<&'static str>, Value)>,
) -> (String, Arc<Mutex<Misbehaving>>) {
    let state = Arc::new(Mutex::new(Misbehaving {
        answers,
        requests: Vec::new(),
    }));
    let app = Router::new()
        .route("/api/chat.postMessage", post(answer))
        .route("/rest/api/3/search/jql", get(answer))
        .route("/rest/api/3/issue", post(answer))
        .with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), state)
}

fn slack_at(base: &str) -> Option<SlackTarget> {
    Some(SlackTarget::Bot {
        api_base: format!("{base}/api"),
        token: "xoxb-test".to_owned(),
        channel: "C0123456789".to_owned(),
    })
}

#[tokio::test]
async fn slack_rate_limiting_is_waited_out_and_the_message_sent_once() {
    let ok = json!({"ok": true, "ts": "1732094047.000100"});
    let (base, slack) = misbehaving(vec![
        (429, Some("1"), json!({"ok": false, "error": "ratelimited"})),
        (200, None, ok.clone()),
        (200, None, ok),
    ])
    .await;
    let config = WorkflowConfig {
        slack_target: slack_at(&base),
        ..WorkflowConfig::default()
    };
    let s = local_setup_with("fault-slack-429", 3, config, Arc::new(SystemClock));
    let execution = run(&s).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert!(deliveries(&s).contains(&("slack".into(), "incident".into(), "SENT".into())));
    // The approval request after one 429, then the incident message.
    assert_eq!(slack.lock().unwrap().requests.len(), 3);
    redelivery_changes_nothing(&s).await;
    assert_eq!(
        slack.lock().unwrap().requests.len(),
        3,
        "nothing posted again"
    );
}

#[tokio::test]
async fn slack_down_fails_that_channel_only_and_jira_refusing_fails_jira_only() {
    let (slack_base, _) = misbehaving(vec![(500, None, json!({"ok": false}))]).await;
    let (jira_base, jira) = misbehaving(vec![
        (200, None, json!({"issues": []})),
        (
            400,
            None,
            json!({"errorMessages": [], "errors": {"priority": "Specify a valid priority"}}),
        ),
    ])
    .await;
    let config = WorkflowConfig {
        slack_target: slack_at(&slack_base),
        jira_target: Some(JiraTarget {
            base_url: jira_base,
            email: "oncall@example.com".into(),
            token: "jira-token".into(),
            project: "OPS".into(),
            issue_type: "Task".into(),
        }),
        ..WorkflowConfig::default()
    };
    let s = local_setup_with("fault-slack-jira", 3, config, Arc::new(SystemClock));
    let execution = run(&s).await;
    assert_eq!(execution.status, Status::Succeeded, "{:?}", execution.error);
    let delivered = deliveries(&s);
    assert!(
        delivered.contains(&("email".into(), "incident".into(), "SENT".into())),
        "{delivered:?}"
    );
    assert!(
        delivered.contains(&("slack".into(), "incident".into(), "FAILED".into())),
        "{delivered:?}"
    );
    assert!(
        delivered.contains(&("jira".into(), "incident".into(), "FAILED".into())),
        "{delivered:?}"
    );
    assert!(
        delivered.contains(&("slack".into(), "approval".into(), "FAILED".into())),
        "the request failed, the approval still waited: {delivered:?}"
    );
    assert_eq!(
        jira.lock()
            .unwrap()
            .requests
            .iter()
            .filter(|p| p.ends_with("/issue"))
            .count(),
        1
    );
    let incident = s.local.db.incidents(10).unwrap().remove(0);
    assert_eq!(
        incident.status.as_str(),
        "NOTIFIED",
        "the other channels delivered"
    );
    redelivery_changes_nothing(&s).await;
}

#[tokio::test]
async fn an_smtp_relay_that_is_down_fails_email_after_its_retries_and_the_rest_delivers() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let mut config = WorkflowConfig::default();
    config.email.smtp = Some(closed);
    config.email.timeout_seconds = 2;
    let s = local_setup_with("fault-smtp", 3, config, Arc::new(SystemClock));
    let execution = run(&s).await;
    assert_eq!(execution.status, Status::Succeeded, "{:?}", execution.error);
    // Three channels tried once, e-mail three times more.
    assert_eq!(
        task_attempts(&execution, "Deliver"),
        6,
        "e-mail was retried"
    );
    let delivered = deliveries(&s);
    assert!(
        delivered.contains(&("email".into(), "incident".into(), "FAILED".into())),
        "{delivered:?}"
    );
    assert!(
        delivered.contains(&("slack".into(), "incident".into(), "SENT".into())),
        "{delivered:?}"
    );
    assert!(
        delivered.contains(&("jira".into(), "incident".into(), "SENT".into())),
        "{delivered:?}"
    );
    assert_eq!(
        s.local.db.incidents(10).unwrap()[0].status.as_str(),
        "NOTIFIED"
    );
    redelivery_changes_nothing(&s).await;
}
