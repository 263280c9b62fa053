//! The SQLite database as the workflow's stores: incidents and occurrences,
//! the analysis cache, approvals, idempotency records, the history archive
//! and its query. Each conditional write is one transaction.

use chrono::{DateTime, Utc};
use responder_core::analysis::Analysis;
use responder_core::context::history::ArchivedIncident;
use responder_core::{Channel, Incident};
use responder_workflow::history::{candidate_of, candidate_sql};
use responder_workflow::ports::{
    AnalysisCache, Analyzed, Answered, ApprovalRequest, Approvals, Archive, ArchiveRecord, Begin,
    Delivery, History, HistoryQuery, Idempotency, IncidentStore, Occurrence, RecordedDecision,
    WaitingApproval, Write,
};
use responder_workflow::{Error, Result};
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use crate::db::{Db, incident_in, open_incident_in, save_incident_in};
use crate::error::LocalError;

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn store(e: rusqlite::Error) -> Error {
    LocalError::from(e).into()
}

impl IncidentStore for Db {
    async fn occurrence(&self, dedup_key: &str) -> Result<Option<Occurrence>> {
        let conn = self.conn();
        let row: Option<(String, Option<String>, String, String)> = conn
            .query_row(
                "SELECT execution_id, incident_id, decision, received_at FROM occurrences WHERE dedup_key = ?1",
                params![dedup_key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(store)?;
        row.map(|(execution_id, incident_id, decision, received_at)| {
            Ok(Occurrence {
                dedup_key: dedup_key.to_owned(),
                execution_id,
                incident_id,
                decision: serde_json::from_value(Value::String(decision))
                    .map_err(Error::corrupt)?,
                received_at,
            })
        })
        .transpose()
    }

    async fn open_incident(&self, signature: &str) -> Result<Option<Incident>> {
        Ok(open_incident_in(&self.conn(), signature)?)
    }

    async fn incident(&self, id: &str) -> Result<Option<Incident>> {
        Ok(incident_in(&self.conn(), id)?)
    }

    async fn register(
        &self,
        occurrence: &Occurrence,
        incident: Option<&Incident>,
    ) -> Result<Write> {
        let mut conn = self.conn();
        // IMMEDIATE: the write lock first (see responder_sfn::Store), so that
        // concurrent registrations wait instead of failing.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(store)?;
        let seen: bool = tx
            .query_row(
                "SELECT 1 FROM occurrences WHERE dedup_key = ?1",
                params![occurrence.dedup_key],
                |_| Ok(()),
            )
            .optional()
            .map_err(store)?
            .is_some();
        if seen {
            return Ok(Write::Conflict);
        }
        if let Some(incident) = incident {
            if !at_expected_version(&tx, incident)? {
                return Ok(Write::Conflict);
            }
            save_incident_in(&tx, incident)?;
        }
        tx.execute(
            "INSERT INTO occurrences (dedup_key, execution_id, incident_id, decision, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                occurrence.dedup_key,
                occurrence.execution_id,
                occurrence.incident_id,
                occurrence.decision.as_str(),
                occurrence.received_at
            ],
        )
        .map_err(store)?;
        tx.commit().map_err(store)?;
        Ok(Write::Done)
    }

    async fn update(&self, incident: &Incident) -> Result<Write> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(store)?;
        if !at_expected_version(&tx, incident)? {
            return Ok(Write::Conflict);
        }
        save_incident_in(&tx, incident)?;
        tx.commit().map_err(store)?;
        Ok(Write::Done)
    }

    async fn record_analysis(&self, incident_id: &str, analyzed: &Analyzed) -> Result<()> {
        let analysis = serde_json::to_string(&analyzed.analysis).map_err(Error::corrupt)?;
        let usage = analyzed
            .usage
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(Error::corrupt)?;
        self.conn()
            .execute(
                "INSERT INTO analyses (incident_id, analysis, usage) VALUES (?1, ?2, ?3)
                 ON CONFLICT (incident_id) DO UPDATE SET analysis = ?2, usage = ?3",
                params![incident_id, analysis, usage],
            )
            .map_err(store)?;
        Ok(())
    }

