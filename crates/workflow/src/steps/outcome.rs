use responder_core::analysis::{Analysis, RootCause};
use responder_core::{Alert, Channel, IncidentStatus};
use serde::Deserialize;
use serde_json::{Value, json};

use super::cache::cache_key;
use super::{existing_incident, modify_incident};
use crate::error::{Error, Result};
use crate::ports::{AnalysisCache, AnalyzerId, Archive, ArchiveRecord, Delivery, IncidentStore};
use crate::render::ApprovalOutcome;

#[derive(Debug, Deserialize)]
pub struct OutcomeInput {
    /// `RECORDED` (delivered), `SUPPRESSED` (rejected) or `RECOVERED`.
    pub outcome: String,
    #[serde(default)]
    pub alert: Option<Alert>,
    pub registration: Value,
    #[serde(default)]
    pub analysis: Option<Analysis>,
    #[serde(default)]
    pub approval: Option<ApprovalOutcome>,
    /// Each channel's result: `{"channel", "status": "SENT"|"FAILED", ...}`.
    #[serde(default)]
    pub deliveries: Vec<Value>,
}

/// RecordOutcome: the incident's status after its deliveries (or their
/// suppression), failed deliveries kept for people to see, and the archive
/// row the history query reads. Every write is a replace: safe to repeat.
pub async fn record_outcome<S, R, C>(
    store: &S,
    archive: &R,
    cache: &C,
    analyzer: &AnalyzerId,
    input: &OutcomeInput,
) -> Result<Value>
where
    S: IncidentStore,
    R: Archive,
    C: AnalysisCache,
{
    let Some(incident_id) = input
        .registration
        .pointer("/incident/id")
        .and_then(Value::as_str)
    else {
        return Err(Error::invalid_input(
            "the task input's 'registration.incident.id' is missing",
        ));
    };
    let kind = if input.outcome == "RECOVERED" {
        "recovery"
    } else {
        "incident"
    };
    for failed in input.deliveries.iter().filter(|d| d["status"] == "FAILED") {
        // Deliver refuses an unknown channel before anything is sent: such
        // a failure names no delivery to record.
        let Some(channel) = channel_of(failed) else {
            continue;
        };
        store
            .record_delivery(&Delivery {
                incident_id: incident_id.to_owned(),
                channel,
                kind: kind.to_owned(),
                status: "FAILED".to_owned(),
                location: None,
                error: failed["cause"].as_str().map(str::to_owned),
            })
            .await?;
    }
    let incident = match input.outcome.as_str() {
        "RECORDED" => {
            let sent: Vec<Channel> = input
                .deliveries
                .iter()
                .filter(|d| d.get("status").and_then(Value::as_str) == Some("SENT"))
                .filter_map(channel_of)
                .collect();
            let edited_severity = input.approval.as_ref().and_then(|a| a.severity);
            // The most likely cause, told in one line (a v1 record's `cause`
            // as it is): what the history shows of this incident later.
            let root_cause = input
                .analysis
                .as_ref()
                .and_then(|a| a.root_causes.first())
                .map(RootCause::headline);
            let incident = modify_incident(store, incident_id, |incident| {
                // A recovery may have come first: it stays resolved.
                if matches!(
                    incident.status,
                    IncidentStatus::Open | IncidentStatus::PendingApproval
                ) {
                    incident.status = IncidentStatus::Notified;
                }
                // An approver's edit of the severity is the incident's from now on.
                if let Some(severity) = edited_severity {
                    incident.severity = severity;
                }
                for channel in &sent {
                    if !incident.notified_channels.contains(channel) {
                        incident.notified_channels.push(*channel);
                    }
                }
                incident.root_cause.clone_from(&root_cause);
                true
            })
            .await?;
            archive.record(&ArchiveRecord::of(&incident)).await?;
            archive
                .report(&incident.id, &report(input, &incident)?)
                .await?;
            incident
        }
        "SUPPRESSED" => {
            let incident = modify_incident(store, incident_id, |incident| {
                let open = incident.status.is_open();
                if open {
                    incident.status = IncidentStatus::Suppressed;
                }
                open
            })
            .await?;
            // A rejected analysis is not reused for the next alert.
            if let Some(alert) = &input.alert {
                cache.remove(&cache_key(alert, analyzer)).await?;
            }
            incident
        }
        "RECOVERED" => {
            let incident = existing_incident(store, incident_id).await?;
            archive.record(&ArchiveRecord::of(&incident)).await?;
            archive
                .report(&incident.id, &report(input, &incident)?)
                .await?;
            incident
        }
        other => {
            return Err(Error::invalid_input(format!(
                "unknown outcome '{}'; expected RECORDED, SUPPRESSED or RECOVERED",
                other.escape_debug()
            )));
        }
    };
    Ok(json!({"incident_id": incident.id, "status": incident.status.as_str()}))
}

/// What happened, in one document: for people and audits.
fn report(input: &OutcomeInput, incident: &responder_core::Incident) -> Result<Value> {
    Ok(json!({
        "incident": super::to_value(incident)?,
        "alert": input.alert.as_ref().map(super::to_value).transpose()?,
        "analysis": input.analysis,
        "approval": input.approval,
        "deliveries": input.deliveries,
        "outcome": input.outcome,
    }))
}

/// The channel a Map iteration's result names, if it names one.
fn channel_of(delivery: &Value) -> Option<Channel> {
    delivery.get("channel")?.as_str()?.parse().ok()
}
