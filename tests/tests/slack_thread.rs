//! One incident's Slack conversation, through the real workflow file on the
//! engine with Slack configured (a bot token) against a server on
//! 127.0.0.1: the approval request opens the thread; the approved incident
//! message, the repeats and the recovery reply in it; a rejection is told
//! there too.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use responder_e2e::{Answer, LocalSetup, events_dir, local_setup_with, states_entered};
use responder_local::WorkflowConfig;
use responder_notify::SlackTarget;
use responder_sfn::{Execution, Status, SystemClock};
use serde_json::{Value, json};

/// Every `chat.postMessage` body; each answer gets the next `ts`.
type Posted = Arc<Mutex<Vec<Value>>>;

async fn post_message(State(posted): State<Posted>, body: String) -> String {
    let mut posted = posted.lock().unwrap();
    posted.push(serde_json::from_str(&body).unwrap());
    json!({"ok": true, "channel": "C0123456789", "ts": format!("1732094047.{:06}", posted.len())})
        .to_string()
}

async fn fake_slack() -> (String, Posted) {
    let posted = Posted::default();
    let app = Router::new()
        .route("/api/chat.postMessage", post(post_message))
        .with_state(Arc::clone(&posted));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/api"), posted)
}

async fn setup(name: &str) -> (LocalSetup, Posted) {
    let (api_base, posted) = fake_slack().await;
    let config = WorkflowConfig {
        slack_target: Some(SlackTarget::Bot {
            api_base,
            token: "xoxb-test".to_owned(),
            channel: "C0123456789".to_owned(),
        }),
        ..WorkflowConfig::default()
    };
    (
        local_setup_with(name, 5, config, Arc::new(SystemClock)),
        posted,
    )
}

fn alarm(file: &str, at: Option<&str>) -> Value {
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(events_dir().join(file)).unwrap()).unwrap();
    if let Some(at) = at {
        event["detail"]["state"]["timestamp"] = json!(at);
    }
    event
}

const ALARM: &str = "eventbridge/metric-alarm-lambda-errors.json";
const OK: &str = "eventbridge/metric-alarm-lambda-errors-ok.json";

/// Runs one payload; an approval request is approved by alice, or rejected.
async fn run(s: &LocalSetup, payload: Value, approve: bool) -> Execution {
    s.run_deciding(payload, |_| {
        if approve {
            Answer::Approve(json!({"decision": "APPROVED", "reviewed": true, "approver": "alice", "channels": ["slack"]}))
        } else {
            Answer::Reject("a known deploy, already rolled back")
        }
    })
    .await
}

#[tokio::test]
async fn the_decision_the_repeats_and_the_recovery_reply_in_the_incident_thread() {
    let (s, posted) = setup("slack-thread").await;

    let first = run(&s, alarm(ALARM, None), true).await;
    assert_eq!(
        first.status,
        Status::Succeeded,
        "{:?}",
        states_entered(&first)
    );
    {
        let posted = posted.lock().unwrap();
        assert_eq!(posted.len(), 2, "the approval request, then the incident");
        let request = &posted[0];
        assert!(request.get("thread_ts").is_none());
        assert_eq!(request["blocks"][3]["elements"][0]["action_id"], "approve");
        let incident = &posted[1];
        assert_eq!(incident["thread_ts"], "1732094047.000001");
        assert_eq!(
            incident["reply_broadcast"], true,
            "shown in the channel too"
        );
        let text = incident.to_string();
        assert!(text.contains("Approved by alice."), "{text}");
    }

    // Repeats: a reply at the 2nd and 5th occurrence, not at the 3rd or 4th.
    for minute in 20..24 {
        let at = format!("2026-11-20T09:{minute}:07.405+0000");
        let repeat = run(&s, alarm(ALARM, Some(&at)), true).await;
        assert!(states_entered(&repeat).contains(&"NotifyRepeat".to_owned()));
    }
    {
        let posted = posted.lock().unwrap();
        let replies: Vec<&Value> = posted[2..].iter().collect();
        assert_eq!(replies.len(), 2, "{replies:#?}");
        assert!(
            replies[0]["text"]
                .as_str()
                .unwrap()
                .starts_with("Fired again: 2 occurrences")
        );
        assert!(
            replies[1]["text"]
                .as_str()
                .unwrap()
                .starts_with("Fired again: 5 occurrences")
        );
        assert!(
            replies
                .iter()
                .all(|r| r["thread_ts"] == "1732094047.000001")
        );
        assert!(replies.iter().all(|r| r.get("reply_broadcast").is_none()));
    }

    // Back to OK: the recovery replies in the thread, shown in the channel.
    run(&s, alarm(OK, None), true).await;
    let posted = posted.lock().unwrap();
    let recovery = posted.last().unwrap();
    assert!(
        recovery["text"]
            .as_str()
            .unwrap()
            .starts_with("Recovered: ")
    );
    assert_eq!(recovery["thread_ts"], "1732094047.000001");
    assert_eq!(recovery["reply_broadcast"], true);
    assert_eq!(posted.len(), 5);
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[tokio::test]
async fn a_rejection_is_told_in_the_thread_of_its_request() {
    let (s, posted) = setup("slack-rejected").await;
    let execution = run(&s, alarm(ALARM, None), false).await;
    assert!(states_entered(&execution).contains(&"Suppress".to_owned()));
    let posted = posted.lock().unwrap();
    assert_eq!(posted.len(), 2, "{posted:#?}");
    assert_eq!(
        posted[1]["text"],
        "Rejected: a known deploy, already rolled back"
    );
    assert_eq!(posted[1]["thread_ts"], "1732094047.000001");
    let incident = s.local.db.incidents(10).unwrap().remove(0);
    assert_eq!(incident.status.as_str(), "SUPPRESSED");
    let _ = std::fs::remove_dir_all(&s.dir);
}
