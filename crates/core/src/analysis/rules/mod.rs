//! The built-in analyzer: reads the ranked context (log templates, changes,
//! past incidents) as an engineer would. It needs no network, answers in
//! microseconds, and is the fallback when the configured analyzer is down.
//!
//! 1. Each piece of evidence (a template's example, a change) is read for
//!    the mechanisms it shows ([`mechanisms`]), weighted by its rank: new
//!    since the baseline, frequent, bad-looking, a change.
//! 2. The category with the strongest evidence is the cause's, under the
//!    rules of [`super::Category`]: an explicit denial or a DNS/TLS failure
//!    wins; a mechanism (out of memory, an exception, contention...) keeps
//!    its name even when a release brought it; a symptom that only shows
//!    a failing or slow call (timeout, 5xx) after a change is the change's.
//! 3. The component is where the evidence points: the resource a change
//!    touched, the actor that loaded a shared resource (a job that started,
//!    a function that burst), the resource a line names (a host, a role),
//!    or the resource whose log group holds the evidence.
//! 4. Too little evidence: `unknown`, a low confidence, and what to look at.
//!
//! Lines are matched as data (lower case), quoted verbatim, never
//! interpreted.

mod advice;
mod components;
mod mechanisms;

use chrono::{DateTime, Utc};

use super::{
    Analysis, AnalysisInput, Category, Evidence, EvidenceKind, Remediation, RootCause, limits,
};
use crate::context::changes;
use crate::limits::truncate_chars;

/// What the rule analyzer calls itself in `Analysis::analyzer`.
pub const ANALYZER_NAME: &str = "rules";
/// Bumped when the rules change, so cached analyses are not reused.
pub const RULES_VERSION: &str = "rules-v2";

/// Templates read (the best ranked).
const TEMPLATES_READ: usize = 40;
/// Quotes per cause.
const QUOTES_PER_CAUSE: usize = 3;
/// A category needs this much evidence to be named.
const NAMED_THRESHOLD: f64 = 7.0;

#[derive(Debug, Clone, Copy, Default)]
pub struct RuleAnalyzer;

