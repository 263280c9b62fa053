//! The interpreter: one execution as a tree of threads (the top level, and
//! below a Parallel or Map state one thread per branch or item). Advancing a
//! thread runs states until it must wait for a task, a timer or a callback.
//! The whole tree is plain data, so a waiting execution is saved as a
//! snapshot and resumed after a restart exactly where it stopped.

use std::borrow::Cow;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::{Random, splitmix};
use crate::definition::{
    Definition, Kind, Percentage, Seconds, State, Target, Text, Transition, WaitFor,
};
use crate::error::{StatesError, names};
use crate::handler::{TaskRequest, resource_type};
use crate::history::{Details, Event};

/// AWS's limit on a state's input and output and on a task's result.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

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
}

impl Tracker {
    fn emit(
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
            details: Box::new(details),
        });
        id
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Thread {
    machine: usize,
    state: usize,
    /// The current state's raw input.
    input: Value,
    entered_at: DateTime<Utc>,
    last_event: u64,
    step: Step,
    /// Attempts used per retrier of the current state.
    retries: Vec<u32>,
    retry_count: u32,
    outcome: Option<Result<Value, StatesError>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Step {
    Enter,
    Task(TaskStep),
    Sleep { until: DateTime<Utc>, retry: bool },
    Fanout(Fanout),
    Done,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TaskStep {
    invocation: u64,
    effective: Value,
    token: Option<String>,
    phase: Phase,
    timeout_at: Option<DateTime<Utc>>,
    heartbeat_seconds: Option<u64>,
    heartbeat_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Phase {
    Ready,
    InFlight,
    AwaitingCallback,
}

/// A Parallel state's branches or a Map state's items.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Fanout {
    is_map: bool,
    /// Each child's input (for a Map, after ItemSelector).
    inputs: Vec<Value>,
    children: Vec<Thread>,
    results: Vec<Option<Value>>,
    finished: usize,
    max_concurrency: usize,
    tolerated_count: Option<u64>,
    tolerated_percentage: Option<f64>,
    failures: u64,
    started_event: u64,
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
        };
        let first = tracker.emit(
            now,
            "ExecutionStarted",
            0,
            Details {
                input: Some(input.clone()),
                ..Details::default()
            },
        );
        Self {
            root: Thread::new(0, start, input.clone(), first, now),
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
                    output: Some(output.clone()),
                    ..Details::default()
                },
            ),
            (Err(e), s) => (
                match s {
                    Status::TimedOut => "ExecutionTimedOut",
                    Status::Aborted => "ExecutionAborted",
                    _ => "ExecutionFailed",
                },
                Details {
                    error: Some(e.error.clone()),
                    cause: Some(e.cause.clone()),
                    ..Details::default()
                },
            ),
        };
        self.tracker.emit(now, kind, last, details);
        self.status = status;
        self.stopped_at = Some(now);
        match result {
            Ok(output) => self.output = Some(output),
            Err(e) => self.error = Some(e),
        }
        // The thread tree is only needed to resume; a finished execution
        // keeps its result and history.
        self.root.abort();
        self.root.step = Step::Done;
        self.root.input = Value::Null;
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

impl Thread {
    fn new(
        machine: usize,
        state: usize,
        input: Value,
        last_event: u64,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            machine,
            state,
            input,
            entered_at: now,
            last_event,
            step: Step::Enter,
            retries: Vec::new(),
            retry_count: 0,
            outcome: None,
        }
    }

    fn finish(&mut self, outcome: Result<Value, StatesError>) {
        self.outcome = Some(outcome);
        self.step = Step::Done;
    }

    /// Stops this thread and everything below it.
    fn abort(&mut self) {
        if let Step::Fanout(f) = &mut self.step {
            for child in &mut f.children {
                child.abort();
            }
        }
        if self.outcome.is_none() {
            self.outcome = Some(Err(StatesError::new(names::ABORTED, "aborted")));
        }
        self.step = Step::Done;
    }

    fn next_timer(&self) -> Option<DateTime<Utc>> {
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

    fn fits(&self, def: &Definition) -> bool {
        def.state(self.machine, self.state).is_some()
            && match &self.step {
                Step::Fanout(f) => f.children.iter().all(|c| c.fits(def)),
                _ => true,
            }
    }

    fn redispatch_in_flight(&mut self) {
        match &mut self.step {
            Step::Task(t) if t.phase == Phase::InFlight => t.phase = Phase::Ready,
            Step::Fanout(f) => f.children.iter_mut().for_each(Thread::redispatch_in_flight),
            _ => {}
        }
    }

    fn awaiting_callback(&self) -> bool {
        match &self.step {
            Step::Task(t) => t.phase == Phase::AwaitingCallback,
            Step::Fanout(f) => f.children.iter().any(Thread::awaiting_callback),
            _ => false,
        }
    }

    fn collect_tokens(&self, out: &mut Vec<String>) {
        match &self.step {
            Step::Task(t) => out.extend(t.token.clone()),
            Step::Fanout(f) => f.children.iter().for_each(|c| c.collect_tokens(out)),
            _ => {}
        }
    }

    fn find(&mut self, path: &[usize]) -> Option<&mut Thread> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        match &mut self.step {
            Step::Fanout(f) => f.children.get_mut(*first)?.find(rest),
            _ => None,
        }
    }
}

