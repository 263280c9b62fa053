//! Named crash points. In a test build (feature `enabled`), the variable
//! `FAILPOINTS=name=return` makes the process abort the moment it reaches
//! `name`, as `kill -9` would: no destructor runs, nothing is flushed. The
//! durability tests crash `responder serve` at each point of an approval
//! and a delivery, restart it, and check that nothing was lost or doubled.
//! Without the feature, every function here is empty.
//!
//! The points:
//!
//! | name | where |
//! |---|---|
//! | `engine.answers_taken` | an execution's run took a task-token answer, and saved nothing yet |
//! | `approval.decided` | a decision is recorded, its task token not yet answered |
//! | `approval.answered` | the token is answered, the decision not yet marked as delivered to it |
//! | `deliver.started` | a delivery holds its idempotency key, nothing sent |
//! | `deliver.sent` | the message was sent, its outcome not yet recorded |
//! | `deliver.completed` | the outcome is recorded, the delivery row not yet written |

/// Reads `FAILPOINTS` (once, at start-up).
pub fn setup() {
    #[cfg(feature = "enabled")]
    {
        // The scenario would clear the points when dropped: keep it.
        std::mem::forget(fail::FailScenario::setup());
    }
}

/// Aborts the process if the point `name` is set.
pub fn crash_at(name: &str) {
    #[cfg(feature = "enabled")]
    if fail::eval(name, |_| ()).is_some() {
        std::process::abort();
    }
    #[cfg(not(feature = "enabled"))]
    let _ = name;
}
