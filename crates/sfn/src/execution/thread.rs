//! The thread tree: one thread per running (sub-)machine, with the step it
//! is at, and the events a thread records.

use crate::definition::{Kind, State};
use crate::error::names;

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Thread {
    pub(super) machine: usize,
    pub(super) state: usize,
    /// The current state's raw input.
    pub(super) input: Value,
    pub(super) entered_at: DateTime<Utc>,
    /// The thread's last event: the next one names it as previous.
    pub(super) last_event: u64,
    /// The current state's Entered event, and the event before it.
    #[serde(default)]
    pub(super) entered_event: u64,
    #[serde(default)]
    pub(super) entered_prev: u64,
    /// The variable scope the thread reads and assigns.
    #[serde(default)]
    pub(super) scope: u64,
    pub(super) step: Step,
    /// Attempts used per retrier of the current state.
    pub(super) retries: Vec<u32>,
    pub(super) retry_count: u32,
    pub(super) outcome: Option<Result<Value, StatesError>>,
    /// The input as history text (shared with the previous state's output).
    #[serde(skip)]
    pub(super) input_payload: Option<Payload>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) enum Step {
    /// The state is to be entered.
    Enter,
    /// Entered: the state's work is next.
    Work,
    Task(TaskStep),
    Sleep {
        until: DateTime<Utc>,
        retry: bool,
    },
    Fanout(Fanout),
    Done,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TaskStep {
    pub(super) invocation: u64,
    pub(super) effective: Value,
    pub(super) token: Option<String>,
    pub(super) phase: Phase,
    pub(super) timeout_at: Option<DateTime<Utc>>,
    pub(super) heartbeat_seconds: Option<u64>,
    pub(super) heartbeat_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Phase {
    Ready,
    InFlight,
    AwaitingCallback,
}

/// A Parallel state's branches or a Map state's items.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Fanout {
    pub(super) is_map: bool,
    /// Each child's input (for a Map, after ItemSelector); taken as the
    /// child starts.
    pub(super) inputs: Vec<Value>,
    pub(super) children: Vec<Thread>,
    pub(super) results: Vec<Option<Value>>,
    pub(super) finished: usize,
    pub(super) max_concurrency: usize,
    pub(super) tolerated_count: Option<u64>,
    pub(super) tolerated_percentage: Option<f64>,
    pub(super) failures: u64,
    pub(super) started_event: u64,
    /// The event the next `MapIterationStarted` follows: the last event of
    /// the iteration that finished last.
    #[serde(default)]
    pub(super) cursor: u64,
    /// The event the state's Succeeded and Exited events follow: the last
    /// `MapIterationSucceeded`, or the last event of the branch that ended
    /// last.
    #[serde(default)]
    pub(super) last_success: u64,
}

impl Thread {
    pub(super) fn new(
        machine: usize,
        state: usize,
        input: Value,
        last_event: u64,
        now: DateTime<Utc>,
        scope: u64,
    ) -> Self {
        Self {
            machine,
            state,
            input,
            entered_at: now,
            last_event,
            entered_event: 0,
            entered_prev: 0,
            scope,
            step: Step::Enter,
            retries: Vec::new(),
            retry_count: 0,
            outcome: None,
            input_payload: None,
        }
    }

    pub(super) fn finish(&mut self, outcome: Result<Value, StatesError>) {
        self.outcome = Some(outcome);
        self.step = Step::Done;
    }

    /// What is left of a child once its result is recorded.
    pub(super) fn spent(&self) -> Self {
        Self {
            machine: self.machine,
            state: self.state,
            input: Value::Null,
            entered_at: self.entered_at,
            last_event: self.last_event,
            entered_event: 0,
            entered_prev: 0,
            scope: self.scope,
            step: Step::Done,
            retries: Vec::new(),
            retry_count: 0,
            outcome: None,
            input_payload: None,
        }
    }

    /// Stops this thread and everything below it; their scopes end.
    pub(super) fn abort(&mut self, scopes: &mut Scopes) {
        if let Step::Fanout(f) = &mut self.step {
            for child in &mut f.children {
                child.abort(scopes);
                scopes.close(child.scope);
            }
        }
        if self.outcome.is_none() {
            self.outcome = Some(Err(StatesError::new(names::ABORTED, "aborted")));
        }
        self.step = Step::Done;
    }

    pub(super) fn next_timer(&self) -> Option<DateTime<Utc>> {
        match &self.step {
            Step::Sleep { until, .. } => Some(*until),
            Step::Task(t) if t.phase != Phase::Ready => match (t.timeout_at, t.heartbeat_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            Step::Fanout(f) => f.children.iter().filter_map(Thread::next_timer).min(),
            _ => None,
        }
    }

    pub(super) fn fits(&self, def: &Definition) -> bool {
        def.state(self.machine, self.state).is_some()
            && match &self.step {
                Step::Fanout(f) => f.children.iter().all(|c| c.fits(def)),
                _ => true,
            }
    }

    pub(super) fn redispatch_in_flight(&mut self) {
        match &mut self.step {
            Step::Task(t) if t.phase == Phase::InFlight => t.phase = Phase::Ready,
            Step::Fanout(f) => f.children.iter_mut().for_each(Thread::redispatch_in_flight),
            _ => {}
        }
    }

    pub(super) fn awaiting_callback(&self) -> bool {
        match &self.step {
            Step::Task(t) => t.phase == Phase::AwaitingCallback,
            Step::Fanout(f) => f.children.iter().any(Thread::awaiting_callback),
            _ => false,
        }
    }

    pub(super) fn collect_tokens(&self, out: &mut Vec<String>) {
        match &self.step {
            Step::Task(t) => out.extend(t.token.clone()),
            Step::Fanout(f) => f.children.iter().for_each(|c| c.collect_tokens(out)),
            _ => {}
        }
    }

    pub(super) fn find(&mut self, path: &[usize]) -> Option<&mut Thread> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        match &mut self.step {
            Step::Fanout(f) => f.children.get_mut(*first)?.find(rest),
            _ => None,
        }
    }

    /// The input as history text, made once.
    pub(super) fn input_payload(&mut self) -> Payload {
        match &self.input_payload {
            Some(p) => p.clone(),
            None => {
                let p = Payload::new(&self.input);
                self.input_payload = Some(p.clone());
                p
            }
        }
    }
}

pub(super) fn state<'d>(run: &Run<'d>, th: &Thread) -> &'d State {
    match run.def.state(th.machine, th.state) {
        Some(s) => s,
        // Indices come from the compiled definition the thread was made from.
        None => unreachable_state(),
    }
}

