//! `query_history` on this machine: one SELECT over the incident archive,
//! on a connection that can reach nothing else.
//!
//! The archive (`incident_history`) lives in a database file of its own,
//! `history.sqlite`, next to the main one, which attaches it. A query runs on
//! a fresh connection to that file alone, opened read-only, whose SQLite
//! authorizer allows reading `incident_history` and calling the guard's
//! allowlisted functions, and denies everything else (other tables, pragmas,
//! `ATTACH`, writes). So even if the SQL guard in front of it let a query
//! through by mistake, the query could read nothing but the archive.
//!
//! Each query is bounded: a time limit (SQLite's progress handler
//! interrupts it), a limit on any one value (SQLite's `SQLITE_LIMIT_LENGTH`:
//! a string doubled in a recursive CTE stops there) and on the result's size.
//! It runs on a blocking thread, never on the server's async workers, and at
//! most [`MAX_CONCURRENT`] run at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use responder_workflow::backend::error::{ApiError, names};
use responder_workflow::backend::{QueryRows, Result};
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

/// The archive's table: the only one a query may read.
pub const ARCHIVE_TABLE: &str = "incident_history";
/// How many history queries run at once; more wait their turn.
pub const MAX_CONCURRENT: usize = 2;

/// Limits of one `query_history` call (`[api] query_timeout_ms`,
/// `query_max_result_bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Longest a query may run.
    pub timeout: Duration,
    /// Largest result, counted as the JSON of its rows.
    pub max_result_bytes: usize,
    /// Largest single string or blob a query may make.
    pub max_value_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            max_result_bytes: 1024 * 1024,
            max_value_bytes: 1024 * 1024,
        }
    }
}

/// Runs history queries against the archive file.
#[derive(Debug, Clone)]
pub struct ArchiveQueries {
    path: PathBuf,
    limits: QueryLimits,
    permits: Arc<Semaphore>,
}

impl ArchiveQueries {
    pub fn new(path: &Path, limits: QueryLimits) -> Self {
        Self {
            path: path.to_path_buf(),
            limits,
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT)),
        }
    }

    pub fn limits(&self) -> QueryLimits {
        self.limits
    }

    /// Runs `sql` (already through the guard) and returns its rows.
    pub async fn run(&self, sql: &str) -> Result<QueryRows> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::unavailable(e.to_string()))?;
        let (path, limits, sql) = (self.path.clone(), self.limits, sql.to_owned());
        tokio::task::spawn_blocking(move || run_blocking(&path, limits, &sql))
            .await
            .map_err(|e| ApiError::unavailable(format!("the history query stopped: {e}")))?
    }
}

fn run_blocking(path: &Path, limits: QueryLimits, sql: &str) -> Result<QueryRows> {
    let mut conn = open(path, limits)?;
    let started = Instant::now();
    let deadline = started + limits.timeout;
    // Looked at every 1,000 virtual-machine steps: about every few
    // microseconds, so the deadline is kept to well within a millisecond.
    conn.progress_handler(1_000, Some(move || Instant::now() >= deadline))
        .map_err(store_error)?;
    let outcome = collect(&conn, sql, limits);
    match outcome {
        Err(Failure::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
            if e.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            Err(ApiError::new(
                names::QUERY_TIMEOUT,
                format!(
                    "the query ran longer than its limit of {} ms and was stopped",
                    limits.timeout.as_millis()
                ),
            ))
        }
        Err(Failure::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
            if e.code == rusqlite::ErrorCode::TooBig =>
        {
            Err(ApiError::new(
                names::QUERY_TOO_LARGE,
                format!(
                    "the query made a value larger than the limit of {} bytes",
                    limits.max_value_bytes
                ),
            ))
        }
        Err(Failure::Sqlite(e)) => Err(ApiError::new(
            names::QUERY_REJECTED,
            format!("the query failed: {e}"),
        )),
        Err(Failure::Api(e)) => Err(e),
        Ok(rows) => Ok(rows),
    }
}

/// The archive alone, read-only, behind the authorizer.
fn open(path: &Path, limits: QueryLimits) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(store_error)?;
    conn.busy_timeout(Duration::from_secs(1))
        .map_err(store_error)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(store_error)?;
    let max_value = i32::try_from(limits.max_value_bytes).unwrap_or(i32::MAX);
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, max_value)
        .map_err(store_error)?;
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
        .map_err(store_error)?;
    conn.authorizer(Some(authorize)).map_err(store_error)?;
    Ok(conn)
}

/// What a history query may do: read the archive's table, call the
/// allowlisted functions (and the operators SQLite implements as functions),
/// recurse in a CTE. Nothing else.
fn authorize(context: AuthContext<'_>) -> Authorization {
    match context.action {
        AuthAction::Select | AuthAction::Recursive => Authorization::Allow,
        // A read without a database is of a CTE (`count(*)` over one); a
        // real table always comes with its database.
        AuthAction::Read { .. } if context.database_name.is_none() => Authorization::Allow,
        AuthAction::Read { table_name, .. }
            if context.database_name == Some("main")
                && table_name.eq_ignore_ascii_case(ARCHIVE_TABLE) =>
        {
            Authorization::Allow
        }
        AuthAction::Function { function_name } if allowed_function(function_name) => {
            Authorization::Allow
        }
        _ => Authorization::Deny,
    }
}

/// Operators that SQLite runs as functions (`x LIKE y` is `like(y, x)`).
const OPERATOR_FUNCTIONS: &[&str] = &["like", "glob"];

fn allowed_function(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    responder_api::sql::ALLOWED_FUNCTIONS.contains(&name.as_str())
        || OPERATOR_FUNCTIONS.contains(&name.as_str())
}

enum Failure {
    Sqlite(rusqlite::Error),
    Api(ApiError),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

fn collect(
    conn: &Connection,
    sql: &str,
    limits: QueryLimits,
) -> std::result::Result<QueryRows, Failure> {
    let mut stmt = conn.prepare(sql)?;
    let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let width = columns.len();
    let mut size: usize = columns.iter().map(|c| c.len() + 3).sum();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            let value = match row.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => json!(n),
                ValueRef::Real(x) => json!(x),
                ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                ValueRef::Blob(b) => json!(hex_of(b)),
            };
            size += json_len(&value) + 1;
            values.push(value);
        }
        if size > limits.max_result_bytes {
            return Err(Failure::Api(ApiError::new(
                names::QUERY_TOO_LARGE,
                format!(
                    "the result passed the limit of {} bytes after {} rows; select fewer columns or rows",
                    limits.max_result_bytes,
                    out.len()
                ),
            )));
        }
        out.push(values);
    }
    Ok(QueryRows { columns, rows: out })
}

fn json_len(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 2,
        other => other.to_string().len(),
    }
}

fn hex_of(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

fn store_error(e: rusqlite::Error) -> ApiError {
    ApiError::unavailable(format!(
        "Store.Transient: cannot open the history archive: {e}"
    ))
}
