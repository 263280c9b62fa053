//! The workflow's steps: one async function per Task of
//! `statemachine/incident-response.asl.json`, written once over the ports.
//! A step takes its state's Parameters (typed) and returns the task's
//! result; `now` is passed in so that tests control time.

mod analyze;
mod approval;
mod cache;
mod context;
mod deliver;
mod normalize;
mod outcome;
mod register;
mod resolve;

pub use analyze::{AnalyzeInput, analysis_input, analyze};
pub use approval::{ApprovalInput, approval_id, request_approval};
pub use cache::{CacheInput, cache_key, check_cache};
pub use context::{query_changes, query_history, query_logs};
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
