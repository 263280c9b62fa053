//! The analysis of an incident: one typed schema for every analyzer (the
//! built-in rules, an OpenAI-compatible model, Bedrock), checked before it
//! is stored or shown.

mod context;
pub mod prompt;
mod rules;

use serde::{Deserialize, Serialize};

pub use context::{AnalysisInput, HistorySummary, LogContext, LogLine};
pub use rules::{ANALYZER_NAME, RULES_VERSION, RuleAnalyzer};

/// Limits on what an analysis may hold: model output is untrusted.
pub mod limits {
    pub const MAX_SUMMARY_CHARS: usize = 1000;
    pub const MAX_ROOT_CAUSES: usize = 5;
    pub const MAX_EVIDENCE_PER_CAUSE: usize = 10;
    pub const MAX_REMEDIATION_STEPS: usize = 10;
    pub const MAX_NEXT_CHECKS: usize = 10;
    pub const MAX_TEXT_CHARS: usize = 2000;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Analysis {
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCause {
    pub cause: String,
    /// From 0 to 1.
    pub confidence: f64,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Log,
    Metric,
    History,
    Alarm,
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

/// Why an analysis was refused; the name is `Analyzer.InvalidOutput`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Analyzer.InvalidOutput: {0}")]
pub struct InvalidAnalysis(pub String);

/// The part of an analysis a model writes; the rest is filled in by us.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelAnswer {
    pub summary: String,
    pub root_causes: Vec<RootCause>,
    pub impact: String,
    pub remediation: Vec<Remediation>,
    pub next_checks: Vec<String>,
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
        let mut root_causes = answer.root_causes;
        // Rank as promised even if the model did not.
        root_causes.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        let analysis = Analysis {
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
        };
        analysis.check()?;
        Ok(analysis)
    }
}

impl Analysis {
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
                &format!("root_causes[{i}].cause"),
                &cause.cause,
                MAX_TEXT_CHARS,
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