fn state<'d>(run: &Run<'d>, th: &Thread) -> &'d State {
    match run.def.state(th.machine, th.state) {
        Some(s) => s,
        // Indices come from the compiled definition the thread was made from.
        None => unreachable_state(),
    }
}

// Snapshots are checked with `Execution::fits` before they run, and threads
// are only ever pointed at states of their own definition.
#[allow(clippy::panic)]
fn unreachable_state() -> ! {
    panic!("a thread points at a state its definition does not have")
}

/// The history event types of a state: (entered, exited).
fn state_events(kind: &Kind) -> (&'static str, &'static str) {
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

fn emit(run: &mut Run<'_>, th: &mut Thread, kind: &'static str, details: Details) -> u64 {
    let id = run.tracker.emit(run.now, kind, th.last_event, details);
    th.last_event = id;
    id
}

/// An upper bound of the serialized size, from lengths alone: a character
/// escapes to at most 6 bytes, a number prints in at most 24.
fn json_size_bound(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => s.len() * 6 + 2,
        Value::Array(items) => 2 + items.iter().map(|v| json_size_bound(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() * 6 + 4 + json_size_bound(v))
                .sum::<usize>()
        }
    }
}

/// The serialized size of a value, without building the text.
pub(crate) fn json_size(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

fn check_size(value: &Value, what: &str, state: &str) -> Result<(), StatesError> {
    // Most values are far below the limit: the bound proves it without
    // serializing them.
    if json_size_bound(value) <= MAX_PAYLOAD_BYTES {
        return Ok(());
    }
    let size = json_size(value);
    if size > MAX_PAYLOAD_BYTES {
        return Err(StatesError::new(
            names::DATA_LIMIT_EXCEEDED,
            format!(
                "The {what} of state '{state}' has {size} bytes, more than the limit of \
                 {MAX_PAYLOAD_BYTES} bytes (256 KiB)"
            ),
        ));
    }
    Ok(())
}

/// The context object (`$$`).
fn context(
    run: &Run<'_>,
    th: &Thread,
    token: Option<&str>,
    item: Option<(usize, &Value)>,
) -> Value {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut ctx = json!({
        "Execution": {
            "Id": run.ident.id,
            "Input": run.ident.input,
            "Name": run.ident.name,
            "RoleArn": "arn:aws:iam::000000000000:role/responder-local",
            "StartTime": time(run.ident.started_at),
            "RedriveCount": 0,
        },
        "State": {
            "EnteredTime": time(th.entered_at),
            "Name": state(run, th).name,
            "RetryCount": th.retry_count,
        },
        "StateMachine": {
            "Id": run.ident.state_machine,
            "Name": run.ident.state_machine.rsplit(':').next().unwrap_or_default(),
        },
    });
    if let Some(obj) = ctx.as_object_mut() {
        if let Some(token) = token {
            obj.insert("Task".into(), json!({ "Token": token }));
        }
        if let Some((index, value)) = item {
            obj.insert(
                "Map".into(),
                json!({ "Item": { "Index": index, "Value": value } }),
            );
        }
    }
    ctx
}

fn random(run: &mut Run<'_>) -> u64 {
    splitmix(&mut run.tracker.rng)
}

/// Runs the thread until it waits for something or ends.
pub(crate) fn advance(run: &mut Run<'_>, th: &mut Thread, path: &mut Vec<usize>) {
    loop {
        let progressed = match &th.step {
            Step::Done => return,
            Step::Enter => {
                enter(run, th);
                true
            }
            Step::Task(_) => poll_task(run, th, path),
            Step::Sleep { until, retry } => {
                if run.now < *until {
                    false
                } else if *retry {
                    attempt(run, th);
                    true
                } else {
                    wake(run, th);
                    true
                }
            }
            Step::Fanout(_) => poll_fanout(run, th, path),
        };
        if !progressed {
            return;
        }
    }
}

fn enter(run: &mut Run<'_>, th: &mut Thread) {
    let state = state(run, th);
    run.tracker.transitions += 1;
    th.entered_at = run.now;
    th.retry_count = 0;
    th.retries.clear();
    let retriers = match &state.kind {
        Kind::Task(t) => t.handlers.retry.len(),
        Kind::Parallel { handlers, .. } => handlers.retry.len(),
        Kind::Map(m) => m.handlers.retry.len(),
        _ => 0,
    };
    th.retries.resize(retriers, 0);
    emit(
        run,
        th,
        state_events(&state.kind).0,
        Details {
            name: Some(state.name.clone()),
            input: Some(th.input.clone()),
            ..Details::default()
        },
    );
    attempt(run, th);
}

/// InputPath, then Parameters: the state's effective input.
fn effective_input(
    run: &mut Run<'_>,
    th: &Thread,
    token: Option<&str>,
) -> Result<Value, StatesError> {
    let state = state(run, th);
    let data = select_input(run, th, &state.io.input_path, "InputPath")?;
    match &state.io.parameters {
        None => Ok(data),
        Some(template) => {
            let ctx = if template.uses_context() {
                context(run, th, token, None)
            } else {
                Value::Null
            };
            let mut rng = run.tracker.rng;
            let out = template.evaluate(&data, &ctx, &mut || splitmix(&mut rng));
            run.tracker.rng = rng;
            out
        }
    }
}

fn select_input(
    run: &Run<'_>,
    th: &Thread,
    path: &Option<crate::path::JsonPath>,
    field: &str,
) -> Result<Value, StatesError> {
    match path {
        None => Ok(json!({})),
        Some(p) if p.is_root() => Ok(th.input.clone()),
        Some(p) => {
            let ctx = if p.is_context() {
                context(run, th, None, None)
            } else {
                Value::Null
            };
            p.read(&th.input, &ctx).ok_or_else(|| {
                StatesError::runtime(format!(
                    "Invalid path '{p}' : The {field} could not be found in the input '{}' of state '{}'",
                    th.input,
                    state(run, th).name
                ))
            })
        }
    }
}

fn apply_output_path(run: &Run<'_>, th: &Thread, value: Value) -> Result<Value, StatesError> {
    let state = state(run, th);
    match &state.io.output_path {
        None => Ok(json!({})),
        Some(p) if p.is_root() => Ok(value),
        Some(p) => {
            let ctx = if p.is_context() {
                context(run, th, None, None)
            } else {
                Value::Null
            };
            p.read(&value, &ctx).ok_or_else(|| {
                StatesError::runtime(format!(
                    "Invalid path '{p}' : The OutputPath could not be found in the output '{value}' \
                     of state '{}'",
                    state.name
                ))
            })
        }
    }
}

/// Starts (or, after a retry delay, restarts) the state's work.
fn attempt(run: &mut Run<'_>, th: &mut Thread) {
    let state = state(run, th);
    let result = match &state.kind {
        Kind::Pass { result } => effective_input(run, th, None).map(|effective| {
            let value = result.clone().unwrap_or(effective);
            complete(run, th, value);
        }),
        Kind::Choice { choices, default } => choose(run, th, choices, *default),
        Kind::Wait(wait) => start_wait(run, th, wait),
        Kind::Succeed => select_input(run, th, &state.io.input_path, "InputPath")
            .and_then(|data| apply_output_path(run, th, data))
            .map(|output| exit(run, th, output, None)),
        Kind::Fail { error, cause } => {
            let text = |t: &Option<Text>| match t {
                None => String::new(),
                Some(Text::Literal(s)) => s.clone(),
                Some(Text::Path(p)) => match p.read(&th.input, &Value::Null) {
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => String::new(),
                },
            };
            th.finish(Err(StatesError::new(text(error), text(cause))));
            Ok(())
        }
        Kind::Task(task) => start_task(run, th, task),
        Kind::Parallel { branches, .. } => effective_input(run, th, None).and_then(|effective| {
            check_size(&effective, "input", &state.name)?;
            let started = emit(run, th, "ParallelStateStarted", Details::default());
            let inputs = vec![effective; branches.len()];
            let children = branches
                .iter()
                .zip(&inputs)
                .map(|(machine, input)| {
                    let start = run.def.machine(*machine).map_or(0, |m| m.start);
                    Thread::new(*machine, start, input.clone(), started, run.now)
                })
                .collect();
            th.step = Step::Fanout(Fanout {
                is_map: false,
                results: vec![None; inputs.len()],
                inputs,
                children,
                finished: 0,
                max_concurrency: 0,
                tolerated_count: None,
                tolerated_percentage: None,
                failures: 0,
                started_event: started,
            });
            Ok(())
        }),
        Kind::Map(map) => start_map(run, th, map),
    };
    if let Err(error) = result {
        fail(run, th, error);
    }
}

fn choose(
    run: &mut Run<'_>,
    th: &mut Thread,
    choices: &[(crate::choice::Rule, usize)],
    default: Option<usize>,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let data = select_input(run, th, &state.io.input_path, "InputPath")?;
    let ctx = if choices.iter().any(|(rule, _)| rule.uses_context()) {
        context(run, th, None, None)
    } else {
        Value::Null
    };
    let mut next = None;
    for (rule, target) in choices {
        if rule.evaluate(&data, &ctx)? {
            next = Some(*target);
            break;
        }
    }
    let next = next.or(default).ok_or_else(|| {
        // AWS reports a Choice with no match as States.Runtime; NoChoiceMatched is reserved.
        StatesError::runtime(format!(
            "An error occurred while executing the state '{}'. No Choice Rule matched and no \
             Default was specified",
            state.name
        ))
    })?;
    let output = apply_output_path(run, th, data)?;
    exit(run, th, output, Some(next));
    Ok(())
}

fn start_wait(run: &mut Run<'_>, th: &mut Thread, wait: &WaitFor) -> Result<(), StatesError> {
    let state = state(run, th);
    let data = select_input(run, th, &state.io.input_path, "InputPath")?;
    let until = match wait {
        WaitFor::Seconds(s) => run.now + seconds(*s),
        WaitFor::Timestamp(t) => t.with_timezone(&Utc),
        WaitFor::SecondsPath(p) => {
            let s = p
                .read(&data, &Value::Null)
                .and_then(|v| v.as_u64())
                .ok_or_else(|| {
                    StatesError::runtime(format!(
                        "The SecondsPath parameter '{p}' of state '{}' does not reference a \
                     non-negative integer",
                        state.name
                    ))
                })?;
            run.now + seconds(s)
        }
        WaitFor::TimestampPath(p) => p
            .read(&data, &Value::Null)
            .and_then(|v| v.as_str().and_then(crate::choice::timestamp))
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                StatesError::runtime(format!(
                    "The TimestampPath parameter '{p}' of state '{}' does not reference a valid \
                     ISO-8601 timestamp",
                    state.name
                ))
            })?,
    };
    th.input = data;
    th.step = Step::Sleep {
        until,
        retry: false,
    };
    Ok(())
}

