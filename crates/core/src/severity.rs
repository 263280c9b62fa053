//! Severity, and how an alert's severity is chosen.
//!
//! Order of precedence, first match wins, and the alert records which one:
//! 1. the payload says so: an `alarmTags`/label/tag `severity` (or `priority`),
//!    or the webhook's own `severity` field;
//! 2. a configured [`SeverityRule`];
//! 3. a naming convention in the alarm name or title (`critical`, `p1`, `sev2`, ...);
//! 4. the default: MEDIUM, or LOW for INSUFFICIENT_DATA.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::alert::SourceFamily;

/// How urgent an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Critical, Self::High, Self::Medium, Self::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "CRITICAL",
            Self::High => "HIGH",
            Self::Medium => "MEDIUM",
            Self::Low => "LOW",
        }
    }

    /// Reads the words teams use for severity: our four names, Alertmanager's
    /// `critical`/`warning`/`info`, priorities `P1`..`P5`, `sev1`..`sev4`.
    /// Case and separators (`sev-1`, `SEV_1`) do not matter.
    pub fn parse_loose(text: &str) -> Option<Self> {
        let mut key = String::with_capacity(text.len());
        for c in text.trim().chars() {
            if c.is_ascii_alphanumeric() {
                key.push(c.to_ascii_lowercase());
            }
        }
        Some(match key.as_str() {
            "critical" | "crit" | "fatal" | "emergency" | "page" | "p0" | "p1" | "sev0"
            | "sev1" => Self::Critical,
            "high" | "error" | "major" | "p2" | "sev2" => Self::High,
            "medium" | "moderate" | "warning" | "warn" | "p3" | "sev3" => Self::Medium,
            "low" | "minor" | "info" | "informational" | "none" | "p4" | "p5" | "sev4" | "sev5" => {
                Self::Low
            }
            _ => return None,
        })
    }

    /// The severity a naming convention in `name` implies: a whole word
    /// (between `-`, `_`, `.`, `/`, `:`, spaces or brackets) such as
    /// `critical`, `p1` or `sev2`. Words like `high` or `low` are ignored here
    /// because alarm names use them for the metric (`CpuTooHigh`).
    pub fn from_naming_convention(name: &str) -> Option<(Self, String)> {
        for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
            let lower = word.to_ascii_lowercase();
            let severity = match lower.as_str() {
                "critical" | "crit" | "p0" | "p1" | "sev0" | "sev1" => Self::Critical,
                "major" | "p2" | "sev2" => Self::High,
                "warning" | "warn" | "p3" | "sev3" => Self::Medium,
                "minor" | "info" | "p4" | "p5" | "sev4" | "sev5" => Self::Low,
                _ => continue,
            };
            return Some((severity, lower));
        }
        None
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a severity word nobody uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a severity: use CRITICAL, HIGH, MEDIUM or LOW (or critical/warning/info, P1-P4, sev1-sev4)"
)]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_loose(text).ok_or_else(|| UnknownSeverity(text.chars().take(64).collect()))
    }
}

/// A configured rule: when every condition it names matches, the alert gets
/// `severity`. Conditions left out match anything.
///
/// ```toml
/// [[normalize.severity_rules]]
/// name = "payments-5xx"
/// severity = "CRITICAL"
/// namespace = "AWS/ApiGateway"
/// name_prefix = "payments-"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityRule {
    /// Shown in `severity_reason` when the rule decides.
    pub name: String,
    pub severity: Severity,
    /// The source family (`cloudwatch_alarm`, `cloudwatch_logs`, `webhook`,
    /// `alertmanager`, `grafana`).
    #[serde(default)]
    pub source: Option<SourceFamily>,
    /// The CloudWatch metric namespace, e.g. `AWS/Lambda`.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The CloudWatch metric name, e.g. `Errors`.
    #[serde(default)]
    pub metric: Option<String>,
    /// A prefix of the alarm name, alert name or title.
    #[serde(default)]
    pub name_prefix: Option<String>,
    /// The service the alert belongs to.
    #[serde(default)]
    pub service: Option<String>,
    /// Labels or tags that must all be present with these values.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// What a rule is matched against.
#[derive(Debug, Clone, Copy)]
pub struct RuleSubject<'a> {
    pub family: SourceFamily,
    pub namespace: Option<&'a str>,
    pub metric: Option<&'a str>,
    pub name: &'a str,
    pub service: Option<&'a str>,
    pub labels: &'a BTreeMap<String, String>,
}

impl SeverityRule {
    pub fn matches(&self, subject: &RuleSubject<'_>) -> bool {
        fn same(want: &Option<String>, have: Option<&str>) -> bool {
            want.as_deref().is_none_or(|w| have == Some(w))
        }
        self.source.is_none_or(|s| s == subject.family)
            && same(&self.namespace, subject.namespace)
            && same(&self.metric, subject.metric)
            && same(&self.service, subject.service)
            && self
                .name_prefix
                .as_deref()
                .is_none_or(|p| subject.name.starts_with(p))
            && self
                .labels
                .iter()
                .all(|(k, v)| subject.labels.get(k).is_some_and(|have| have == v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_words_map_to_the_four_levels() {
        assert_eq!(Severity::parse_loose("Sev-1"), Some(Severity::Critical));
        assert_eq!(Severity::parse_loose("warning"), Some(Severity::Medium));
        assert_eq!(Severity::parse_loose("P4"), Some(Severity::Low));
        assert_eq!(Severity::parse_loose("HIGH"), Some(Severity::High));
        assert_eq!(Severity::parse_loose("urgent"), None);
    }

    #[test]
    fn naming_convention_needs_a_whole_word() {
        assert_eq!(
            Severity::from_naming_convention("payments-api-5xx-critical").map(|s| s.0),
            Some(Severity::Critical)
        );
        assert_eq!(Severity::from_naming_convention("ServerCpuTooHigh"), None);
        assert_eq!(Severity::from_naming_convention("criticality-check"), None);
    }

    #[test]
    fn a_rule_matches_only_when_every_condition_holds() {
        let labels = BTreeMap::from([("team".to_owned(), "payments".to_owned())]);
        let subject = RuleSubject {
            family: SourceFamily::CloudwatchAlarm,
            namespace: Some("AWS/ApiGateway"),
            metric: Some("5XXError"),
            name: "payments-api-5xx",
            service: Some("payments-api"),
            labels: &labels,
        };
        let mut rule = SeverityRule {
            name: "payments".into(),
            severity: Severity::Critical,
            source: Some(SourceFamily::CloudwatchAlarm),
            namespace: Some("AWS/ApiGateway".into()),
            metric: None,
            name_prefix: Some("payments-".into()),
            service: None,
            labels: BTreeMap::from([("team".into(), "payments".into())]),
        };
        assert!(rule.matches(&subject));
        rule.namespace = Some("AWS/Lambda".into());
        assert!(!rule.matches(&subject));
    }
}
