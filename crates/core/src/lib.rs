//! The incident-responder domain core: alerts from every supported source,
//! normalized into one [`Alert`] model with a stable [`Signature`].
//!
//! This crate has no AWS dependency. Adapters (AWS or local) live in other
//! crates and depend on this one, never the other way round.

pub mod alert;
pub mod analysis;
pub mod channel;
pub mod context;
pub mod incident;
pub mod json;
pub mod limits;
pub mod normalize;
pub mod severity;
pub mod signature;
pub mod time;

mod regions;
#[cfg(test)]
mod test_alerts;

pub use alert::{
    AlarmDetails, AlarmKind, Alert, AlertState, Contributor, LogEvent, LogEvidence, MetricDetails,
    MuteDetail, RawPayload, Routing, SourceFamily, SourceKind, TriggeringAlarm,
};
pub use analysis::{Analysis, AnalysisInput, RuleAnalyzer};
pub use channel::{Channel, UnknownChannel};
pub use incident::{Decision, Incident, IncidentStatus};
pub use normalize::{NormalizeError, NormalizeOptions, normalize, normalize_bytes};
pub use severity::{Severity, SeverityRule};
pub use signature::{DedupKey, Signature, SignatureBasis, message_template};
pub use time::Timestamp;
