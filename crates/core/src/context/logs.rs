//! Which log lines an analyzer sees: every event of the related log groups
//! in the incident window and the baseline before it, collapsed into
//! templates (one verbatim example, a count, the first and last time), and
//! ranked by what tells a cause apart from the usual: new since the
//! baseline, more frequent than in it, how bad it looks, whether it tells of
//! a change, and how close it is to the alarmed resource. The best fill a
//! token budget; what is left out is counted.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::LogEvent;
use super::signals;
use super::template::template_hash;
use super::window::Windows;

/// The longest example kept of a template that tells something (new,
/// stopped, more frequent, bad-looking or a change): longer ones are cut at
/// their end (the cut is recorded beside the quote, never inside it). JSON
/// lines and stopped-task events put their reason late.
pub const MAX_EXAMPLE_CHARS: usize = 3200;
/// The longest example kept of a routine template (usual rate, nothing
/// bad-looking): its shape is enough.
pub const MAX_ROUTINE_EXAMPLE_CHARS: usize = 300;
/// The budget when none is configured, in tokens (4 characters each).
pub const DEFAULT_BUDGET_TOKENS: usize = 6000;

/// One log group read for the incident, with why.
#[derive(Debug, Clone)]
pub struct GroupInput<'a> {
    pub name: &'a str,
    /// From 0 (unrelated as far as we know) to 1 (the alarmed resource's own).
    pub relation: f64,
    pub why: &'a str,
    /// Its events in both windows, in time order.
    pub events: &'a [LogEvent],
}

/// A group as the analyzer is told of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub name: String,
    /// How it relates to the alarmed resource (`its own log group`, `shares
    /// the service tag`, `in the log folder`).
    pub relation: String,
    pub incident_events: u64,
    pub baseline_events: u64,
    /// Distinct templates in the incident window.
    pub templates: u64,
}

/// One kind of event, told once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogTemplate {
    pub log_group: String,
    /// The first occurrence in the incident window (the last in the
    /// baseline for one that stopped), verbatim; cut at its end if `cut`.
    pub example: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
    /// The example's log stream, when the source names it: it often names
    /// the resource (an AWS Batch job's definition, an ECS task's
    /// container, an instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// Occurrences in the incident window and in the baseline.
    pub count: u64,
    pub baseline: u64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub score: f64,
    /// Why it ranks where it does: `new`, `12x the baseline`, `error`,
    /// `change`, `mentions checkout-api`, `stopped`.
    pub why: Vec<String>,
}

/// The log lines an analyzer is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogContext {
    /// The resources around the alarmed one, and the groups read.
    #[serde(default)]
    pub topology: super::topology::Topology,
    pub windows: Windows,
    pub groups: Vec<GroupSummary>,
    /// Best first, within the budget.
    pub templates: Vec<LogTemplate>,
    /// What the budget left out, for people: `31 templates (2,204 events)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
    pub tokens: usize,
}

/// Hashes are already hashes: use them as they are.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Templates = HashMap<u64, Counting, BuildHasherDefault<Identity>>;

/// A template while counting.
struct Counting {
    group: usize,
    /// Index of the example event in its group.
    example: usize,
    count: u64,
    baseline: u64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    last_baseline: usize,
}

