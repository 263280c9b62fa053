//! How long each task may take inside itself: its budget.
//!
//! A Task state's `TimeoutSeconds` is the most AWS (or the local engine)
//! waits for it; a wait inside the task that outlasts it is wasted, and its
//! side effect lands after the state machine has moved on. So every task
//! runs within a budget a little under its state's timeout, and past it
//! fails with `Task.OutOfTime`, which the state machine retries. Inside,
//! each call makes one attempt bounded by its client's timeout (the state
//! machine is the one retry layer); the configuration is checked so that a
//! task's calls, one after another, fit in its budget
//! ([`fits`] and the local configuration's check).

use responder_core::Channel;
use std::future::Future;
use std::time::Duration;

use crate::error::{Error, Result, names};

/// Seconds between a task's budget and its state's `TimeoutSeconds`: room
/// to report the failure before the state times out.
pub const MARGIN_SECONDS: u64 = 5;

/// Each task function and its budget, in seconds. The state machine's
/// `TimeoutSeconds` for the function's states is at least the budget plus
/// [`MARGIN_SECONDS`] (a test reads the ASL and checks it).
pub const BUDGETS: &[(&str, u64)] = &[
    ("NormalizeAlert", 25),
    ("RegisterAlert", 25),
    ("QueryHistory", 55),
    ("QueryLogs", 55),
    ("QueryChanges", 55),
    ("CheckCache", 25),
    ("Analyze", 115),
    ("RequestApproval", 25),
    ("Deliver", 25),
    ("RecordOutcome", 25),
];

/// The budget of `function`; a function not in the table gets the smallest.
pub fn of(function: &str) -> Duration {
    let seconds = BUDGETS
        .iter()
        .find(|(name, _)| *name == function)
        .map_or(25, |(_, seconds)| *seconds);
    Duration::from_secs(seconds)
}

/// The calls one delivery makes to its channel, one after another, at
/// worst: Slack looks for an earlier message, then posts; Jira searches for
/// the incident's issue, reads its comments, then creates or comments; an
/// e-mail is one conversation with the relay.
pub fn delivery_calls(channel: Channel) -> u32 {
    match channel {
        Channel::Slack => 2,
        Channel::Jira => 3,
        Channel::Email => 1,
    }
}

/// Runs a task's work within `budget`; past it, `Task.OutOfTime`.
pub async fn within<T>(
    function: &str,
    budget: Duration,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(budget, work)
        .await
        .unwrap_or_else(|_| {
            Err(Error::new(
                names::TASK_OUT_OF_TIME,
                format!(
                    "{function} did not finish within its budget of {} s",
                    budget.as_secs()
                ),
            ))
        })
}

/// Whether `calls` calls of at most `each` fit, one after another, in
/// `function`'s budget; otherwise what is wrong, for a configuration error.
pub fn fits(
    function: &str,
    what: &str,
    calls: u32,
    each: Duration,
) -> std::result::Result<(), String> {
    let worst = each * calls;
    let budget = of(function);
    if worst <= budget {
        Ok(())
    } else {
        Err(format!(
            "{what}: {calls} call(s) of up to {} s each take up to {} s, more than the {} s a {function} task may take",
            each.as_secs(),
            worst.as_secs(),
            budget.as_secs()
        ))
    }
}
