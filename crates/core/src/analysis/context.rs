//! What an analyzer is given: the alert, and the context gathered for it
//! (see [`crate::context`]): the ranked log templates with the resources
//! around the alarmed one, the changes before it, and past incidents like
//! it. A part whose gathering failed is `None`.

use serde::{Deserialize, Serialize};

use crate::alert::Alert;
pub use crate::context::changes::ChangeContext;
pub use crate::context::history::HistoryContext;
pub use crate::context::logs::LogContext;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnalysisInput {
    pub alert: Alert,
    pub history: Option<HistoryContext>,
    pub logs: Option<LogContext>,
    #[serde(default)]
    pub changes: Option<ChangeContext>,
}

impl AnalysisInput {
    /// The alert alone, no context gathered (the `analyze_alert` tool, tests).
    pub fn alone(alert: Alert) -> Self {
        Self {
            alert,
            history: None,
            logs: None,
            changes: None,
        }
    }
}