/// Counts the templates of every group: `(hash, group)` → counts.
fn count(groups: &[GroupInput<'_>], windows: &Windows) -> Templates {
    let mut templates = Templates::default();
    for (g, group) in groups.iter().enumerate() {
        for (i, event) in group.events.iter().enumerate() {
            let in_incident = windows.incident.contains(event.at);
            if !in_incident && !windows.baseline.contains(event.at) {
                continue;
            }
            let key =
                template_hash(&event.message) ^ (g as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let entry = templates.entry(key).or_insert(Counting {
                group: g,
                example: i,
                count: 0,
                baseline: 0,
                first: event.at,
                last: event.at,
                last_baseline: i,
            });
            if in_incident {
                if entry.count == 0 {
                    entry.example = i;
                    entry.first = event.at;
                }
                entry.count += 1;
                entry.last = event.at;
            } else {
                entry.baseline += 1;
                entry.last_baseline = i;
            }
        }
    }
    templates
}

/// Mines and ranks the templates of `groups`, keeping the best within
/// `budget_tokens`. `names`: the alarmed resource's names (a line that
/// mentions one ranks higher).
pub fn mine(
    groups: &[GroupInput<'_>],
    windows: &Windows,
    names: &[String],
    budget_tokens: usize,
) -> LogContext {
    let counted = count(groups, windows);
    let incident_minutes = windows.incident.minutes().max(1.0);
    let baseline_minutes = windows.baseline.minutes().max(1.0);
    let names: Vec<String> = names
        .iter()
        .map(|n| n.to_lowercase())
        .filter(|n| n.len() >= 3)
        .collect();
    let mut summaries: Vec<GroupSummary> = groups
        .iter()
        .map(|g| GroupSummary {
            name: g.name.to_owned(),
            relation: g.why.to_owned(),
            incident_events: 0,
            baseline_events: 0,
            templates: 0,
        })
        .collect();
    let mut ranked: Vec<LogTemplate> = Vec::with_capacity(counted.len());
    for t in counted.values() {
        let Some(group) = groups.get(t.group) else {
            continue;
        };
        if let Some(summary) = summaries.get_mut(t.group) {
            summary.incident_events += t.count;
            summary.baseline_events += t.baseline;
            summary.templates += u64::from(t.count > 0);
        }
        let stopped = t.count == 0;
        // A template seen only in the baseline matters only if it was
        // frequent there: something that stopped (a consumer, a heartbeat).
        if stopped && t.baseline < 10 {
            continue;
        }
        let example_index = if stopped { t.last_baseline } else { t.example };
        let Some(event) = group.events.get(example_index) else {
            continue;
        };
        let lower = event.message.to_lowercase();
        let mut why = Vec::new();
        let novelty = if stopped {
            why.push("stopped".to_owned());
            1.5
        } else if t.baseline == 0 {
            why.push("new".to_owned());
            2.5 + (1.0 + t.count as f64).log10().min(1.0) * 0.5
        } else {
            let ratio = ((t.count as f64 + 1.0) / incident_minutes)
                / ((t.baseline as f64 + 1.0) / baseline_minutes);
            if ratio >= 2.0 {
                why.push(format!("{ratio:.0}x the baseline"));
            }
            ratio.ln().clamp(0.0, 2.5)
        };
        let (severity, bad) = signals::severity(&lower);
        if let Some(word) = bad {
            why.push(word.trim().to_owned());
        }
        let change = signals::change(&lower);
        let change_bonus = match change {
            Some(_) if novelty >= 1.0 => 1.5,
            Some(_) => 0.2,
            None => 0.0,
        };
        if change.is_some() && change_bonus > 1.0 {
            why.push("change".to_owned());
        }
        let mentioned = names.iter().find(|n| lower.contains(n.as_str()));
        if let Some(name) = mentioned {
            why.push(format!("mentions {name}"));
        }
        let mut score = novelty
            + 0.8 * severity
            + change_bonus
            + 0.6 * group.relation
            + if mentioned.is_some() { 0.4 } else { 0.0 };
        // The usual, told as usual: routine lines at their usual rate.
        if novelty < 0.3 && severity < 1.0 {
            score *= 0.3;
        }
        let routine = novelty < 0.3 && severity < 1.0 && change_bonus < 1.0;
        let (example, cut) = cut_example(
            &event.message,
            if routine {
                MAX_ROUTINE_EXAMPLE_CHARS
            } else {
                MAX_EXAMPLE_CHARS
            },
        );
        ranked.push(LogTemplate {
            log_group: group.name.to_owned(),
            example,
            cut,
            stream: event.stream.clone(),
            count: t.count,
            baseline: t.baseline,
            first: if stopped { event.at } else { t.first },
            last: if stopped { event.at } else { t.last },
            score,
            why,
        });
    }
    // Best first; among equals, the earlier first (a cause precedes its
    // symptoms). A group's later templates weigh a little less, so one
    // noisy group does not fill the budget alone.
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.first.cmp(&b.first)));
    let mut per_group: HashMap<String, i32> = HashMap::new();
    for t in &mut ranked {
        let seen = per_group.entry(t.log_group.clone()).or_insert(0);
        t.score *= 0.97f64.powi(*seen);
        t.score = (t.score * 100.0).round() / 100.0;
        *seen += 1;
    }
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.first.cmp(&b.first)));
    let mut kept = Vec::new();
    let mut tokens = 0usize;
    let (mut left_templates, mut left_events) = (0usize, 0u64);
    for t in ranked {
        let cost = super::tokens(&render_template(&t));
        if tokens + cost <= budget_tokens {
            tokens += cost;
            kept.push(t);
        } else {
            left_templates += 1;
            left_events += t.count;
        }
    }
    let mut left_out = Vec::new();
    if left_templates > 0 {
        left_out.push(format!(
            "{left_templates} lower-ranked templates ({left_events} events in the incident window)"
        ));
    }
    let quiet: Vec<&str> = summaries
        .iter()
        .filter(|s| s.incident_events == 0 && s.baseline_events == 0)
        .map(|s| s.name.as_str())
        .collect();
    if !quiet.is_empty() {
        left_out.push(format!("no lines in either window: {}", quiet.join(", ")));
    }
    LogContext {
        topology: super::topology::Topology::default(),
        windows: *windows,
        groups: summaries,
        templates: kept,
        left_out,
        tokens,
    }
}

