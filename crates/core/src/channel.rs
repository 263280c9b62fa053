//! The channels an incident is delivered to. The set is ours, so it is a
//! closed enum: every place that must handle a channel (a renderer, a
//! sender in each backend, the delivery budget) matches on it without a
//! wildcard, and adding a channel fails to compile until each is written.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// A Block Kit message (a bot token or an incoming webhook).
    Slack,
    /// A Jira Cloud issue, commented on later.
    Jira,
    /// An e-mail (SMTP locally, SES in AWS).
    Email,
}

impl Channel {
    /// Every channel, in the order people read them.
    pub const ALL: [Self; 3] = [Self::Slack, Self::Jira, Self::Email];

    /// The names of [`Channel::ALL`], as configuration and tools spell them.
    pub const NAMES: [&'static str; 3] = ["slack", "jira", "email"];

    /// The names as a sentence lists them: `slack, jira or email`.
    pub fn names_listed() -> String {
        match Self::NAMES.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Jira => "jira",
            Self::Email => "email",
        }
    }

    /// Where an incident of `severity` goes unless configuration says
    /// otherwise: everything critical everywhere; Jira from high; e-mail
    /// only for critical.
    pub fn default_for(severity: Severity) -> Vec<Self> {
        match severity {
            Severity::Critical => vec![Self::Slack, Self::Jira, Self::Email],
            Severity::High => vec![Self::Slack, Self::Jira],
            Severity::Medium | Severity::Low => vec![Self::Slack],
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a channel's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChannel(pub String);

impl fmt::Display for UnknownChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The name may come from a request: shown escaped, at most 64 chars.
        let shown: String = self.0.chars().take(64).collect();
        write!(
            f,
            "no channel named '{}'; expected {}",
            shown.escape_debug(),
            Channel::names_listed()
        )
    }
}

impl std::error::Error for UnknownChannel {}

impl FromStr for Channel {
    type Err = UnknownChannel;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| UnknownChannel(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_variants_agree_both_ways() {
        for (channel, name) in Channel::ALL.into_iter().zip(Channel::NAMES) {
            assert_eq!(channel.as_str(), name);
            assert_eq!(name.parse::<Channel>(), Ok(channel));
            assert_eq!(serde_json::to_value(channel).ok(), Some(name.into()));
        }
    }

    #[test]
    fn an_unknown_name_is_refused_naming_it_and_the_known_ones() {
        let error = "pagerduty\n"
            .parse::<Channel>()
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("no channel named 'pagerduty\\n'; expected slack, jira or email")
        );
        assert!(serde_json::from_str::<Channel>("\"Slack\"").is_err());
    }

    #[test]
    fn the_default_routing_widens_with_severity() {
        assert_eq!(Channel::default_for(Severity::Low), [Channel::Slack]);
        assert_eq!(
            Channel::default_for(Severity::Critical),
            Channel::ALL.to_vec()
        );
    }
}
