//! Past incidents like this one, from the archive, each saying why it
//! matches: the same alarm and problem (its signature), the same metric of
//! the same resource (another alarm on it), the same resource (another
//! metric), or the same service. Closer matches first, then the most
//! recent.

use serde::{Deserialize, Serialize};

use super::subject::Subject;
use crate::alert::Alert;

/// How many past incidents an analyzer is told of.
pub const MAX_PAST_INCIDENTS: usize = 8;
/// The window when none is configured.
pub const DEFAULT_DAYS: i64 = 90;

/// One row of the archive (`incident_history`), as the history query reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArchivedIncident {
    pub incident_id: String,
    pub signature: String,
    pub resource: String,
    /// What its alert measured (`Subject::key`), when known.
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    pub opened_at: String,
    #[serde(default)]
    pub root_cause: Option<String>,
    #[serde(default)]
    pub resolution: Option<String>,
    #[serde(default)]
    pub time_to_recover_seconds: Option<i64>,
}

/// Why a past incident is like this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Likeness {
    /// The same alarm and the same problem.
    Signature,
    /// The same metric of the same resource.
    SameMetric,
    /// Another metric of the same resource.
    SameResource,
    /// The same service.
    SameService,
}

impl Likeness {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Signature => "the same alarm and problem",
            Self::SameMetric => "the same metric of the same resource",
            Self::SameResource => "another metric of the same resource",
            Self::SameService => "the same service",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastIncident {
    pub incident: ArchivedIncident,
    pub likeness: Likeness,
}

/// The past incidents an analyzer is given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryContext {
    pub days: i64,
    pub incidents: Vec<PastIncident>,
    /// Matching incidents left out past [`MAX_PAST_INCIDENTS`].
    #[serde(default)]
    pub left_out: usize,
}

/// Why `row` is like `alert`, if it is.
pub fn likeness(alert: &Alert, subject: &Subject, row: &ArchivedIncident) -> Option<Likeness> {
    if row.signature == alert.signature.as_str() {
        return Some(Likeness::Signature);
    }
    let theirs = row.subject.as_deref().and_then(Subject::from_hint);
    if let Some(theirs) = &theirs {
        if theirs.same_metric(subject) {
            return Some(Likeness::SameMetric);
        }
        if theirs.same_resource(subject) {
            return Some(Likeness::SameResource);
        }
    }
    match (&alert.service, &row.service) {
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => Some(Likeness::SameService),
        _ => None,
    }
}

/// The rows like `alert`, closest and most recent first.
pub fn select(alert: &Alert, rows: Vec<ArchivedIncident>, days: i64) -> HistoryContext {
    let subject = Subject::of(alert);
    let mut like: Vec<PastIncident> = rows
        .into_iter()
        .filter_map(|row| {
            likeness(alert, &subject, &row).map(|likeness| PastIncident {
                incident: row,
                likeness,
            })
        })
        .collect();
    like.sort_by(|a, b| {
        a.likeness
            .cmp(&b.likeness)
            .then(b.incident.opened_at.cmp(&a.incident.opened_at))
    });
    let left_out = like.len().saturating_sub(MAX_PAST_INCIDENTS);
    like.truncate(MAX_PAST_INCIDENTS);
    HistoryContext {
        days,
        incidents: like,
        left_out,
    }
}

/// A past incident as the analyzer reads it.
pub fn render(past: &PastIncident) -> String {
    let i = &past.incident;
    let mut line = format!("{} ({}):", i.opened_at, past.likeness.describe());
    if let Some(subject) = &i.subject {
        line.push_str(&format!(" {subject};"));
    }
    match &i.root_cause {
        Some(cause) => line.push_str(&format!(" root cause: {cause};")),
        None => line.push_str(" root cause not recorded;"),
    }
    if let Some(fix) = &i.resolution {
        line.push_str(&format!(" resolved by: {fix};"));
    }
    if let Some(seconds) = i.time_to_recover_seconds {
        line.push_str(&format!(" recovered in {} min;", seconds / 60));
    }
    line.trim_end_matches(';').to_owned()
}