fn wake(run: &mut Run<'_>, th: &mut Thread) {
    let data = std::mem::take(&mut th.input);
    match apply_output_path(run, th, data) {
        Ok(output) => exit(run, th, output, None),
        Err(e) => fail(run, th, e),
    }
}

fn seconds(s: u64) -> Duration {
    Duration::seconds(
        i64::try_from(s)
            .unwrap_or(i64::MAX / 1000)
            .min(i64::MAX / 1000),
    )
}

fn read_seconds(
    run: &Run<'_>,
    th: &Thread,
    data: &Value,
    value: &Option<Seconds>,
    field: &str,
) -> Result<Option<u64>, StatesError> {
    match value {
        None => Ok(None),
        Some(Seconds::Fixed(s)) => Ok(Some(*s)),
        Some(Seconds::Path(p)) => p
            .read(data, &Value::Null)
            .and_then(|v| v.as_u64())
            .map(Some)
            .ok_or_else(|| {
                StatesError::runtime(format!(
                    "The {field}Path '{p}' of state '{}' does not reference a non-negative integer",
                    state(run, th).name
                ))
            }),
    }
}

fn start_task(
    run: &mut Run<'_>,
    th: &mut Thread,
    task: &crate::definition::Task,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let token = task.callback.then(|| new_token(run));
    let effective = effective_input(run, th, token.as_deref())?;
    check_size(&effective, "input", &state.name)?;
    // `...Path` timeouts read the state's input; most tasks have none.
    let reads_paths = matches!(task.timeout, Some(Seconds::Path(_)))
        || matches!(task.heartbeat, Some(Seconds::Path(_)));
    let data = if reads_paths {
        select_input(run, th, &state.io.input_path, "InputPath")?
    } else {
        Value::Null
    };
    let timeout = read_seconds(run, th, &data, &task.timeout, "TimeoutSeconds")?;
    let heartbeat = read_seconds(run, th, &data, &task.heartbeat, "HeartbeatSeconds")?;
    let invocation = run.tracker.next_invocation;
    run.tracker.next_invocation += 1;
    let lambda_arn = matches!(task.target, Target::LambdaFunction(_));
    emit(
        run,
        th,
        if lambda_arn {
            "LambdaFunctionScheduled"
        } else {
            "TaskScheduled"
        },
        Details {
            resource: Some(task.resource.clone()),
            resource_type: Some(resource_type(&task.target).to_owned()),
            input: Some(effective.clone()),
            ..Details::default()
        },
    );
    th.step = Step::Task(TaskStep {
        invocation,
        effective,
        token,
        phase: Phase::Ready,
        timeout_at: timeout.map(|s| run.now + seconds(s)),
        heartbeat_seconds: heartbeat,
        heartbeat_at: heartbeat.map(|s| run.now + seconds(s)),
    });
    Ok(())
}

