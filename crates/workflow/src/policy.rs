//! The decisions that are configuration, not code: which channels hear of
//! an incident, how long it waits for approval, what a timeout means, how
//! long an analysis is reused.

use std::collections::BTreeMap;

use responder_core::Severity;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// The channels of an incident, by severity.
    pub channels: BTreeMap<Severity, Vec<String>>,
    /// How long an incident waits for a decision, by severity.
    pub approval_timeout_seconds: BTreeMap<Severity, u64>,
    /// On approval timeout: `deliver` (marked not reviewed) or `suppress`.
    pub timeout_policy: String,
    /// How long an analysis is reused for the same signature.
    pub cache_ttl_seconds: i64,
    /// How far back the history query looks.
    pub history_days: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            channels: BTreeMap::from([
                (
                    Severity::Critical,
                    vec!["slack".into(), "jira".into(), "email".into()],
                ),
                (Severity::High, vec!["slack".into(), "jira".into()]),
                (Severity::Medium, vec!["slack".into()]),
                (Severity::Low, vec!["slack".into()]),
            ]),
            approval_timeout_seconds: BTreeMap::from([
                (Severity::Critical, 900),
                (Severity::High, 1800),
                (Severity::Medium, 3600),
                (Severity::Low, 14_400),
            ]),
            timeout_policy: "deliver".to_owned(),
            cache_ttl_seconds: 6 * 3600,
            history_days: 30,
        }
    }
}

impl Policy {
    pub fn channels_for(&self, severity: Severity) -> Vec<String> {
        self.channels.get(&severity).cloned().unwrap_or_default()
    }

    pub fn approval_timeout(&self, severity: Severity) -> u64 {
        self.approval_timeout_seconds
            .get(&severity)
            .copied()
            .unwrap_or(3600)
    }
}
