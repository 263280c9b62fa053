//! The three branches of `GatherContext`: QueryHistory, QueryLogs and
//! QueryChanges. Each reads through its port and hands the reading to the
//! core (`responder_core::context`), which decides what matters, the same
//! way for every backend. `available: true` tells the analyzer a part is
//! real; the ASL's Catch stands in `available: false` when a branch fails.

use chrono::Duration;
use responder_core::context::{self, GroupInput, Subject};
use responder_core::json::set;
use serde_json::{Value, json};

use super::{AlertInput, rfc3339, to_value};
use crate::error::Result;
use crate::policy::Policy;
use crate::ports::{Changes, History, HistoryQuery, LogSource};

/// QueryHistory: past incidents like this one over the policy's window,
/// each saying why (same alarm and problem, same metric of the resource,
/// same resource, same service).
pub async fn query_history<H: History>(
    history: &H,
    policy: &Policy,
    input: &AlertInput,
) -> Result<Value> {
    let alert = &input.alert;
    let at = alert.occurred_at.as_datetime();
    let query = HistoryQuery {
        signature: alert.signature.as_str().to_owned(),
        resource: alert.resource.clone(),
        resource_parts: Subject::of(alert).resource,
        service: alert.service.clone(),
        since: rfc3339(at - Duration::days(policy.history_days)),
    };
    let rows = history.candidates(&query).await?;
    let found = context::history::select(alert, rows, policy.history_days);
    let mut value = to_value(&found)?;
    set(&mut value, "available", json!(true));
    Ok(value)
}

/// QueryLogs: the resources around the alert and their log groups; every
/// event of those groups in the incident and baseline windows, mined into
/// ranked templates within the policy's budget.
pub async fn query_logs<L: LogSource>(
    logs: &L,
    policy: &Policy,
    input: &AlertInput,
) -> Result<Value> {
    let alert = &input.alert;
    let windows = policy.windows(alert);
    let mut topology = logs.discover(alert).await?;
    topology
        .log_groups
        .sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.name.cmp(&b.name)));
    topology.log_groups.truncate(policy.max_log_groups);
    let names: Vec<String> = topology.log_groups.iter().map(|g| g.name.clone()).collect();
    let read = logs.read(&names, &windows).await?;
    let inputs: Vec<GroupInput<'_>> = read
        .iter()
        .map(|(name, events)| {
            let related = topology.log_groups.iter().find(|g| &g.name == name);
            GroupInput {
                name,
                relation: related.map_or(0.3, |g| g.weight),
                why: related.map_or("", |g| g.relation.as_str()),
                events,
            }
        })
        .collect();
    let mut mined = context::logs::mine(
        &inputs,
        &windows,
        &topology.names(),
        policy.log_budget_tokens,
    );
    mined.topology = topology;
    let mut value = to_value(&mined)?;
    set(&mut value, "available", json!(true));
    Ok(value)
}

/// QueryChanges: writes recorded in the incident's windows (CloudTrail),
/// the ones naming the alarmed resource or its service first.
pub async fn query_changes<C: Changes>(
    changes: &C,
    policy: &Policy,
    input: &AlertInput,
) -> Result<Value> {
    let alert = &input.alert;
    let windows = policy.windows(alert);
    let events = changes.lookup(windows.read_span()).await?;
    let names = context::topology::of_alert(alert).names();
    let selected = context::changes::select(events, &windows, &names);
    let mut value = to_value(&selected)?;
    set(&mut value, "available", json!(true));
    Ok(value)
}
