//! What each source's parser produces, and the steps every alert shares:
//! limits on text, routing, service, severity, signature and dedup key.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::{self, Display};

use crate::alert::RawPayload;

use super::NormalizeOptions;
use super::error::{NormalizeError, quote};
use crate::alert::{
    AlarmDetails, Alert, AlertState, LogEvidence, MetricDetails, Routing, SourceKind, canonical_key,
};
use crate::limits::{
    MAX_LABEL_KEY_CHARS, MAX_LABEL_VALUE_CHARS, MAX_LABELS, MAX_MESSAGE_CHARS, MAX_TITLE_CHARS,
    truncate_chars, truncate_owned,
};
use crate::severity::{RuleSubject, Severity};
use crate::signature::{DedupKey, SignatureBasis, message_template};
use crate::time::Timestamp;

/// An alert as a source's parser sees it, before the shared steps.
#[derive(Debug)]
pub(crate) struct Draft {
    pub source: SourceKind,
    pub account: Option<String>,
    pub region: Option<String>,
    pub resource: String,
    /// A service the payload names outright (webhook `service`, a label).
    pub service: Option<String>,
    pub title: String,
    pub message: String,
    pub state: AlertState,
    pub previous_state: Option<AlertState>,
    /// A severity the payload states in a dedicated field, with its reason.
    pub stated_severity: Option<(Severity, String)>,
    pub occurred_at: Timestamp,
    pub metric: Option<MetricDetails>,
    pub alarm: Option<AlarmDetails>,
    pub logs: Option<LogEvidence>,
    pub labels: BTreeMap<String, String>,
    /// How the payload calls its labels, for `severity_reason` (`alarmTags`, `labels`, `tags`).
    pub labels_field: &'static str,
    /// A runbook the payload names outside its labels (a `runbook_url` annotation).
    pub runbook: Option<String>,
    pub source_url: Option<String>,
    /// What identifies this state change.
    pub dedup_parts: Vec<String>,
    /// The alarm name, alert name or filter: matched by rules and naming conventions.
    pub subject: String,
    /// The text whose template goes into the signature.
    pub template_text: String,
    pub raw: RawPayload,
}

/// Dimensions whose value names the service, in order of preference.
const SERVICE_DIMENSIONS: &[&str] = &[
    "ServiceName",
    "FunctionName",
    "ApiName",
    "TableName",
    "QueueName",
    "TopicName",
    "StateMachineArn",
    "DBClusterIdentifier",
    "DBInstanceIdentifier",
    "CacheClusterId",
    "DomainName",
    "LoadBalancer",
    "TargetGroup",
    "ClusterName",
    "AutoScalingGroupName",
    "BucketName",
];

impl Draft {
    pub fn finish(self, options: &NormalizeOptions) -> Result<Alert, NormalizeError> {
        let mut routing = Routing::from_labels(&self.labels);
        if routing.runbook.is_none() {
            routing.runbook = self.runbook.clone();
        }
        let service = self
            .service
            .clone()
            .or_else(|| routing.service.clone())
            .or_else(|| self.service_from_dimensions());
        if routing.service.is_none() {
            routing.service = service.clone();
        }
        let (severity, severity_reason) = self.choose_severity(service.as_deref(), options);
        let dedup_key = DedupKey::from_parts(self.dedup_parts.iter().map(String::as_str));
        let mut id = String::with_capacity(26);
        id.push_str("alert-");
        id.push_str(dedup_key.as_str().get(..20).unwrap_or(dedup_key.as_str()));
        let basis = SignatureBasis {
            source: self.source.family().as_str().to_owned(),
            resource: self.resource.clone(),
            subject: self.subject,
            template: message_template(&self.template_text),
        };
        Ok(Alert {
            id,
            source: self.source,
            account: self.account,
            region: self.region,
            resource: self.resource,
            service,
            title: truncate_owned(self.title, MAX_TITLE_CHARS),
            message: truncate_owned(self.message, MAX_MESSAGE_CHARS),
            state: self.state,
            previous_state: self.previous_state,
            severity,
            severity_reason,
            occurred_at: self.occurred_at,
            metric: self.metric,
            alarm: self.alarm,
            logs: self.logs,
            labels: self.labels,
            routing,
            source_url: self.source_url,
            dedup_key,
            signature: basis.signature(),
            signature_basis: basis,
            raw: self.raw,
        })
    }

