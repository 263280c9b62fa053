//! The engine: starts executions, drives them through their tasks and
//! timers, and takes task-token answers, all durable in a [`Store`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt as _, StreamExt as _};
use serde_json::Value;

use crate::clock::{Clock, OsRandom, Random, SystemClock};
use crate::definition::Definition;
use crate::error::{EngineError, StatesError, names};
use crate::execution::{self, Delivery, Dispatch, Execution, MAX_PAYLOAD_BYTES, Status, json_size};
use crate::handler::TaskHandler;
use crate::mock::MockCase;
use crate::store::Store;

mod callbacks;

/// The region and account in the ARNs the engine makes up.
const REGION: &str = "local";
const ACCOUNT: &str = "000000000000";

type Completion = BoxFuture<'static, (Vec<usize>, u64, Vec<Delivery>)>;

/// Told of history as it grows: the whole history and the index of the
/// first event not reported before (for progress output).
pub type Observer = Arc<dyn Fn(&[crate::history::Event], usize) + Send + Sync>;

struct ObserverSlot(Observer);

impl std::fmt::Debug for ObserverSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// Which executions the engine writes to its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Persistence {
    /// Every execution, from its start, with its history: what `responder`
    /// uses, so that `executions list|show` see them all.
    #[default]
    All,
    /// Only executions that wait for a callback (so that they survive a
    /// restart); one that runs straight through is returned and not kept.
    /// For throwaway runs (`responder sfn run`) and benchmarks.
    WaitingOnly,
}

#[derive(Debug)]
pub struct Engine {
    store: Store,
    handler: Arc<dyn TaskHandler>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    mocks: Option<MockCase>,
    persistence: Persistence,
    observer: Option<ObserverSlot>,
    /// Definitions by text, so resuming does not parse them again.
    definitions: Mutex<HashMap<String, Arc<Definition>>>,
    /// Invocations per (execution, state), for mocked attempt numbers.
    mock_invocations: Mutex<HashMap<(String, String), u32>>,
}

