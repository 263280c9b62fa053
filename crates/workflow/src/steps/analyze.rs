use chrono::{DateTime, Duration, Utc};
use responder_core::Alert;
use responder_core::analysis::{
    AnalysisInput, ChangeContext, HistoryContext, LogContext, RuleAnalyzer, prompt,
};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result, names};
use crate::policy::Policy;
use crate::ports::{AnalysisCache, Analyzed, Analyzer, IncidentStore};

#[derive(Debug, Deserialize)]
pub struct AnalyzeInput {
    pub alert: Alert,
    /// `{"history": {...,"available"}, "logs": {...,"available"}}`.
    #[serde(default)]
    pub context: Value,
    /// `{"id": ...}`: the analysis is kept with the incident.
    #[serde(default)]
    pub incident: Value,
    /// From CheckCache: the analysis is cached under it.
    #[serde(default)]
    pub cache_key: Option<String>,
    /// The configured analyzer failed: the built-in rules answer.
    #[serde(default)]
    pub fallback: bool,
    #[serde(default)]
    pub degraded_reason: Option<String>,
}

/// What the analyzer is given: the alert and the context gathered for it
/// (a part whose branch failed is `None`).
pub fn analysis_input(input: &AnalyzeInput) -> AnalysisInput {
    let part = |name: &str| {
        let value = input.context.get(name)?;
        (value["available"].as_bool() == Some(true)).then(|| value.clone())
    };
    AnalysisInput {
        alert: input.alert.clone(),
        history: part("history").and_then(|v| serde_json::from_value::<HistoryContext>(v).ok()),
        logs: part("logs").and_then(|v| serde_json::from_value::<LogContext>(v).ok()),
        changes: part("changes").and_then(|v| serde_json::from_value::<ChangeContext>(v).ok()),
    }
}

/// Analyze: the configured analyzer (or, as the fallback, the built-in
/// rules); the answer is checked, cached unless degraded, and kept with the
/// incident. Running it twice writes the same records twice.
pub async fn analyze<A, C, S>(
    analyzer: &A,
    cache: &C,
    store: &S,
    policy: &Policy,
    input: &AnalyzeInput,
    now: DateTime<Utc>,
) -> Result<Analyzed>
where
    A: Analyzer,
    C: AnalysisCache,
    S: IncidentStore,
{
    let analysis_input = analysis_input(input);
    let mut analyzed = if input.fallback {
        let mut analysis = RuleAnalyzer.analyze(&analysis_input);
        analysis.degraded = true;
        analysis.degraded_reason = input.degraded_reason.clone();
        Analyzed {
            analysis,
            usage: None,
        }
    } else {
        analyzer.analyze(&analysis_input).await?
    };
    let analysis = &mut analyzed.analysis;
    // What the workflow found, never what an analyzer claims it found.
    analysis.resources = analysis_input.logs.as_ref().map(|l| l.topology.clone());
    // A quote the analyzer was not given is dropped, and counted.
    analysis.ground(&prompt::context_text(&analysis_input));
    if analysis.context_unavailable.is_empty() {
        if analysis_input.history.is_none() {
            analysis.context_unavailable.push("history".to_owned());
        }
        if analysis_input.logs.is_none() {
            analysis.context_unavailable.push("logs".to_owned());
        }
        if analysis_input.changes.is_none() {
            analysis.context_unavailable.push("changes".to_owned());
        }
    }
    analysis
        .check()
        .map_err(|e| Error::new(names::ANALYZER_INVALID_OUTPUT, e.0))?;
    if let (Some(key), false) = (&input.cache_key, analysis.degraded) {
        let expires = now + Duration::seconds(policy.cache_ttl_seconds);
        cache.put(key, analysis, expires).await?;
    }
    if let Some(id) = input.incident.get("id").and_then(Value::as_str) {
        store.record_analysis(id, &analyzed).await?;
    }
    Ok(analyzed)
}
