//! The decisions that are configuration, not code: which channels hear of
//! an incident, how long it waits for approval, what a timeout means, how
//! long an analysis is reused.

use std::collections::BTreeMap;

use responder_core::{Channel, Severity};
use serde::{Deserialize, Serialize};

/// The most log groups one incident's context may read: Logs Insights
/// takes 50 groups per query, and a local read of more is as slow as it
/// is unlikely to help.
pub const MAX_LOG_GROUPS: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// The channels of an incident, by severity.
    pub channels: BTreeMap<Severity, Vec<Channel>>,
    /// How long an incident waits for a decision, by severity.
    pub approval_timeout_seconds: BTreeMap<Severity, u64>,
    /// On approval timeout: `deliver` (marked not reviewed) or `suppress`.
    pub timeout_policy: String,
    /// How long an analysis is reused for the same signature.
    pub cache_ttl_seconds: i64,
    /// How far back the history query looks (90 days by default).
    pub history_days: i64,
    /// The incident window: at least this long before the state change,
    /// and this long after; the baseline is as long, right before.
    pub context_minutes_before: i64,
    pub context_minutes_after: i64,
    /// The tokens the ranked log templates may take.
    pub log_budget_tokens: usize,
    /// The most log groups read for one incident.
    pub max_log_groups: usize,
}

/// [`Channel::default_for`] of every severity: the routing when
/// configuration names none.
pub fn default_channels() -> BTreeMap<Severity, Vec<Channel>> {
    Severity::ALL
        .into_iter()
        .map(|s| (s, Channel::default_for(s)))
        .collect()
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            channels: default_channels(),
            approval_timeout_seconds: BTreeMap::from([
                (Severity::Critical, 900),
                (Severity::High, 1800),
                (Severity::Medium, 3600),
                (Severity::Low, 14_400),
            ]),
            timeout_policy: "deliver".to_owned(),
            cache_ttl_seconds: 6 * 3600,
            history_days: responder_core::context::history::DEFAULT_DAYS,
            context_minutes_before: 60,
            context_minutes_after: 10,
            log_budget_tokens: responder_core::context::logs::DEFAULT_BUDGET_TOKENS,
            max_log_groups: MAX_LOG_GROUPS,
        }
    }
}

impl Policy {
    pub fn channels_for(&self, severity: Severity) -> Vec<Channel> {
        self.channels.get(&severity).cloned().unwrap_or_default()
    }

    /// The windows of `alert` under this policy.
    pub fn windows(&self, alert: &responder_core::Alert) -> responder_core::context::Windows {
        responder_core::context::Windows::of(
            alert,
            responder_core::context::WindowSettings {
                minutes_before: self.context_minutes_before,
                minutes_after: self.context_minutes_after,
            },
        )
    }

    /// Refuses context settings out of their range, naming the setting and
    /// its limits (as `[workflow]` or the functions' variables spell them).
    pub fn check_context(&self) -> Result<(), String> {
        let within = |name: &str, value: i64, low: i64, high: i64| {
            if (low..=high).contains(&value) {
                Ok(())
            } else {
                Err(format!(
                    "{name} is {value}; it must be from {low} to {high}"
                ))
            }
        };
        within(
            "context_minutes_before",
            self.context_minutes_before,
            1,
            24 * 60,
        )?;
        within(
            "context_minutes_after",
            self.context_minutes_after,
            0,
            6 * 60,
        )?;
        within("history_days", self.history_days, 1, 3650)?;
        within(
            "log_budget_tokens",
            i64::try_from(self.log_budget_tokens).unwrap_or(i64::MAX),
            200,
            100_000,
        )?;
        within(
            "max_log_groups",
            i64::try_from(self.max_log_groups).unwrap_or(i64::MAX),
            1,
            MAX_LOG_GROUPS as i64,
        )
    }

    pub fn approval_timeout(&self, severity: Severity) -> u64 {
        self.approval_timeout_seconds
            .get(&severity)
            .copied()
            .unwrap_or(3600)
    }
}
