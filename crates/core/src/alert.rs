//! The normalized alert: one model for every source.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::Error as _;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::severity::Severity;
use crate::signature::{DedupKey, Signature, SignatureBasis};
use crate::time::Timestamp;

/// An alert from any supported source, normalized.
///
/// `dedup_key` identifies one state change (a redelivery has the same key);
/// `signature` identifies the kind of problem (two occurrences of the same
/// failure share it). `raw` keeps the payload the alert came from, untouched,
/// as evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alert {
    /// Stable for a redelivery: derived from `dedup_key`.
    pub id: String,
    pub source: SourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// What is affected: an alarm ARN, a log group, an instance, a service.
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub title: String,
    pub message: String,
    pub state: AlertState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_state: Option<AlertState>,
    pub severity: Severity,
    /// Why this severity: the tag, rule, naming convention or default that decided.
    pub severity_reason: String,
    pub occurred_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm: Option<AlarmDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<LogEvidence>,
    /// Alarm tags, Alertmanager/Grafana labels or webhook tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    pub routing: Routing,
    /// A link the source gave (Alertmanager's `generatorURL`): untrusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    pub dedup_key: DedupKey,
    pub signature: Signature,
    pub signature_basis: SignatureBasis,
    pub raw: RawPayload,
}

/// The payload an alert came from, kept verbatim as evidence and written out
/// as JSON (not as a string) when the alert is serialized.
///
/// Only normalization makes one, from text it has just parsed in full, so the
/// text is not validated a second time there: that second pass was a seventh
/// of the time normalization took. serde_json writes raw JSON only through a
/// `RawValue`, so serializing borrows one (a check, without a copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPayload(Box<str>);

impl RawPayload {
    /// Text that has been parsed as JSON in full.
    pub(crate) fn parsed(json: &str) -> Self {
        debug_assert!(serde_json::from_str::<&RawValue>(json).is_ok());
        Self(json.into())
    }

    /// The payload's JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }
}

impl Serialize for RawPayload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(S::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawPayload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(Self(raw.into()))
    }
}

impl Alert {
    /// Whether this alert reports that a problem is over (OK, resolved).
    pub fn is_recovery(&self) -> bool {
        self.state == AlertState::Ok
    }
}

/// An alert's state, in CloudWatch's words; Alertmanager's `firing` is ALARM
/// and `resolved` is OK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertState {
    Alarm,
    Ok,
    InsufficientData,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alarm => "ALARM",
            Self::Ok => "OK",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// CloudWatch's three values, exactly as CloudWatch writes them.
    pub fn from_cloudwatch(text: &str) -> Option<Self> {
        match text {
            "ALARM" => Some(Self::Alarm),
            "OK" => Some(Self::Ok),
            "INSUFFICIENT_DATA" => Some(Self::InsufficientData),
            _ => None,
        }
    }
}

impl fmt::Display for AlertState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The payload shape an alert arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// EventBridge `CloudWatch Alarm State Change`.
    EventbridgeAlarm,
    /// EventBridge `CloudWatch Alarm Contributor State Change`.
    EventbridgeAlarmContributor,
    /// A CloudWatch alarm notification delivered by SNS.
    SnsAlarm,
    /// The payload an alarm sends when it invokes a Lambda function directly.
    LambdaAlarmAction,
    /// A CloudWatch Logs subscription batch.
    CloudwatchLogs,
    /// The generic webhook applications post.
    Webhook,
    /// A Prometheus Alertmanager webhook (version 4).
    Alertmanager,
    /// A Grafana alerting webhook.
    Grafana,
}

impl SourceKind {
    pub fn family(self) -> SourceFamily {
        match self {
            Self::EventbridgeAlarm
            | Self::EventbridgeAlarmContributor
            | Self::SnsAlarm
            | Self::LambdaAlarmAction => SourceFamily::CloudwatchAlarm,
            Self::CloudwatchLogs => SourceFamily::CloudwatchLogs,
            Self::Webhook => SourceFamily::Webhook,
            Self::Alertmanager => SourceFamily::Alertmanager,
            Self::Grafana => SourceFamily::Grafana,
        }
    }
}

/// What produced an alert, whatever the transport: the same CloudWatch alarm
/// delivered by EventBridge or by SNS is one source and one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFamily {
    CloudwatchAlarm,
    CloudwatchLogs,
    Webhook,
    Alertmanager,
    Grafana,
}

