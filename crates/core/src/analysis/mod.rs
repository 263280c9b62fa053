//! The analysis of an incident: one typed schema for every analyzer (the
//! built-in rules, an OpenAI-compatible model, Bedrock), checked before it
//! is stored or shown.
//!
//! Schema v2: each ranked cause names the `component` whose failure, change
//! or limit caused the incident (the first thing to fix or roll back, often
//! not the alarmed resource), its `category` (see [`Category`]), an
//! `explanation`, a `confidence`, and its `evidence`: verbatim quotes of the
//! context the analyzer was given. A quote that is not in that context is
//! dropped and counted (`ungrounded_quotes`), never shown. Records of
//! schema v1 (a `cause` text, no component or category) still read.

mod category;
mod context;
pub mod prompt;
mod rules;

use serde::{Deserialize, Serialize};

pub use category::Category;
pub use context::{AnalysisInput, ChangeContext, HistoryContext, LogContext};
pub use rules::{ANALYZER_NAME, RULES_VERSION, RuleAnalyzer};

/// The schema version new analyses carry.
pub const SCHEMA_VERSION: u32 = 2;

fn schema_v1() -> u32 {
    1
}

/// Limits on what an analysis may hold: model output is untrusted.
pub mod limits {
    pub const MAX_SUMMARY_CHARS: usize = 1000;
    pub const MAX_ROOT_CAUSES: usize = 5;
    pub const MAX_EVIDENCE_PER_CAUSE: usize = 10;
    pub const MAX_REMEDIATION_STEPS: usize = 10;
    pub const MAX_NEXT_CHECKS: usize = 10;
    pub const MAX_TEXT_CHARS: usize = 2000;
    pub const MAX_COMPONENT_CHARS: usize = 300;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Analysis {
    /// 2 for analyses made now; records without it are version 1.
    #[serde(default = "schema_v1")]
    pub schema_version: u32,
    /// One or two sentences for the on-call engineer.
    pub summary: String,
    /// Most likely first.
    pub root_causes: Vec<RootCause>,
    pub impact: String,
    pub remediation: Vec<Remediation>,
    /// What to look at next to confirm or rule out the causes.
    pub next_checks: Vec<String>,
    /// Who answered: `rules`, or the model's id.
    pub analyzer: String,
    pub prompt_version: String,
    /// The configured analyzer was down: the built-in rules answered.
    #[serde(default)]
    pub degraded: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded_reason: Option<String>,
    /// Context left out to fit the token budget, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context_cut: Vec<String>,
    /// Context that could not be read (history or logs unavailable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context_unavailable: Vec<String>,
    /// Quotes dropped because the context given to the analyzer does not
    /// hold them (a model's invention, or a line it misquoted).
    #[serde(default)]
    pub ungrounded_quotes: u32,
    /// The resources around the alarmed one and the log groups read, as
    /// the workflow found them (set by the Analyze step, never by an
    /// analyzer): for people reading the analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<crate::context::Topology>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCause {
    /// The resource whose failure, change or limit caused the incident: the
    /// first thing to fix or roll back. Empty in schema v1 records.
    #[serde(default)]
    pub component: String,
    #[serde(default)]
    pub category: Category,
    /// What happened, in a sentence or two (`cause` in schema v1).
    #[serde(alias = "cause")]
    pub explanation: String,
    /// From 0 to 1.
    pub confidence: f64,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// A verbatim quote of the context (a log line or part of one, a
    /// change, a past incident, the alarm's own figures).
    pub detail: String,
    /// Where the quote comes from: the log group, `cloudtrail`, `history`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Log,
    Metric,
    History,
    Alarm,
    /// A change: a deploy, a configuration or permission change.
    Change,
}

impl EvidenceKind {
    /// Its name as stored (`log`, `change`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Metric => "metric",
            Self::History => "history",
            Self::Alarm => "alarm",
            Self::Change => "change",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    pub step: String,
    pub risk: Risk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    /// Its name as stored (`low`, `medium`, `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// The shortest quote that counts as evidence.
pub const MIN_QUOTE_CHARS: usize = 8;

/// White space folded to single spaces, trimmed.
pub fn fold_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why an analysis was refused; the name is `Analyzer.InvalidOutput`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Analyzer.InvalidOutput: {0}")]
pub struct InvalidAnalysis(pub String);

/// The part of an analysis a model writes; the rest is filled in by us.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelAnswer {
    pub summary: String,
    pub root_causes: Vec<ModelCause>,
    pub impact: String,
    pub remediation: Vec<Remediation>,
    pub next_checks: Vec<String>,
}

/// A ranked cause as a model writes it (`evidence` are quotes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCause {
    pub component: String,
    pub category: Category,
    pub explanation: String,
    pub confidence: f64,
    pub evidence: Vec<ModelQuote>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelQuote {
    pub kind: EvidenceKind,
    pub quote: String,
}

impl ModelAnswer {
    /// Parses and checks a model's answer (untrusted JSON) into an analysis.
    pub fn into_analysis(
        text: &str,
        analyzer: &str,
        prompt_version: &str,
        context_cut: Vec<String>,
    ) -> Result<Analysis, InvalidAnalysis> {
        let answer: Self = serde_json::from_str(text.trim())
            .map_err(|e| InvalidAnalysis(format!("the answer does not match the schema: {e}")))?;
        let mut root_causes: Vec<RootCause> = answer
            .root_causes
            .into_iter()
            .map(|c| RootCause {
                component: c.component,
                category: c.category,
                explanation: c.explanation,
                confidence: c.confidence,
                evidence: c
                    .evidence
                    .into_iter()
                    .map(|q| Evidence {
                        kind: q.kind,
                        detail: q.quote,
                        source: None,
                    })
                    .collect(),
            })
            .collect();
        // Rank as promised even if the model did not.
        root_causes.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        let analysis = Analysis {
            resources: None,
            schema_version: SCHEMA_VERSION,
            summary: answer.summary,
            root_causes,
            impact: answer.impact,
            remediation: answer.remediation,
            next_checks: answer.next_checks,
            analyzer: analyzer.to_owned(),
            prompt_version: prompt_version.to_owned(),
            degraded: false,
            degraded_reason: None,
            context_cut,
            context_unavailable: Vec::new(),
            ungrounded_quotes: 0,
        };
        analysis.check()?;
        Ok(analysis)
    }
}

impl Analysis {
    /// Keeps only the quotes that occur in `context` (what the analyzer was
    /// given; white space folded on both sides): the others are dropped and
    /// counted in `ungrounded_quotes`. Quotes shorter than 8 characters
    /// prove nothing and go too.
    pub fn ground(&mut self, context: &str) {
        let context = fold_space(context);
        let mut dropped = 0u32;
        for cause in &mut self.root_causes {
            cause.evidence.retain(|e| {
                let quote = fold_space(&e.detail);
                let kept = quote.chars().count() >= MIN_QUOTE_CHARS && context.contains(&quote);
                dropped += u32::from(!kept);
                kept
            });
        }
        self.ungrounded_quotes += dropped;
    }

