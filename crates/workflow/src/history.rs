//! The history query, one SQL text for Athena and SQLite over the incident
//! archive (`incident_history`, the columns of [`crate::ports::ArchiveRecord`]).

/// The history query: one SQL text for Athena and SQLite. Timestamps are
/// ISO-8601 strings, compared as text; `?` are the signature, the resource
/// and the start of the window.
pub const HISTORY_SUMMARY_SQL: &str = "SELECT COUNT(*) AS occurrences, MIN(opened_at) AS first_seen, \
MAX(opened_at) AS last_seen, AVG(time_to_recover_seconds) AS mean_time_to_recover_seconds \
FROM incident_history WHERE signature = ? AND resource = ? AND opened_at >= ?";

/// The previous root causes and resolutions, most recent first.
pub const HISTORY_CAUSES_SQL: &str = "SELECT root_cause, resolution FROM incident_history \
WHERE signature = ? AND resource = ? AND opened_at >= ? AND root_cause IS NOT NULL \
ORDER BY opened_at DESC LIMIT 5";