impl SourceFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudwatchAlarm => "cloudwatch_alarm",
            Self::CloudwatchLogs => "cloudwatch_logs",
            Self::Webhook => "webhook",
            Self::Alertmanager => "alertmanager",
            Self::Grafana => "grafana",
        }
    }
}

/// The metric behind an alarm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    /// Absent for anomaly-detection alarms, which compare against a band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<String>,
    /// Seconds; daily alarms use 86400.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    /// The metric-math or Metrics Insights expression, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// The datapoints the alarm evaluated, most recent last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_datapoints: Vec<f64>,
}

/// What kind of CloudWatch alarm fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    Metric,
    MetricMath,
    AnomalyDetection,
    Composite,
    /// A Metrics Insights alarm over many time series.
    MultiTimeSeries,
}

/// CloudWatch alarm details beyond the metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmDetails {
    pub name: String,
    pub arn: String,
    pub kind: AlarmKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A composite alarm's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The child alarms whose change moved a composite alarm.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggering_alarms: Vec<TriggeringAlarm>,
    /// `WaitPeriod`, `ExtensionPeriod` or `Alarm` when a composite alarm's
    /// actions are suppressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_suppressed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_suppressed_reason: Option<String>,
    /// The time series of a multi-time-series alarm that changed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributor: Option<Contributor>,
    /// Set when an alarm mute rule muted the alarm's actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute: Option<MuteDetail>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggeringAlarm {
    pub arn: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<AlertState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contributor {
    pub id: String,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MuteDetail {
    pub muted_by_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_start: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_end: Option<Timestamp>,
}

/// Log events that came with the alert (CloudWatch Logs subscriptions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEvidence {
    pub log_group: String,
    pub log_stream: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscription_filters: Vec<String>,
    /// How many events the batch held; at most `limits::MAX_LOG_EVENTS_KEPT` are kept.
    pub total_events: usize,
    pub events: Vec<LogEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEvent {
    pub id: String,
    pub timestamp: Timestamp,
    pub message: String,
}

/// Where an alert should go, from its tags or labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira_project: Option<String>,
}

impl Routing {
    /// Reads routing from tags: `team`, `service`, `runbook` (or `runbook_url`),
    /// `jira_project` (or `jira-project`, `JiraProject`). Keys match without
    /// regard to case, `-` or `_`.
    pub fn from_labels(labels: &BTreeMap<String, String>) -> Self {
        let mut routing = Self::default();
        for (key, value) in labels {
            let slot = match canonical_key(key).as_str() {
                "team" | "owner" | "ownerteam" => &mut routing.team,
                "service" | "app" | "application" => &mut routing.service,
                "runbook" | "runbookurl" | "playbook" => &mut routing.runbook,
                "jiraproject" | "jira" | "jiraprojectkey" => &mut routing.jira_project,
                _ => continue,
            };
            if slot.is_none() && !value.trim().is_empty() {
                *slot = Some(value.trim().to_owned());
            }
        }
        routing
    }
}

/// Lowercase, without `-`, `_`, `.` or spaces: `Jira-Project` → `jiraproject`.
pub(crate) fn canonical_key(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_reads_tags_whatever_their_spelling() {
        let labels = BTreeMap::from([
            ("Team".to_owned(), "payments".to_owned()),
            ("jira-project".to_owned(), "PAY".to_owned()),
            (
                "runbook_url".to_owned(),
                "https://wiki/runbooks/checkout".to_owned(),
            ),
            ("Service".to_owned(), "checkout-api".to_owned()),
        ]);
        let routing = Routing::from_labels(&labels);
        assert_eq!(routing.team.as_deref(), Some("payments"));
        assert_eq!(routing.jira_project.as_deref(), Some("PAY"));
        assert_eq!(
            routing.runbook.as_deref(),
            Some("https://wiki/runbooks/checkout")
        );
        assert_eq!(routing.service.as_deref(), Some("checkout-api"));
    }

    #[test]
    fn every_transport_of_a_cloudwatch_alarm_is_one_family() {
        for kind in [
            SourceKind::EventbridgeAlarm,
            SourceKind::EventbridgeAlarmContributor,
            SourceKind::SnsAlarm,
            SourceKind::LambdaAlarmAction,
        ] {
            assert_eq!(kind.family(), SourceFamily::CloudwatchAlarm);
        }
    }
}