/// An opaque token: 48 random bytes, base64url. Long like AWS's, and
/// unguessable when the engine's random source is the OS's.
fn new_token(run: &mut Run<'_>) -> String {
    use base64::Engine as _;
    let bytes: Vec<u8> = (0..6)
        .flat_map(|_| run.random.next_u64().to_le_bytes())
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn poll_task(run: &mut Run<'_>, th: &mut Thread, path: &[usize]) -> bool {
    let state = state(run, th);
    let Kind::Task(task) = &state.kind else {
        return false;
    };
    let Step::Task(step) = &mut th.step else {
        return false;
    };
    match step.phase {
        Phase::Ready => {
            step.phase = Phase::InFlight;
            let (function, input) = match &task.target {
                Target::LambdaInvoke => (
                    step.effective
                        .get("FunctionName")
                        .and_then(Value::as_str)
                        .map(crate::definition::function_name),
                    step.effective
                        .get("Payload")
                        .cloned()
                        .unwrap_or(Value::Null),
                ),
                Target::LambdaFunction(name) => (Some(name.clone()), step.effective.clone()),
                Target::Service(_) => (None, step.effective.clone()),
            };
            run.dispatches.push(Dispatch {
                path: path.to_vec(),
                invocation: step.invocation,
                callback: task.callback,
                request: TaskRequest {
                    execution_id: run.ident.id.to_owned(),
                    state: state.name.clone(),
                    resource: task.resource.clone(),
                    function,
                    input,
                    token: step.token.clone(),
                    attempt: th.retry_count,
                },
            });
            let kind = if matches!(task.target, Target::LambdaFunction(_)) {
                "LambdaFunctionStarted"
            } else {
                "TaskStarted"
            };
            emit(run, th, kind, Details::default());
            false
        }
        Phase::InFlight | Phase::AwaitingCallback => {
            let timed_out = step.timeout_at.is_some_and(|t| run.now >= t);
            let heartbeat_missed = step.heartbeat_at.is_some_and(|t| run.now >= t);
            if !timed_out && !heartbeat_missed {
                return false;
            }
            let error = if timed_out {
                StatesError::new(
                    names::TIMEOUT,
                    format!("The task of state '{}' timed out", state.name),
                )
            } else {
                StatesError::new(
                    names::HEARTBEAT_TIMEOUT,
                    format!(
                        "The task of state '{}' sent no heartbeat in time",
                        state.name
                    ),
                )
            };
            run.retired_tokens.extend(step.token.clone());
            let kind = if matches!(task.target, Target::LambdaFunction(_)) {
                "LambdaFunctionTimedOut"
            } else {
                "TaskTimedOut"
            };
            fail_with_event(run, th, kind, error);
            true
        }
    }
}

/// Applies an answer to the task at `path`; stale answers (an earlier
/// attempt, a task that timed out) are ignored. Returns whether it applied.
pub(crate) fn deliver(
    run: &mut Run<'_>,
    root: &mut Thread,
    path: &[usize],
    invocation: u64,
    delivery: Delivery,
) -> bool {
    let Some(th) = root.find(path) else {
        return false;
    };
    let state = state(run, th);
    let Kind::Task(task) = &state.kind else {
        return false;
    };
    let Step::Task(step) = &mut th.step else {
        return false;
    };
    if step.invocation != invocation {
        return false;
    }
    let lambda_arn = matches!(task.target, Target::LambdaFunction(_));
    let result = match (step.phase, delivery) {
        (Phase::InFlight, Delivery::Handler { result, wrapped }) => {
            if task.callback {
                match result {
                    Ok(response) => {
                        step.phase = Phase::AwaitingCallback;
                        emit(
                            run,
                            th,
                            "TaskSubmitted",
                            Details {
                                output: Some(response),
                                ..Details::default()
                            },
                        );
                        return true;
                    }
                    Err(e) => Err(e),
                }
            } else if task.target == Target::LambdaInvoke && !wrapped {
                result.map(lambda_envelope)
            } else {
                result
            }
        }
        (Phase::AwaitingCallback, Delivery::Success(output)) => Ok(output),
        (Phase::AwaitingCallback, Delivery::Failure(error)) => Err(error),
        (Phase::AwaitingCallback, Delivery::Heartbeat(at)) => {
            if let Some(s) = step.heartbeat_seconds {
                step.heartbeat_at = Some(at + seconds(s));
            }
            return true;
        }
        _ => return false,
    };
    run.retired_tokens.extend(step.token.clone());
    match result {
        Ok(value) => {
            if let Err(e) = check_size(&value, "task result", &state.name) {
                fail(run, th, e);
                return true;
            }
            emit(
                run,
                th,
                if lambda_arn {
                    "LambdaFunctionSucceeded"
                } else {
                    "TaskSucceeded"
                },
                Details {
                    output: Some(value.clone()),
                    ..Details::default()
                },
            );
            complete(run, th, value);
        }
        Err(error) => {
            fail_with_event(
                run,
                th,
                if lambda_arn {
                    "LambdaFunctionFailed"
                } else {
                    "TaskFailed"
                },
                error,
            );
        }
    }
    true
}

/// The response `lambda:invoke` gives: the function's output under `Payload`.
fn lambda_envelope(payload: Value) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": { "HttpHeaders": {}, "HttpStatusCode": 200 },
        "SdkResponseMetadata": {},
        "StatusCode": 200,
    })
}

