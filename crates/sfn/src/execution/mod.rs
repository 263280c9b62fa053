//! The interpreter: one execution as a tree of threads (the top level, and
//! below a Parallel or Map state one thread per branch or item). Advancing a
//! thread runs states until it must wait for a task, a timer or a callback.
//! The whole tree is plain data, so a waiting execution is saved as a
//! snapshot and resumed after a restart exactly where it stopped.

use std::borrow::Cow;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Random;
use crate::definition::Definition;
use crate::error::StatesError;
use crate::handler::TaskRequest;
use crate::history::{Details, Event, More, Payload};

mod fanout;
mod io;
mod query;
mod retry;
mod states;
mod task;
mod thread;
mod vars;
mod wait;

#[allow(unused_imports)]
use fanout::*;
pub(crate) use io::json_size;
#[allow(unused_imports)]
use io::*;
#[allow(unused_imports)]
use retry::*;
pub(crate) use states::advance;
#[allow(unused_imports)]
use states::*;
pub(crate) use task::deliver;
#[allow(unused_imports)]
use task::*;
pub(crate) use thread::Thread;
#[allow(unused_imports)]
use thread::*;
pub(crate) use vars::Scopes;

/// AWS's limit on a state's input and output and on a task's result.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// AWS's limit on a Standard execution's history: the event that would be
/// the 25,000th is the execution's failure instead.
pub const MAX_HISTORY_EVENTS: usize = 25_000;

/// The region in the ARNs and events the engine makes up.
pub(crate) const REGION: &str = "local";
/// The execution role the context object and history name.
pub(crate) const ROLE_ARN: &str = "arn:aws:iam::000000000000:role/responder-local";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
        }
    }
}

/// One execution: identity, result, history and the thread tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Execution {
    pub id: String,
    pub name: String,
    pub state_machine: String,
    pub input: Value,
    pub started_at: DateTime<Utc>,
    pub status: Status,
    pub output: Option<Value>,
    pub error: Option<StatesError>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// When the definition's top-level `TimeoutSeconds` runs out.
    pub deadline: Option<DateTime<Utc>>,
    pub(crate) tracker: Tracker,
    pub(crate) root: Thread,
}

/// What an execution counts and records as it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tracker {
    pub history: Vec<Event>,
    /// State transitions as a Standard workflow bills them: one per state
    /// entered, one per retry.
    pub transitions: u64,
    /// The execution's own generator (jitter, `States.UUID`, `MathRandom`).
    pub rng: u64,
    pub next_invocation: u64,
    /// Workflow variables, by scope.
    #[serde(default)]
    pub scopes: Scopes,
    /// The history reached its limit: the execution must fail.
    #[serde(default)]
    pub exhausted: bool,
}

impl Tracker {
    /// Records an event and returns its id. Past the history's limit the
    /// event is dropped and the execution marked to fail.
    fn emit(
        &mut self,
        now: DateTime<Utc>,
        kind: &'static str,
        previous: u64,
        details: Details,
    ) -> u64 {
        if self.exhausted || self.history.len() + 1 >= MAX_HISTORY_EVENTS {
            self.exhausted = true;
            return self.history.len() as u64;
        }
        self.record(now, kind, previous, details)
    }

    fn record(
        &mut self,
        now: DateTime<Utc>,
        kind: &'static str,
        previous: u64,
        details: Details,
    ) -> u64 {
        let id = self.history.len() as u64 + 1;
        self.history.push(Event {
            id,
            previous_event_id: previous,
            timestamp: now,
            kind: Cow::Borrowed(kind),
            details,
        });
        id
    }
}

/// A task the engine must start: where its answer goes, and the request.
#[derive(Debug)]
pub(crate) struct Dispatch {
    pub path: Vec<usize>,
    pub invocation: u64,
    pub callback: bool,
    pub request: TaskRequest,
}

/// What arrives for a task: its handler's answer, or a callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Delivery {
    /// The handler returned; `wrapped` when the value is already the service
    /// response (a mocked response), so no Lambda envelope is added.
    Handler {
        result: Result<Value, StatesError>,
        wrapped: bool,
    },
    Success(Value),
    Failure(StatesError),
    Heartbeat(DateTime<Utc>),
}

/// Everything one pass over the thread tree needs.
pub(crate) struct Run<'a> {
    pub def: &'a Definition,
    pub now: DateTime<Utc>,
    pub tracker: &'a mut Tracker,
    pub ident: Ident<'a>,
    pub random: &'a dyn Random,
    pub dispatches: Vec<Dispatch>,
    /// Tokens whose task ended: they no longer accept callbacks.
    pub retired_tokens: Vec<String>,
}

