use chrono::{DateTime, Utc};
use responder_core::{Alert, Decision, Incident, IncidentStatus};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{MAX_CONFLICTS, rfc3339};
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::ports::{IncidentStore, Occurrence, Write};

#[derive(Debug, Deserialize)]
pub struct RegisterInput {
    pub alert: Alert,
    pub execution_id: String,
}

/// RegisterAlert: NEW, DUPLICATE, REPEAT, RECOVERY or IGNORED, decided and
/// written in one conditional write keyed on the dedup key. The same
/// execution asking again (a retried task) gets its first answer back;
/// another execution with the same key is a DUPLICATE. Two alerts of one
/// signature racing: one writes first, the other reads again and joins.
pub async fn register_alert<S: IncidentStore>(
    store: &S,
    policy: &Policy,
    input: &RegisterInput,
    now: DateTime<Utc>,
) -> Result<Value> {
    let alert = &input.alert;
    let dedup = alert.dedup_key.as_str();
    for _ in 0..MAX_CONFLICTS {
        if let Some(seen) = store.occurrence(dedup).await? {
            let decision = if seen.execution_id == input.execution_id {
                seen.decision
            } else {
                Decision::Duplicate
            };
            let incident = match &seen.incident_id {
                Some(id) => store.incident(id).await?,
                None => None,
            };
            return Ok(registration(policy, decision, incident.as_ref()));
        }
        let open = store.open_incident(alert.signature.as_str()).await?;
        let decision = Decision::for_alert(alert, false, open.as_ref());
        let incident = next_incident(alert, decision, open);
        let occurrence = Occurrence {
            dedup_key: dedup.to_owned(),
            execution_id: input.execution_id.clone(),
            incident_id: incident.as_ref().map(|i| i.id.clone()),
            decision,
            received_at: rfc3339(now),
        };
        if store.register(&occurrence, incident.as_ref()).await? == Write::Done {
            return Ok(registration(policy, decision, incident.as_ref()));
        }
    }
    Err(Error::transient(format!(
        "alert {dedup} lost {MAX_CONFLICTS} conditional writes in a row"
    )))
}

/// The incident as the decision leaves it (None when there is none).
fn next_incident(alert: &Alert, decision: Decision, open: Option<Incident>) -> Option<Incident> {
    let at = alert.occurred_at.to_string();
    match (decision, open) {
        (Decision::New, _) => Some(new_incident(alert, &at)),
        (Decision::Repeat, Some(mut incident)) => {
            incident.occurrences += 1;
            if at > incident.last_seen_at {
                incident.last_seen_at = at;
            }
            incident.version += 1;
            Some(incident)
        }
        (Decision::Recovery, Some(mut incident)) => {
            incident.status = IncidentStatus::Resolved;
            incident.time_to_recover_seconds = seconds_between(&incident.opened_at, &at);
            incident.resolved_at = Some(at);
            incident.version += 1;
            Some(incident)
        }
        _ => None,
    }
}

fn new_incident(alert: &Alert, at: &str) -> Incident {
    let dedup = alert.dedup_key.as_str();
    Incident {
        // Derived from the first alert, so a retry names it the same.
        id: format!(
            "inc-{}-{}",
            at.get(..10).unwrap_or("").replace('-', ""),
            dedup.get(..8).unwrap_or(dedup)
        ),
        signature: alert.signature.as_str().to_owned(),
        resource: alert.resource.clone(),
        title: alert.title.clone(),
        severity: alert.severity,
        status: IncidentStatus::Open,
        opened_at: at.to_owned(),
        last_seen_at: at.to_owned(),
        occurrences: 1,
        resolved_at: None,
        time_to_recover_seconds: None,
        notified_channels: Vec::new(),
        triggering_alarms: alert
            .alarm
            .iter()
            .flat_map(|a| a.triggering_alarms.iter().map(|t| t.name.clone()))
            .collect(),
        root_cause: None,
        service: alert.service.clone(),
        subject: Some(responder_core::context::Subject::of(alert).key()),
        version: 1,
    }
}

/// What the next states need: the decision, the incident, its channels and
/// approval timeout, and the channels to tell of a recovery.
fn registration(policy: &Policy, decision: Decision, incident: Option<&Incident>) -> Value {
    let severity = incident.map(|i| i.severity);
    json!({
        "decision": decision.as_str(),
        "incident": incident,
        "channels": severity.map(|s| policy.channels_for(s)).unwrap_or_default(),
        "approval_timeout_seconds": severity.map_or(3600, |s| policy.approval_timeout(s)),
        "timeout_policy": policy.timeout_policy,
        "notified_channels": incident.map(|i| i.notified_channels.clone()).unwrap_or_default(),
    })
}

fn seconds_between(from: &str, to: &str) -> Option<i64> {
    let from = DateTime::parse_from_rfc3339(from).ok()?;
    let to = DateTime::parse_from_rfc3339(to).ok()?;
    Some((to - from).num_seconds())
}
