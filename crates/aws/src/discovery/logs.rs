//! CloudWatch Logs itself: groups under a prefix (RDS exports, configured
//! prefixes, agent groups), groups whose names hold the alarmed resource's
//! names, and, last, which of the chosen groups exist: Logs Insights fails
//! a whole query naming a group that does not.

use std::collections::HashSet;

use responder_core::Alert;
use responder_core::context::topology::weigh_group;
use responder_workflow::policy::MAX_LOG_GROUPS;

use super::Clients;
use super::session::{Missed, Phase, Session};

/// Groups taken under one prefix (one page).
const GROUPS_PER_PREFIX: i32 = 50;
/// Names of the alarmed resource searched for among the account's groups,
/// and groups taken per name.
const SEARCHED_NAMES: usize = 3;
const GROUPS_PER_NAME: i32 = 20;
/// `DescribeLogGroups` takes at most 50 `logGroupIdentifiers`.
const IDENTIFIERS_PER_CALL: usize = 50;
/// Dimensions whose values are not resource names (`prod`, `POST`, `/orders`).
const GENERIC_DIMENSIONS: [&str; 5] = [
    "Stage",
    "Method",
    "Resource",
    "Operation",
    "ExecutedVersion",
];

/// The groups whose names start with `prefix`, at most a page; they exist.
pub async fn under_prefix(
    clients: &Clients,
    session: &mut Session,
    prefix: &str,
) -> Result<Vec<String>, Missed> {
    let out = session
        .call(
            Phase::Explore,
            "DescribeLogGroups",
            clients
                .logs
                .describe_log_groups()
                .log_group_name_prefix(prefix)
                .limit(GROUPS_PER_PREFIX)
                .send(),
        )
        .await?;
    let names: Vec<String> = out
        .log_groups()
        .iter()
        .filter_map(|g| g.log_group_name().map(str::to_owned))
        .collect();
    for name in &names {
        session.mark_existing(name);
    }
    Ok(names)
}

/// The configured prefixes (`LOG_GROUP_PREFIXES`): their groups, weighed
/// as a name match would be, else as groups the operators pointed at.
pub async fn configured_prefixes(
    clients: &Clients,
    session: &mut Session,
    prefixes: &[String],
    namespace: &str,
) {
    for prefix in prefixes {
        match under_prefix(clients, session, prefix).await {
            Ok(groups) => {
                for group in groups {
                    let weighed = weigh_group(session.topology(), namespace, &group);
                    // weigh_group's last resort speaks of the local folder.
                    let relation = if weighed.weight < 0.5 {
                        format!("under the configured prefix {prefix}")
                    } else {
                        weighed.relation
                    };
                    session.add_group(&group, relation, weighed.weight.max(0.4), true);
                }
            }
            Err(missed) => session.note("log group prefix", prefix, "its groups", &missed),
        }
    }
}

/// Groups whose names hold one of the alarmed resource's names (any case),
/// weighed by `weigh_group`: the resources its dimensions name first, then
/// its service, then the alarm's own name. Dimensions that name no resource
/// (`Stage`, `Method`, ...) and names with `/`, `:` or spaces, or under
/// four characters, match too much to search for.
pub async fn named_like(clients: &Clients, session: &mut Session, alert: &Alert, namespace: &str) {
    let dimensions = alert.metric.as_ref().map(|m| &m.dimensions);
    let generic: HashSet<&str> = dimensions
        .into_iter()
        .flatten()
        .filter(|(key, _)| GENERIC_DIMENSIONS.contains(&key.as_str()))
        .map(|(_, value)| value.as_str())
        .collect();
    let topology = session.topology();
    let alarmed = topology
        .resources
        .iter()
        .filter(|r| r.relation.starts_with("alarmed"))
        .map(|r| r.name.as_str());
    let mut seen = HashSet::new();
    let names: Vec<String> = alarmed
        .chain(topology.service.as_deref())
        .chain(alert.alarm.as_ref().map(|a| a.name.as_str()))
        .chain(topology.alarmed.iter().map(String::as_str))
        .filter(|n| n.len() >= 4 && !n.contains(['/', ':', ' ']) && !generic.contains(n))
        .filter(|n| seen.insert(n.to_ascii_lowercase()))
        .take(SEARCHED_NAMES)
        .map(str::to_owned)
        .collect();
    for name in names {
        let found = session
            .call(
                Phase::Explore,
                "DescribeLogGroups",
                clients
                    .logs
                    .describe_log_groups()
                    .log_group_name_pattern(&name)
                    .limit(GROUPS_PER_NAME)
                    .send(),
            )
            .await;
        match found {
            Ok(out) => {
                for group in out.log_groups().iter().filter_map(|g| g.log_group_name()) {
                    let weighed = weigh_group(session.topology(), namespace, group);
                    session.add_group(group, weighed.relation, weighed.weight, true);
                }
            }
            Err(missed) => session.note("log group search", &name, "groups named like it", &missed),
        }
    }
}

/// Drops the groups, among those the workflow will read, that do not
/// exist; up to two rounds, since each drop lets a lower group in. A check
/// that cannot be made keeps the groups as they are.
pub async fn keep_existing(clients: &Clients, session: &mut Session) {
    loop {
        session.sort_groups();
        let unchecked: Vec<String> = session
            .topology()
            .log_groups
            .iter()
            .take(MAX_LOG_GROUPS)
            .filter(|g| !session.exists(&g.name))
            .map(|g| g.name.clone())
            .take(IDENTIFIERS_PER_CALL)
            .collect();
        if unchecked.is_empty() {
            return;
        }
        let found = session
            .call(
                Phase::Verify,
                "DescribeLogGroups",
                clients
                    .logs
                    .describe_log_groups()
                    .set_log_group_identifiers(Some(unchecked.clone()))
                    .send(),
            )
            .await;
        let out = match found {
            Ok(out) => out,
            Err(missed) => {
                tracing::warn!(groups = unchecked.len(), reason = %missed, "Log groups kept unchecked.");
                return;
            }
        };
        for group in out.log_groups().iter().filter_map(|g| g.log_group_name()) {
            session.mark_existing(group);
        }
        let missing: HashSet<String> = unchecked
            .into_iter()
            .filter(|g| !session.exists(g))
            .collect();
        if !missing.is_empty() {
            tracing::info!(missing = ?missing, "Log groups that do not exist left out.");
        }
        session.drop_groups(&missing);
    }
}
