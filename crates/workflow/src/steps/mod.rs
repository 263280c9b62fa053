//! The workflow's steps: one async function per Task of
//! `statemachine/incident-response.asl.json`, written once over the ports.
//! A step takes its state's Parameters (typed) and returns the task's
//! result; `now` is passed in so that tests control time.

mod analyze;
mod approval;
mod cache;
mod context;
mod decide;
mod deliver;
mod normalize;
mod outcome;
mod register;
mod resolve;

pub use analyze::{AnalyzeInput, analysis_input, analyze};
pub use approval::{ApprovalInput, approval_id, request_approval};
pub use cache::{CacheInput, cache_key, check_cache};
pub use context::{query_changes, query_history, query_logs};
pub use decide::{decide, give_unanswered};
pub use deliver::{DeliverInput, deliver};
pub use normalize::normalize_alert;
pub use outcome::{OutcomeInput, record_outcome};
pub use register::{RegisterInput, register_alert};
pub use resolve::{Resolution, resolve_by_hand};

use chrono::{DateTime, SecondsFormat, Utc};
use responder_core::{Alert, Incident};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::ports::{IncidentStore, Write};

/// How many times a step reads again after losing a conditional write.
const MAX_CONFLICTS: usize = 8;

/// Reads a step's input. Parsing goes through text because `Alert.raw` is
/// raw JSON; the error names the field that is wrong.
pub fn parse<T: DeserializeOwned>(input: &Value) -> Result<T> {
    let text = input.to_string();
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        Error::invalid_input(format!(
            "the task input's '{path}' is wrong: {}",
            e.into_inner()
        ))
    })
}

/// The input of the steps that need only the alert.
#[derive(Debug, Deserialize)]
pub struct AlertInput {
    pub alert: Alert,
}

/// A step result's text field, if it has one.
pub(crate) fn text_of(result: &Value, key: &str) -> Option<String> {
    result.get(key).and_then(Value::as_str).map(str::to_owned)
}

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn to_value<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(Error::corrupt)
}

/// The incident `id`, which an earlier step registered.
pub(crate) async fn existing_incident<S: IncidentStore>(store: &S, id: &str) -> Result<Incident> {
    store.incident(id).await?.ok_or_else(|| {
        Error::new(
            crate::error::names::UNKNOWN_INCIDENT,
            format!("no incident '{id}'"),
        )
    })
}

/// Reads an incident, changes it and writes it back over the version it
/// was read at, again on conflict. `change` returns false to leave it as is.
pub(crate) async fn modify_incident<S, F>(store: &S, id: &str, change: F) -> Result<Incident>
where
    S: IncidentStore,
    F: Fn(&mut Incident) -> bool,
{
    for _ in 0..MAX_CONFLICTS {
        let mut incident = existing_incident(store, id).await?;
        if !change(&mut incident) {
            return Ok(incident);
        }
        incident.version += 1;
        if store.update(&incident).await? == Write::Done {
            return Ok(incident);
        }
    }
    Err(Error::transient(format!(
        "incident '{id}' kept changing under {MAX_CONFLICTS} attempts to update it"
    )))
}

/// Where the alert's tags route it (empty without an alert, or when its
/// routing does not read).
pub(crate) fn routing_of(alert: Option<&Value>) -> responder_core::Routing {
    alert
        .and_then(|alert| serde_json::from_value(alert["routing"].clone()).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::ports::{Analyzed, Delivery, Occurrence};
    use responder_core::Channel;

    /// One stored incident; the next `interleaved` updates lose to another
    /// writer, who adds a channel and bumps the version first.
    struct Contested {
        stored: Mutex<Incident>,
        interleaved: Mutex<usize>,
        writes: Mutex<usize>,
    }

    impl Contested {
        fn new(interleaved: usize) -> Self {
            let incident: Incident = serde_json::from_value(serde_json::json!({
                "id": "inc-1", "signature": "s", "resource": "r", "title": "t",
                "severity": "HIGH", "status": "OPEN",
                "opened_at": "2026-11-20T09:14:07.405Z",
                "last_seen_at": "2026-11-20T09:14:07.405Z",
                "occurrences": 1, "version": 1
            }))
            .unwrap();
            Self {
                stored: Mutex::new(incident),
                interleaved: Mutex::new(interleaved),
                writes: Mutex::new(0),
            }
        }
    }

    /// Only what `modify_incident` calls is served.
    fn unused<T>() -> Result<T> {
        Err(Error::invalid_input("not served by this test store"))
    }

    impl IncidentStore for Contested {
        async fn occurrence(&self, _: &str) -> Result<Option<Occurrence>> {
            unused()
        }
        async fn open_incident(&self, _: &str) -> Result<Option<Incident>> {
            unused()
        }
        async fn incident(&self, _: &str) -> Result<Option<Incident>> {
            Ok(Some(self.stored.lock().unwrap().clone()))
        }
        async fn register(&self, _: &Occurrence, _: Option<&Incident>) -> Result<Write> {
            unused()
        }
        async fn update(&self, incident: &Incident) -> Result<Write> {
            let mut stored = self.stored.lock().unwrap();
            let mut interleaved = self.interleaved.lock().unwrap();
            if *interleaved > 0 {
                *interleaved -= 1;
                stored.notified_channels.push(Channel::Jira);
                stored.version += 1;
                return Ok(Write::Conflict);
            }
            if stored.version + 1 != incident.version {
                return Ok(Write::Conflict);
            }
            *stored = incident.clone();
            *self.writes.lock().unwrap() += 1;
            Ok(Write::Done)
        }
        async fn record_analysis(&self, _: &str, _: &Analyzed) -> Result<()> {
            unused()
        }
        async fn record_delivery(&self, _: &Delivery) -> Result<()> {
            unused()
        }
        async fn delivery(&self, _: &str, _: Channel, _: &str) -> Result<Option<Delivery>> {
            unused()
        }
    }

    fn add_slack(incident: &mut Incident) -> bool {
        if incident.notified_channels.contains(&Channel::Slack) {
            return false;
        }
        incident.notified_channels.push(Channel::Slack);
        true
    }

    #[tokio::test]
    async fn a_lost_write_is_decided_again_over_the_other_writers_change() {
        let store = Contested::new(2);
        let written = modify_incident(&store, "inc-1", add_slack).await.unwrap();
        assert_eq!(
            written.notified_channels,
            [Channel::Jira, Channel::Jira, Channel::Slack]
        );
        assert_eq!(written.version, 4);
        assert_eq!(
            *store.stored.lock().unwrap(),
            written,
            "both writers' changes kept"
        );
    }

    #[tokio::test]
    async fn no_change_writes_nothing_and_endless_conflicts_are_transient() {
        let store = Contested::new(0);
        store.stored.lock().unwrap().notified_channels = vec![Channel::Slack];
        modify_incident(&store, "inc-1", add_slack).await.unwrap();
        assert_eq!(*store.writes.lock().unwrap(), 0);

        let store = Contested::new(usize::MAX);
        let error = modify_incident(&store, "inc-1", add_slack)
            .await
            .unwrap_err();
        assert_eq!(error.name(), crate::error::names::STORE_TRANSIENT);
        assert!(error.message().contains("8 attempts"), "{error}");
    }
}
