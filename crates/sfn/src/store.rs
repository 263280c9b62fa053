//! Durable executions and task tokens in SQLite. A waiting execution is a
//! snapshot row; an answer to its token waits in `task_tokens` until the
//! execution is resumed, in this process or after a restart.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::EngineError;
use crate::execution::{Delivery, Execution, Status};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sfn_executions (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    state_machine TEXT NOT NULL,
    status        TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    stopped_at    TEXT,
    definition    TEXT NOT NULL,
    snapshot      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sfn_executions_started ON sfn_executions (started_at);
CREATE TABLE IF NOT EXISTS sfn_task_tokens (
    token        TEXT PRIMARY KEY,
    execution_id TEXT NOT NULL REFERENCES sfn_executions (id),
    path         TEXT NOT NULL,
    invocation   INTEGER NOT NULL,
    -- waiting: the task waits; answered: an answer waits for the execution;
    -- taken: a run of the execution has the answer, which stays here until
    -- the snapshot that holds its effect is saved (a crash before replays
    -- it); closed: the task ended (answered, failed, timed out or aborted).
    state        TEXT NOT NULL,
    answer       TEXT,
    heartbeat_at TEXT,
    timed_out    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sfn_task_tokens_execution ON sfn_task_tokens (execution_id, state);
";

/// One row of `executions list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionSummary {
    pub id: String,
    pub name: String,
    pub state_machine: String,
    pub status: String,
    pub started_at: String,
    pub stopped_at: Option<String>,
}

/// An answer found for a waiting task.
pub(crate) type Answer = (Vec<usize>, u64, Delivery);

/// Opens a SQLite file shared by several processes (`responder run`,
/// `responder approve`): WAL, so readers and a writer do not block each
/// other, and a 5-second wait for locks. With WAL, synchronous=NORMAL never
/// corrupts the database; a power cut (not a crash) may lose the last commits.
pub fn open_wal(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Two processes creating the database at once can both be told "busy"
    // when switching it to WAL, without waiting (SQLite's deadlock
    // avoidance): try again for a while. Once it is WAL, it stays WAL.
    let mut attempts = 0;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && attempts < 100 =>
            {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => break other?,
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, EngineError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| EngineError::Store(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = open_wal(path)?;
        Self::with(conn)
    }

    /// A private database that lives as long as this value.
    pub fn in_memory() -> Result<Self, EngineError> {
        Self::with(Connection::open_in_memory()?)
    }

    fn with(conn: Connection) -> Result<Self, EngineError> {
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Saves the execution's snapshot and, in the same transaction, closes
    /// the answers its runs have taken: the snapshot now holds their effect.
    pub(crate) fn save(&self, execution: &Execution, definition: &str) -> Result<(), EngineError> {
        let snapshot =
            serde_json::to_string(execution).map_err(|e| EngineError::Store(e.to_string()))?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.prepare_cached(
            "INSERT INTO sfn_executions (id, name, state_machine, status, started_at, stopped_at, definition, snapshot)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET status = ?4, stopped_at = ?6, snapshot = ?8",
        )?
        .execute(params![
                execution.id,
                execution.name,
                execution.state_machine,
                execution.status.as_str(),
                execution.started_at.to_rfc3339(),
                execution.stopped_at.map(|t| t.to_rfc3339()),
                definition,
                snapshot
            ])?;
        tx.prepare_cached(
            "UPDATE sfn_task_tokens SET state = 'closed' WHERE execution_id = ?1 AND state = 'taken'",
        )?
        .execute(params![execution.id])?;
        tx.commit()?;
        Ok(())
    }

    /// The execution and its definition text.
    pub fn load(&self, id: &str) -> Result<Option<(Execution, String)>, EngineError> {
        let row: Option<(String, String)> = self
            .conn()
            .prepare_cached("SELECT snapshot, definition FROM sfn_executions WHERE id = ?1")?
            .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(snapshot, definition)| {
            serde_json::from_str(&snapshot)
                .map(|e| (e, definition))
                .map_err(|e| {
                    EngineError::Store(format!("execution '{id}' has an unreadable snapshot: {e}"))
                })
        })
        .transpose()
    }

    /// The most recent executions first.
    pub fn list(&self, limit: usize) -> Result<Vec<ExecutionSummary>, EngineError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, name, state_machine, status, started_at, stopped_at FROM sfn_executions
             ORDER BY started_at DESC, id LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(ExecutionSummary {
                id: r.get(0)?,
                name: r.get(1)?,
                state_machine: r.get(2)?,
                status: r.get(3)?,
                started_at: r.get(4)?,
                stopped_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(crate) fn register_token(
        &self,
        token: &str,
        execution_id: &str,
        path: &[usize],
        invocation: u64,
    ) -> Result<(), EngineError> {
        let path = serde_json::to_string(path).map_err(|e| EngineError::Store(e.to_string()))?;
        self.conn().execute(
            "INSERT OR IGNORE INTO sfn_task_tokens (token, execution_id, path, invocation, state)
             VALUES (?1, ?2, ?3, ?4, 'waiting')",
            params![
                token,
                execution_id,
                path,
                i64::try_from(invocation).unwrap_or(i64::MAX)
            ],
        )?;
        Ok(())
    }

    /// Records the answer to a waiting task; returns its execution's id.
    pub(crate) fn answer(&self, token: &str, delivery: &Delivery) -> Result<String, EngineError> {
        let conn = self.conn();
        let row: Option<(String, String, bool)> = conn
            .query_row(
                "SELECT execution_id, state, timed_out FROM sfn_task_tokens WHERE token = ?1",
                params![token],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((execution_id, state, timed_out)) = row else {
            return Err(EngineError::TaskDoesNotExist(
                "no task waits for this token".to_owned(),
            ));
        };
        if timed_out {
            return Err(EngineError::TaskTimedOut);
        }
        if state != "waiting" {
            return Err(EngineError::TaskDoesNotExist(
                "the task of this token has already been answered or has ended".to_owned(),
            ));
        }
        match delivery {
            Delivery::Heartbeat(at) => {
                conn.execute(
                    "UPDATE sfn_task_tokens SET heartbeat_at = ?2 WHERE token = ?1",
                    params![token, at.to_rfc3339()],
                )?;
            }
            _ => {
                let answer = serde_json::to_string(delivery)
                    .map_err(|e| EngineError::Store(e.to_string()))?;
                conn.execute(
                    "UPDATE sfn_task_tokens SET state = 'answered', answer = ?2 WHERE token = ?1",
                    params![token, answer],
                )?;
            }
        }
        Ok(execution_id)
    }

    /// Whether the task of `token` took an answer (given, taken or applied),
    /// as opposed to waiting still or closed without one.
    pub(crate) fn answered(&self, token: &str) -> Result<bool, EngineError> {
        let answered: Option<bool> = self
            .conn()
            .query_row(
                "SELECT answer IS NOT NULL FROM sfn_task_tokens WHERE token = ?1",
                params![token],
                |r| r.get(0),
            )
            .optional()?;
        Ok(answered == Some(true))
    }

    /// Answers and heartbeats that arrived for an execution's tasks, once
    /// each per run. An answer is marked taken, not closed: it is closed
    /// when the snapshot holding its effect is saved ([`save`](Self::save)).
    /// A run that starts from the stored snapshot (`since_snapshot`) takes
    /// the answers an earlier run took but never saved: a process that died
    /// after taking an answer loses nothing.
    pub(crate) fn take_answers(
        &self,
        execution_id: &str,
        since_snapshot: bool,
    ) -> Result<Vec<Answer>, EngineError> {
        let mut conn = self.conn();
        // IMMEDIATE: a deferred transaction that reads and then writes is
        // refused at once ("database is locked") when another connection
        // wrote in between; busy_timeout only waits for a lock taken first.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT token, path, invocation, state, answer, heartbeat_at FROM sfn_task_tokens
                 WHERE execution_id = ?1
                   AND (state = 'answered' OR (state = 'taken' AND ?2)
                        OR (state = 'waiting' AND heartbeat_at IS NOT NULL))",
            )?;
            let rows = stmt.query_map(params![execution_id, since_snapshot], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })?;
            for row in rows {
                let (token, path, invocation, state, answer, heartbeat) = row?;
                let path: Vec<usize> =
                    serde_json::from_str(&path).map_err(|e| EngineError::Store(e.to_string()))?;
                let invocation = u64::try_from(invocation).unwrap_or(0);
                let delivery = if state == "answered" || state == "taken" {
                    let answer = answer.unwrap_or_default();
                    serde_json::from_str(&answer).map_err(|e| EngineError::Store(e.to_string()))?
                } else {
                    let at = heartbeat
                        .and_then(|h| DateTime::parse_from_rfc3339(&h).ok())
                        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
                    Delivery::Heartbeat(at)
                };
                out.push((token, path, invocation, delivery));
            }
        }
        for (token, _, _, delivery) in &out {
            let sql = match delivery {
                Delivery::Heartbeat(_) => {
                    "UPDATE sfn_task_tokens SET heartbeat_at = NULL WHERE token = ?1"
                }
                _ => "UPDATE sfn_task_tokens SET state = 'taken' WHERE token = ?1",
            };
            tx.execute(sql, params![token])?;
        }
        tx.commit()?;
        Ok(out.into_iter().map(|(_, p, i, d)| (p, i, d)).collect())
    }

    /// Closes tokens whose task ended without an answer.
    pub(crate) fn close_tokens(
        &self,
        tokens: &[String],
        timed_out: bool,
    ) -> Result<(), EngineError> {
        let conn = self.conn();
        for token in tokens {
            conn.execute(
                "UPDATE sfn_task_tokens SET state = 'closed', timed_out = ?2 WHERE token = ?1 AND state = 'waiting'",
                params![token, timed_out],
            )?;
        }
        Ok(())
    }

    /// The ids of executions still running (to resume after a restart).
    pub fn running(&self) -> Result<Vec<String>, EngineError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT id FROM sfn_executions WHERE status = ?1 ORDER BY started_at")?;
        let rows = stmt.query_map(params![Status::Running.as_str()], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