    fn service_from_dimensions(&self) -> Option<String> {
        let dims = self.metric.as_ref().map(|m| &m.dimensions);
        let attrs = self
            .alarm
            .as_ref()
            .and_then(|a| a.contributor.as_ref())
            .map(|c| &c.attributes);
        SERVICE_DIMENSIONS.iter().find_map(|key| {
            dims.and_then(|d| d.get(*key))
                .or_else(|| attrs.and_then(|a| a.get(*key)))
                .cloned()
        })
    }

    fn choose_severity(
        &self,
        service: Option<&str>,
        options: &NormalizeOptions,
    ) -> (Severity, String) {
        if let Some(stated) = &self.stated_severity {
            return stated.clone();
        }
        for (key, value) in &self.labels {
            if matches!(canonical_key(key).as_str(), "severity" | "priority" | "sev")
                && let Some(severity) = Severity::parse_loose(value)
            {
                return (severity, format!("{}.{key} is {value}", self.labels_field));
            }
        }
        let subject = RuleSubject {
            family: self.source.family(),
            namespace: self.metric.as_ref().and_then(|m| m.namespace.as_deref()),
            metric: self.metric.as_ref().and_then(|m| m.name.as_deref()),
            name: &self.subject,
            service,
            labels: &self.labels,
        };
        if let Some(rule) = options.severity_rules.iter().find(|r| r.matches(&subject)) {
            return (
                rule.severity,
                format!("severity rule '{}' matched", rule.name),
            );
        }
        if let Some((severity, word)) = Severity::from_naming_convention(&self.subject) {
            return (severity, format!("the name contains '{word}'"));
        }
        match self.state {
            AlertState::InsufficientData => (
                Severity::Low,
                "default for INSUFFICIENT_DATA: no severity tag, rule or naming convention"
                    .to_owned(),
            ),
            _ => (
                Severity::Medium,
                "default: no severity tag, rule or naming convention".to_owned(),
            ),
        }
    }
}

/// Checks and copies a label or tag map: at most [`MAX_LABELS`] entries, keys
/// of at most [`MAX_LABEL_KEY_CHARS`], values cut at [`MAX_LABEL_VALUE_CHARS`].
pub(crate) fn labels_from<'a>(
    map: impl IntoIterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
    path: impl Display,
) -> Result<BTreeMap<String, String>, NormalizeError> {
    let mut labels = BTreeMap::new();
    for (key, value) in map {
        if labels.len() == MAX_LABELS {
            return Err(NormalizeError::invalid(format!(
                "{path} has more than {MAX_LABELS} entries (the limit)"
            )));
        }
        if key.chars().count() > MAX_LABEL_KEY_CHARS {
            return Err(NormalizeError::invalid(format!(
                "{path} has a key longer than {MAX_LABEL_KEY_CHARS} characters: {}",
                quote(&key)
            )));
        }
        labels.insert(
            key.into_owned(),
            truncate_chars(&value, MAX_LABEL_VALUE_CHARS),
        );
    }
    Ok(labels)
}

/// Parses a timestamp field, naming it when it is not one.
pub(crate) fn timestamp_at(text: &str, path: impl Display) -> Result<Timestamp, NormalizeError> {
    Timestamp::parse(text).ok_or_else(|| {
        NormalizeError::invalid(format!(
            "{path} is not an RFC 3339 timestamp: {}",
            quote(text)
        ))
    })
}

/// Parses a CloudWatch state value, naming the field when it is unknown.
pub(crate) fn cloudwatch_state_at(
    text: &str,
    path: impl Display,
) -> Result<AlertState, NormalizeError> {
    AlertState::from_cloudwatch(text).ok_or_else(|| {
        NormalizeError::invalid(format!(
            "{path} must be ALARM, OK or INSUFFICIENT_DATA, got {}",
            quote(text)
        ))
    })
}

/// A field's path, written out only when an error names it: `At("detail",
/// ".state.value")`. Formatting every path up front cost more than parsing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'a>(pub &'a str, pub &'a str);

impl Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        f.write_str(self.1)
    }
}