    async fn record_delivery(&self, d: &Delivery) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO deliveries (incident_id, channel, kind, status, location, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (incident_id, channel, kind) DO UPDATE SET status = ?4, location = ?5, error = ?6",
                params![
                    d.incident_id,
                    d.channel.as_str(),
                    d.kind,
                    d.status,
                    d.location,
                    d.error
                ],
            )
            .map_err(store)?;
        Ok(())
    }

    async fn delivery(
        &self,
        incident_id: &str,
        channel: Channel,
        kind: &str,
    ) -> Result<Option<Delivery>> {
        self.conn()
            .query_row(
                "SELECT status, location, error FROM deliveries WHERE incident_id = ?1 AND channel = ?2 AND kind = ?3",
                params![incident_id, channel.as_str(), kind],
                |row| {
                    Ok(Delivery {
                        incident_id: incident_id.to_owned(),
                        channel,
                        kind: kind.to_owned(),
                        status: row.get(0)?,
                        location: row.get(1)?,
                        error: row.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(store)
    }
}

/// Whether the stored incident is at `incident.version - 1` (absent for 1).
fn at_expected_version(conn: &rusqlite::Connection, incident: &Incident) -> Result<bool> {
    let stored = incident_in(conn, &incident.id)?;
    Ok(match stored {
        None => incident.version <= 1,
        Some(stored) => stored.version + 1 == incident.version,
    })
}

impl AnalysisCache for Db {
    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Analysis>> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT analysis FROM analysis_cache WHERE key = ?1 AND expires_at > ?2",
                params![key, rfc3339(now)],
                |r| r.get(0),
            )
            .optional()
            .map_err(store)?;
        text.map(|t| serde_json::from_str(&t).map_err(Error::corrupt))
            .transpose()
    }

    async fn put(&self, key: &str, analysis: &Analysis, expires_at: DateTime<Utc>) -> Result<()> {
        let text = serde_json::to_string(analysis).map_err(Error::corrupt)?;
        self.conn()
            .execute(
                "INSERT INTO analysis_cache (key, analysis, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET analysis = ?2, expires_at = ?3",
                params![key, text, rfc3339(expires_at)],
            )
            .map_err(store)?;
        Ok(())
    }

    async fn remove(&self, key: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM analysis_cache WHERE key = ?1", params![key])
            .map_err(store)?;
        Ok(())
    }
}

impl Approvals for Db {
    async fn put_request(&self, r: &ApprovalRequest) -> Result<()> {
        let channels = serde_json::to_string(&r.channels).map_err(Error::corrupt)?;
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO approvals (id, incident_id, token, channels, status, requested_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, 'PENDING', ?5, ?6)",
                params![r.id, r.incident_id, r.token, channels, r.requested_at, r.expires_at],
            )
            .map_err(store)?;
        Ok(())
    }

    /// Waiting means its token waits too: the engine closes a token whose
    /// task timed out or was retried.
    async fn waiting(&self, incident_id: &str) -> Result<Option<WaitingApproval>> {
        let row: Option<(String, String, String)> = self
            .conn()
            .query_row(
                "SELECT a.id, a.token, a.channels FROM approvals a
                 JOIN sfn_task_tokens t ON t.token = a.token
                 WHERE a.incident_id = ?1 AND a.status = 'PENDING' AND t.state = 'waiting'
                 ORDER BY a.requested_at DESC LIMIT 1",
                params![incident_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(store)?;
        Ok(row.map(|(id, token, channels)| WaitingApproval {
            id,
            token,
            channels: serde_json::from_str(&channels).unwrap_or(Value::Null),
        }))
    }

    async fn record_decision(&self, d: &RecordedDecision, caller: &str) -> Result<bool> {
        let status = d.answer.approval_status();
        let answer = serde_json::to_string(&d.answer).map_err(Error::corrupt)?;
        let changed = self
            .conn()
            .execute(
                "UPDATE approvals SET status = ?2, decision = ?3, answer = ?4, answered = 0,
                   decided_by = ?5
                 WHERE id = ?1 AND status = 'PENDING'",
                params![d.approval_id, status, d.decision, answer, caller],
            )
            .map_err(store)?;
        Ok(changed == 1)
    }

    async fn unanswered(&self, incident_id: Option<&str>) -> Result<Vec<RecordedDecision>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, token, coalesce(decision, status), answer FROM approvals
                 WHERE answered = 0 AND answer IS NOT NULL AND status IN ('APPROVED', 'REJECTED')
                   AND (?1 IS NULL OR incident_id = ?1)
                 ORDER BY requested_at",
            )
            .map_err(store)?;
        let rows = stmt
            .query_map(params![incident_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
            })
            .map_err(store)?;
        rows.map(|row| {
            let (approval_id, token, decision, answer) = row.map_err(store)?;
            Ok(RecordedDecision {
                approval_id,
                token,
                decision,
                answer: serde_json::from_str(&answer).map_err(Error::corrupt)?,
            })
        })
        .collect()
    }

    async fn mark_answered(&self, approval_id: &str, answered: Answered) -> Result<()> {
        let sql = match answered {
            Answered::TooLate => {
                "UPDATE approvals SET status = 'EXPIRED', answered = 1 WHERE id = ?1"
            }
            Answered::Given | Answered::Unknown => {
                "UPDATE approvals SET answered = 1 WHERE id = ?1"
            }
        };
        self.conn()
            .execute(sql, params![approval_id])
            .map_err(store)?;
        Ok(())
    }
}

