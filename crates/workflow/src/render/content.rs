//! What every channel says of an incident, built once from a [`Message`]:
//! Slack, Jira and the e-mail each render all of it, in their own form, so
//! no channel knows less than another (`docs/messages/` shows the three).

use super::{Link, Message, decision_note, review_note, severity, summary};
use responder_core::analysis::EvidenceKind;

/// The evidence quoted under each cause, in every channel.
pub const MAX_EVIDENCE: usize = 5;
/// The remediation steps listed, in every channel.
pub const MAX_STEPS: usize = 5;

/// The parts of a message, as plain text (each renderer escapes them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Content {
    /// `[CRITICAL] checkout-api-errors`, or `Recovered: ...`.
    pub headline: String,
    pub incident_id: String,
    pub severity: String,
    pub service: String,
    pub status: String,
    pub summary: String,
    pub causes: Vec<Cause>,
    /// What history says of incidents like this one ("Seen 2 times in the
    /// last 30 days; previous root cause: ...; resolved before by: ..."),
    /// told once, whichever cause quoted it.
    pub history: Option<String>,
    pub remediation: Vec<Step>,
    /// "Not reviewed: ...", "Approved by alice: ...".
    pub notes: Vec<String>,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cause {
    /// "Category in component: explanation".
    pub headline: String,
    pub confidence: f64,
    pub evidence: Vec<Evidence>,
}

/// A quote and where it was found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// `log`, `metric`, `change`, ...
    pub kind: String,
    /// The log group (or other place) the quote came from, when known.
    pub source: Option<String>,
    pub detail: String,
}

impl Evidence {
    /// `log (/aws/lambda/checkout-api)`, or the kind alone.
    pub fn label(&self) -> String {
        match &self.source {
            Some(source) => format!("{} ({source})", self.kind),
            None => self.kind.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    pub step: String,
    pub risk: String,
}

impl Content {
    pub fn of(message: &Message) -> Self {
        let analysis = message.analysis.as_ref();
        let mut history = None;
        let causes = analysis
            .map(|a| a.root_causes.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|cause| {
                let mut evidence = Vec::new();
                for e in &cause.evidence {
                    if e.detail.trim().is_empty() {
                        continue;
                    }
                    if e.kind == EvidenceKind::History {
                        history.get_or_insert_with(|| e.detail.clone());
                        continue;
                    }
                    evidence.push(Evidence {
                        kind: e.kind.as_str().to_owned(),
                        source: e.source.clone().filter(|s| !s.is_empty()),
                        detail: e.detail.clone(),
                    });
                }
                evidence.truncate(MAX_EVIDENCE);
                Cause {
                    headline: cause.headline(),
                    confidence: cause.confidence,
                    evidence,
                }
            })
            .collect();
        let remediation = analysis
            .map(|a| a.remediation.as_slice())
            .unwrap_or_default()
            .iter()
            .take(MAX_STEPS)
            .map(|r| Step {
                step: r.step.clone(),
                risk: r.risk.as_str().to_owned(),
            })
            .filter(|s| !s.step.trim().is_empty())
            .collect();
        let notes = review_note(message)
            .map(str::to_owned)
            .into_iter()
            .chain(decision_note(message))
            .collect();
        let incident = &message.incident;
        Self {
            headline: super::headline(message),
            incident_id: message.incident_id().to_owned(),
            severity: severity(message).as_str().to_owned(),
            service: incident.service.clone().unwrap_or_else(|| "-".to_owned()),
            status: incident.status.as_str().to_owned(),
            summary: summary(message),
            causes,
            history,
            remediation,
            notes,
            links: message.followable_links(),
        }
    }

    /// Every text a channel must show, for the parity test.
    pub fn parts(&self) -> Vec<String> {
        let mut parts = vec![self.headline.clone(), self.incident_id.clone()];
        parts
            .extend([&self.severity, &self.service, &self.status, &self.summary].map(Clone::clone));
        for cause in &self.causes {
            parts.push(cause.headline.clone());
            for e in &cause.evidence {
                parts.push(e.detail.clone());
                parts.extend(e.source.clone());
            }
        }
        parts.extend(self.history.clone());
        parts.extend(self.remediation.iter().map(|s| s.step.clone()));
        parts.extend(self.notes.iter().cloned());
        parts.extend(self.links.iter().map(|l| l.url.clone()));
        parts.retain(|p| !p.trim().is_empty() && p != "-");
        parts
    }
}

/// A confidence as people read it: `90%`.
pub fn percent(confidence: f64) -> String {
    format!("{:.0}%", confidence * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn history_evidence_is_told_once_and_sources_are_kept() {
        let mut message = crate::fixtures::demo_message();
        if let Some(analysis) = message.analysis.as_mut() {
            analysis.root_causes = serde_json::from_value(json!([
                {"cause": "a", "confidence": 0.5, "evidence": [
                    {"kind": "log", "source": "/aws/lambda/x", "detail": "ERROR one"},
                    {"kind": "history", "detail": "Seen 2 times"}
                ]},
                {"cause": "b", "confidence": 0.2, "evidence": [{"kind": "history", "detail": "Seen 2 times"}]}
            ]))
            .unwrap();
        }
        let content = Content::of(&message);
        assert_eq!(content.history.as_deref(), Some("Seen 2 times"));
        assert_eq!(content.causes.len(), 2);
        assert_eq!(content.causes[0].evidence.len(), 1);
        assert_eq!(content.causes[0].evidence[0].label(), "log (/aws/lambda/x)");
        assert!(content.causes[1].evidence.is_empty());
    }
}