    /// Parses and checks an analysis from untrusted JSON (a model's answer).
    pub fn from_untrusted_json(text: &str) -> Result<Self, InvalidAnalysis> {
        let analysis: Self = serde_json::from_str(text)
            .map_err(|e| InvalidAnalysis(format!("the answer does not match the schema: {e}")))?;
        analysis.check()?;
        Ok(analysis)
    }

    /// Checks the limits and ranges a stored analysis must respect.
    pub fn check(&self) -> Result<(), InvalidAnalysis> {
        use limits::*;
        let too_long = |what: &str, text: &str, max: usize| {
            (text.chars().count() > max)
                .then(|| InvalidAnalysis(format!("{what} has more than {max} characters")))
        };
        if self.summary.trim().is_empty() {
            return Err(InvalidAnalysis("summary is empty".to_owned()));
        }
        if let Some(e) = too_long("summary", &self.summary, MAX_SUMMARY_CHARS) {
            return Err(e);
        }
        if let Some(e) = too_long("impact", &self.impact, MAX_TEXT_CHARS) {
            return Err(e);
        }
        let counts = [
            ("root_causes", self.root_causes.len(), MAX_ROOT_CAUSES),
            ("remediation", self.remediation.len(), MAX_REMEDIATION_STEPS),
            ("next_checks", self.next_checks.len(), MAX_NEXT_CHECKS),
        ];
        for (what, n, max) in counts {
            if n > max {
                return Err(InvalidAnalysis(format!(
                    "{what} has {n} entries; the limit is {max}"
                )));
            }
        }
        for (i, cause) in self.root_causes.iter().enumerate() {
            if !(0.0..=1.0).contains(&cause.confidence) {
                return Err(InvalidAnalysis(format!(
                    "root_causes[{i}].confidence is {}; it must be from 0 to 1",
                    cause.confidence
                )));
            }
            if cause.evidence.len() > MAX_EVIDENCE_PER_CAUSE {
                return Err(InvalidAnalysis(format!(
                    "root_causes[{i}].evidence has {} entries; the limit is {MAX_EVIDENCE_PER_CAUSE}",
                    cause.evidence.len()
                )));
            }
            if let Some(e) = too_long(
                &format!("root_causes[{i}].explanation"),
                &cause.explanation,
                MAX_TEXT_CHARS,
            ) {
                return Err(e);
            }
            if let Some(e) = too_long(
                &format!("root_causes[{i}].component"),
                &cause.component,
                MAX_COMPONENT_CHARS,
            ) {
                return Err(e);
            }
        }
        if self
            .root_causes
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.confidence < b.confidence))
        {
            return Err(InvalidAnalysis(
                "root_causes must be ranked, most likely first".to_owned(),
            ));
        }
        Ok(())
    }
}