// Snapshots are checked with `Execution::fits` before they run, and threads
// are only ever pointed at states of their own definition.
#[allow(clippy::panic)]
pub(super) fn unreachable_state() -> ! {
    panic!("a thread points at a state its definition does not have")
}

/// The history event types of a state: (entered, exited).
pub(super) fn state_events(kind: &Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Pass { .. } => ("PassStateEntered", "PassStateExited"),
        Kind::Task(_) => ("TaskStateEntered", "TaskStateExited"),
        Kind::Choice { .. } => ("ChoiceStateEntered", "ChoiceStateExited"),
        Kind::Wait(_) => ("WaitStateEntered", "WaitStateExited"),
        Kind::Succeed => ("SucceedStateEntered", "SucceedStateExited"),
        Kind::Fail { .. } => ("FailStateEntered", "FailStateExited"),
        Kind::Parallel { .. } => ("ParallelStateEntered", "ParallelStateExited"),
        Kind::Map(_) => ("MapStateEntered", "MapStateExited"),
    }
}

/// Records an event of the thread, after its last one.
pub(super) fn emit(
    run: &mut Run<'_>,
    th: &mut Thread,
    kind: &'static str,
    details: Details,
) -> u64 {
    let id = run.tracker.emit(run.now, kind, th.last_event, details);
    th.last_event = id;
    id
}