/// One piece of evidence, as the rules read it.
#[derive(Debug, Clone)]
struct Piece {
    /// Verbatim, one line: what is quoted.
    quote: String,
    kind: EvidenceKind,
    /// The log group, or `cloudtrail`.
    source: String,
    at: DateTime<Utc>,
    /// Its rank's weight (a template's score; a change's relation).
    weight: f64,
    new: bool,
    change: bool,
    /// The resource of its log group (or of the change).
    resource: Option<String>,
    names: Vec<String>,
    mechanisms: Vec<(Category, f64, &'static str)>,
}

/// A category's case: its score and the pieces that make it.
#[derive(Debug, Clone)]
struct Case {
    category: Category,
    score: f64,
    pieces: Vec<(usize, f64)>,
}

impl RuleAnalyzer {
    pub fn analyze(&self, input: &AnalysisInput) -> Analysis {
        let alert = &input.alert;
        let pieces = gather(input);
        let alarmed = alarmed_names(input);
        let mut cases = cases(&pieces, input);
        let decisive = decide(&mut cases, &pieces);
        let mut causes: Vec<RootCause> = Vec::new();
        for case in cases.iter().take(3) {
            if case.score < NAMED_THRESHOLD && !causes.is_empty() {
                break;
            }
            let named = case.score >= NAMED_THRESHOLD;
            let category = if named { case.category } else { Category::Unknown };
            let (component, actor) = component(case, &pieces, &alarmed, category);
            let quotes = quotes(case, &pieces, actor);
            let confidence = if named {
                confidence(case.score, &cases, causes.is_empty() && decisive)
            } else {
                0.2
            };
            causes.push(RootCause {
                explanation: explain(category, &component, &quotes, &pieces, alert),
                component,
                category,
                confidence,
                evidence: quotes,
            });
        }
        if causes.is_empty() {
            let component = alarmed.first().cloned().unwrap_or_else(|| alert.resource.clone());
            causes.push(RootCause {
                explanation: format!(
                    "The context gathered does not show the cause: no log line, change or past incident points at a mechanism. The alarm on {} crossed its threshold.",
                    describe_metric(alert)
                ),
                component,
                category: Category::Unknown,
                confidence: 0.15,
                evidence: Vec::new(),
            });
        }
        causes.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        causes.truncate(limits::MAX_ROOT_CAUSES);
        if let (Some(history), Some(top)) = (&input.history, causes.first_mut())
            && let Some(past) = history.incidents.first()
        {
            top.evidence.push(Evidence {
                kind: EvidenceKind::History,
                detail: crate::context::history::render(past),
                source: Some("history".to_owned()),
            });
        }
        let top = &causes[0];
        let advice = advice::of(top.category);
        let fill = |text: &str| text.replace("{component}", &top.component);
        let mut remediation: Vec<Remediation> = Vec::new();
        let mut next_checks: Vec<String> = Vec::new();
        for cause in &causes {
            let advice = advice::of(cause.category);
            for (step, risk) in advice.steps {
                let step = step.replace("{component}", &cause.component);
                if !remediation.iter().any(|r| r.step == step) && remediation.len() < limits::MAX_REMEDIATION_STEPS {
                    remediation.push(Remediation { step, risk: *risk });
                }
            }
            for check in advice.checks {
                let check = check.replace("{component}", &cause.component);
                if !next_checks.contains(&check) && next_checks.len() < limits::MAX_NEXT_CHECKS {
                    next_checks.push(check);
                }
            }
        }
        let summary = format!(
            "{}: {} in {} (confidence {:.0}%).",
            alert.title,
            top.category.label(),
            top.component,
            top.confidence * 100.0
        );
        let mut context_unavailable = Vec::new();
        for (name, missing) in [
            ("history", input.history.is_none()),
            ("logs", input.logs.is_none()),
            ("changes", input.changes.is_none()),
        ] {
            if missing {
                context_unavailable.push(name.to_owned());
            }
        }
        Analysis {
            schema_version: super::SCHEMA_VERSION,
            summary: truncate_chars(&summary, limits::MAX_SUMMARY_CHARS),
            impact: fill(advice.impact),
            root_causes: causes,
            remediation,
            next_checks,
            analyzer: ANALYZER_NAME.to_owned(),
            prompt_version: RULES_VERSION.to_owned(),
            degraded: false,
            degraded_reason: None,
            context_cut: Vec::new(),
            context_unavailable,
            ungrounded_quotes: 0,
        }
    }
}

/// The alarmed resource's names.
fn alarmed_names(input: &AnalysisInput) -> Vec<String> {
    let mut names: Vec<String> = input
        .logs
        .as_ref()
        .map(|l| l.topology.alarmed.clone())
        .unwrap_or_default();
    if names.is_empty() {
        names = crate::context::topology::of_alert(&input.alert).alarmed;
    }
    // The resource (a dimension value) before the alarm's name.
    names.sort_by_key(|n| input.alert.alarm.as_ref().is_some_and(|a| &a.name == n));
    names
}

/// The most telling line of an example: the one that shows a mechanism,
/// else its first line.
fn telling_line(example: &str) -> String {
    if !example.contains('\n') {
        return example.to_owned();
    }
    example
        .lines()
        .filter(|l| l.trim().len() >= 8)
        .max_by(|a, b| {
            let weight = |l: &str| {
                mechanisms::categories(&l.to_lowercase())
                    .iter()
                    .map(|c| c.1)
                    .fold(0.0, f64::max)
            };
            weight(a).total_cmp(&weight(b)).then(b.len().cmp(&a.len()))
        })
        .unwrap_or(example)
        .to_owned()
}

/// Every piece of evidence the context holds.
fn gather(input: &AnalysisInput) -> Vec<Piece> {
    let mut pieces = Vec::new();
    if let Some(logs) = &input.logs {
        for t in logs.templates.iter().take(TEMPLATES_READ) {
            let text = t.example.to_lowercase();
            let quote = telling_line(&t.example);
            pieces.push(Piece {
                names: components::names_in(&t.example),
                mechanisms: mechanisms::categories(&text),
                change: t.why.iter().any(|w| w == "change"),
                new: t.baseline == 0 && t.count > 0,
                quote,
                kind: EvidenceKind::Log,
                source: t.log_group.clone(),
                at: t.first,
                weight: t.score,
                resource: components::resource_of_group(&t.log_group),
            });
        }
    }
    if let Some(changes) = &input.changes {
        for e in &changes.events {
            if e.error.is_some() {
                continue;
            }
            let line = changes::render(e);
            let text = line.to_lowercase();
            let mut found = mechanisms::categories(&text);
            found.retain(|c| c.0 != Category::BadDeployOrConfig);
            found.push((Category::BadDeployOrConfig, 2.5, "change"));
            pieces.push(Piece {
                names: components::names_in(&e.detail),
                mechanisms: found,
                change: true,
                new: true,
                quote: line,
                kind: EvidenceKind::Change,
                source: "cloudtrail".to_owned(),
                at: e.at,
                weight: if e.related { 4.0 } else { 1.5 },
                resource: components::resource_of_change(&e.resources, &e.detail),
            });
        }
    }
    pieces
}

/// Each category's case, strongest first. A piece's weight times its word's
/// weight, with diminishing returns, plus what the alarm's metric suggests.
fn cases(pieces: &[Piece], input: &AnalysisInput) -> Vec<Case> {
    let mut cases: Vec<Case> = Category::ALL
        .iter()
        .filter(|c| **c != Category::Unknown)
        .map(|&category| {
            let mut contributions: Vec<(usize, f64)> = pieces
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    p.mechanisms
                        .iter()
                        .find(|m| m.0 == category)
                        .map(|m| (i, p.weight * m.1 * if p.new { 1.0 } else { 0.6 }))
                })
                .collect();
            contributions.sort_by(|a, b| b.1.total_cmp(&a.1));
            let score = contributions
                .iter()
                .enumerate()
                .map(|(rank, (_, c))| c * 0.5f64.powi(i32::try_from(rank).unwrap_or(30)))
                .sum();
            Case {
                category,
                score,
                pieces: contributions,
            }
        })
        .collect();
    if let Some(metric) = &input.alert.metric
        && let (Some(namespace), Some(name)) = (&metric.namespace, &metric.name)
        && let Some((category, weight)) = mechanisms::metric_prior(namespace, name)
        && let Some(case) = cases.iter_mut().find(|c| c.category == category)
    {
        // Evidence of the same kind confirms the metric; alone it is a hint.
        case.score += weight * if case.pieces.is_empty() { 3.0 } else { 5.0 };
    }
    cases.sort_by(|a, b| b.score.total_cmp(&a.score));
    cases
}

