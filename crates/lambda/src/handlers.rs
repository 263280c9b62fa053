//! One handler per function: the step, then its metrics.

use std::time::Instant;

use chrono::Utc;
use responder_aws::metrics::MetricSet;
use responder_core::NormalizeOptions;
use responder_workflow::ports::{
    AnalysisCache, Analyzer, AnalyzerId, Approvals, Archive, Changes, History, Idempotency,
    IncidentStore, LogSource, Notifier,
};
use responder_workflow::steps::{self, AlertInput};
use responder_workflow::{Error, Policy, Result};
use serde_json::Value;

fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// NormalizeAlert: the payload in (the state passes `{"payload": ...}`).
pub fn normalize_alert(options: &NormalizeOptions, input: &Value) -> Result<Value> {
    let payload = input
        .get("payload")
        .filter(|v| !v.is_null())
        .ok_or_else(|| Error::invalid_input("the task input has no 'payload'"))?;
    let result = steps::normalize_alert(options, &payload.to_string());
    match &result {
        Ok(out) => {
            for alert in out["alerts"].as_array().into_iter().flatten() {
                MetricSet::new()
                    .dimension("Source", alert["source"].as_str().unwrap_or("unknown"))
                    .metric("AlertsNormalized", 1.0, "Count")
                    .emit();
            }
        }
        Err(e) => MetricSet::new()
            .dimension("Error", e.name().as_str())
            .metric("PayloadsRejected", 1.0, "Count")
            .emit(),
    }
    result
}

pub async fn register_alert<S: IncidentStore>(
    store: &S,
    policy: &Policy,
    input: &Value,
) -> Result<Value> {
    let input: steps::RegisterInput = steps::parse(input)?;
    let out = steps::register_alert(store, policy, &input, Utc::now()).await?;
    MetricSet::new()
        .dimension("Source", &source_name(&input.alert))
        .dimension(
            "Disposition",
            out.get("decision")
                .and_then(Value::as_str)
                .unwrap_or("unknown"),
        )
        .metric("AlertsProcessed", 1.0, "Count")
        .emit();
    Ok(out)
}

pub async fn query_history<H: History>(
    history: &H,
    policy: &Policy,
    input: &Value,
) -> Result<Value> {
    let input: AlertInput = steps::parse(input)?;
    let started = Instant::now();
    let out = steps::query_history(history, policy, &input).await?;
    MetricSet::new()
        .dimension("Query", "history")
        .metric("QueryLatency", millis(started), "Milliseconds")
        .emit();
    Ok(out)
}

pub async fn query_logs<L: LogSource>(logs: &L, policy: &Policy, input: &Value) -> Result<Value> {
    let input: AlertInput = steps::parse(input)?;
    let started = Instant::now();
    let out = steps::query_logs(logs, policy, &input).await?;
    MetricSet::new()
        .dimension("Query", "logs")
        .metric("QueryLatency", millis(started), "Milliseconds")
        .metric("LogTemplates", count(&out, "templates"), "Count")
        .metric(
            "LogContextTokens",
            out.get("tokens").and_then(Value::as_f64).unwrap_or(0.0),
            "Count",
        )
        .emit();
    Ok(out)
}

pub async fn query_changes<C: Changes>(
    changes: &C,
    policy: &Policy,
    input: &Value,
) -> Result<Value> {
    let input: AlertInput = steps::parse(input)?;
    let started = Instant::now();
    let out = steps::query_changes(changes, policy, &input).await?;
    MetricSet::new()
        .dimension("Query", "changes")
        .metric("QueryLatency", millis(started), "Milliseconds")
        .metric("Changes", count(&out, "events"), "Count")
        .emit();
    Ok(out)
}

