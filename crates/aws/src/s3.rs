//! S3 as the incident archive: one JSON line per incident under
//! `incidents/dt=YYYY-MM-DD/<id>.json` (the Athena table reads these, with
//! `dt` as its partition), full reports under `reports/`, raw alerts under
//! `alerts/`, and rendered Slack and Jira messages under `outbox/` when no
//! endpoint is configured. Every key is derived from ids: writing again
//! replaces, never doubles.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use responder_workflow::error::names;
use responder_workflow::ports::{Archive, ArchiveRecord};
use responder_workflow::{Error, Result};
use serde_json::Value;

use crate::error::named;

#[derive(Debug, Clone)]
pub struct S3Archive {
    client: Client,
    bucket: String,
}

impl S3Archive {
    pub fn new(client: Client, bucket: String) -> Self {
        Self { client, bucket }
    }

    pub fn from_sdk(sdk: &aws_config::SdkConfig, env: &crate::config::Env) -> Result<Self> {
        Ok(Self::new(Client::new(sdk), env.required("ARCHIVE_BUCKET")?))
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The archive key of an incident: partitioned by the day it opened.
    pub fn record_key(record: &ArchiveRecord) -> String {
        let day = record.opened_at.get(..10).unwrap_or("unknown");
        format!("incidents/dt={day}/{}.json", safe_key(&record.incident_id))
    }

    /// The full report of an incident: alert, analysis, approval, deliveries.
    pub async fn put_report(&self, incident_id: &str, report: &Value) -> Result<String> {
        let key = format!("reports/{}.json", safe_key(incident_id));
        self.put(&key, report.to_string().into_bytes(), "application/json")
            .await?;
        Ok(key)
    }

    /// An incident's report, if the workflow has written it (it does when
    /// it ends).
    pub async fn report_of(&self, incident_id: &str) -> Result<Option<Value>> {
        let key = format!("reports/{}.json", safe_key(incident_id));
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(aws_sdk_s3::operation::get_object::GetObjectError::NoSuchKey(_))
                ) =>
            {
                return Ok(None);
            }
            Err(e) => {
                return Err(named(
                    "GetObject",
                    &e,
                    names::STORE_TRANSIENT,
                    names::STORE_REJECTED,
                ));
            }
        };
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| Error::new(names::STORE_TRANSIENT, format!("GetObject {key}: {e}")))?
            .into_bytes();
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(Error::corrupt)
    }

    /// The payload an alert arrived as, for audits and replays.
    pub async fn put_raw_alert(&self, day: &str, dedup_key: &str, raw: &str) -> Result<String> {
        let key = format!("alerts/dt={}/{}.json", safe_key(day), safe_key(dedup_key));
        self.put(&key, raw.as_bytes().to_vec(), "application/json")
            .await?;
        Ok(key)
    }

    pub async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| {
                named(
                    "PutObject",
                    &e,
                    names::STORE_TRANSIENT,
                    names::STORE_REJECTED,
                )
            })?;
        Ok(())
    }
}

/// Key parts from ids: letters, digits, `-`, `_` and `.` only.
pub(crate) fn safe_key(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect()
}

impl Archive for S3Archive {
    async fn record(&self, record: &ArchiveRecord) -> Result<()> {
        let mut line = serde_json::to_string(record).map_err(Error::corrupt)?;
        line.push('\n');
        self.put(
            &Self::record_key(record),
            line.into_bytes(),
            "application/x-ndjson",
        )
        .await
    }

    async fn report(&self, incident_id: &str, report: &Value) -> Result<()> {
        self.put_report(incident_id, report).await.map(|_| ())
    }
}