/// Applies the category rules to the ranking; true if the top case is
/// clear.
fn decide(cases: &mut [Case], pieces: &[Piece]) -> bool {
    let Some(best) = cases.first().map(|c| (c.category, c.score)) else {
        return false;
    };
    let score_of = |cases: &[Case], category: Category| {
        cases.iter().find(|c| c.category == category).map_or(0.0, |c| c.score)
    };
    // An explicit denial or a DNS/TLS failure wins over what it caused.
    for category in [Category::PermissionDenied, Category::NetworkDnsTls] {
        if category != best.0 && score_of(cases, category) >= 0.6 * best.1 && score_of(cases, category) >= NAMED_THRESHOLD {
            promote(cases, category);
            return true;
        }
    }
    // A failing or slow call after a change: the change is the cause,
    // unless some mechanism is shown clearly.
    let top = cases.first().map(|c| c.category).unwrap_or_default();
    if !mechanisms::is_mechanism(top) {
        let symptoms_from = cases
            .first()
            .and_then(|c| c.pieces.iter().filter_map(|(i, _)| pieces.get(*i)).filter(|p| !p.change).map(|p| p.at).min());
        let change_first = cases
            .iter()
            .find(|c| c.category == Category::BadDeployOrConfig)
            .and_then(|c| c.pieces.iter().filter_map(|(i, _)| pieces.get(*i)).find(|p| p.change && p.weight >= 2.5))
            .is_some_and(|p| symptoms_from.is_none_or(|s| p.at <= s));
        let mechanism_clear = cases
            .iter()
            .filter(|c| mechanisms::is_mechanism(c.category))
            .any(|c| c.score >= 0.8 * best.1);
        if change_first && !mechanism_clear && score_of(cases, Category::BadDeployOrConfig) >= NAMED_THRESHOLD / 2.0 {
            if let Some(case) = cases.iter_mut().find(|c| c.category == Category::BadDeployOrConfig) {
                case.score = case.score.max(best.1 + 0.1);
            }
            promote(cases, Category::BadDeployOrConfig);
        }
    }
    let second = cases.get(1).map_or(0.0, |c| c.score);
    cases.first().is_some_and(|c| c.score >= 1.5 * second)
}

fn promote(cases: &mut [Case], category: Category) {
    if let Some(at) = cases.iter().position(|c| c.category == category) {
        cases[..=at].rotate_right(1);
    }
}

/// Categories where the cause is usually whoever loaded a shared resource:
/// a job that started, a function that burst, an importer.
fn actor_matters(category: Category) -> bool {
    matches!(
        category,
        Category::DatabaseContention
            | Category::CapacityExhaustion
            | Category::QueueBacklog
            | Category::Throttling
            | Category::DiskFull
    )
}

/// The piece that started the trouble: a new change-like line (a job
/// starting, a burst, a release) before or at the first symptom, outside
/// the alarmed resource's own log group.
fn actor<'a>(case: &Case, pieces: &'a [Piece], alarmed: &[String]) -> Option<(usize, &'a Piece)> {
    let first_symptom = case.pieces.iter().filter_map(|(i, _)| pieces.get(*i)).map(|p| p.at).min()?;
    let own = |p: &Piece| p.resource.as_ref().is_some_and(|r| alarmed.iter().any(|a| a.eq_ignore_ascii_case(r)));
    pieces
        .iter()
        .enumerate()
        .filter(|(_, p)| p.change && p.new && p.kind == EvidenceKind::Log && !own(p))
        .filter(|(_, p)| p.at <= first_symptom + chrono::Duration::minutes(5))
        .max_by(|a, b| a.1.weight.total_cmp(&b.1.weight))
}