/// `analyzer`: the model whose answers the cache keeps (`Env::analyzer_id`):
/// the cache is keyed by it, and no model is called here.
pub async fn check_cache<C: AnalysisCache>(
    cache: &C,
    analyzer: &AnalyzerId,
    input: &Value,
) -> Result<Value> {
    let input: steps::CacheInput = steps::parse(input)?;
    let out = steps::check_cache(cache, analyzer, &input, Utc::now()).await?;
    let hit = out.get("hit").and_then(Value::as_bool) == Some(true);
    MetricSet::new()
        .dimension("Cache", "analysis")
        .metric(if hit { "CacheHits" } else { "CacheMisses" }, 1.0, "Count")
        .emit();
    Ok(out)
}

pub async fn analyze<A, C, S>(
    analyzer: &A,
    cache: &C,
    store: &S,
    policy: &Policy,
    input: &Value,
) -> Result<Value>
where
    A: Analyzer,
    C: AnalysisCache,
    S: IncidentStore,
{
    let input: steps::AnalyzeInput = steps::parse(input)?;
    let analyzed = steps::analyze(analyzer, cache, store, policy, &input, Utc::now()).await?;
    let mut metrics = MetricSet::new()
        .dimension(
            "Analyzer",
            if analyzed.analysis.degraded {
                "fallback"
            } else {
                "model"
            },
        )
        .metric("Analyses", 1.0, "Count");
    if let Some(usage) = &analyzed.usage {
        metrics = metrics
            .metric("AnalyzerLatency", usage.latency_ms as f64, "Milliseconds")
            .metric("InputTokens", usage.input_tokens as f64, "Count")
            .metric("OutputTokens", usage.output_tokens as f64, "Count")
            .metric("CostUSD", usage.cost_usd, "None");
    }
    metrics.emit();
    serde_json::to_value(&analyzed.analysis).map_err(Error::corrupt)
}

pub async fn request_approval<A, N, I, S>(
    approvals: &A,
    notifier: &N,
    idempotency: &I,
    store: &S,
    policy: &Policy,
    input: &Value,
) -> Result<Value>
where
    A: Approvals,
    N: Notifier,
    I: Idempotency,
    S: IncidentStore,
{
    let input: steps::ApprovalInput = steps::parse(input)?;
    let out = steps::request_approval(
        approvals,
        notifier,
        idempotency,
        store,
        policy,
        &input,
        Utc::now(),
    )
    .await?;
    MetricSet::new()
        .dimension("Channel", "approvals")
        .metric("ApprovalsRequested", 1.0, "Count")
        .emit();
    Ok(out)
}

pub async fn deliver<N, I, S>(
    notifier: &N,
    idempotency: &I,
    store: &S,
    input: &Value,
) -> Result<Value>
where
    N: Notifier,
    I: Idempotency,
    S: IncidentStore,
{
    let parsed: steps::DeliverInput = steps::parse(input)?;
    let result = steps::deliver(notifier, idempotency, store, &parsed, Utc::now()).await;
    let outcome = match &result {
        Ok(_) => "SENT",
        Err(e) => e.name().as_str(),
    };
    MetricSet::new()
        .dimension("Channel", &parsed.channel)
        .dimension("Outcome", outcome)
        .metric("Deliveries", 1.0, "Count")
        .emit();
    result
}

pub async fn record_outcome<S, R, C>(
    store: &S,
    archive: &R,
    cache: &C,
    analyzer: &AnalyzerId,
    input: &Value,
) -> Result<Value>
where
    S: IncidentStore,
    R: Archive,
    C: AnalysisCache,
{
    let input: steps::OutcomeInput = steps::parse(input)?;
    let out = steps::record_outcome(store, archive, cache, analyzer, &input).await?;
    MetricSet::new()
        .dimension("Outcome", &input.outcome)
        .metric("Outcomes", 1.0, "Count")
        .emit();
    Ok(out)
}

/// The source as its JSON name (`eventbridge_alarm`, `sns_alarm`, ...).
fn source_name(alert: &responder_core::Alert) -> String {
    serde_json::to_value(alert.source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// How many items a step result's list holds, as a metric value.
fn count(out: &Value, key: &str) -> f64 {
    out.get(key).and_then(Value::as_array).map_or(0, Vec::len) as f64
}