/// One row of the idempotency table.
struct KeyRecord {
    status: String,
    result: Option<String>,
    expires_at: String,
    holder: Option<String>,
    effect_started: bool,
}

impl Idempotency for Db {
    async fn begin(
        &self,
        key: &str,
        now: DateTime<Utc>,
        in_progress_expiry: DateTime<Utc>,
    ) -> Result<Begin> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(store)?;
        let row: Option<KeyRecord> = tx
            .query_row(
                "SELECT status, result, expires_at, holder, effect_started FROM idempotency WHERE key = ?1",
                params![key],
                |r| {
                    Ok(KeyRecord {
                        status: r.get(0)?,
                        result: r.get(1)?,
                        expires_at: r.get(2)?,
                        holder: r.get(3)?,
                        effect_started: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(store)?;
        let now_text = rfc3339(now);
        let begun = match row {
            Some(KeyRecord {
                status,
                result: Some(result),
                expires_at,
                ..
            }) if status == "COMPLETED" && expires_at > now_text => {
                return Ok(Begin::Completed(
                    serde_json::from_str(&result).map_err(Error::corrupt)?,
                ));
            }
            Some(record) if record.status == "INPROGRESS" => {
                let holder = record.holder.unwrap_or_default();
                // A live holder keeps the key until its record expires; a
                // dead one (its process is gone) gives it up at once.
                if record.expires_at > now_text && self.holder.is_alive(&holder) {
                    return Ok(Begin::InProgress);
                }
                Begin::TakenOver {
                    effect_may_have_happened: record.effect_started,
                }
            }
            _ => Begin::Started,
        };
        tx.execute(
            "INSERT INTO idempotency (key, status, result, expires_at, holder, effect_started)
             VALUES (?1, 'INPROGRESS', NULL, ?2, ?3, 0)
             ON CONFLICT (key) DO UPDATE SET status = 'INPROGRESS', result = NULL, expires_at = ?2, holder = ?3, effect_started = 0",
            params![key, rfc3339(in_progress_expiry), self.holder.id()],
        )
        .map_err(store)?;
        tx.commit().map_err(store)?;
        Ok(begun)
    }

    async fn effect_starts(&self, key: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE idempotency SET effect_started = 1 WHERE key = ?1 AND status = 'INPROGRESS'",
                params![key],
            )
            .map_err(store)?;
        Ok(())
    }

    async fn complete(&self, key: &str, result: &Value, expires_at: DateTime<Utc>) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE idempotency SET status = 'COMPLETED', result = ?2, expires_at = ?3 WHERE key = ?1",
                params![key, result.to_string(), rfc3339(expires_at)],
            )
            .map_err(store)?;
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<()> {
        self.conn()
            .execute(
                "DELETE FROM idempotency WHERE key = ?1 AND status = 'INPROGRESS'",
                params![key],
            )
            .map_err(store)?;
        Ok(())
    }
}

impl History for Db {
    async fn candidates(&self, q: &HistoryQuery) -> Result<Vec<ArchivedIncident>> {
        let (sql, parameters) = candidate_sql(q);
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql).map_err(store)?;
        let columns = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(&parameters), |r| {
                (0..columns)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => None,
                            rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
                            rusqlite::types::ValueRef::Real(n) => Some(n.to_string()),
                            other => Some(other.as_str().unwrap_or_default().to_owned()),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(store)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(store)?;
        Ok(rows.into_iter().map(candidate_of).collect())
    }
}

impl Archive for Db {
    async fn record(&self, r: &ArchiveRecord) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO incident_history
                 (incident_id, signature, resource, opened_at, resolved_at, root_cause, resolution, time_to_recover_seconds, subject, service)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (incident_id) DO UPDATE SET resolved_at = ?5, root_cause = COALESCE(?6, root_cause),
                 resolution = COALESCE(?7, resolution), time_to_recover_seconds = ?8",
                params![
                    r.incident_id,
                    r.signature,
                    r.resource,
                    r.opened_at,
                    r.resolved_at,
                    r.root_cause,
                    r.resolution,
                    r.time_to_recover_seconds,
                    r.subject,
                    r.service
                ],
            )
            .map_err(store)?;
        Ok(())
    }

    async fn report(&self, incident_id: &str, report: &Value) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO reports (incident_id, doc) VALUES (?1, ?2)
                 ON CONFLICT (incident_id) DO UPDATE SET doc = ?2",
                params![incident_id, report.to_string()],
            )
            .map_err(store)?;
        Ok(())
    }
}
