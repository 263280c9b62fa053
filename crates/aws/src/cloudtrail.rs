//! CloudTrail as "what changed": `LookupEvents` over the incident's
//! windows, writes only (`ReadOnly = false`), newest first, a few pages at
//! most. LookupEvents answers 2 calls a second per account and region:
//! pages are paced to stay under that, and a throttled call is
//! `Changes.Transient`, which the state machine retries.

use std::time::Duration;

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::primitives::DateTime as AwsDateTime;
use aws_sdk_cloudtrail::types::{Event, LookupAttribute, LookupAttributeKey};
use responder_core::context::Span;
use responder_core::context::changes::{ChangeEvent, from_record};
use responder_workflow::Result;
use responder_workflow::error::names;
use responder_workflow::ports::Changes;
use serde_json::{Value, json};

use crate::error::named;

/// Pages read at most (50 events each).
pub const MAX_PAGES: usize = 6;
/// The pause between pages: LookupEvents allows 2 calls a second.
const PAGE_PAUSE: Duration = Duration::from_millis(550);

#[derive(Debug, Clone)]
pub struct CloudTrailChanges {
    client: Client,
    pause: Duration,
}

impl CloudTrailChanges {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            pause: PAGE_PAUSE,
        }
    }

    /// No pause between pages: for tests against mocks.
    pub fn without_pause(client: Client) -> Self {
        Self {
            client,
            pause: Duration::ZERO,
        }
    }

    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        Self::new(Client::new(sdk))
    }
}

impl Changes for CloudTrailChanges {
    async fn lookup(&self, span: Span) -> Result<Vec<ChangeEvent>> {
        let writes = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::ReadOnly)
            .attribute_value("false")
            .build()
            .map_err(responder_workflow::Error::corrupt)?;
        let mut changes = Vec::new();
        let mut token: Option<String> = None;
        for page in 0..MAX_PAGES {
            if page > 0 {
                tokio::time::sleep(self.pause).await;
            }
            let out = self
                .client
                .lookup_events()
                .lookup_attributes(writes.clone())
                .start_time(AwsDateTime::from_millis(span.start.timestamp_millis()))
                .end_time(AwsDateTime::from_millis(span.end.timestamp_millis()))
                .max_results(50)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    named(
                        "LookupEvents",
                        &e,
                        names::CHANGES_TRANSIENT,
                        names::CHANGES_FAILED,
                    )
                })?;
            changes.extend(out.events().iter().filter_map(|e| from_record(&record(e))));
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(changes)
    }
}

/// An SDK event in the shape `aws cloudtrail lookup-events` prints (and
/// `changes.jsonl` holds), for the core's one reader.
fn record(e: &Event) -> Value {
    json!({
        "EventId": e.event_id(),
        "EventName": e.event_name(),
        "ReadOnly": e.read_only(),
        "EventTime": e.event_time().map(|t| t.as_secs_f64()),
        "EventSource": e.event_source(),
        "Username": e.username(),
        "Resources": e.resources().iter().map(|r| json!({
            "ResourceType": r.resource_type(),
            "ResourceName": r.resource_name(),
        })).collect::<Vec<_>>(),
        "CloudTrailEvent": e.cloud_trail_event(),
    })
}
