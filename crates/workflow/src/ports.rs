//! The ports: what the workflow's steps need from the outside world, as
//! small traits. SQLite, a log folder, the rule analyzer and a file outbox
//! implement them locally (`responder-local`); DynamoDB, Athena, Logs
//! Insights, Bedrock, S3 and SES in AWS (`responder-aws`).
//!
//! Every write is safe to repeat: Step Functions and Lambda deliver at least
//! once, so a step may run again after its effect happened.

use std::future::Future;

use chrono::{DateTime, Utc};
use responder_core::analysis::{Analysis, AnalysisInput};
use responder_core::context::changes::ChangeEvent;
use responder_core::context::history::ArchivedIncident;
use responder_core::context::{LogEvent, Span, Topology, Windows};
use responder_core::{Alert, Channel, Decision, Incident};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;
use crate::render::Message;

/// One alert delivery, keyed by its dedup key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occurrence {
    pub dedup_key: String,
    /// The execution that registered it: the same execution asking again (a
    /// retried task) gets the first answer back.
    pub execution_id: String,
    pub incident_id: Option<String>,
    pub decision: Decision,
    pub received_at: String,
}

/// The outcome of a conditional write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Done,
    /// A condition failed: someone wrote first. Read again and decide again.
    Conflict,
}

/// Incidents and the alert deliveries (occurrences) that make them.
pub trait IncidentStore: Send + Sync {
    fn occurrence(
        &self,
        dedup_key: &str,
    ) -> impl Future<Output = Result<Option<Occurrence>>> + Send;

    /// The incident of a signature that new alerts join, if any.
    fn open_incident(
        &self,
        signature: &str,
    ) -> impl Future<Output = Result<Option<Incident>>> + Send;

    fn incident(&self, id: &str) -> impl Future<Output = Result<Option<Incident>>> + Send;

    /// In one atomic write: records the occurrence if its dedup key is new,
    /// and writes the incident if the stored one is at `incident.version - 1`
    /// (absent for version 1), keeping "the open incident of a signature"
    /// in step with the incident's status. `Conflict` if either condition
    /// fails; nothing is written then.
    fn register(
        &self,
        occurrence: &Occurrence,
        incident: Option<&Incident>,
    ) -> impl Future<Output = Result<Write>> + Send;

    /// Writes the incident if the stored one is at `incident.version - 1`.
    fn update(&self, incident: &Incident) -> impl Future<Output = Result<Write>> + Send;

    /// Keeps the incident's analysis (and what it cost); a second write for
    /// the same incident replaces the first.
    fn record_analysis(
        &self,
        incident_id: &str,
        analyzed: &Analyzed,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Keeps the latest state of one delivery (incident, channel, kind).
    fn record_delivery(&self, delivery: &Delivery) -> impl Future<Output = Result<()>> + Send;

    /// The latest state of one delivery, if it was made.
    fn delivery(
        &self,
        incident_id: &str,
        channel: Channel,
        kind: &str,
    ) -> impl Future<Output = Result<Option<Delivery>>> + Send;
}

/// One delivery's latest state, for people and the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub incident_id: String,
    pub channel: Channel,
    pub kind: String,
    /// `SENT` or `FAILED`.
    pub status: String,
    pub location: Option<String>,
    pub error: Option<String>,
}

/// The history query: past incidents that may be like this one (the same
/// signature, the same resource, the same metric of it, the same service)
/// since the start of the window; the core decides which are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub signature: String,
    pub resource: String,
    /// The alert's subject's resource parts (`billing-db`): rows whose
    /// subject names one are candidates.
    pub resource_parts: Vec<String>,
    pub service: Option<String>,
    /// RFC 3339: the start of the window.
    pub since: String,
}

pub trait History: Send + Sync {
    /// Archived incidents that may be like the query's, at most 200.
    fn candidates(
        &self,
        query: &HistoryQuery,
    ) -> impl Future<Output = Result<Vec<ArchivedIncident>>> + Send;
}

/// One row of the incident archive: what the history query reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveRecord {
    pub incident_id: String,
    pub signature: String,
    pub resource: String,
    /// What the alert measured (`AWS/RDS DatabaseConnections billing-db`).
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    pub opened_at: String,
    pub resolved_at: Option<String>,
    pub root_cause: Option<String>,
    pub resolution: Option<String>,
    pub time_to_recover_seconds: Option<i64>,
}

impl ArchiveRecord {
    pub fn of(incident: &Incident) -> Self {
        Self {
            incident_id: incident.id.clone(),
            signature: incident.signature.clone(),
            resource: incident.resource.clone(),
            subject: incident.subject.clone(),
            service: incident.service.clone(),
            opened_at: incident.opened_at.clone(),
            resolved_at: incident.resolved_at.clone(),
            root_cause: incident.root_cause.clone(),
            resolution: None,
            time_to_recover_seconds: incident.time_to_recover_seconds,
        }
    }
}

/// The incident archive. Writing a record or a report again replaces it.
pub trait Archive: Send + Sync {
    fn record(&self, record: &ArchiveRecord) -> impl Future<Output = Result<()>> + Send;