#[derive(Clone, Copy)]
pub(crate) struct Ident<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub state_machine: &'a str,
    pub input: &'a Value,
    pub started_at: DateTime<Utc>,
}

impl Execution {
    pub(crate) fn new(
        id: String,
        name: String,
        state_machine: String,
        input: Value,
        def: &Definition,
        now: DateTime<Utc>,
        seed: u64,
    ) -> Self {
        let start = def.machine(0).map_or(0, |m| m.start);
        let mut tracker = Tracker {
            history: Vec::new(),
            transitions: 0,
            rng: seed,
            next_invocation: 1,
            scopes: Scopes::default(),
            exhausted: false,
        };
        tracker.emit(
            now,
            "ExecutionStarted",
            0,
            Details {
                input: Some(Payload::new(&input)),
                ..Details::with(More {
                    role_arn: Some(ROLE_ARN.to_owned()),
                    ..More::default()
                })
            },
        );
        // The first state's event names no previous event, as AWS's do.
        Self {
            root: Thread::new(0, start, input.clone(), 0, now, vars::ROOT),
            id,
            name,
            state_machine,
            input,
            started_at: now,
            status: Status::Running,
            output: None,
            error: None,
            stopped_at: None,
            deadline: def
                .timeout_seconds
                .map(|s| now + Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000))),
            tracker,
        }
    }

    pub fn history(&self) -> &[Event] {
        &self.tracker.history
    }

    pub fn transitions(&self) -> u64 {
        self.tracker.transitions
    }

    /// Splits the execution into the pieces one pass needs.
    pub(crate) fn run_parts<'a>(
        &'a mut self,
        def: &'a Definition,
        now: DateTime<Utc>,
        random: &'a dyn Random,
    ) -> (Run<'a>, &'a mut Thread) {
        let run = Run {
            def,
            now,
            tracker: &mut self.tracker,
            ident: Ident {
                id: &self.id,
                name: &self.name,
                state_machine: &self.state_machine,
                input: &self.input,
                started_at: self.started_at,
            },
            random,
            dispatches: Vec::new(),
            retired_tokens: Vec::new(),
        };
        (run, &mut self.root)
    }

    /// Records the end of the execution, once.
    pub(crate) fn finish(
        &mut self,
        now: DateTime<Utc>,
        status: Status,
        result: Result<Value, StatesError>,
    ) {
        if self.status != Status::Running {
            return;
        }
        let last = self.tracker.history.len() as u64;
        let (kind, details) = match (&result, status) {
            (Ok(output), _) => (
                "ExecutionSucceeded",
                Details {
                    output: Some(Payload::new(output)),
                    ..Details::default()
                },
            ),
            (Err(e), s) => (
                match s {
                    Status::TimedOut => "ExecutionTimedOut",
                    Status::Aborted => "ExecutionAborted",
                    _ => "ExecutionFailed",
                },
                // AWS leaves out an error or a cause that is empty.
                Details::default().failed(&e.error, &e.cause),
            ),
        };
        self.tracker.record(now, kind, last, details);
        self.status = status;
        self.stopped_at = Some(now);
        match result {
            Ok(output) => self.output = Some(output),
            Err(e) => self.error = Some(e),
        }
        // The thread tree is only needed to resume; a finished execution
        // keeps its result and history.
        self.root.abort(&mut self.tracker.scopes);
        self.root.step = Step::Done;
        self.root.input = Value::Null;
        self.tracker.scopes = Scopes::default();
    }

    /// Whether the history reached its limit (the execution must fail).
    pub(crate) fn exhausted(&self) -> bool {
        self.tracker.exhausted
    }

    pub(crate) fn root_outcome(&self) -> Option<&Result<Value, StatesError>> {
        self.root.outcome.as_ref()
    }

    /// The earliest timer in the tree: a Wait, a retry delay, a timeout.
    pub(crate) fn next_timer(&self) -> Option<DateTime<Utc>> {
        let timer = self.root.next_timer();
        match (timer, self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(crate) fn awaiting_callback(&self) -> bool {
        self.root.awaiting_callback()
    }

    /// Whether every thread points at a state of `def`: a snapshot read back
    /// from the store is checked before it runs, so a damaged one is an
    /// error, not a crash.
    pub(crate) fn fits(&self, def: &Definition) -> bool {
        self.root.fits(def)
    }

    /// After a restart no task is in flight: those that were are sent again
    /// (at least once, as Lambda retries are).
    pub(crate) fn redispatch_in_flight(&mut self) {
        self.root.redispatch_in_flight();
    }

    /// Tokens of tasks still waiting for a callback.
    pub(crate) fn open_tokens(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.root.collect_tokens(&mut out);
        out
    }
}
