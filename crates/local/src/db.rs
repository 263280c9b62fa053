//! The local database: incidents, occurrences, the analysis cache,
//! approvals, deliveries and the history archive, in one SQLite file.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use responder_core::Incident;

use crate::archive::{ArchiveQueries, QueryLimits};
use crate::error::LocalError;
use crate::holder::Holder;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS incidents (
    id         TEXT PRIMARY KEY,
    signature  TEXT NOT NULL,
    status     TEXT NOT NULL,
    opened_at  TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_by_signature ON incidents (signature, status);
-- Lists are most recent first: `list_incidents` reads the first rows only.
CREATE INDEX IF NOT EXISTS incidents_by_opened_at ON incidents (opened_at);
-- One row per alert delivery: the dedup key makes a redelivery a no-op.
CREATE TABLE IF NOT EXISTS occurrences (
    dedup_key    TEXT PRIMARY KEY,
    execution_id TEXT NOT NULL,
    incident_id  TEXT,
    decision     TEXT NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS analysis_cache (
    key        TEXT PRIMARY KEY,
    analysis   TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS analyses (
    incident_id TEXT PRIMARY KEY,
    analysis    TEXT NOT NULL,
    usage       TEXT
);
-- The task token stays here; people and chat buttons see only the id.
CREATE TABLE IF NOT EXISTS approvals (
    id           TEXT PRIMARY KEY,
    incident_id  TEXT NOT NULL,
    token        TEXT NOT NULL,
    channels     TEXT NOT NULL,
    status       TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decision     TEXT,
    expires_at   TEXT
);
CREATE INDEX IF NOT EXISTS approvals_by_incident ON approvals (incident_id, status);
CREATE TABLE IF NOT EXISTS deliveries (
    incident_id TEXT NOT NULL,
    channel     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    location    TEXT,
    error       TEXT,
    PRIMARY KEY (incident_id, channel, kind)
);
-- Idempotency records (Powertools style): INPROGRESS until the result is in.
CREATE TABLE IF NOT EXISTS idempotency (
    key        TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    result     TEXT,
    expires_at TEXT NOT NULL
);
-- Full reports (incident, alert, analysis, approval, deliveries) by incident.
CREATE TABLE IF NOT EXISTS reports (
    incident_id TEXT PRIMARY KEY,
    doc         TEXT NOT NULL
);
-- Every write through the API (MCP, REST, Slack, e-mail links), with who made it.
CREATE TABLE IF NOT EXISTS audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    caller      TEXT NOT NULL,
    action      TEXT NOT NULL,
    incident_id TEXT,
    details     TEXT NOT NULL,
    outcome     TEXT NOT NULL
);
";

/// The history archive: the same columns as the Athena table, in a file of
/// its own (attached as `archive`), so that `query_history` can open that
/// file alone and reach nothing else.
const ARCHIVE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS archive.incident_history (
    incident_id             TEXT PRIMARY KEY,
    signature               TEXT NOT NULL,
    resource                TEXT NOT NULL,
    subject                 TEXT,
    service                 TEXT,
    opened_at               TEXT NOT NULL,
    resolved_at             TEXT,
    root_cause              TEXT,
    resolution              TEXT,
    time_to_recover_seconds INTEGER
);
";

/// The archive's file name, next to the main database.
pub const ARCHIVE_FILE: &str = "history.sqlite";

/// Columns added after the first release, for databases created before.
const ADDED_COLUMNS: [&str; 9] = [
    "ALTER TABLE approvals ADD COLUMN expires_at TEXT",
    "ALTER TABLE analyses ADD COLUMN usage TEXT",
    // The process holding an INPROGRESS key, and whether it began its effect.
    "ALTER TABLE idempotency ADD COLUMN holder TEXT",
    "ALTER TABLE idempotency ADD COLUMN effect_started INTEGER NOT NULL DEFAULT 0",
    // A decision's answer to the task token, kept until the token has it:
    // a decision whose process died before answering is answered again.
    "ALTER TABLE approvals ADD COLUMN answer TEXT",
    "ALTER TABLE approvals ADD COLUMN answered INTEGER NOT NULL DEFAULT 0",
    // Who decided (the audit trail has it too, with every other write).
    "ALTER TABLE approvals ADD COLUMN decided_by TEXT",
    // What a past incident's alert measured, and its service: the history
    // query finds incidents of the same metric, resource or service.
    "ALTER TABLE archive.incident_history ADD COLUMN subject TEXT",
    "ALTER TABLE archive.incident_history ADD COLUMN service TEXT",
];

/// Databases made before the archive had its own file kept it in the main
/// one: move its rows over, once.
fn move_archive_out_of_main(conn: &Connection) -> Result<(), LocalError> {
    let in_main: bool = conn.query_row(
        "SELECT count(*) > 0 FROM main.sqlite_master WHERE type = 'table' AND name = 'incident_history'",
        [],
        |r| r.get(0),
    )?;
    if in_main {
        conn.execute_batch(
            "BEGIN;
             INSERT OR IGNORE INTO archive.incident_history
               (incident_id, signature, resource, opened_at, resolved_at, root_cause, resolution, time_to_recover_seconds)
               SELECT incident_id, signature, resource, opened_at, resolved_at, root_cause, resolution, time_to_recover_seconds
               FROM main.incident_history;
             DROP TABLE main.incident_history;
             COMMIT;",
        )?;
    }
    Ok(())
}

/// An approval waiting for a decision. The token is for the engine only.
#[derive(Debug, Clone)]
pub struct PendingApproval {
    pub id: String,
    pub incident_id: String,
    pub token: String,
    pub channels: serde_json::Value,
}

#[derive(Debug)]
pub struct Db {
    conn: Mutex<Connection>,
    archive_path: PathBuf,
    /// This process, as the holder of idempotency keys.
    pub(crate) holder: Holder,
}

impl Db {
    /// Opens (creating if needed) the database at `path` and the history
    /// archive next to it ([`ARCHIVE_FILE`]).
    pub fn open(path: &Path) -> Result<Self, LocalError> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(|e| LocalError::io(dir, &e))?;
        }
        let archive_path =
            dir.map_or_else(|| PathBuf::from(ARCHIVE_FILE), |d| d.join(ARCHIVE_FILE));
        // The archive first, so that it is in WAL mode before it is attached.
        drop(responder_sfn::open_wal(&archive_path)?);
        let conn = responder_sfn::open_wal(path)?;
        conn.execute(
            "ATTACH DATABASE ?1 AS archive",
            params![archive_path.to_string_lossy()],
        )?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(ARCHIVE_SCHEMA)?;
        for column in ADDED_COLUMNS {
            match conn.execute_batch(column) {
                Err(e) if e.to_string().contains("duplicate column name") => {}
                other => other?,
            }
        }
        move_archive_out_of_main(&conn)?;
        let holders = dir.map_or_else(|| PathBuf::from("holders"), |d| d.join("holders"));
        Ok(Self {
            conn: Mutex::new(conn),
            archive_path,
            holder: Holder::register(&holders)?,
        })
    }

    /// Runs `query_history`'s SQL on the archive alone (see [`crate::archive`]).
    pub fn archive_queries(&self, limits: QueryLimits) -> ArchiveQueries {
        ArchiveQueries::new(&self.archive_path, limits)
    }

    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Loads past incidents into the history archive. Each line is a JSON
    /// object with the archive's columns; a line already there is skipped.
    pub fn seed_history(&self, path: &Path) -> Result<usize, LocalError> {
        let text = std::fs::read_to_string(path).map_err(|e| LocalError::io(path, &e))?;
        let conn = self.conn();
        let mut added = 0;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let row: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                LocalError::named(
                    responder_workflow::error::names::INVALID_HISTORY,
                    format!("{} line {}: {e}", path.display(), n + 1),
                )
            })?;
            let text = |k: &str| row.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            let (Some(id), Some(signature), Some(resource), Some(opened_at)) = (
                text("incident_id"),
                text("signature"),
                text("resource"),
                text("opened_at"),
            ) else {
                return Err(LocalError::named(
                    responder_workflow::error::names::INVALID_HISTORY,
                    format!(
                        "{} line {}: incident_id, signature, resource and opened_at are required",
                        path.display(),
                        n + 1
                    ),
                ));
            };
            added += conn.execute(
                "INSERT OR IGNORE INTO incident_history
                 (incident_id, signature, resource, subject, service, opened_at, resolved_at, root_cause, resolution, time_to_recover_seconds)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![id, signature, resource, text("subject"), text("service"), opened_at, text("resolved_at"), text("root_cause"), text("resolution"), row.get("time_to_recover_seconds").and_then(serde_json::Value::as_i64)],
            )?;
        }
        Ok(added)
    }

    /// Loads one past incident described by a hint (`NAMESPACE METRIC
    /// RESOURCE ...; text`, as evaluation scenarios write them) under the
    /// metric and resource it names: an incident of the same metric of the
    /// same resource as `alert` is archived as one of `alert`'s own
    /// (its signature and alarm); any other under a signature of its own.
    pub fn seed_hinted(
        &self,
        alert: &responder_core::Alert,
        incident_id: &str,
        hint: &str,
        opened_at: &str,
        root_cause: Option<&str>,
        resolution: Option<&str>,
    ) -> Result<(), LocalError> {
        use responder_core::context::Subject;
        let past = Subject::from_hint(hint).ok_or_else(|| {
            LocalError::named(
                responder_workflow::error::names::INVALID_HISTORY,
                format!(
                    "the hint '{hint}' does not start with a namespace, a metric and a resource"
                ),
            )
        })?;
        let (signature, resource) = if past.same_metric(&Subject::of(alert)) {
            (alert.signature.as_str().to_owned(), alert.resource.clone())
        } else {
            let basis = responder_core::SignatureBasis {
                source: "history".to_owned(),
                resource: past.resource_key(),
                subject: past.key(),
                template: String::new(),
            };
            (basis.signature().as_str().to_owned(), past.resource_key())
        };
        self.conn().execute(
            "INSERT OR IGNORE INTO incident_history
             (incident_id, signature, resource, subject, opened_at, root_cause, resolution)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                incident_id,
                signature,
                resource,
                past.key(),
                opened_at,
                root_cause,
                resolution
            ],
        )?;
        Ok(())
    }

    /// The approvals an execution waits for (the engine's token still open).
    pub fn waiting_approvals(
        &self,
        execution_id: &str,
    ) -> Result<Vec<PendingApproval>, LocalError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT a.id, a.incident_id, a.token, a.channels FROM approvals a
             JOIN sfn_task_tokens t ON t.token = a.token
             WHERE a.status = 'PENDING' AND t.execution_id = ?1 AND t.state = 'waiting'
             ORDER BY a.requested_at",
        )?;
        let rows = stmt.query_map(params![execution_id], |r| {
            Ok(PendingApproval {
                id: r.get(0)?,
                incident_id: r.get(1)?,
                token: r.get(2)?,
                channels: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn incident(&self, id: &str) -> Result<Option<Incident>, LocalError> {
        incident_in(&self.conn(), id)
    }

    /// The audit trail of one incident, oldest first: `at`, `caller`,
    /// `tool` and `outcome` of each write.
    pub fn audit_of(&self, incident_id: &str) -> Result<Vec<serde_json::Value>, LocalError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT at, caller, action, outcome FROM audit WHERE incident_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([incident_id], |r| {
            Ok(serde_json::json!({
                "at": r.get::<_, String>(0)?,
                "caller": r.get::<_, String>(1)?,
                "tool": r.get::<_, String>(2)?,
                "outcome": r.get::<_, String>(3)?,
            }))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Incidents, most recent first.
    pub fn incidents(&self, limit: usize) -> Result<Vec<Incident>, LocalError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT doc FROM incidents ORDER BY opened_at DESC, id LIMIT ?1")?;
        let docs = stmt.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            r.get::<_, String>(0)
        })?;
        docs.map(|d| serde_json::from_str(&d?).map_err(LocalError::corrupt))
            .collect()
    }
}

/// An incident by id, on a connection or inside a transaction.
pub fn incident_in(conn: &Connection, id: &str) -> Result<Option<Incident>, LocalError> {
    let doc: Option<String> = conn
        .query_row(
            "SELECT doc FROM incidents WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| serde_json::from_str(&d).map_err(LocalError::corrupt))
        .transpose()
}

/// The open incident of a signature, if any.
pub fn open_incident_in(
    conn: &Connection,
    signature: &str,
) -> Result<Option<Incident>, LocalError> {
    let doc: Option<String> = conn
        .query_row(
            "SELECT doc FROM incidents WHERE signature = ?1
             AND status IN ('OPEN', 'PENDING_APPROVAL', 'NOTIFIED')
             ORDER BY opened_at DESC LIMIT 1",
            params![signature],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| serde_json::from_str(&d).map_err(LocalError::corrupt))
        .transpose()
}

pub fn save_incident_in(conn: &Connection, incident: &Incident) -> Result<(), LocalError> {
    let doc = serde_json::to_string(incident).map_err(LocalError::corrupt)?;
    conn.execute(
        "INSERT INTO incidents (id, signature, status, opened_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET status = ?3, doc = ?5",
        params![
            incident.id,
            incident.signature,
            incident.status.as_str(),
            incident.opened_at,
            doc
        ],
    )?;
    Ok(())
}
