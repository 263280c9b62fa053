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
/// A line is quoted if it shows the mechanism at least this share as
/// strongly as the case's strongest line.
const QUOTE_SHARE: f64 = 0.5;
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
    /// A recorded change that names the alarmed or a related resource.
    related: bool,
    /// The resource of its log group (or of the change).
    resource: Option<String>,
    /// Its log stream, when known.
    stream: Option<String>,
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
            let category = if named {
                case.category
            } else {
                Category::Unknown
            };
            let Pointed {
                component,
                actor,
                home,
            } = component(case, &pieces, &alarmed, category);
            let quotes = quotes(case, &pieces, actor, home.as_deref(), &alarmed);
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
            let component = alarmed
                .first()
                .cloned()
                .unwrap_or_else(|| alert.resource.clone());
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
        // A past incident like this one is told, not quoted: the quotes are
        // the lines that show this incident.
        if let (Some(history), Some(top)) = (&input.history, causes.first_mut())
            && let Some(past) = history.incidents.first()
        {
            top.explanation.push_str(&format!(
                " A past incident like it ({}): {}.",
                past.likeness.describe(),
                past.incident.root_cause.as_deref().map_or_else(
                    || "its cause was not recorded".to_owned(),
                    |c| truncate_chars(c, 200)
                )
            ));
        }
        // There is always a first cause (`unknown` when nothing shows one).
        let (top_category, top_component, top_confidence) = causes
            .first()
            .map_or((Category::Unknown, alert.resource.clone(), 0.0), |c| {
                (c.category, c.component.clone(), c.confidence)
            });
        let advice = advice::of(top_category);
        let fill = |text: &str| text.replace("{component}", &top_component);
        let mut remediation: Vec<Remediation> = Vec::new();
        let mut next_checks: Vec<String> = Vec::new();
        for cause in &causes {
            let advice = advice::of(cause.category);
            for (step, risk) in advice.steps {
                let step = step.replace("{component}", &cause.component);
                if !remediation.iter().any(|r| r.step == step)
                    && remediation.len() < limits::MAX_REMEDIATION_STEPS
                {
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
            top_category.label(),
            top_component,
            top_confidence * 100.0
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
            resources: None,
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
    let weight = |l: &str| {
        mechanisms::categories(&l.to_lowercase())
            .iter()
            .map(|c| c.1)
            .fold(0.0, f64::max)
    };
    // A stack frame names code, not what went wrong.
    let frame = |l: &str| {
        let t = l.trim_start();
        t.starts_with("at ")
            || t.starts_with("File \"")
            || t.starts_with("...")
            || t.starts_with("^")
    };
    let first = example.lines().next().unwrap_or(example);
    if weight(first) >= 2.0 {
        return first.to_owned();
    }
    example
        .lines()
        .filter(|l| l.trim().len() >= 8 && !frame(l))
        .max_by(|a, b| weight(a).total_cmp(&weight(b)).then(b.len().cmp(&a.len())))
        .unwrap_or(first)
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
                related: false,
                new: t.baseline == 0 && t.count > 0,
                quote,
                kind: EvidenceKind::Log,
                source: t.log_group.clone(),
                at: t.first,
                weight: t.score,
                resource: components::resource_of_group(&t.log_group)
                    .or_else(|| t.stream.as_deref().and_then(components::resource_of_stream)),
                stream: t.stream.clone(),
            });
        }
    }
    if let Some(changes) = &input.changes {
        for e in &changes.events {
            // A failed call changed nothing; a reaction is not a decision.
            if e.error.is_some() || e.routine {
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
                related: e.related,
                new: true,
                quote: line,
                kind: EvidenceKind::Change,
                source: "cloudtrail".to_owned(),
                at: e.at,
                weight: if e.related { 4.0 } else { 1.5 },
                resource: components::resource_of_change(&e.resources, &e.detail),
                stream: None,
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
        cases
            .iter()
            .find(|c| c.category == category)
            .map_or(0.0, |c| c.score)
    };
    // An explicit denial or a DNS/TLS failure wins over what it caused.
    for category in [Category::PermissionDenied, Category::NetworkDnsTls] {
        if category != best.0
            && score_of(cases, category) >= 0.6 * best.1
            && score_of(cases, category) >= NAMED_THRESHOLD
        {
            promote(cases, category);
            return true;
        }
    }
    // A timeout while calling a dependency that cannot be reached: the
    // dependency is the cause, the timeout (a function's own deadline, the
    // strongest word in its logs) what it caused; half the score suffices.
    if best.0 == Category::Timeout
        && score_of(cases, Category::DependencyFailure) >= 0.5 * best.1
        && score_of(cases, Category::DependencyFailure) >= NAMED_THRESHOLD
    {
        if let Some(case) = cases
            .iter_mut()
            .find(|c| c.category == Category::DependencyFailure)
        {
            case.score = best.1 + 0.1;
        }
        promote(cases, Category::DependencyFailure);
    }
    // A failing or slow call after a change: the change is the cause,
    // unless some mechanism is shown clearly.
    let top = cases.first().map(|c| c.category).unwrap_or_default();
    if !mechanisms::is_mechanism(top) {
        let symptoms_from = cases.first().and_then(|c| {
            c.pieces
                .iter()
                .filter_map(|(i, _)| pieces.get(*i))
                .filter(|p| !p.change)
                .map(|p| p.at)
                .min()
        });
        let change_first = cases
            .iter()
            .find(|c| c.category == Category::BadDeployOrConfig)
            .and_then(|c| {
                c.pieces
                    .iter()
                    .filter_map(|(i, _)| pieces.get(*i))
                    .find(|p| p.change && p.weight >= 2.5)
            })
            .is_some_and(|p| symptoms_from.is_none_or(|s| p.at <= s));
        let mechanism_clear = cases
            .iter()
            .filter(|c| mechanisms::is_mechanism(c.category))
            .any(|c| c.score >= 0.8 * best.1);
        if change_first
            && !mechanism_clear
            && score_of(cases, Category::BadDeployOrConfig) >= NAMED_THRESHOLD / 2.0
        {
            if let Some(case) = cases
                .iter_mut()
                .find(|c| c.category == Category::BadDeployOrConfig)
            {
                case.score = case.score.max(best.1 + 0.1);
            }
            promote(cases, Category::BadDeployOrConfig);
        }
    }
    let second = cases.get(1).map_or(0.0, |c| c.score);
    cases.first().is_some_and(|c| c.score >= 1.5 * second)
}

fn promote(cases: &mut [Case], category: Category) {
    if let Some(at) = cases.iter().position(|c| c.category == category)
        && let Some(head) = cases.get_mut(..=at)
    {
        head.rotate_right(1);
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
    let first_symptom = case
        .pieces
        .iter()
        .filter_map(|(i, _)| pieces.get(*i))
        .map(|p| p.at)
        .min()?;
    let own = |p: &Piece| is_alarmed(p, alarmed);
    let candidates = || {
        pieces
            .iter()
            .enumerate()
            .filter(|(_, p)| p.change && p.new && p.kind == EvidenceKind::Log && !own(p))
            .filter(|(_, p)| p.at <= first_symptom + chrono::Duration::minutes(5))
    };
    // The actor's group: its strongest line. Its line: the one that starts
    // the work (a job starting, a lock taken), else the strongest.
    let (_, strongest) = candidates().max_by(|a, b| a.1.weight.total_cmp(&b.1.weight))?;
    candidates()
        .filter(|(_, p)| p.source == strongest.source)
        .max_by(|a, b| {
            starts_work(&a.1.quote)
                .cmp(&starts_work(&b.1.quote))
                .then(a.1.weight.total_cmp(&b.1.weight))
        })
}

/// Whether a line tells of work beginning: what an actor's first move looks like.
fn starts_work(line: &str) -> bool {
    const STARTS: &[&str] = &[
        "starting",
        "started",
        "start ",
        "begin",
        "launch",
        "executing",
        "running ",
        "dispatching",
        "enqueueing",
        "locked ",
        "acquired",
        "scheduled",
        "triggered",
        "full reindex",
        "import of",
    ];
    let lower = line.to_lowercase();
    STARTS.iter().any(|w| lower.contains(w))
}

/// Where a cause's evidence points: the component, the actor's piece if
/// one started the trouble, and the log group the component was found in.
struct Pointed {
    component: String,
    actor: Option<usize>,
    home: Option<String>,
}

/// Whether a piece is the alarmed resource's own: its log group's
/// resource, or its stream (an instance's agent logs), is an alarmed name.
fn is_alarmed(p: &Piece, alarmed: &[String]) -> bool {
    let named = |r: &str| alarmed.iter().any(|a| a.eq_ignore_ascii_case(r));
    p.resource.as_deref().is_some_and(named) || p.stream.as_deref().is_some_and(named)
}

/// The component of a case, and the actor's piece if one was the cause.
///
/// Where the evidence points, by the kind of failure: a denial names the
/// principal or the resource whose policy refused; a DNS failure the
/// firewall list or the name; a failing call the remote host; a change
/// what it touched; a shared resource under load whoever loaded it (a job
/// that started, a function that burst). Otherwise the resource whose log
/// group shows the mechanism. A component found in a log group's line
/// names that group too, so a reader knows where to look.
fn component(case: &Case, pieces: &[Piece], alarmed: &[String], category: Category) -> Pointed {
    let fallback = alarmed.first().cloned().unwrap_or_default();
    if category == Category::Unknown {
        return Pointed {
            component: fallback,
            actor: None,
            home: None,
        };
    }
    let in_case = || {
        case.pieces
            .iter()
            .filter_map(|(i, _)| pieces.get(*i).map(|p| (*i, p)))
    };
    let with_place = |name: String, piece: &Piece, actor: Option<usize>| -> Pointed {
        let place = &piece.source;
        let home = (piece.kind == EvidenceKind::Log).then(|| place.clone());
        let component = if piece.kind != EvidenceKind::Log
            || place.to_lowercase().contains(&name.to_lowercase())
        {
            name
        } else {
            format!("{name} (log group {place})")
        };
        Pointed {
            component,
            actor,
            home,
        }
    };
    let targeted = match category {
        Category::PermissionDenied => {
            in_case().find_map(|(_, p)| components::denial_target(&p.quote).map(|n| (n, p)))
        }
        Category::NetworkDnsTls => {
            in_case().find_map(|(_, p)| components::dns_target(&p.quote).map(|n| (n, p)))
        }
        Category::DependencyFailure | Category::Timeout => in_case()
            .find_map(|(_, p)| {
                components::hosts_in(&p.quote)
                    .into_iter()
                    .find(|h| !alarmed.iter().any(|a| h.contains(&a.to_lowercase())))
                    .map(|n| (n, p))
            })
            // A dependency known only by its address (`10.20.4.17:443`).
            .or_else(|| {
                in_case().find_map(|(_, p)| {
                    components::endpoints_in(&p.quote)
                        .into_iter()
                        .next()
                        .map(|n| (n, p))
                })
            }),
        _ => None,
    };
    if let Some((name, piece)) = targeted {
        return with_place(name, piece, None);
    }
    if actor_matters(category)
        && let Some((i, piece)) = actor(case, pieces, alarmed)
    {
        let name = piece
            .resource
            .clone()
            .or_else(|| piece.names.first().cloned())
            .unwrap_or_else(|| fallback.clone());
        return with_place(name, piece, Some(i));
    }
    // A change: the one nearest before the symptoms (the first new line
    // of trouble), related first.
    let symptoms_from = pieces
        .iter()
        .filter(|p| p.kind == EvidenceKind::Log && p.new && !p.change && !p.mechanisms.is_empty())
        .map(|p| p.at)
        .min();
    let change = in_case()
        .filter(|(_, p)| p.change && p.resource.is_some())
        .filter(|(_, p)| symptoms_from.is_none_or(|s| p.at <= s + chrono::Duration::minutes(2)))
        .max_by(|a, b| a.1.related.cmp(&b.1.related).then(a.1.at.cmp(&b.1.at)));
    if category == Category::BadDeployOrConfig
        && let Some((_, piece)) = change
    {
        let name = piece.resource.clone().unwrap_or_else(|| fallback.clone());
        return with_place(name, piece, None);
    }
    let Some((_, lead)) = in_case().next() else {
        return Pointed {
            component: fallback,
            actor: None,
            home: None,
        };
    };
    let name = if is_alarmed(lead, alarmed) {
        fallback.clone()
    } else {
        lead.resource
            .clone()
            .or_else(|| lead.names.first().cloned())
            .unwrap_or(fallback)
    };
    with_place(name, lead, None)
}

/// The quotes of a case: the actor's or change's line first, then the
/// strongest lines of the mechanism, each once.
fn quotes(
    case: &Case,
    pieces: &[Piece],
    actor: Option<usize>,
    home: Option<&str>,
    alarmed: &[String],
) -> Vec<Evidence> {
    // Only lines that show the mechanism about as strongly as the best one:
    // a weak match (`queued` in a routine line) is no evidence.
    let strongest = case.pieces.first().map_or(0.0, |(_, c)| *c);
    let mut order: Vec<usize> = case
        .pieces
        .iter()
        .filter(|(_, c)| *c >= QUOTE_SHARE * strongest)
        .map(|(i, _)| *i)
        .collect();
    // A change's case shows what broke after it: the strongest new lines
    // of trouble from then on, whatever their mechanism.
    let changed_at = case
        .pieces
        .iter()
        .filter_map(|(i, _)| pieces.get(*i))
        .filter(|p| p.kind == EvidenceKind::Change)
        .map(|p| p.at)
        .min();
    if case.category == Category::BadDeployOrConfig
        && let Some(at) = changed_at
    {
        let mut after: Vec<usize> = (0..pieces.len())
            .filter(|i| {
                pieces.get(*i).is_some_and(|p| {
                    p.kind == EvidenceKind::Log && p.new && p.at >= at && !p.mechanisms.is_empty()
                })
            })
            .collect();
        let weight = |i: &usize| pieces.get(*i).map_or(0.0, |p| p.weight);
        after.sort_by(|a, b| weight(b).total_cmp(&weight(a)));
        after.extend(order);
        order = after;
    }
    // The cause's side before the symptom's: the component's own log group
    // first, then lines outside the alarmed resource's groups (stable:
    // strongest first within each).
    order.sort_by_key(|i| {
        pieces.get(*i).map_or(3, |p| {
            if home.is_some_and(|h| h == p.source) && !is_alarmed(p, alarmed) {
                0
            } else if !is_alarmed(p, alarmed) {
                1
            } else {
                2
            }
        })
    });
    let order: Vec<usize> = actor.into_iter().chain(order).collect();
    let mut picked: Vec<&Piece> = Vec::new();
    // Log lines, one per group (the group's strongest: more of one place
    // repeat it); a change is told in the explanation, and quoted only when
    // no line shows the failure.
    let passes: [(EvidenceKind, bool); 2] =
        [(EvidenceKind::Log, true), (EvidenceKind::Change, false)];
    for (kind, one_per_group) in passes {
        if kind == EvidenceKind::Change && !picked.is_empty() {
            break;
        }
        for &i in &order {
            if picked.len() == QUOTES_PER_CAUSE {
                break;
            }
            let Some(piece) = pieces.get(i).filter(|p| p.kind == kind) else {
                continue;
            };
            let same_group = picked.iter().any(|p| p.source == piece.source);
            let same_kind = picked
                .iter()
                .any(|p| p.quote == piece.quote || looks_alike(&p.quote, &piece.quote));
            if same_kind || (one_per_group && same_group) {
                continue;
            }
            picked.push(piece);
        }
    }
    // The symptom at the alarmed resource is what the alarm already says:
    // quoted only when nothing else shows the cause.
    if picked.iter().any(|p| !is_alarmed(p, alarmed)) {
        picked.retain(|p| !is_alarmed(p, alarmed));
    }
    picked
        .into_iter()
        .map(|piece| Evidence {
            kind: piece.kind,
            detail: piece.quote.clone(),
            source: Some(piece.source.clone()),
        })
        .collect()
}

/// Two lines of one kind (a second `REPORT` line, another job's failure):
/// their templates begin alike.
fn looks_alike(a: &str, b: &str) -> bool {
    let prefix = |line: &str| -> String {
        crate::context::template::template_text(line)
            .split_whitespace()
            .filter(|w| !w.contains('/'))
            .take(8)
            .collect::<Vec<_>>()
            .join(" ")
    };
    prefix(a) == prefix(b)
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
    // The change nearest before the first quoted line, if one was recorded.
    let first_quoted = pieces
        .iter()
        .filter(|p| quotes.iter().any(|q| q.detail == p.quote))
        .map(|p| p.at)
        .min();
    let changed = pieces
        .iter()
        .filter(|p| p.change && p.new && p.weight >= 2.5)
        .filter(|p| first_quoted.is_none_or(|at| p.at <= at))
        .max_by_key(|p| p.at)
        .map(|p| match p.kind {
            EvidenceKind::Change => format!(
                " It follows a change at {}: {}.",
                p.at.format("%H:%M:%S"),
                truncate_chars(&p.quote, 240)
            ),
            _ => format!(
                " It follows a change at {} in {}.",
                p.at.format("%H:%M:%S"),
                p.source
            ),
        })
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