impl Engine {
    pub fn new(store: Store, handler: Arc<dyn TaskHandler>) -> Self {
        Self {
            store,
            handler,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            mocks: None,
            persistence: Persistence::All,
            observer: None,
            definitions: Mutex::new(HashMap::new()),
            mock_invocations: Mutex::new(HashMap::new()),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_random(mut self, random: Arc<dyn Random>) -> Self {
        self.random = random;
        self
    }

    /// Answers mocked states from `mocks` instead of calling the handler.
    pub fn with_mocks(mut self, mocks: MockCase) -> Self {
        self.mocks = Some(mocks);
        self
    }

    pub fn with_persistence(mut self, persistence: Persistence) -> Self {
        self.persistence = persistence;
        self
    }

    /// Calls `observer` with new history events after each step of a run.
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(ObserverSlot(observer));
        self
    }

    fn report(&self, exec: &Execution, reported: &mut usize) {
        if let Some(ObserverSlot(observer)) = &self.observer
            && exec.history().len() > *reported
        {
            observer(exec.history(), *reported);
            *reported = exec.history().len();
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Starts an execution and returns its id. `name` defaults to a random
    /// UUID. Starting a name again with the same input while it runs returns
    /// the same execution, as `StartExecution` does; anything else is
    /// `ExecutionAlreadyExists`.
    pub fn start(
        &self,
        definition: &Arc<Definition>,
        state_machine: &str,
        name: Option<&str>,
        input: Value,
    ) -> Result<String, EngineError> {
        self.create(definition, state_machine, name, input, true)
            .map(|e| e.id)
    }

    /// Starts an execution and returns it (or the running one of that name).
    fn create(
        &self,
        definition: &Arc<Definition>,
        state_machine: &str,
        name: Option<&str>,
        input: Value,
        save: bool,
    ) -> Result<Execution, EngineError> {
        let size = json_size(&input);
        if size > MAX_PAYLOAD_BYTES {
            return Err(EngineError::InvalidExecutionInput(format!(
                "the input has {size} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes (256 KiB)"
            )));
        }
        let name = match name {
            Some(n) => {
                check_name(n)?;
                n.to_owned()
            }
            None => crate::intrinsics::uuid_v4(self.random.next_u64(), self.random.next_u64()),
        };
        check_name(state_machine)?;
        let id = format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:{state_machine}:{name}");
        if let Some((existing, _)) = self.store.load(&id)? {
            if existing.status == Status::Running && existing.input == input {
                return Ok(existing);
            }
            return Err(EngineError::ExecutionAlreadyExists(name));
        }
        let machine_arn = format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{state_machine}");
        let execution = Execution::new(
            id.clone(),
            name,
            machine_arn,
            input,
            definition,
            self.clock.now(),
            self.random.next_u64(),
        );
        self.remember(definition);
        if save {
            self.store.save(&execution, definition.text())?;
        }
        Ok(execution)
    }

    /// Starts an execution and runs it until it ends or waits for a callback.
    /// With [`Persistence::WaitingOnly`], it is stored only if it waits.
    pub async fn execute(
        &self,
        definition: &Arc<Definition>,
        state_machine: &str,
        name: Option<&str>,
        input: Value,
    ) -> Result<Execution, EngineError> {
        let stored = self.persistence == Persistence::All;
        let execution = self.create(definition, state_machine, name, input, stored)?;
        let definition = self.definition(definition.text())?;
        self.drive(execution, definition, stored).await
    }

    fn remember(&self, definition: &Arc<Definition>) {
        if let Ok(mut cache) = self.definitions.lock() {
            cache
                .entry(definition.text().to_owned())
                .or_insert_with(|| Arc::clone(definition));
        }
    }

    fn definition(&self, text: &str) -> Result<Arc<Definition>, EngineError> {
        if let Some(def) = self
            .definitions
            .lock()
            .ok()
            .and_then(|c| c.get(text).cloned())
        {
            return Ok(def);
        }
        let def = Arc::new(Definition::load(text, &HashMap::new())?);
        self.remember(&def);
        Ok(def)
    }

    pub fn describe(&self, id: &str) -> Result<Execution, EngineError> {
        self.store
            .load(id)?
            .map(|(e, _)| e)
            .ok_or_else(|| EngineError::ExecutionDoesNotExist(id.to_owned()))
    }

    /// Runs the execution until it ends, or until nothing but callbacks (and
    /// their timeouts) is left to wait for: then it is saved and returned
    /// with status `RUNNING`; answer its token and call `run` again.
    pub async fn run(&self, id: &str) -> Result<Execution, EngineError> {
        let (mut exec, text) = self
            .store
            .load(id)?
            .ok_or_else(|| EngineError::ExecutionDoesNotExist(id.to_owned()))?;
        let def = self.definition(&text)?;
        if !exec.fits(&def) {
            return Err(EngineError::Store(format!(
                "the snapshot of execution '{id}' does not match its definition"
            )));
        }
        exec.redispatch_in_flight();
        self.drive(exec, def, true).await
    }

    /// `stored`: the execution has a row in the store, which must be kept
    /// up to date.
    async fn drive(
        &self,
        mut exec: Execution,
        def: Arc<Definition>,
        mut stored: bool,
    ) -> Result<Execution, EngineError> {
        let id = exec.id.clone();
        let id = id.as_str();
        let mut in_flight: FuturesUnordered<Completion> = FuturesUnordered::new();
        // This run starts from the stored snapshot (or a new execution):
        // answers an earlier run took but never saved are replayed.
        let mut answers = self.store.take_answers(id, true)?;
        if !answers.is_empty() {
            responder_failpoints::crash_at("engine.answers_taken");
        }
        let mut reported = exec.history().len();
        while exec.status == Status::Running {
            let now = self.clock.now();
            if exec.deadline.is_some_and(|d| now >= d) {
                let error = StatesError::new(
                    names::TIMEOUT,
                    "The execution ran longer than its TimeoutSeconds",
                );
                self.close(&exec, true)?;
                exec.finish(now, Status::TimedOut, Err(error));
                break;
            }
            let (dispatches, retired) = {
                let (mut run, root) = exec.run_parts(&def, now, &*self.random);
                for (path, invocation, delivery) in answers.drain(..) {
                    execution::deliver(&mut run, root, &path, invocation, delivery);
                }
                execution::advance(&mut run, root, &mut Vec::new());
                (
                    std::mem::take(&mut run.dispatches),
                    std::mem::take(&mut run.retired_tokens),
                )
            };
            self.store.close_tokens(&retired, false)?;
            if exec.exhausted() {
                // AWS's limit on the history: the execution fails there.
                self.close(&exec, false)?;
                let error = StatesError::runtime(format!(
                    "The execution reached the maximum number of history events ({}).",
                    execution::MAX_HISTORY_EVENTS
                ));
                exec.finish(now, Status::Failed, Err(error));
                break;
            }
            self.report(&exec, &mut reported);
            let callbacks: Vec<&Dispatch> = dispatches.iter().filter(|d| d.callback).collect();
            if !callbacks.is_empty() {
                // The execution and its tokens must be durable before anyone
                // can answer them.
                self.store.save(&exec, def.text())?;
                stored = true;
            }
            for d in &callbacks {
                if let Some(token) = &d.request.token {
                    self.store
                        .register_token(token, id, &d.path, d.invocation)?;
                }
            }
            for d in dispatches {
                in_flight.push(self.dispatch(d));
            }
            if let Some(outcome) = exec.root_outcome().cloned() {
                self.close(&exec, false)?;
                match outcome {
                    Ok(output) => exec.finish(now, Status::Succeeded, Ok(output)),
                    Err(error) => exec.finish(now, Status::Failed, Err(error)),
                }
                break;
            }
            if in_flight.is_empty() {
                if exec.awaiting_callback() {
                    answers = self.store.take_answers(id, false)?;
                    if !answers.is_empty() {
                        responder_failpoints::crash_at("engine.answers_taken");
                    }
                    if answers.is_empty() {
                        // A wait on a person or another system: hand back to the caller.
                        self.store.save(&exec, def.text())?;
                        return Ok(exec);
                    }
                    continue;
                }
                match exec.next_timer() {
                    Some(at) => self.clock.sleep_until(at).await,
                    None => {
                        let error =
                            StatesError::runtime("the execution has nothing left to wait for");
                        exec.finish(now, Status::Failed, Err(error));
                    }
                }
                continue;
            }
            let sleep = match exec.next_timer() {
                Some(at) if !self.clock.stands_still_while_tasks_run() => {
                    self.clock.sleep_until(at)
                }
                _ => futures::future::pending().boxed(),
            };
            futures::select_biased! {
                done = in_flight.next() => {
                    if let Some((path, invocation, deliveries)) = done {
                        answers.extend(deliveries.into_iter().map(|d| (path.clone(), invocation, d)));
                    }
                }
                () = sleep.fuse() => {}
            }
            // Everything else that is already done joins this pass.
            while let Some(Some((path, invocation, deliveries))) = in_flight.next().now_or_never() {
                answers.extend(
                    deliveries
                        .into_iter()
                        .map(|d| (path.clone(), invocation, d)),
                );
            }
        }
        self.report(&exec, &mut reported);
        if stored {
            self.store.save(&exec, def.text())?;
        }
        Ok(exec)
    }

    /// Retires the tokens of an execution that ends.
    fn close(&self, exec: &Execution, timed_out: bool) -> Result<(), EngineError> {
        self.store.close_tokens(&exec.open_tokens(), timed_out)
    }

    fn dispatch(&self, d: Dispatch) -> Completion {
        let Dispatch {
            path,
            invocation,
            callback,
            request,
            ..
        } = d;
        if let Some(mocks) = self.mocks.as_ref().filter(|m| m.mocks(&request.state)) {
            let key = (request.execution_id.clone(), request.state.clone());
            let n = self
                .mock_invocations
                .lock()
                .map(|mut counts| {
                    let n = counts.entry(key).or_insert(0);
                    *n += 1;
                    *n - 1
                })
                .unwrap_or(0);
            let response = mocks.response(&request.state, n).unwrap_or(Ok(Value::Null));
            let deliveries = match (callback, response) {
                (true, Ok(output)) => vec![
                    Delivery::Handler {
                        result: Ok(Value::Null),
                        wrapped: true,
                    },
                    Delivery::Success(output),
                ],
                (_, result) => vec![Delivery::Handler {
                    result,
                    wrapped: true,
                }],
            };
            return async move { (path, invocation, deliveries) }.boxed();
        }
        let call = self.handler.invoke(request);
        async move {
            let result = call.await;
            (
                path,
                invocation,
                vec![Delivery::Handler {
                    result,
                    wrapped: false,
                }],
            )
        }
        .boxed()
    }
}

/// Execution and state machine names: 1 to 80 characters, no whitespace,
/// wildcards, brackets, `:` or `/` (AWS's rule).
fn check_name(name: &str) -> Result<(), EngineError> {
    let bad = name.chars().find(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '<' | '>'
                    | '{'
                    | '}'
                    | '['
                    | ']'
                    | '?'
                    | '*'
                    | '"'
                    | '#'
                    | '%'
                    | '\\'
                    | '^'
                    | '|'
                    | '~'
                    | '`'
                    | '$'
                    | '&'
                    | ','
                    | ';'
                    | ':'
                    | '/'
            )
    });
    if name.is_empty() || name.chars().count() > 80 {
        return Err(EngineError::InvalidExecutionInput(format!(
            "the name '{name}' must have 1 to 80 characters"
        )));
    }
    if let Some(c) = bad {
        return Err(EngineError::InvalidExecutionInput(format!(
            "the name '{name}' contains '{c}', which names cannot contain"
        )));
    }
    Ok(())
}
