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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_alerts::demo_alarm as alarm;

    fn row(id: &str, opened_at: &str) -> ArchivedIncident {
        ArchivedIncident {
            incident_id: id.to_owned(),
            signature: "another-signature".to_owned(),
            resource: "elsewhere".to_owned(),
            opened_at: opened_at.to_owned(),
            ..ArchivedIncident::default()
        }
    }

    fn with_subject(mut row: ArchivedIncident, subject: &str) -> ArchivedIncident {
        row.subject = Some(subject.to_owned());
        row
    }

    #[test]
    fn closer_matches_come_first_then_the_most_recent_and_the_unrelated_are_left_out() {
        let alert = alarm();
        let function = Subject::of(&alert).resource.join(" ");
        let mut same_alarm = row("same-alarm", "2026-09-01T10:00:00Z");
        same_alarm.signature = alert.signature.as_str().to_owned();
        let mut same_service = row("same-service", "2026-11-19T10:00:00Z");
        same_service.service = alert.service.as_deref().map(str::to_uppercase);
        let rows = vec![
            same_service,
            with_subject(
                row("other-metric", "2026-11-18T10:00:00Z"),
                &format!("AWS/Lambda Duration {function} > 5000"),
            ),
            with_subject(
                row("same-metric-old", "2026-10-01T10:00:00Z"),
                &format!("AWS/Lambda Errors {function} > 5; a bad deploy"),
            ),
            with_subject(
                row("same-metric-new", "2026-11-01T10:00:00Z"),
                &format!("AWS/Lambda Errors {function} >= 10"),
            ),
            with_subject(
                row("unrelated", "2026-11-20T08:00:00Z"),
                "AWS/RDS DatabaseConnections billing-db > 450",
            ),
            same_alarm,
        ];
        let found = select(&alert, rows, DEFAULT_DAYS);
        let order: Vec<(&str, Likeness)> = found
            .incidents
            .iter()
            .map(|p| (p.incident.incident_id.as_str(), p.likeness))
            .collect();
        assert_eq!(
            order,
            [
                ("same-alarm", Likeness::Signature),
                ("same-metric-new", Likeness::SameMetric),
                ("same-metric-old", Likeness::SameMetric),
                ("other-metric", Likeness::SameResource),
                ("same-service", Likeness::SameService),
            ]
        );
        assert_eq!((found.days, found.left_out), (90, 0));
    }

    #[test]
    fn past_the_limit_the_oldest_are_counted_not_told() {
        let alert = alarm();
        let rows = (0..11)
            .map(|day| {
                let mut past = row(
                    &format!("inc-{day:02}"),
                    &format!("2026-11-{:02}T10:00:00Z", day + 1),
                );
                past.signature = alert.signature.as_str().to_owned();
                past
            })
            .collect();
        let found = select(&alert, rows, 30);
        assert_eq!(found.incidents.len(), MAX_PAST_INCIDENTS);
        assert_eq!(found.left_out, 3);
        assert_eq!(
            found.incidents[0].incident.incident_id, "inc-10",
            "most recent first"
        );
        let told = render(&found.incidents[0]);
        assert!(
            told.starts_with(
                "2026-11-11T10:00:00Z (the same alarm and problem): root cause not recorded"
            ),
            "{told}"
        );
    }
}