    /// The full report of an incident: alert, analysis, approval, deliveries.
    fn report(&self, incident_id: &str, report: &Value) -> impl Future<Output = Result<()>> + Send;
}

/// The logs around an alert: which groups relate to it, and their events.
pub trait LogSource: Send + Sync {
    /// The alarmed resource, the resources around it, and their log groups
    /// (locally: every group of the log folder, weighed; in AWS: discovery).
    fn discover(&self, alert: &Alert) -> impl Future<Output = Result<Topology>> + Send;

    /// The events of `groups` in the incident and baseline windows, each
    /// group's in time order. A source that must sample (Logs Insights
    /// returns 10,000 rows a query) keeps every line of trouble or change
    /// it can and samples the rest.
    fn read(
        &self,
        groups: &[String],
        windows: &Windows,
    ) -> impl Future<Output = Result<Vec<(String, Vec<LogEvent>)>>> + Send;
}

/// What changed: management events (CloudTrail) in a span.
pub trait Changes: Send + Sync {
    /// Writes in `span`, at most a few hundred (the source's own limits).
    fn lookup(&self, span: Span) -> impl Future<Output = Result<Vec<ChangeEvent>>> + Send;
}

/// Analyses reused for the same signature, analyzer and prompt version.
pub trait AnalysisCache: Send + Sync {
    /// The analysis under `key` unless it expired by `now`.
    fn get(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Analysis>>> + Send;

    fn put(
        &self,
        key: &str,
        analysis: &Analysis,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    fn remove(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
}

/// Who analyzes, for the cache key: a new model or prompt is a new key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzerId {
    pub name: String,
    pub version: String,
}

/// What one analysis cost, when a model answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub latency_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analyzed {
    pub analysis: Analysis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

pub trait Analyzer: Send + Sync {
    fn id(&self) -> AnalyzerId;

    /// The analysis, checked against the schema's limits by the caller.
    fn analyze(&self, input: &AnalysisInput) -> impl Future<Output = Result<Analyzed>> + Send;
}

/// An approval request: the task token stays behind the id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub id: String,
    pub incident_id: String,
    pub token: String,
    pub channels: Vec<Channel>,
    pub requested_at: String,
    pub expires_at: String,
}

/// How a waiting approval's task token is answered: the workflow reads the
/// success output (`decision`, `channels`, edits) or fails with
/// `Approval.Rejected`. Kept with the decision until the token has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskAnswer {
    Success(Value),
    Failure { error: String, cause: String },
}

impl TaskAnswer {
    /// The approval's status once decided with this answer (the decision's
    /// name says whether with edits).
    pub fn approval_status(&self) -> &'static str {
        match self {
            Self::Success(_) => "APPROVED",
            Self::Failure { .. } => "REJECTED",
        }
    }
}

/// An approval whose task token still waits for a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingApproval {
    pub id: String,
    pub token: String,
    /// The channels the request proposed (what an approval without edits
    /// delivers to).
    pub channels: Value,
}

/// A decision as recorded, with the answer its token gets.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedDecision {
    pub approval_id: String,
    pub token: String,
    /// `APPROVED`, `APPROVED_WITH_EDITS` or `REJECTED`.
    pub decision: String,
    pub answer: TaskAnswer,
}

/// Where a recorded decision's answer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// The task took it.
    Given,
    /// The task had ended without it (timed out, or retried under a new
    /// approval): the approval is `EXPIRED`.
    TooLate,
    /// The task is closed and the engine cannot tell whether by this
    /// answer (Step Functions says `TaskTimedOut` for both): the decision
    /// stays as recorded.
    Unknown,
}

/// The approvals and the decisions on them. A decision is recorded first,
/// with its token's answer, and the answer given after
/// ([`crate::steps::decide`]), so a process that dies in between leaves a
/// record that the next attempt gives ([`Approvals::unanswered`]).
pub trait Approvals: Send + Sync {
    /// Stores the request; storing the same id again changes nothing.
    fn put_request(&self, request: &ApprovalRequest) -> impl Future<Output = Result<()>> + Send;

    /// The incident's latest approval that still waits (`PENDING`, and its
    /// token not closed where the store can tell).
    fn waiting(
        &self,
        incident_id: &str,
    ) -> impl Future<Output = Result<Option<WaitingApproval>>> + Send;

