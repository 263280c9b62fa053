//! The history query, one SQL text for Athena and SQLite over the incident
//! archive (`incident_history`, the columns of [`crate::ports::ArchiveRecord`]).
//! It reads candidates only: the core (`responder_core::context::history`)
//! decides which are like the alert and why.

use responder_core::context::history::ArchivedIncident;

use crate::ports::HistoryQuery;

/// Rows the query returns at most, most recent first.
pub const MAX_CANDIDATES: usize = 200;
/// Resource parts matched against past subjects at most (each is one `LIKE`).
pub const MAX_RESOURCE_PARTS: usize = 4;

/// The columns read, in order (see [`candidate_sql`]).
pub const CANDIDATE_COLUMNS: [&str; 8] = [
    "incident_id",
    "signature",
    "resource",
    "subject",
    "service",
    "opened_at",
    "root_cause",
    "resolution",
];

/// The candidate query and its parameters, in order. Timestamps are
/// ISO-8601 strings, compared as text. Every value is a parameter (`?`):
/// never SQL built from alert text. A past incident is a candidate if it
/// has the same signature, resource or service, or its subject names one of
/// the alert's resource parts.
pub fn candidate_sql(q: &HistoryQuery) -> (String, Vec<String>) {
    let mut sql = format!(
        "SELECT {}, time_to_recover_seconds FROM incident_history \
         WHERE opened_at >= ? AND (signature = ? OR resource = ? OR service = ?",
        CANDIDATE_COLUMNS.join(", ")
    );
    let mut parameters = vec![
        q.since.clone(),
        q.signature.clone(),
        q.resource.clone(),
        // No service matches no row: '' is never a service name.
        q.service.clone().unwrap_or_default(),
    ];
    for part in q
        .resource_parts
        .iter()
        .filter(|p| p.len() >= 3)
        .take(MAX_RESOURCE_PARTS)
    {
        sql.push_str(" OR subject LIKE ?");
        parameters.push(format!("%{}%", escape_like(part)));
    }
    sql.push_str(&format!(") ORDER BY opened_at DESC LIMIT {MAX_CANDIDATES}"));
    (sql, parameters)
}

/// One row of the candidate query, its cells in [`candidate_sql`]'s order
/// (as text: Athena returns every cell as text). Empty cells are `None`.
pub fn candidate_of(cells: Vec<Option<String>>) -> ArchivedIncident {
    let mut cells = cells.into_iter().map(|c| c.filter(|v| !v.is_empty()));
    let mut next = || cells.next().flatten();
    ArchivedIncident {
        incident_id: next().unwrap_or_default(),
        signature: next().unwrap_or_default(),
        resource: next().unwrap_or_default(),
        subject: next(),
        service: next(),
        opened_at: next().unwrap_or_default(),
        root_cause: next(),
        resolution: next(),
        // Athena renders a double; SQLite an integer.
        time_to_recover_seconds: next().and_then(|t| t.parse::<f64>().ok()).map(|t| t as i64),
    }
}

/// A resource name is matched literally: `%` and `_` in it are no wildcards.
/// Both SQLite and Athena (Trino) take `LIKE` without `ESCAPE` with these
/// characters meaning wildcards, so they are replaced by `_` (any one
/// character): a looser match, decided exactly by the core afterwards.
fn escape_like(part: &str) -> String {
    part.replace(['%', '_'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_a_parameter() {
        let q = HistoryQuery {
            signature: "sig'; DROP".into(),
            resource: "arn:aws:rds:eu-west-1:1:db:billing-db".into(),
            resource_parts: vec!["billing-db".into(), "db".into(), "50%_off".into()],
            service: None,
            since: "2026-09-01T00:00:00Z".into(),
        };
        let (sql, parameters) = candidate_sql(&q);
        assert!(!sql.contains("billing") && !sql.contains("DROP"));
        assert_eq!(sql.matches('?').count(), parameters.len());
        // Parts shorter than 3 characters match too much to be asked for.
        assert_eq!(&parameters[4..], ["%billing-db%", "%50__off%"]);
        assert_eq!(parameters[3], "");
    }
}