/// ResultSelector, ResultPath, OutputPath, then on to the next state.
fn complete(run: &mut Run<'_>, th: &mut Thread, result: Value) {
    match shape_output(run, th, result) {
        Ok(output) => exit(run, th, output, None),
        Err(error) => fail(run, th, error),
    }
}

fn shape_output(run: &mut Run<'_>, th: &Thread, result: Value) -> Result<Value, StatesError> {
    let state = state(run, th);
    let selected = match &state.io.result_selector {
        None => result,
        Some(template) => {
            let ctx = if template.uses_context() {
                context(run, th, None, None)
            } else {
                Value::Null
            };
            let mut rng = run.tracker.rng;
            let out = template.evaluate(&result, &ctx, &mut || splitmix(&mut rng));
            run.tracker.rng = rng;
            out?
        }
    };
    let merged = match &state.io.result_path {
        None => th.input.clone(),
        Some(p) if p.is_root() => selected,
        Some(p) => {
            let mut base = th.input.clone();
            p.write(&mut base, selected).map_err(|e| {
                StatesError::runtime(format!("{e} (state '{}', input {})", state.name, th.input))
            })?;
            base
        }
    };
    let output = apply_output_path(run, th, merged)?;
    check_size(&output, "output", &state.name)?;
    Ok(output)
}