    /// Records `decision` on a pending approval, with `caller` and the
    /// answer to give, unanswered; `false` if the approval no longer
    /// pends (someone decided first).
    fn record_decision(
        &self,
        decision: &RecordedDecision,
        caller: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Decisions recorded and not yet given to their token: the
    /// incident's, or every one.
    fn unanswered(
        &self,
        incident_id: Option<&str>,
    ) -> impl Future<Output = Result<Vec<RecordedDecision>>> + Send;

    /// Marks the decision's answer given; [`Answered::TooLate`] makes the
    /// approval `EXPIRED`.
    fn mark_answered(
        &self,
        approval_id: &str,
        answered: Answered,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Whether a message is already at its destination, as a destination can
/// tell: after an attempt died while sending, the next looks before it
/// sends again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// It is there: where (the location a send would have returned).
    At(String),
    /// It is not there: sending is safe.
    NotThere,
    /// The destination cannot be asked (an SMTP relay, a Slack webhook): it
    /// is not sent again, so it arrives at most once.
    CannotTell,
}

/// A boxed future, for the object-safe [`ChannelSender`].
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One channel's real destination (Slack's API, Jira Cloud, an SMTP relay,
/// SES). A backend keeps one per configured channel in a table keyed by
/// [`Channel`] ([`Senders`]); a channel without one goes to the backend's
/// outbox. Adding a channel is: its [`Channel`] variant, its renderer
/// ([`crate::render::render`]), its sender, and its configuration block.
pub trait ChannelSender: Send + Sync + std::fmt::Debug {
    /// Sends the message; returns where it went.
    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<String>>;

    /// Looks for the message at the destination after an attempt died
    /// while sending; [`Found::CannotTell`] where it cannot be asked.
    fn find<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Found>>;
}

/// The senders of a backend, by channel: the one table a new channel's
/// sender is added to.
#[derive(Debug, Default, Clone)]
pub struct Senders(std::collections::BTreeMap<Channel, std::sync::Arc<dyn ChannelSender>>);

impl Senders {
    /// `sender` delivers `channel` from now on.
    pub fn with(mut self, channel: Channel, sender: impl ChannelSender + 'static) -> Self {
        self.0.insert(channel, std::sync::Arc::new(sender));
        self
    }

    /// The sender of `channel`, if one is configured.
    pub fn get(&self, channel: Channel) -> Option<&dyn ChannelSender> {
        self.0.get(&channel).map(|s| &**s)
    }

    /// The channels with a sender.
    pub fn channels(&self) -> impl Iterator<Item = Channel> + '_ {
        self.0.keys().copied()
    }
}

/// Sends messages to people. A message sent twice is sent twice: the
/// [`Idempotency`] port around it, and [`Notifier::find`] after a crash,
/// are what make a retry safe.
pub trait Notifier: Send + Sync {
    /// Sends to `channel`; returns where it went.
    fn send(
        &self,
        channel: Channel,
        message: &Message,
    ) -> impl Future<Output = Result<String>> + Send;

    /// Asks the approvers; the request carries the approval id, never the token.
    fn request_approval(
        &self,
        approval_id: &str,
        message: &Message,
    ) -> impl Future<Output = Result<String>> + Send;

    /// Looks for `message` at `channel`'s destination: Slack's messages by
    /// their metadata, Jira's issue by its label, files in the outbox.
    fn find(
        &self,
        channel: Channel,
        message: &Message,
    ) -> impl Future<Output = Result<Found>> + Send;

    /// Looks for the approval request `approval_id` (Slack, or the outbox).
    fn find_approval_request(
        &self,
        approval_id: &str,
        message: &Message,
    ) -> impl Future<Output = Result<Found>> + Send;
}

/// Where an idempotent operation stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// This caller holds the key: do the work, then `complete`.
    Started,
    /// An earlier attempt held the key and is gone (its process died, or its
    /// record expired): this caller holds it now. If the earlier attempt had
    /// begun its effect ([`Idempotency::effect_starts`]), the effect may have
    /// happened: look before doing it again.
    TakenOver { effect_may_have_happened: bool },
    /// Another attempt holds it and has not finished (or crashed less than
    /// its expiry ago).
    InProgress,
    /// Done before: its result.
    Completed(Value),
}

/// Idempotency records in the style of Powertools: a conditional put marks
/// a key INPROGRESS until `complete` stores the result; an INPROGRESS record
/// whose holder is gone (locally: its process died; in AWS: its expiry, the
/// task's timeout, passed) is taken over.
pub trait Idempotency: Send + Sync {
    fn begin(
        &self,
        key: &str,
        now: DateTime<Utc>,
        in_progress_expiry: DateTime<Utc>,
    ) -> impl Future<Output = Result<Begin>> + Send;

    fn complete(
        &self,
        key: &str,
        result: &Value,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Notes that the holder's side effect starts now: if the holder dies
    /// from here on, whoever takes the key over must look before acting.
    fn effect_starts(&self, key: &str) -> impl Future<Output = Result<()>> + Send;

    /// Gives the key up after a failure, so that a retry can start again.
    fn release(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
}

/// Step Functions' callback and start calls: used by the approval API. A
/// token whose task no longer waits is refused as `Approval.Expired`.
pub trait Executions: Send + Sync {
    fn send_task_success(
        &self,
        token: &str,
        output: &Value,
    ) -> impl Future<Output = Result<()>> + Send;

    fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> impl Future<Output = Result<()>> + Send;

    /// After an answer was refused as `Approval.Expired` (the task no
    /// longer waits): whether the task had taken an answer for `token`
    /// (`Some(true)`), had ended without one (`Some(false)`), or the engine
    /// cannot tell (`None`: Step Functions).
    fn answered_before(&self, token: &str) -> impl Future<Output = Result<Option<bool>>> + Send;

    /// Starts the workflow under a name derived from the dedup key; a name
    /// already used means the alert is already handled: `Ok(None)`.
    fn start(
        &self,
        name: &str,
        input: &Value,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
}
