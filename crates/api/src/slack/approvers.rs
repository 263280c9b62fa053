//! Who may press Approve and Reject in Slack: user ids (`U…`) and user-group
//! ids (`S…`), optionally by severity. A press by anyone else is refused,
//! with an ephemeral reply that says why, and audited.
//!
//! Without a list, nobody decides in Slack: a workspace is wider than the
//! people who may send an incident to the company's channels.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use responder_core::Severity;
use serde::Deserialize;

/// How long a user group's members are remembered.
const GROUP_CACHE: Duration = Duration::from_secs(300);

/// `[api.slack_approvers]` (locally) or `SLACK_APPROVERS` (in AWS, as JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackApprovers {
    /// Slack user ids that may decide.
    pub users: Vec<String>,
    /// Slack user-group ids whose members may decide (needs a bot token
    /// with `usergroups:read`).
    pub groups: Vec<String>,
    /// For incidents of one severity (`CRITICAL`, `HIGH`, ...), who may
    /// decide instead of the lists above.
    pub severity: BTreeMap<Severity, ApproverList>,
}

/// Users and user groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApproverList {
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

impl SlackApprovers {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.groups.is_empty()
            && self.severity.values().all(ApproverList::is_empty)
    }

    /// Whether any list names a user group (then a bot token is needed).
    pub fn uses_groups(&self) -> bool {
        !self.groups.is_empty() || self.severity.values().any(|l| !l.groups.is_empty())
    }

    fn list_for(&self, severity: Severity) -> ApproverList {
        self.severity
            .get(&severity)
            .cloned()
            .unwrap_or_else(|| ApproverList {
                users: self.users.clone(),
                groups: self.groups.clone(),
            })
    }
}

impl ApproverList {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}

/// The future of a user-group lookup.
pub type MembersFuture = Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send>>;

/// The members of a Slack user group (`usergroups.users.list`).
pub type GroupMembers = Arc<dyn Fn(String) -> MembersFuture + Send + Sync>;

/// Group members read, by group id, with when they were read.
type MemberCache = Arc<Mutex<HashMap<String, (Instant, Vec<String>)>>>;

/// Checks presses against the lists, remembering group members a while.
#[derive(Clone)]
pub struct ApproverCheck {
    approvers: SlackApprovers,
    members: Option<GroupMembers>,
    cache: MemberCache,
}

impl std::fmt::Debug for ApproverCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApproverCheck")
            .field("approvers", &self.approvers)
            .field("resolves_groups", &self.members.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ApproverCheck {
    /// Nobody may decide in Slack.
    fn default() -> Self {
        Self::new(SlackApprovers::default(), None)
    }
}

impl ApproverCheck {
    pub fn new(approvers: SlackApprovers, members: Option<GroupMembers>) -> Self {
        Self {
            approvers,
            members,
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// `Ok` if `user` may decide on an incident of `severity`; otherwise the
    /// reason, as the person who pressed will read it.
    pub async fn check(&self, user: &str, severity: Severity) -> Result<(), String> {
        if self.approvers.is_empty() {
            return Err(
                "No one may decide in Slack here: no approvers are configured \
                        (api.slack_approvers). Decide in the console or through the API."
                    .to_owned(),
            );
        }
        let list = self.approvers.list_for(severity);
        if list.users.iter().any(|u| u == user) {
            return Ok(());
        }
        for group in &list.groups {
            if self.members_of(group).await?.iter().any(|u| u == user) {
                return Ok(());
            }
        }
        Err(format!(
            "You are not an approver for {} incidents here; ask one of the approvers.",
            severity.as_str()
        ))
    }

    async fn members_of(&self, group: &str) -> Result<Vec<String>, String> {
        let cached = self.cache.lock().ok().and_then(|c| c.get(group).cloned());
        if let Some((at, members)) = cached
            && at.elapsed() < GROUP_CACHE
        {
            return Ok(members);
        }
        let Some(lookup) = &self.members else {
            return Err("The approver groups cannot be read: no Slack bot token.".to_owned());
        };
        let members = lookup(group.to_owned())
            .await
            .map_err(|e| format!("The approver group {group} could not be read: {e}"))?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(group.to_owned(), (Instant::now(), members.clone()));
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(approvers: SlackApprovers) -> ApproverCheck {
        let members: GroupMembers = Arc::new(|group: String| {
            Box::pin(async move {
                match group.as_str() {
                    "S0ONCALL" => Ok(vec!["U0BOB".to_owned()]),
                    _ => Err("usergroup_not_found".to_owned()),
                }
            })
        });
        ApproverCheck::new(approvers, Some(members))
    }

    #[tokio::test]
    async fn without_a_list_nobody_decides_in_slack() {
        let refused = check(SlackApprovers::default())
            .check("U0ALICE", Severity::Low)
            .await
            .unwrap_err();
        assert!(refused.contains("no approvers are configured"), "{refused}");
    }

    #[tokio::test]
    async fn listed_users_and_group_members_decide_others_do_not() {
        let approvers = SlackApprovers {
            users: vec!["U0ALICE".to_owned()],
            groups: vec!["S0ONCALL".to_owned()],
            ..Default::default()
        };
        let check = check(approvers);
        check.check("U0ALICE", Severity::High).await.unwrap();
        check.check("U0BOB", Severity::High).await.unwrap();
        let refused = check.check("U0MALLORY", Severity::High).await.unwrap_err();
        assert!(refused.contains("not an approver for HIGH"), "{refused}");
    }

    #[tokio::test]
    async fn a_severity_list_replaces_the_general_one() {
        let approvers: SlackApprovers = serde_json::from_value(serde_json::json!({
            "users": ["U0ALICE"],
            "severity": { "CRITICAL": { "users": ["U0CTO"] } }
        }))
        .unwrap();
        let check = check(approvers);
        check.check("U0CTO", Severity::Critical).await.unwrap();
        assert!(check.check("U0ALICE", Severity::Critical).await.is_err());
        check.check("U0ALICE", Severity::Medium).await.unwrap();
    }
}