/// An example no longer than `max` characters, cut at its end only.
fn cut_example(message: &str, max: usize) -> (String, bool) {
    match message.char_indices().nth(max) {
        Some((at, _)) => (message.get(..at).unwrap_or(message).to_owned(), true),
        None => (message.to_owned(), false),
    }
}

/// A template as the analyzer reads it: where, how often, then the example,
/// verbatim, on lines of its own.
pub fn render_template(t: &LogTemplate) -> String {
    let when = if t.first == t.last {
        t.first.format("%H:%M:%S").to_string()
    } else {
        format!(
            "{}–{}",
            t.first.format("%H:%M:%S"),
            t.last.format("%H:%M:%S")
        )
    };
    let seen = if t.count == 0 {
        format!("stopped: {} in the baseline, none since", t.baseline)
    } else if t.baseline == 0 {
        format!("{}x, new", t.count)
    } else {
        format!("{}x, {}x in the baseline", t.count, t.baseline)
    };
    let cut = if t.cut { " (cut at its end)" } else { "" };
    let stream = t
        .stream
        .as_deref()
        .map(|s| format!(" stream {s}"))
        .unwrap_or_default();
    format!(
        "[{}{stream}] {seen}, {when}{cut}:\n{}\n",
        t.log_group, t.example
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn event(at: DateTime<Utc>, message: &str) -> LogEvent {
        LogEvent {
            at,
            stream: None,
            message: message.to_owned(),
        }
    }

    #[test]
    fn what_is_new_outranks_what_is_usual_and_repeats_collapse() {
        let t0: DateTime<Utc> = "2026-11-20T09:00:00Z".parse().unwrap();
        let windows = Windows::around(t0, Duration::minutes(60), Duration::minutes(10));
        let mut events = Vec::new();
        for m in 0..130 {
            let at = t0 - Duration::minutes(130) + Duration::minutes(m);
            events.push(event(at, &format!("INFO GET /health 200 {m}ms")));
            events.push(event(at, "WARN retrying call to ledger-fx (attempt 2)"));
        }
        events.push(event(
            t0 - Duration::minutes(20),
            "deploy: checkout-api 4.2.0 rolled out",
        ));
        for m in 0..15 {
            events.push(event(
                t0 - Duration::minutes(15) + Duration::minutes(m),
                &format!("ERROR payment failed for cart {m:06x}1"),
            ));
        }
        events.sort_by_key(|e| e.at);
        let groups = [GroupInput {
            name: "/aws/lambda/checkout-api",
            relation: 1.0,
            why: "its own",
            events: &events,
        }];
        let context = mine(&groups, &windows, &["checkout-api".to_owned()], 10_000);
        let first: Vec<&str> = context
            .templates
            .iter()
            .take(2)
            .map(|t| t.example.as_str())
            .collect();
        assert!(
            first.contains(&"deploy: checkout-api 4.2.0 rolled out"),
            "{first:?}"
        );
        let error = context
            .templates
            .iter()
            .find(|t| t.example.starts_with("ERROR payment"))
            .unwrap();
        assert_eq!((error.count, error.baseline), (15, 0));
        let health = context
            .templates
            .iter()
            .position(|t| t.example.contains("/health"))
            .unwrap();
        assert!(health >= 2, "the usual ranks last");
        let tiny = mine(&groups, &windows, &[], 30);
        assert_eq!(tiny.templates.len(), 1);
        assert!(
            tiny.left_out[0].starts_with("3 lower-ranked templates"),
            "{:?}",
            tiny.left_out
        );
    }
}
