//! The scorer of `responder eval`: an answer (ranked causes) against a
//! scenario's `expected.json`, field by field, exactly as the scenario
//! format documents it (`docs/eval.md`). The scorer reads `expected.json`;
//! the workflow never does.

use serde::{Deserialize, Serialize};

/// A scenario's `expected.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    pub component: String,
    #[serde(default)]
    pub component_aliases: Vec<String>,
    pub category: String,
    #[serde(default)]
    pub cause_keywords: Vec<String>,
    #[serde(default)]
    pub evidence_lines: Vec<String>,
    #[serde(default)]
    pub wrong_leads: Vec<String>,
    pub difficulty: String,
    /// What really happened, for people reading the scenario.
    #[serde(default)]
    #[allow(dead_code)]
    pub summary: String,
}

/// One ranked cause of an answer, as `--answers` writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnsweredCause {
    pub component: String,
    pub category: String,
    pub explanation: String,
    pub evidence: Vec<String>,
}

/// The scores of one answer. Fractions are from 0 to 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    pub component: f64,
    pub category: f64,
    pub keyword_recall: f64,
    pub evidence_precision: f64,
    pub evidence_recall: f64,
    /// Wrong leads named in the first cause's component or explanation.
    pub wrong_leads_cited: usize,
    /// Quotes (8 characters or more) found nowhere in the scenario's logs.
    pub quotes_not_in_logs: usize,
    pub top3_component: f64,
    pub top3_category: f64,
    /// Mean of component, category, keyword recall and evidence precision.
    pub overall: f64,
}

/// Text as the scorer compares it: white space folded, trimmed.
pub fn normalize_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Component names as the scorer compares them: lower case, and `-`, `_`,
/// `/`, `:`, `.` and white space all one separator.
pub fn normalize_name(text: &str) -> String {
    let mapped: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if matches!(c, '-' | '_' | '/' | ':' | '.') || c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .collect();
    normalize_space(&mapped)
}

/// Whether `component` (or an alias) appears inside the answer's component.
pub fn component_matches(expected: &Expected, answered: &str) -> bool {
    let answered = normalize_name(answered);
    if answered.is_empty() {
        return false;
    }
    std::iter::once(&expected.component)
        .chain(&expected.component_aliases)
        .map(|name| normalize_name(name))
        .any(|name| !name.is_empty() && answered.contains(&name))
}

/// The share of keyword entries (`a|b|c`: alternatives) found in `text`.
pub fn keyword_recall(keywords: &[String], text: &str) -> f64 {
    if keywords.is_empty() {
        return 1.0;
    }
    let text = text.to_lowercase();
    let found = keywords
        .iter()
        .filter(|entry| {
            entry
                .split('|')
                .map(|alternative| alternative.trim().to_lowercase())
                .any(|alternative| !alternative.is_empty() && text.contains(&alternative))
        })
        .count();
    found as f64 / keywords.len() as f64
}

/// The shortest quote that counts.
pub const MIN_QUOTE_CHARS: usize = 8;

/// Scores `causes` (ranked, first most likely) against `expected`, with the
/// scenario's log lines (`log_lines`: every line of every log file,
/// white space folded).
pub fn score(expected: &Expected, causes: &[AnsweredCause], log_lines: &[String]) -> Scores {
    let Some(first) = causes.first() else {
        return Scores::default();
    };
    let component = f64::from(u8::from(component_matches(expected, &first.component)));
    let category = f64::from(u8::from(first.category == expected.category));
    let said = format!("{} {}", first.component, first.explanation);
    let keyword_recall = keyword_recall(&expected.cause_keywords, &said);
    let evidence: Vec<String> = expected
        .evidence_lines
        .iter()
        .map(|e| normalize_space(e))
        .collect();
    let quotes: Vec<String> = first
        .evidence
        .iter()
        .map(|q| normalize_space(q))
        .filter(|q| q.chars().count() >= MIN_QUOTE_CHARS)
        .collect();
    let mut precise = 0usize;
    let mut not_in_logs = 0usize;
    let mut covered = vec![false; evidence.len()];
    for quote in &quotes {
        let lines: Vec<&String> = log_lines
            .iter()
            .filter(|l| l.contains(quote.as_str()))
            .collect();
        if lines.is_empty() {
            not_in_logs += 1;
            continue;
        }
        let mut good = false;
        for (line, covered) in evidence.iter().zip(covered.iter_mut()) {
            // The quote lies on a line holding this evidence, or holds it.
            if quote.contains(line.as_str()) || lines.iter().any(|l| l.contains(line.as_str())) {
                good = true;
                *covered = true;
            }
        }
        precise += usize::from(good);
    }
    let evidence_precision = if quotes.is_empty() {
        0.0
    } else {
        precise as f64 / quotes.len() as f64
    };
    let evidence_recall = if evidence.is_empty() {
        1.0
    } else {
        covered.iter().filter(|c| **c).count() as f64 / evidence.len() as f64
    };
    let said_lower = said.to_lowercase();
    let wrong_leads_cited = expected
        .wrong_leads
        .iter()
        .filter(|lead| !lead.is_empty() && said_lower.contains(&lead.to_lowercase()))
        .count();
    let top3 = causes.get(..causes.len().min(3)).unwrap_or_default();
    let top3_component = f64::from(u8::from(
        top3.iter()
            .any(|c| component_matches(expected, &c.component)),
    ));
    let top3_category = f64::from(u8::from(
        top3.iter().any(|c| c.category == expected.category),
    ));
    Scores {
        component,
        category,
        keyword_recall,
        evidence_precision,
        evidence_recall,
        wrong_leads_cited,
        quotes_not_in_logs: not_in_logs,
        top3_component,
        top3_category,
        overall: (component + category + keyword_recall + evidence_precision) / 4.0,
    }
}

