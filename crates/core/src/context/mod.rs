//! The context gathered for an incident, and how it is gathered: what the
//! alert measures, which resources and log groups relate to it, which log
//! lines matter (templates mined and ranked against a baseline), what
//! changed, and which past incidents resemble it. Pure functions over data
//! the adapters read: the local backends and AWS share them.

pub mod changes;
pub mod events;
pub mod history;
pub mod logs;
pub mod signals;
pub mod subject;
pub mod template;
pub mod topology;
pub mod window;

pub use events::LogEvent;
pub use logs::{GroupInput, GroupSummary, LogContext, LogTemplate};
pub use subject::Subject;
pub use topology::Topology;
pub use window::{Span, WindowSettings, Windows};

/// A rough token count: 4 characters per token, as for English text (the
/// prompt builder counts the same way).
pub fn tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}
