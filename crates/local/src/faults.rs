//! `[workflow.faults]`: failures injected into the local backends, for
//! tests and for drills ("what does the pipeline do when Bedrock throttles
//! or Athena is down?"). Off by default; each fault fails with the error
//! name the real backend would give, so the state machine's `Retry` and
//! `Catch` handle it as they would in AWS. The outside services (Slack,
//! Jira, SMTP) need no switch here: point their configuration at a server
//! that misbehaves, as the tests do.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use responder_workflow::error::{ErrorName, names};
use responder_workflow::{Error, Result};
use serde::{Deserialize, Serialize};

/// What a context query does under a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryFault {
    /// `History.Failed`, `Logs.Failed` or `Changes.Failed`: the query was refused.
    Fail,
    /// The answer comes after `slow_ms`: longer than the task's timeout,
    /// the state machine sees `States.Timeout`.
    Slow,
}

/// `[workflow.faults]` in `responder.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// The analyzer answers `Analyzer.Throttled` this many times, then works.
    pub analyzer_throttled: u32,
    /// The analyzer is down: every call is `Analyzer.Unavailable`.
    pub analyzer_down: bool,
    pub history: Option<QueryFault>,
    pub logs: Option<QueryFault>,
    pub changes: Option<QueryFault>,
    /// How slow a `slow` query is.
    pub slow_ms: u64,
}

/// The faults and what they have done so far.
#[derive(Debug, Default)]
pub struct Injector {
    pub faults: Faults,
    throttled: AtomicU32,
}

impl Injector {
    pub fn new(faults: Faults) -> Self {
        Self {
            faults,
            throttled: AtomicU32::new(0),
        }
    }

    /// Before an analyzer call.
    pub fn analyzer(&self) -> Result<()> {
        if self.faults.analyzer_down {
            return Err(Error::new(
                names::ANALYZER_UNAVAILABLE,
                "injected fault: the analyzer is down",
            ));
        }
        let earlier = self.throttled.fetch_add(1, Ordering::SeqCst);
        if earlier < self.faults.analyzer_throttled {
            return Err(Error::new(
                names::ANALYZER_THROTTLED,
                format!(
                    "injected fault: the analyzer throttled ({} of {})",
                    earlier + 1,
                    self.faults.analyzer_throttled
                ),
            ));
        }
        Ok(())
    }

    /// Before the history query.
    pub async fn history(&self) -> Result<()> {
        self.query(self.faults.history, names::HISTORY_FAILED, "history")
            .await
    }

    /// Before the log query.
    pub async fn logs(&self) -> Result<()> {
        self.query(self.faults.logs, names::LOGS_FAILED, "logs")
            .await
    }

    /// Before the change lookup.
    pub async fn changes(&self) -> Result<()> {
        self.query(self.faults.changes, names::CHANGES_FAILED, "changes")
            .await
    }

    async fn query(&self, fault: Option<QueryFault>, failed: ErrorName, what: &str) -> Result<()> {
        match fault {
            None => Ok(()),
            Some(QueryFault::Fail) => Err(Error::new(
                failed,
                format!("injected fault: the {what} query failed"),
            )),
            Some(QueryFault::Slow) => {
                tokio::time::sleep(Duration::from_millis(self.faults.slow_ms)).await;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_analyzer_recovers_after_its_count_and_a_down_one_never() {
        let injector = Injector::new(Faults {
            analyzer_throttled: 2,
            ..Faults::default()
        });
        let names: Vec<Option<&str>> = (0..4)
            .map(|_| injector.analyzer().err().map(|e| e.name().as_str()))
            .collect();
        assert_eq!(
            names,
            [
                Some("Analyzer.Throttled"),
                Some("Analyzer.Throttled"),
                None,
                None
            ]
        );
        let down = Injector::new(Faults {
            analyzer_down: true,
            ..Faults::default()
        });
        assert!((0..5).all(|_| {
            down.analyzer().err().map(|e| e.name().as_str()) == Some("Analyzer.Unavailable")
        }));
    }
}
