use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Result, names};
use crate::ports::{Begin, Delivery, Idempotency, IncidentStore, Notifier};
use crate::render::Message;

/// How long an attempt holds a key before another may take over (longer
/// than any task's timeout), and how long a result is remembered (longer
/// than any redelivery: EventBridge retries for 24 hours).
const IN_PROGRESS_EXPIRY_SECONDS: i64 = 300;
const RECORD_EXPIRY_DAYS: i64 = 7;

#[derive(Debug, Deserialize)]
pub struct DeliverInput {
    pub channel: String,
    /// `incident` (the default) or `recovery`.
    #[serde(default)]
    pub kind: Option<String>,
    pub incident: Value,
    #[serde(default)]
    pub analysis: Option<Value>,
    #[serde(default)]
    pub approval: Option<Value>,
}

/// Deliver: one message to one channel, at most once per (incident,
/// channel, kind) however often the task runs.
pub async fn deliver<N, I, S>(
    notifier: &N,
    idempotency: &I,
    store: &S,
    input: &DeliverInput,
    now: DateTime<Utc>,
) -> Result<Value>
where
    N: Notifier,
    I: Idempotency,
    S: IncidentStore,
{
    let kind = input.kind.clone().unwrap_or_else(|| "incident".to_owned());
    let Some(incident_id) = input.incident["id"].as_str() else {
        return Err(Error::invalid_input(
            "the task input's 'incident.id' is missing",
        ));
    };
    if !matches!(input.channel.as_str(), "slack" | "jira" | "email") {
        return Err(Error::new(
            names::UNKNOWN_CHANNEL,
            format!(
                "no channel named '{}'; expected slack, jira or email",
                input.channel.escape_debug()
            ),
        ));
    }
    let message = Message {
        kind: kind.clone(),
        incident: input.incident.clone(),
        analysis: input.analysis.clone(),
        approval: input.approval.clone(),
    };
    let key = format!("deliver:{incident_id}:{}:{kind}", input.channel);
    let result = once(idempotency, &key, now, || async {
        let location = notifier.send(&input.channel, &message).await?;
        Ok(json!({"channel": input.channel, "status": "SENT", "location": location}))
    })
    .await?;
    store
        .record_delivery(&Delivery {
            incident_id: incident_id.to_owned(),
            channel: input.channel.clone(),
            kind,
            status: "SENT".to_owned(),
            location: result["location"].as_str().map(str::to_owned),
            error: None,
        })
        .await?;
    Ok(result)
}

/// Runs `work` once for `key`: a repeat gets the first result back; a
/// repeat while the first still runs fails with `Idempotency.InProgress`
/// (the state machine retries it); a failure releases the key.
pub(crate) async fn once<I, F, Fut>(
    idempotency: &I,
    key: &str,
    now: DateTime<Utc>,
    work: F,
) -> Result<Value>
where
    I: Idempotency,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Value>>,
{
    let expiry = now + Duration::seconds(IN_PROGRESS_EXPIRY_SECONDS);
    match idempotency.begin(key, now, expiry).await? {
        Begin::Completed(result) => Ok(result),
        Begin::InProgress => Err(Error::new(
            names::IN_PROGRESS,
            format!("'{key}' is being done by another attempt"),
        )),
        Begin::Started => match work().await {
            Ok(result) => {
                let expires = now + Duration::days(RECORD_EXPIRY_DAYS);
                idempotency.complete(key, &result, expires).await?;
                Ok(result)
            }
            Err(error) => {
                // If the release fails too, the record expires on its own.
                let _ = idempotency.release(key).await;
                Err(error)
            }
        },
    }
}
