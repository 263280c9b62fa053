//! The figures of an evaluation: every score's mean, overall and per
//! difficulty, as JSON and as a table.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Scored;

/// The mean of each figure over a set of scenarios.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Means {
    pub scenarios: usize,
    pub overall: f64,
    pub component: f64,
    pub category: f64,
    pub keyword_recall: f64,
    pub evidence_precision: f64,
    pub evidence_recall: f64,
    pub top3_component: f64,
    pub top3_category: f64,
    pub context_recall: f64,
    pub context_tokens: f64,
    /// Totals, not means.
    pub wrong_leads_cited: usize,
    pub quotes_not_in_logs: usize,
    pub ungrounded_quotes: u32,
}

#[derive(Debug, Serialize)]
pub struct Figures {
    pub overall: Means,
    pub by_difficulty: BTreeMap<String, Means>,
}

fn means<'a>(set: impl IntoIterator<Item = &'a Scored>) -> Means {
    let set: Vec<&Scored> = set.into_iter().collect();
    let n = set.len().max(1) as f64;
    let mean = |f: &dyn Fn(&Scored) -> f64| set.iter().map(|s| f(s)).sum::<f64>() / n;
    Means {
        scenarios: set.len(),
        overall: mean(&|s| s.scores.overall),
        component: mean(&|s| s.scores.component),
        category: mean(&|s| s.scores.category),
        keyword_recall: mean(&|s| s.scores.keyword_recall),
        evidence_precision: mean(&|s| s.scores.evidence_precision),
        evidence_recall: mean(&|s| s.scores.evidence_recall),
        top3_component: mean(&|s| s.scores.top3_component),
        top3_category: mean(&|s| s.scores.top3_category),
        context_recall: mean(&|s| s.context_recall),
        context_tokens: mean(&|s| s.context_tokens as f64),
        wrong_leads_cited: set.iter().map(|s| s.scores.wrong_leads_cited).sum(),
        quotes_not_in_logs: set.iter().map(|s| s.scores.quotes_not_in_logs).sum(),
        ungrounded_quotes: set.iter().map(|s| s.ungrounded_quotes).sum(),
    }
}

pub fn figures(scored: &[Scored]) -> Figures {
    let mut by_difficulty = BTreeMap::new();
    for difficulty in ["easy", "medium", "hard"] {
        let set: Vec<&Scored> = scored
            .iter()
            .filter(|s| s.difficulty == difficulty)
            .collect();
        if !set.is_empty() {
            by_difficulty.insert(difficulty.to_owned(), means(set));
        }
    }
    Figures {
        overall: means(scored),
        by_difficulty,
    }
}

/// The figures as a table: one row per scenario, then the means.
pub fn table(scored: &[Scored]) -> Vec<String> {
    let mut lines = vec![format!(
        "{:<30} {:<6} {:>7} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6}",
        "SCENARIO", "LEVEL", "OVERALL", "COMP", "CAT", "KEYW", "EPREC", "EREC", "CTX", "TOKENS"
    )];
    for s in scored {
        lines.push(format!(
            "{:<30} {:<6} {:>7.2} {:>5.2} {:>5.2} {:>5.2} {:>5.2} {:>5.2} {:>5.2} {:>6}",
            truncate(&s.name, 30),
            s.difficulty,
            s.scores.overall,
            s.scores.component,
            s.scores.category,
            s.scores.keyword_recall,
            s.scores.evidence_precision,
            s.scores.evidence_recall,
            s.context_recall,
            s.context_tokens
        ));
    }
    let figures = figures(scored);
    lines.push(String::new());
    let mut row = |label: &str, m: &Means| {
        lines.push(format!(
            "{:<30} {:<6} {:>7.2} {:>5.2} {:>5.2} {:>5.2} {:>5.2} {:>5.2} {:>5.2} {:>6.0}",
            label,
            m.scenarios,
            m.overall,
            m.component,
            m.category,
            m.keyword_recall,
            m.evidence_precision,
            m.evidence_recall,
            m.context_recall,
            m.context_tokens
        ));
    };
    for (difficulty, m) in &figures.by_difficulty {
        row(&format!("mean ({difficulty})"), m);
    }
    row("mean (all)", &figures.overall);
    let o = &figures.overall;
    lines.push(format!(
        "top-3 component {:.2}, top-3 category {:.2}; wrong leads cited {}, quotes not in the logs {}, ungrounded quotes dropped {}",
        o.top3_component, o.top3_category, o.wrong_leads_cited, o.quotes_not_in_logs, o.ungrounded_quotes
    ));
    lines
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