/// The component of a case, and the actor's piece if one was the cause.
fn component(case: &Case, pieces: &[Piece], alarmed: &[String], category: Category) -> (String, Option<usize>) {
    let fallback = alarmed.first().cloned().unwrap_or_default();
    if category == Category::Unknown {
        return (fallback, None);
    }
    let lead = case.pieces.first().and_then(|(i, _)| pieces.get(*i));
    if actor_matters(category)
        && let Some((i, piece)) = actor(case, pieces, alarmed)
    {
        let name = piece
            .names
            .first()
            .cloned()
            .or_else(|| piece.resource.clone())
            .unwrap_or_else(|| fallback.clone());
        let place = lead
            .and_then(|l| l.resource.clone())
            .filter(|r| !name.eq_ignore_ascii_case(r));
        return (
            match place {
                Some(place) => format!("{name} (load on {place})"),
                None => name,
            },
            Some(i),
        );
    }
    let Some(lead) = lead else {
        return (fallback, None);
    };
    // A change: what it touched. A denial, a DNS or TLS failure, a failing
    // dependency: what the line names (the role, the host, the key). Else
    // the resource whose log group shows it.
    let named_first = matches!(
        category,
        Category::PermissionDenied | Category::NetworkDnsTls | Category::DependencyFailure | Category::Timeout
    );
    let name = if lead.kind == EvidenceKind::Change {
        lead.resource.clone()
    } else if named_first {
        lead.names
            .iter()
            .find(|n| !alarmed.iter().any(|a| a.eq_ignore_ascii_case(n)))
            .cloned()
            .or_else(|| lead.resource.clone())
    } else {
        lead.resource.clone().or_else(|| lead.names.first().cloned())
    };
    (name.unwrap_or(fallback), None)
}

/// The quotes of a case: the actor's or change's line first, then the
/// strongest lines of the mechanism, each once.
fn quotes(case: &Case, pieces: &[Piece], actor: Option<usize>) -> Vec<Evidence> {
    let order = actor.into_iter().chain(case.pieces.iter().map(|(i, _)| *i));
    let mut quotes: Vec<Evidence> = Vec::new();
    for i in order {
        let Some(piece) = pieces.get(i) else { continue };
        if quotes.iter().any(|q| q.detail == piece.quote) {
            continue;
        }
        quotes.push(Evidence {
            kind: piece.kind,
            detail: piece.quote.clone(),
            source: Some(piece.source.clone()),
        });
        if quotes.len() == QUOTES_PER_CAUSE {
            break;
        }
    }
    quotes
}

/// The confidence of a named case: its strength, and its margin over the
/// next; at most 0.9.
fn confidence(score: f64, cases: &[Case], clear: bool) -> f64 {
    let second = cases.get(1).map_or(0.0, |c| c.score);
    let strength = (score / (score + 20.0)).min(0.8);
    let margin = if clear { 0.15 } else { 0.0 };
    let value = (0.25 + strength * 0.6 + margin).min(0.9) - if second > score { 0.1 } else { 0.0 };
    (value.max(0.2) * 100.0).round() / 100.0
}

/// The explanation: what kind of failure, where, and the lines that show
/// it, so that a reader (or a search) finds the facts in it.
fn explain(
    category: Category,
    component: &str,
    quotes: &[Evidence],
    pieces: &[Piece],
    alert: &crate::alert::Alert,
) -> String {
    if category == Category::Unknown {
        return format!(
            "No mechanism stands out in the context; the alarm on {} crossed its threshold. The strongest lines are quoted.",
            describe_metric(alert)
        );
    }
    let shown: Vec<String> = quotes
        .iter()
        .take(2)
        .map(|q| format!("\"{}\"", truncate_chars(&q.detail, 220)))
        .collect();
    let changed = pieces
        .iter()
        .filter(|p| p.change && p.new && p.weight >= 2.5)
        .min_by_key(|p| p.at)
        .map(|p| format!(" It follows a change at {}.", p.at.format("%H:%M:%S")))
        .unwrap_or_default();
    format!(
        "{} in {component}: {}.{changed}",
        sentence_case(&category.label()),
        shown.join("; ")
    )
}

fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn describe_metric(alert: &crate::alert::Alert) -> String {
    match alert
        .metric
        .as_ref()
        .and_then(|m| Some((m.namespace.as_deref()?, m.name.as_deref()?)))
    {
        Some((namespace, name)) => format!("{namespace} {name}"),
        None => alert.resource.clone(),
    }
}