/// A stored cause (schema v2 or v1, as JSON) told in one line for people:
/// `Throttling in member-import: <explanation>`; a v1 record's `cause` as
/// it is. Every destination escapes the result its own way.
pub fn cause_headline(cause: &serde_json::Value) -> String {
    let text = |key: &str| {
        cause
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
    };
    let explanation = if text("explanation").is_empty() {
        text("cause")
    } else {
        text("explanation")
    };
    // A v1 record has neither category nor component: its cause as it is.
    match cause
        .get("category")
        .and_then(|c| serde_json::from_value::<Category>(c.clone()).ok())
    {
        Some(category) => headline(category, text("component"), explanation),
        None => explanation.to_owned(),
    }
}

impl RootCause {
    /// The cause told in one line for people (see [`cause_headline`]).
    pub fn headline(&self) -> String {
        headline(self.category, &self.component, &self.explanation)
    }
}

fn headline(category: Category, component: &str, explanation: &str) -> String {
    if component.is_empty() {
        return explanation.to_owned();
    }
    if category == Category::Unknown {
        return format!("Unknown cause ({component}): {explanation}");
    }
    let mut label = category.label();
    if let Some(first) = label.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let head = format!("{label} in {component}");
    // The rules' explanations already begin with it.
    if explanation
        .get(..head.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(&head))
    {
        explanation.to_owned()
    } else {
        format!("{head}: {explanation}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headline_names_category_and_component_once() {
        let told = serde_json::json!({
            "category": "timeout", "component": "checkout-api",
            "explanation": "Timeout in checkout-api: \"Task timed out after 10.01 seconds\"."
        });
        assert_eq!(
            cause_headline(&told),
            "Timeout in checkout-api: \"Task timed out after 10.01 seconds\"."
        );
        let bare = serde_json::json!({
            "category": "disk_full", "component": "i-0abc",
            "explanation": "The root volume filled up."
        });
        assert!(cause_headline(&bare).starts_with("Disk full in i-0abc: The root volume"));
    }

    /// A model's answer with three quotes: one from its context (with the
    /// white space changed), one it made up, one too short to prove anything.
    fn answer_quoting(quotes: &[&str]) -> Analysis {
        let evidence: Vec<_> = quotes
            .iter()
            .map(|q| serde_json::json!({"kind": "log", "detail": q}))
            .collect();
        Analysis::from_untrusted_json(
            &serde_json::json!({
                "schema_version": 2,
                "summary": "The payment gateway timed out.",
                "root_causes": [{
                    "component": "payments.example.net",
                    "category": "dependency_failure",
                    "explanation": "Calls to the payment gateway time out.",
                    "confidence": 0.8,
                    "evidence": evidence,
                }],
                "impact": "Checkouts fail.",
                "remediation": [],
                "next_checks": [],
                "analyzer": "model",
                "prompt_version": "v2",
            })
            .to_string(),
        )
        .unwrap()
    }

    #[test]
    fn a_quote_the_context_does_not_hold_is_dropped_and_counted() {
        let context = "2026-11-20T09:13:58.120Z ERROR  connect ETIMEDOUT 10.20.4.17:443\n\
                       2026-11-20T09:13:59.004Z INFO request done";
        let mut analysis = answer_quoting(&[
            "ERROR connect   ETIMEDOUT 10.20.4.17:443",
            "FATAL: remaining connection slots are reserved",
            "ERROR",
        ]);
        analysis.ground(context);
        let kept: Vec<_> = analysis.root_causes[0]
            .evidence
            .iter()
            .map(|e| e.detail.as_str())
            .collect();
        assert_eq!(kept, ["ERROR connect   ETIMEDOUT 10.20.4.17:443"]);
        assert_eq!(analysis.ungrounded_quotes, 2);
    }

    #[test]
    fn an_analysis_stored_as_schema_v1_still_reads() {
        let v1 = r#"{
            "summary": "Lambda checkout-api timed out.",
            "root_causes": [{"cause": "The function timed out calling the gateway.",
                             "confidence": 0.6,
                             "evidence": [{"kind": "log", "detail": "Task timed out after 10.01 seconds"}]}],
            "impact": "Checkouts fail.",
            "remediation": [{"step": "Raise the timeout", "risk": "low"}],
            "next_checks": [],
            "analyzer": "rules",
            "prompt_version": "v1"
        }"#;
        let analysis: Analysis = serde_json::from_str(v1).unwrap();
        assert_eq!(analysis.schema_version, 1);
        let cause = &analysis.root_causes[0];
        assert_eq!(
            cause.explanation,
            "The function timed out calling the gateway."
        );
        assert_eq!(
            (cause.component.as_str(), cause.category),
            ("", Category::Unknown)
        );
        assert_eq!(analysis.ungrounded_quotes, 0);
    }
}