/// Leaves the current state with `output`: to `next` (a Choice's pick), or
/// to the state's `Next`, or ends the thread.
fn exit(run: &mut Run<'_>, th: &mut Thread, output: Value, next: Option<usize>) {
    let state = state(run, th);
    emit(
        run,
        th,
        state_events(&state.kind).1,
        Details {
            name: Some(state.name.clone()),
            output: Some(output.clone()),
            ..Details::default()
        },
    );
    match next.map(Transition::Next).unwrap_or(state.next) {
        Transition::Next(n) => {
            th.state = n;
            th.input = output;
            th.step = Step::Enter;
        }
        Transition::End | Transition::Own => th.finish(Ok(output)),
    }
}

/// Records the state's failure event (`TaskFailed`, `MapStateFailed`, ...)
/// with the error, then lets the state's Retry and Catch decide.
fn fail_with_event(run: &mut Run<'_>, th: &mut Thread, kind: &'static str, error: StatesError) {
    emit(
        run,
        th,
        kind,
        Details {
            error: Some(error.error.clone()),
            cause: Some(error.cause.clone()),
            ..Details::default()
        },
    );
    fail(run, th, error);
}

/// An error in the current state: a matching retrier waits and tries again;
/// else a matching catcher moves on; else the thread fails.
fn fail(run: &mut Run<'_>, th: &mut Thread, error: StatesError) {
    let state = state(run, th);
    let handlers = match &state.kind {
        Kind::Task(t) => Some(&t.handlers),
        Kind::Parallel { handlers, .. } => Some(handlers),
        Kind::Map(m) => Some(&m.handlers),
        _ => None,
    };
    let Some(handlers) = handlers.filter(|_| !error.is_terminal()) else {
        th.finish(Err(error));
        return;
    };
    for (i, retrier) in handlers.retry.iter().enumerate() {
        if !retrier.errors.iter().any(|e| error.matches(e)) {
            continue;
        }
        let used = th.retries.get(i).copied().unwrap_or(0);
        if used < retrier.max_attempts {
            let mut delay = retrier.interval_seconds
                * retrier
                    .backoff_rate
                    .powi(i32::try_from(used).unwrap_or(i32::MAX));
            if let Some(max) = retrier.max_delay_seconds {
                delay = delay.min(max);
            }
            if retrier.full_jitter {
                let fraction = (random(run) >> 11) as f64 / (1u64 << 53) as f64;
                delay *= fraction;
            }
            if let Some(n) = th.retries.get_mut(i) {
                *n += 1;
            }
            th.retry_count += 1;
            run.tracker.transitions += 1;
            let millis = (delay * 1000.0).round().min(1e15) as i64;
            th.step = Step::Sleep {
                until: run.now + Duration::milliseconds(millis),
                retry: true,
            };
            return;
        }
        // The first matching retrier decides, even when it is used up.
        break;
    }
    for catcher in &handlers.catch {
        if !catcher.errors.iter().any(|e| error.matches(e)) {
            continue;
        }
        let error_output = json!({ "Error": error.error, "Cause": error.cause });
        let output = match &catcher.result_path {
            None => th.input.clone(),
            Some(p) if p.is_root() => error_output,
            Some(p) => {
                let mut base = th.input.clone();
                if let Err(e) = p.write(&mut base, error_output) {
                    th.finish(Err(StatesError::runtime(format!(
                        "{e} (Catch of state '{}')",
                        state.name
                    ))));
                    return;
                }
                base
            }
        };
        exit(run, th, output, Some(catcher.next));
        return;
    }
    th.finish(Err(error));
}

