//! Errors of the local backends, named as the state machine matches them.

use std::path::Path;

use responder_sfn::StatesError;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The database could not be read or written: worth a retry.
    #[error("Store.Transient: {0}")]
    Store(String),
    #[error("Store.Corrupt: {0}")]
    Corrupt(String),
    #[error("Local.IoError: {0}")]
    Io(String),
    #[error("{name}: {message}")]
    Named { name: &'static str, message: String },
}

impl LocalError {
    pub fn io(path: &Path, e: &std::io::Error) -> Self {
        Self::Io(format!("{}: {e}", path.display()))
    }

    pub fn corrupt(e: impl std::fmt::Display) -> Self {
        Self::Corrupt(e.to_string())
    }

    pub fn named(name: &'static str, message: impl Into<String>) -> Self {
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

impl From<rusqlite::Error> for LocalError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.to_string())
    }
}

impl From<LocalError> for responder_workflow::Error {
    fn from(e: LocalError) -> Self {
        use responder_workflow::error::names;
        match e {
            LocalError::Store(m) => Self::new(names::STORE_TRANSIENT, m),
            LocalError::Corrupt(m) => Self::new(names::STORE_CORRUPT, m),
            LocalError::Io(m) => Self::named("Local.IoError", m),
            LocalError::Named { name, message } => Self::new(name, message),
        }
    }
}
