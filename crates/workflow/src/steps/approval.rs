use chrono::{DateTime, Duration, Utc};
use responder_core::{Channel, IncidentStatus};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::cache::hex;
use super::deliver::once;
use super::{modify_incident, rfc3339, text_of};
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::ports::{ApprovalRequest, Approvals, Delivery, Idempotency, IncidentStore, Notifier};
use crate::render::{Message, MessageKind};
use responder_core::Incident;
use responder_core::analysis::Analysis;

#[derive(Debug, Deserialize)]
pub struct ApprovalInput {
    /// The task token of `.waitForTaskToken`: kept in the store, never shown.
    pub token: String,
    pub incident: Incident,
    #[serde(default)]
    pub analysis: Option<Analysis>,
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// The normalized alert: its routing tags (the runbook link).
    #[serde(default)]
    pub alert: Option<Value>,
    /// The execution's id (`$$.Execution.Id`), for the link to it.
    #[serde(default)]
    pub execution: Option<String>,
    /// False when the approvers could not be told (Slack throttled or down
    /// past its retries): the request is stored all the same, the failure
    /// (`request_error`) kept where people look.
    #[serde(default = "yes")]
    pub notify: bool,
    #[serde(default)]
    pub request_error: Option<String>,
}

fn yes() -> bool {
    true
}

/// The approval id people and buttons see: derived from the token, so a
/// retried request names the same approval.
pub fn approval_id(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    format!("apr-{}", hex(digest.get(..8).unwrap_or_default()))
}

/// RequestApproval: stores the token behind an approval id, marks the
/// incident as waiting and asks the approvers once.
pub async fn request_approval<A, N, I, S>(
    approvals: &A,
    notifier: &N,
    idempotency: &I,
    store: &S,
    policy: &Policy,
    input: &ApprovalInput,
    now: DateTime<Utc>,
) -> Result<Value>
where
    A: Approvals,
    N: Notifier,
    I: Idempotency,
    S: IncidentStore,
{
    let incident_id = input.incident.id.as_str();
    if input.token.is_empty() {
        return Err(Error::invalid_input("the task input's 'token' is empty"));
    }
    let id = approval_id(&input.token);
    let severity = input.incident.severity;
    let timeout = i64::try_from(policy.approval_timeout(severity)).unwrap_or(i64::MAX / 2);
    approvals
        .put_request(&ApprovalRequest {
            id: id.clone(),
            incident_id: incident_id.to_owned(),
            token: input.token.clone(),
            channels: input.channels.clone(),
            requested_at: rfc3339(now),
            expires_at: rfc3339(now + Duration::seconds(timeout)),
        })
        .await?;
    modify_incident(store, incident_id, |incident| {
        let waiting = incident.status == IncidentStatus::Open;
        if waiting {
            incident.status = IncidentStatus::PendingApproval;
        }
        waiting
    })
    .await?;
    let message = Message {
        analysis: input.analysis.clone(),
        routing: super::routing_of(input.alert.as_ref()),
        execution: input.execution.clone(),
        ..Message::new(MessageKind::Approval, input.incident.clone())
    };
    if !input.notify {
        let error = input
            .request_error
            .clone()
            .unwrap_or_else(|| "the approvers could not be told".to_owned());
        store
            .record_delivery(&Delivery {
                incident_id: incident_id.to_owned(),
                channel: Channel::Slack,
                kind: "approval".to_owned(),
                status: "FAILED".to_owned(),
                location: None,
                error: Some(error.clone()),
            })
            .await?;
        return Ok(json!({"approval_id": id, "request": null, "request_error": error}));
    }
    let key = format!("approval:{id}");
    let result = once(
        idempotency,
        &key,
        now,
        || notifier.find_approval_request(&id, &message),
        |location| json!({"approval_id": id, "request": location}),
        || async {
            let request = notifier.request_approval(&id, &message).await?;
            Ok(json!({"approval_id": id, "request": request}))
        },
    )
    // A Slack that refuses or stays down fails this attempt: the state
    // machine retries it, then asks again quietly (`notify: false`), so the
    // incident is never lost.
    .await?;
    // The request is the incident's first Slack message: later messages
    // (the decision, repeats, the recovery) reply in its thread.
    let status = result
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("SENT");
    store
        .record_delivery(&Delivery {
            incident_id: incident_id.to_owned(),
            channel: Channel::Slack,
            kind: "approval".to_owned(),
            status: status.to_owned(),
            location: text_of(&result, "request"),
            error: text_of(&result, "reason"),
        })
        .await?;
    Ok(result)
}
