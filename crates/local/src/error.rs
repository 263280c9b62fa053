//! Errors of the local backends, named as the state machine matches them.

use std::path::Path;

use responder_sfn::StatesError;
use responder_workflow::error::ErrorName;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The database is busy or locked by another writer: worth a retry.
    #[error("Store.Transient: {0}")]
    Store(String),
    /// The database refused the statement (a constraint, a malformed
    /// query, a full disk): a retry would fail the same way.
    #[error("Store.Rejected: {0}")]
    Rejected(String),
    #[error("Store.Corrupt: {0}")]
    Corrupt(String),
    #[error("Local.IoError: {0}")]
    Io(String),
    #[error("{name}: {message}")]
    Named { name: ErrorName, message: String },
}

impl LocalError {
    pub fn io(path: &Path, e: &std::io::Error) -> Self {
        Self::Io(format!("{}: {e}", path.display()))
    }

    pub fn corrupt(e: impl std::fmt::Display) -> Self {
        Self::Corrupt(e.to_string())
    }

    pub fn named(name: ErrorName, message: impl Into<String>) -> Self {
        Self::Named {
            name,
            message: message.into(),
        }
    }

    /// The error as a task failure: its name is what Retry and Catch match.
    pub fn into_states_error(self) -> StatesError {
        let error = responder_workflow::Error::from(self);
        StatesError::new(error.name(), error.message())
    }
}

/// By kind: only a busy or locked database is worth a retry; an SQL or
/// schema mistake retried would only fail again, later.
impl From<rusqlite::Error> for LocalError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Store(e.to_string()),
            _ => Self::Rejected(e.to_string()),
        }
    }
}

impl From<LocalError> for responder_workflow::Error {
    fn from(e: LocalError) -> Self {
        use responder_workflow::error::names;
        match e {
            LocalError::Store(m) => Self::new(names::STORE_TRANSIENT, m),
            LocalError::Rejected(m) => Self::new(names::STORE_REJECTED, m),
            LocalError::Corrupt(m) => Self::new(names::STORE_CORRUPT, m),
            LocalError::Io(m) => Self::new(names::LOCAL_IO, m),
            LocalError::Named { name, message } => Self::new(name, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_busy_or_locked_database_is_transient() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mistake = conn.execute("SELECT * FROM no_such_table", []).unwrap_err();
        let error = responder_workflow::Error::from(LocalError::from(mistake));
        assert_eq!(error.name(), "Store.Rejected", "{error}");

        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        );
        let error = responder_workflow::Error::from(LocalError::from(busy));
        assert_eq!(error.name(), "Store.Transient", "{error}");
    }
}
