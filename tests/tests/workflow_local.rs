//! The real workflow file on the engine with the real local handlers
//! (SQLite, the demo log folder, the rule analyzer, the outbox): the life of
//! an incident across several alarms.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use responder_e2e::{Answer, LocalSetup, events_dir, local_setup, states_entered};
use responder_sfn::{Execution, Status};
use serde_json::{Value, json};

/// The shared set-up, with this file's helpers.
struct Setup(LocalSetup);

impl std::ops::Deref for Setup {
    type Target = LocalSetup;
    fn deref(&self) -> &LocalSetup {
        &self.0
    }
}

fn setup(name: &str) -> Setup {
    Setup(local_setup(name, 11))
}

impl Setup {
    /// Runs one payload to the end, approving whatever asks.
    async fn run(&self, payload: Value) -> Execution {
        self.run_deciding(payload, |_| {
            Answer::Approve(
                json!({"decision": "APPROVED", "reviewed": true, "channels": ["slack"]}),
            )
        })
        .await
    }

    fn outbox(&self) -> usize {
        std::fs::read_dir(self.dir.join("outbox/slack"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
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

#[tokio::test]
async fn an_incident_lives_through_new_duplicate_repeat_recovery_and_a_cached_return() {
    let s = setup("life");

    let new = s.run(alarm(ALARM, None)).await;
    assert_eq!(new.status, Status::Succeeded);
    assert!(states_entered(&new).contains(&"Analyze".to_owned()));
    assert_eq!(s.outbox(), 1);
    let incident = s.local.db.incidents(10).unwrap().remove(0);
    assert_eq!(incident.status.as_str(), "NOTIFIED");

    // The same delivery again (EventBridge retried): nothing new.
    let duplicate = s.run(alarm(ALARM, None)).await;
    assert!(states_entered(&duplicate).contains(&"Duplicate".to_owned()));
    assert_eq!(s.outbox(), 1);

    // The alarm fires again while the incident is open: one more occurrence.
    let repeat = s
        .run(alarm(ALARM, Some("2026-11-20T09:20:07.405+0000")))
        .await;
    assert!(states_entered(&repeat).contains(&"Repeat".to_owned()));
    assert_eq!(
        s.local
            .db
            .incident(&incident.id)
            .unwrap()
            .unwrap()
            .occurrences,
        2
    );
    // The second occurrence is told in the incident's Slack thread.
    assert_eq!(s.outbox(), 2);

    // Back to OK: resolved with its time to recover; Slack is told.
    let recovery = s.run(alarm(OK, None)).await;
    assert!(
        states_entered(&recovery).contains(&"SendRecovery".to_owned()),
        "{:?}",
        states_entered(&recovery)
    );
    let resolved = s.local.db.incident(&incident.id).unwrap().unwrap();
    assert_eq!(resolved.status.as_str(), "RESOLVED");
    assert!(resolved.time_to_recover_seconds.unwrap() > 0);
    assert_eq!(s.outbox(), 3);

    // Later the same failure: a new incident whose analysis comes from the cache.
    let later = s
        .run(alarm(ALARM, Some("2026-11-20T11:02:00.118+0000")))
        .await;
    assert!(
        states_entered(&later).contains(&"UseCachedAnalysis".to_owned()),
        "{:?}",
        states_entered(&later)
    );
    assert!(!states_entered(&later).contains(&"Analyze".to_owned()));
    assert_eq!(s.local.db.incidents(10).unwrap().len(), 2);
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[tokio::test]
async fn a_payload_with_several_alerts_makes_one_flow_per_alert() {
    let s = setup("many");
    let execution = s.run(alarm("alertmanager/firing.json", None)).await;
    assert_eq!(execution.status, Status::Succeeded);
    let alerts = execution
        .history()
        .iter()
        .filter(|e| {
            e.kind == "MapIterationStarted" && e.details.name.as_deref() == Some("ForEachAlert")
        })
        .count();
    assert!(alerts >= 2, "{alerts}");
    assert_eq!(s.local.db.incidents(10).unwrap().len(), alerts);
    let _ = std::fs::remove_dir_all(&s.dir);
}
