//! CloudWatch Logs subscription batches (`awslogs.data`: base64 of gzip of
//! JSON). One alert per batch; the log events are kept as evidence.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use serde::Deserialize;

use super::draft::Draft;
use super::error::{NormalizeError, quote};
use super::json::{check_depth, parse_at};
use super::raw_copy;
use crate::alert::{AlertState, LogEvent, LogEvidence, SourceKind};
use crate::limits::{
    MAX_DECODED_LOG_BYTES, MAX_LOG_EVENTS, MAX_LOG_EVENTS_KEPT, MAX_LOG_LINE_CHARS, truncate_chars,
};
use crate::time::Timestamp;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    awslogs: AwsLogs<'a>,
}

#[derive(Deserialize)]
struct AwsLogs<'a> {
    #[serde(borrow)]
    data: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Batch {
    message_type: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    log_group: String,
    #[serde(default)]
    log_stream: String,
    #[serde(default)]
    subscription_filters: Vec<String>,
    #[serde(default)]
    log_events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    timestamp: i64,
    message: String,
}

const DATA: &str = "awslogs.data";

pub(crate) fn from_subscription(payload: &str) -> Result<Vec<Draft>, NormalizeError> {
    let envelope: Envelope<'_> = parse_at(payload, "")?;
    let json = decode(&envelope.awslogs.data)?;
    check_depth(&json, &format!("{DATA} (decoded)"))?;
    let batch: Batch = parse_at(&json, format!("{DATA} (decoded)"))?;
    match batch.message_type.as_str() {
        // The subscription's reachability check: no alert.
        "CONTROL_MESSAGE" => return Ok(Vec::new()),
        "DATA_MESSAGE" => {}
        other => {
            return Err(NormalizeError::invalid(format!(
                "{DATA} (decoded).messageType must be DATA_MESSAGE or CONTROL_MESSAGE, got {}",
                quote(other)
            )));
        }
    }
    for (field, value) in [
        ("logGroup", &batch.log_group),
        ("logStream", &batch.log_stream),
    ] {
        if value.is_empty() {
            return Err(NormalizeError::missing(&format!(
                "{DATA} (decoded).{field}"
            )));
        }
    }
    let total = batch.log_events.len();
    if total == 0 {
        return Err(NormalizeError::invalid(format!(
            "{DATA} (decoded).logEvents is empty"
        )));
    }
    if total > MAX_LOG_EVENTS {
        return Err(NormalizeError::invalid(format!(
            "{DATA} (decoded).logEvents has {total} events; the limit is {MAX_LOG_EVENTS}"
        )));
    }
    let mut events = Vec::with_capacity(total.min(MAX_LOG_EVENTS_KEPT));
    let mut earliest: Option<Timestamp> = None;
    for (i, raw) in batch.log_events.iter().enumerate() {
        let timestamp = Timestamp::from_epoch_millis(raw.timestamp).ok_or_else(|| {
            NormalizeError::invalid(format!(
                "{DATA} (decoded).logEvents[{i}].timestamp is out of range: {}",
                raw.timestamp
            ))
        })?;
        earliest = Some(earliest.map_or(timestamp, |e| e.min(timestamp)));
        if events.len() < MAX_LOG_EVENTS_KEPT {
            events.push(LogEvent {
                id: raw.id.clone(),
                timestamp,
                message: truncate_chars(raw.message.trim_end(), MAX_LOG_LINE_CHARS),
            });
        }
    }
    let headline = batch
        .log_events
        .iter()
        .map(|e| e.message.trim())
        .find(|m| looks_like_error(m))
        .or_else(|| batch.log_events.first().map(|e| e.message.trim()))
        .unwrap_or_default()
        .to_owned();
    let filters = batch.subscription_filters.join(", ");
    let subject = if filters.is_empty() {
        batch.log_group.clone()
    } else {
        filters.clone()
    };
    let title = format!(
        "{total} log event{} in {}{}",
        if total == 1 { "" } else { "s" },
        batch.log_group,
        if filters.is_empty() {
            String::new()
        } else {
            format!(" ({filters})")
        }
    );
    let first_id = batch
        .log_events
        .first()
        .map(|e| e.id.clone())
        .unwrap_or_default();
    let last_id = batch
        .log_events
        .last()
        .map(|e| e.id.clone())
        .unwrap_or_default();
    let occurred_at = earliest.unwrap_or_else(Timestamp::now);
    Ok(vec![Draft {
        source: SourceKind::CloudwatchLogs,
        account: batch.owner.clone(),
        region: None,
        resource: batch.log_group.clone(),
        service: service_of_log_group(&batch.log_group),
        title,
        message: headline.clone(),
        state: AlertState::Alarm,
        previous_state: None,
        stated_severity: None,
        occurred_at,
        metric: None,
        alarm: None,
        logs: Some(LogEvidence {
            log_group: batch.log_group.clone(),
            log_stream: batch.log_stream.clone(),
            subscription_filters: batch.subscription_filters.clone(),
            total_events: total,
            events,
        }),
        labels: BTreeMap::new(),
        labels_field: "labels",
        runbook: None,
        source_url: None,
        dedup_parts: vec![
            "cloudwatch_logs".to_owned(),
            batch.owner.unwrap_or_default(),
            batch.log_group,
            batch.log_stream,
            first_id,
            last_id,
            total.to_string(),
        ],
        subject,
        template_text: headline,
        raw: raw_copy(payload),
    }])
}

/// base64 → gunzip, never more than [`MAX_DECODED_LOG_BYTES`].
fn decode(data: &str) -> Result<String, NormalizeError> {
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| NormalizeError::invalid(format!("{DATA} is not valid base64: {e}")))?;
    let mut decoder = flate2::read::GzDecoder::new(compressed.as_slice())
        .take(u64::try_from(MAX_DECODED_LOG_BYTES).unwrap_or(u64::MAX) + 1);
    let mut bytes = Vec::new();
    decoder
        .read_to_end(&mut bytes)
        .map_err(|e| NormalizeError::invalid(format!("{DATA} is not valid gzip: {e}")))?;
    if bytes.len() > MAX_DECODED_LOG_BYTES {
        return Err(NormalizeError::invalid(format!(
            "{DATA} decompresses to more than {MAX_DECODED_LOG_BYTES} bytes (the limit)"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        NormalizeError::invalid(format!("{DATA} does not decompress to UTF-8 text: {e}"))
    })
}

/// The service a log group belongs to by AWS's naming conventions:
/// `/aws/lambda/NAME`, `/ecs/NAME`, `/aws/ecs/NAME`, `/aws/apigateway/NAME`.
fn service_of_log_group(group: &str) -> Option<String> {
    ["/aws/lambda/", "/aws/ecs/", "/ecs/", "/aws/apigateway/"]
        .iter()
        .find_map(|prefix| group.strip_prefix(prefix))
        .and_then(|rest| rest.split('/').next())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// Words that mark a log line as the failure rather than its context.
fn looks_like_error(line: &str) -> bool {
    const MARKERS: [&str; 8] = [
        "ERROR",
        "Error",
        "error",
        "FATAL",
        "Exception",
        "exception",
        "Traceback",
        "panicked",
    ];
    MARKERS.iter().any(|m| line.contains(m)) || line.contains("Task timed out")
}
