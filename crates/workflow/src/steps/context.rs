use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{AlertInput, rfc3339, to_value};
use crate::error::Result;
use crate::policy::Policy;
use crate::ports::{History, HistoryQuery, LogSource};

/// QueryHistory: past incidents of the alert's signature and resource over
/// the policy's window. `available: true` tells the analyzer it is real;
/// the ASL's Catch stands in `available: false` when this step fails.
pub async fn query_history<H: History>(
    history: &H,
    policy: &Policy,
    input: &AlertInput,
) -> Result<Value> {
    let alert = &input.alert;
    let at = DateTime::parse_from_rfc3339(&alert.occurred_at.to_string())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let query = HistoryQuery {
        signature: alert.signature.as_str().to_owned(),
        resource: alert.resource.clone(),
        since: rfc3339(at - Duration::days(policy.history_days)),
    };
    let summary = history.summary(&query).await?;
    let mut value = to_value(&summary)?;
    value["available"] = json!(true);
    Ok(value)
}

/// QueryLogs: error lines around the alert, from its log groups.
pub async fn query_logs<L: LogSource>(logs: &L, input: &AlertInput) -> Result<Value> {
    let context = logs.context(&input.alert).await?;
    let mut value = to_value(&context)?;
    value["available"] = json!(true);
    Ok(value)
}