fn start_map(
    run: &mut Run<'_>,
    th: &mut Thread,
    map: &crate::definition::MapState,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let data = select_input(run, th, &state.io.input_path, "InputPath")?;
    let items = match &map.items_path {
        None => Value::Null,
        Some(p) if p.is_root() => data.clone(),
        Some(p) => p.read(&data, &Value::Null).unwrap_or(Value::Null),
    };
    let Value::Array(items) = items else {
        return Err(StatesError::runtime(format!(
            "Item selector: the ItemsPath of state '{}' does not reference an array",
            state.name
        )));
    };
    let mut inputs = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        inputs.push(match &map.item_selector {
            None => item.clone(),
            Some(template) => {
                let ctx = context(run, th, None, Some((index, item)));
                let mut rng = run.tracker.rng;
                let out = template.evaluate(&data, &ctx, &mut || splitmix(&mut rng));
                run.tracker.rng = rng;
                out?
            }
        });
    }
    let max_concurrency =
        read_seconds(run, th, &data, &map.max_concurrency, "MaxConcurrency")?.unwrap_or(0);
    let tolerated_count = read_seconds(
        run,
        th,
        &data,
        &map.tolerated_count,
        "ToleratedFailureCount",
    )?;
    let tolerated_percentage = match &map.tolerated_percentage {
        None => None,
        Some(Percentage::Fixed(p)) => Some(*p),
        Some(Percentage::Path(p)) => Some(
            p.read(&data, &Value::Null)
                .and_then(|v| v.as_f64())
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| {
                    StatesError::runtime(format!(
                        "The ToleratedFailurePercentagePath '{p}' of state '{}' does not reference a \
                         number from 0 to 100",
                        state.name
                    ))
                })?,
        ),
    };
    let started = emit(
        run,
        th,
        "MapStateStarted",
        Details {
            length: Some(inputs.len()),
            ..Details::default()
        },
    );
    th.step = Step::Fanout(Fanout {
        is_map: true,
        results: vec![None; inputs.len()],
        inputs,
        children: Vec::new(),
        finished: 0,
        max_concurrency: usize::try_from(max_concurrency).unwrap_or(usize::MAX),
        tolerated_count,
        tolerated_percentage,
        failures: 0,
        started_event: started,
    });
    Ok(())
}

