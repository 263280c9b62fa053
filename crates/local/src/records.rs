//! What the CLI reads of an incident: its analysis, deliveries and
//! approvals, and the totals a replay compares. The tables stay behind
//! these calls, so the CLI holds no SQL.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use responder_core::analysis::Analysis;

use crate::db::Db;
use crate::error::LocalError;

/// How many incidents the database holds, and the deliveries sent per
/// channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub incidents: u64,
    pub sent: HashMap<String, u64>,
}

/// One delivery of an incident's message to a channel, as stored (the
/// channel as written then: an older database may name a channel this
/// version does not know).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    pub channel: String,
    pub kind: String,
    pub status: String,
    pub location: Option<String>,
    pub error: Option<String>,
}

/// One approval request of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalRecord {
    pub id: String,
    pub status: String,
    pub requested_at: String,
}

impl Db {
    /// The incident's stored analysis, if it was analyzed.
    pub fn analysis_of(&self, incident_id: &str) -> Result<Option<Analysis>, LocalError> {
        let stored: Option<String> = self
            .conn()
            .query_row(
                "SELECT analysis FROM analyses WHERE incident_id = ?1",
                params![incident_id],
                |r| r.get(0),
            )
            .optional()?;
        stored
            .map(|text| serde_json::from_str(&text).map_err(LocalError::corrupt))
            .transpose()
    }

    /// The incident's deliveries, by channel and kind.
    pub fn deliveries_of(&self, incident_id: &str) -> Result<Vec<DeliveryRecord>, LocalError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT channel, kind, status, location, error FROM deliveries
             WHERE incident_id = ?1 ORDER BY channel, kind",
        )?;
        let rows = stmt.query_map(params![incident_id], |r| {
            Ok(DeliveryRecord {
                channel: r.get(0)?,
                kind: r.get(1)?,
                status: r.get(2)?,
                location: r.get(3)?,
                error: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The incident's approval requests, oldest first.
    pub fn approvals_of(&self, incident_id: &str) -> Result<Vec<ApprovalRecord>, LocalError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, status, requested_at FROM approvals
             WHERE incident_id = ?1 ORDER BY requested_at",
        )?;
        let rows = stmt.query_map(params![incident_id], |r| {
            Ok(ApprovalRecord {
                id: r.get(0)?,
                status: r.get(1)?,
                requested_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The incidents held and the deliveries sent, per channel.
    pub fn totals(&self) -> Result<Totals, LocalError> {
        let conn = self.conn();
        let incidents: i64 = conn.query_row("SELECT COUNT(*) FROM incidents", [], |r| r.get(0))?;
        let mut stmt = conn.prepare(
            "SELECT channel, COUNT(*) FROM deliveries WHERE status = 'SENT' GROUP BY channel",
        )?;
        let sent = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.unsigned_abs()))
            })?
            .collect::<Result<HashMap<_, _>, _>>()?;
        Ok(Totals {
            incidents: incidents.unsigned_abs(),
            sent,
        })
    }
}