/// The share of `evidence_lines` present in `context` (what an analyzer was
/// handed), white space folded.
pub fn context_recall(expected: &Expected, context: &str) -> f64 {
    if expected.evidence_lines.is_empty() {
        return 1.0;
    }
    let context = normalize_space(context);
    let found = expected
        .evidence_lines
        .iter()
        .filter(|line| context.contains(&normalize_space(line)))
        .count();
    found as f64 / expected.evidence_lines.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected {
        serde_json::from_value(serde_json::json!({
            "component": "billing-db",
            "component_aliases": ["arn:aws:rds:eu-west-1:111122223333:db:billing-db"],
            "category": "database_contention",
            "cause_keywords": ["deadlock|lock wait", "invoice_batch"],
            "evidence_lines": ["ERROR:  deadlock detected", "invoice_batch started"],
            "wrong_leads": ["autovacuum"],
            "difficulty": "hard",
            "summary": "The invoice_batch job deadlocked with the API on billing-db."
        }))
        .unwrap()
    }

    fn logs() -> Vec<String> {
        [
            "2026-11-20T09:00:01.000000+00:00 billing-db.0 2026-11-20 09:00:01 UTC:10.0.1.5(4242):app@billing:[311]:ERROR:  deadlock detected",
            "2026-11-20T08:59:00.000000+00:00 batch invoice_batch started run 42",
            "2026-11-20T08:10:00.000000+00:00 billing-db.0 LOG:  automatic vacuum of table \"invoices\"",
        ]
        .iter()
        .map(|l| normalize_space(l))
        .collect()
    }

    #[test]
    fn an_answer_built_from_the_expected_scores_one_on_every_field() {
        let e = expected();
        let perfect = AnsweredCause {
            component: e.component.clone(),
            category: e.category.clone(),
            explanation: e.summary.clone(),
            evidence: e.evidence_lines.clone(),
        };
        let s = score(&e, &[perfect], &logs());
        assert_eq!(
            (
                s.component,
                s.category,
                s.keyword_recall,
                s.evidence_precision,
                s.evidence_recall,
                s.overall
            ),
            (1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
        );
        assert_eq!((s.wrong_leads_cited, s.quotes_not_in_logs), (0, 0));
    }

    #[test]
    fn echoing_the_alarm_scores_low() {
        let e = expected();
        let echo = AnsweredCause {
            component: "billing-api-latency".into(),
            category: "timeout".into(),
            explanation: "The alarm billing-api-latency crossed its threshold.".into(),
            evidence: vec![
                "Threshold Crossed: 1 datapoint [2300.0] was greater than 2000.0".into(),
            ],
        };
        let s = score(&e, &[echo], &logs());
        assert_eq!((s.component, s.category, s.keyword_recall), (0.0, 0.0, 0.0));
        assert_eq!(s.evidence_precision, 0.0);
        assert_eq!(s.quotes_not_in_logs, 1);
        assert_eq!(s.overall, 0.0);
    }

    #[test]
    fn names_match_whatever_their_separators_and_quotes_count_on_their_line() {
        let e = expected();
        assert!(component_matches(&e, "RDS instance Billing_DB (primary)"));
        assert!(!component_matches(&e, "billing"));
        let partial = AnsweredCause {
            component: "billing-db".into(),
            category: "database_contention".into(),
            explanation: "lock wait on the database".into(),
            // On the deadlock line, and one too short to count.
            evidence: vec![
                "app@billing:[311]".into(),
                "ERROR".into(),
                "automatic vacuum".into(),
            ],
        };
        let s = score(&e, &[partial], &logs());
        assert_eq!(s.evidence_precision, 0.5);
        assert_eq!(s.evidence_recall, 0.5);
        assert_eq!(s.keyword_recall, 0.5);
        assert!(context_recall(&e, "… ERROR:   deadlock detected …") == 0.5);
    }
}