fn poll_fanout(run: &mut Run<'_>, th: &mut Thread, path: &mut Vec<usize>) -> bool {
    let state = state(run, th);
    let mut last_event = th.last_event;
    let Step::Fanout(f) = &mut th.step else {
        return false;
    };
    let mut progressed = false;
    let mut failure: Option<StatesError> = None;
    let processor = match &state.kind {
        Kind::Map(m) => m.processor,
        _ => 0,
    };
    loop {
        // Start items while there is room.
        while f.is_map
            && f.children.len() < f.inputs.len()
            && (f.max_concurrency == 0 || f.children.len() - f.finished < f.max_concurrency)
        {
            let index = f.children.len();
            let id = run.tracker.emit(
                run.now,
                "MapIterationStarted",
                f.started_event,
                Details {
                    name: Some(state.name.clone()),
                    index: Some(index),
                    ..Details::default()
                },
            );
            let start = run.def.machine(processor).map_or(0, |m| m.start);
            let input = f
                .inputs
                .get_mut(index)
                .map(std::mem::take)
                .unwrap_or_default();
            f.children
                .push(Thread::new(processor, start, input, id, run.now));
        }
        let mut finished_now = false;
        for (i, child) in f.children.iter_mut().enumerate() {
            if f.results.get(i).is_some_and(Option::is_some) {
                continue;
            }
            path.push(i);
            advance(run, child, path);
            path.pop();
            let Some(outcome) = &child.outcome else {
                continue;
            };
            finished_now = true;
            f.finished += 1;
            let (kind, value) = match outcome {
                Ok(v) => ("MapIterationSucceeded", v.clone()),
                Err(e) => {
                    f.failures += 1;
                    let tolerance = Tolerance {
                        is_map: f.is_map,
                        count: f.tolerated_count,
                        percentage: f.tolerated_percentage,
                        failures: f.failures,
                        total: f.inputs.len(),
                    };
                    if failure.is_none() && tolerance.exceeded_by(e) {
                        failure = Some(tolerance.error(e));
                    }
                    (
                        "MapIterationFailed",
                        json!({ "Error": e.error, "Cause": e.cause }),
                    )
                }
            };
            if let Some(slot) = f.results.get_mut(i) {
                *slot = Some(value);
            }
            if f.is_map {
                last_event = run.tracker.emit(
                    run.now,
                    kind,
                    child.last_event,
                    Details {
                        name: Some(state.name.clone()),
                        index: Some(i),
                        ..Details::default()
                    },
                );
            } else {
                last_event = child.last_event;
            }
            if failure.is_some() {
                break;
            }
        }
        progressed |= finished_now;
        if failure.is_some() || !finished_now || f.finished == f.inputs.len() {
            break;
        }
    }
    th.last_event = last_event;
    let (failed_event, succeeded_event) = if f.is_map {
        ("MapStateFailed", "MapStateSucceeded")
    } else {
        ("ParallelStateFailed", "ParallelStateSucceeded")
    };
    if let Some(error) = failure {
        for child in &mut f.children {
            child.abort();
        }
        fail_with_event(run, th, failed_event, error);
        return true;
    }
    if f.finished == f.inputs.len() {
        let results: Vec<Value> = std::mem::take(&mut f.results)
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        emit(run, th, succeeded_event, Details::default());
        complete(run, th, Value::Array(results));
        return true;
    }
    progressed
}

/// A Map's failure tolerance, and how many items have failed so far.
struct Tolerance {
    is_map: bool,
    count: Option<u64>,
    percentage: Option<f64>,
    failures: u64,
    total: usize,
}

impl Tolerance {
    fn configured(&self) -> bool {
        self.is_map && (self.count.is_some() || self.percentage.is_some())
    }

    /// Whether the failures so far fail the state. A Parallel state, and a
    /// Map without a tolerance, fail on the first error.
    fn exceeded_by(&self, error: &StatesError) -> bool {
        if !self.configured() || error.is_terminal() {
            return true;
        }
        let over_count = self.count.is_some_and(|c| self.failures > c);
        let share = self.failures as f64 * 100.0 / self.total.max(1) as f64;
        let over_percentage = self.percentage.is_some_and(|p| share > p);
        over_count || over_percentage
    }

    fn error(&self, error: &StatesError) -> StatesError {
        if self.configured() && !error.is_terminal() {
            StatesError::new(
                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                format!(
                    "The specified tolerated failure threshold was exceeded: {} of {} items \
                     failed; the last error was {}",
                    self.failures, self.total, error.error
                ),
            )
        } else {
            error.clone()
        }
    }
}
