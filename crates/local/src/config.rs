//! Settings of the local workflow (the `[workflow]` table of
//! `responder.toml`). The defaults need no editing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use responder_core::{Channel, Severity};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowConfig {
    /// The log groups: one folder per group (`/aws/lambda/checkout` →
    /// `<logs_dir>/aws/lambda/checkout/`) holding its files, or one file per
    /// group at the top with `__` for `/` (`aws__lambda__checkout.log`).
    /// Every group found is weighed against the alert (see
    /// `responder_core::context::topology::weigh_group`).
    pub logs_dir: PathBuf,
    /// Log groups that belong to an alarm or service, by its name, besides
    /// those from its tags and namespace conventions:
    /// `checkout-api-errors = ["/ecs/checkout"]`.
    pub log_groups: BTreeMap<String, Vec<String>>,
    /// The incident window: at least this many minutes before the alarm's
    /// state change (longer if the alarm evaluates over longer), and
    /// `context_minutes_after` after; the baseline is as long, right before.
    #[serde(alias = "log_window_minutes")]
    pub context_minutes_before: i64,
    pub context_minutes_after: i64,
    /// The tokens the ranked log templates may take in an analyzer's input.
    pub log_budget_tokens: usize,
    /// The most log groups read for one incident (the best related first).
    pub max_log_groups: usize,
    /// How far back past incidents are looked for.
    pub history_days: i64,
    /// Management events (CloudTrail records, JSON lines, as `aws cloudtrail
    /// lookup-events` or a trail delivers them) read as "what changed";
    /// `changes.jsonl` in the data directory when not set.
    pub changes_file: Option<PathBuf>,
    /// How long an analysis is reused for the same signature.
    pub cache_ttl_seconds: i64,
    /// How long an incident waits for a decision, by severity.
    pub approval_timeout_seconds: BTreeMap<Severity, u64>,
    /// On timeout: `deliver` (marked not reviewed) or `suppress`.
    pub timeout_policy: String,
    /// The channels of an incident, by severity.
    pub channels: BTreeMap<Severity, Vec<responder_core::Channel>>,
    /// Past incidents (JSON lines, the archive's columns) loaded into the
    /// history archive when the database opens; loading twice changes nothing.
    pub history_seed: Option<PathBuf>,
    /// `[workflow.faults]`: failures injected into the local backends (tests,
    /// drills). Off by default.
    pub faults: crate::faults::Faults,
    /// `[workflow.analyzer]`: the built-in rules, or an OpenAI-compatible model.
    pub analyzer: crate::openai::AnalyzerConfig,
    /// `[workflow.email]`: an SMTP relay for e-mails (the outbox keeps a copy).
    pub email: crate::smtp::EmailConfig,
    /// `[workflow.slack]`: a bot token and channel, or an incoming webhook
    /// (the outbox keeps a copy).
    pub slack: responder_notify::slack::SlackConfig,
    /// Set from `[workflow.slack]`'s variables when the configuration is
    /// read (never from the file).
    #[serde(skip)]
    pub slack_target: Option<responder_notify::slack::SlackTarget>,
    /// `[workflow.jira]`: a Jira Cloud site, account and project (the outbox
    /// keeps a copy).
    pub jira: responder_notify::jira::JiraConfig,
    /// Set from `[workflow.jira]` and its token's variable.
    #[serde(skip)]
    pub jira_target: Option<responder_notify::jira::JiraTarget>,
    /// Set from `[api] public_url` and `[api] link_secret_env` (never from
    /// this table): approval requests are then also e-mailed, with signed
    /// Approve and Reject links to `responder serve`.
    #[serde(skip)]
    pub approval_links: Option<ApprovalLinks>,
}

/// Where e-mail approval links point, and the key they are signed with.
#[derive(Clone, PartialEq)]
pub struct ApprovalLinks {
    /// `http://127.0.0.1:8080`: the links are `<base>/approvals/<token>`.
    pub base_url: String,
    pub key: Vec<u8>,
    /// How long a link stays valid.
    pub valid_seconds: i64,
}

/// The key stays out of debug output.
impl std::fmt::Debug for ApprovalLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalLinks")
            .field("base_url", &self.base_url)
            .field("key", &"<redacted>")
            .field("valid_seconds", &self.valid_seconds)
            .finish()
    }
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        Self {
            logs_dir: PathBuf::from("logs"),
            log_groups: BTreeMap::new(),
            context_minutes_before: 60,
            context_minutes_after: 10,
            log_budget_tokens: responder_core::context::logs::DEFAULT_BUDGET_TOKENS,
            max_log_groups: 50,
            history_days: responder_core::context::history::DEFAULT_DAYS,
            changes_file: None,
            cache_ttl_seconds: 6 * 3600,
            approval_timeout_seconds: BTreeMap::from([
                (Severity::Critical, 900),
                (Severity::High, 1800),
                (Severity::Medium, 3600),
                (Severity::Low, 14_400),
            ]),
            timeout_policy: "deliver".to_owned(),
            channels: responder_workflow::policy::default_channels(),
            history_seed: None,
            analyzer: crate::openai::AnalyzerConfig::default(),
            email: crate::smtp::EmailConfig::default(),
            faults: crate::faults::Faults::default(),
            slack: responder_notify::slack::SlackConfig::default(),
            slack_target: None,
            jira: responder_notify::jira::JiraConfig::default(),
            jira_target: None,
            approval_links: None,
        }
    }
}

impl WorkflowConfig {
    /// The setting that bounds one call to `channel`, and its value.
    fn channel_timeout(&self, channel: Channel) -> (&'static str, u64) {
        match channel {
            Channel::Slack => ("workflow.slack.timeout_seconds", self.slack.timeout_seconds),
            Channel::Jira => ("workflow.jira.timeout_seconds", self.jira.timeout_seconds),
            Channel::Email => ("workflow.email.timeout_seconds", self.email.timeout_seconds),
        }
    }

    /// Checks that each task's calls, at their configured timeouts, fit in
    /// the task's budget (`responder_workflow::budget`): a delivery to
    /// Slack, Jira or a relay, and a model's answer. Names the setting.
    pub fn check_budgets(&self) -> Result<(), String> {
        use responder_workflow::budget::{delivery_calls, fits};
        let seconds = std::time::Duration::from_secs;
        for channel in Channel::ALL {
            let (setting, timeout) = self.channel_timeout(channel);
            fits(
                "Deliver",
                setting,
                delivery_calls(channel),
                seconds(timeout),
            )?;
        }
        if self.analyzer.uses_model() {
            fits(
                "Analyze",
                "workflow.analyzer.timeout_seconds",
                1,
                seconds(self.analyzer.timeout_seconds),
            )?;
        }
        Ok(())
    }

    /// The routing and timing decisions the workflow's steps take.
    pub fn policy(&self) -> responder_workflow::Policy {
        responder_workflow::Policy {
            channels: self.channels.clone(),
            approval_timeout_seconds: self.approval_timeout_seconds.clone(),
            timeout_policy: self.timeout_policy.clone(),
            cache_ttl_seconds: self.cache_ttl_seconds,
            history_days: self.history_days,
            context_minutes_before: self.context_minutes_before,
            context_minutes_after: self.context_minutes_after,
            log_budget_tokens: self.log_budget_tokens,
            max_log_groups: self.max_log_groups,
        }
    }
}
