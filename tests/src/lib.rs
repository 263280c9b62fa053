//! Helpers shared by the end-to-end tests: where the shared payloads live,
//! and the local backends and engine on a fresh data directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use responder_core::NormalizeOptions;
use responder_local::{Db, Local, WorkflowConfig};
use responder_sfn::{Clock, Definition, Engine, ManualClock, SeededRandom, Store};

/// The local backends and the engine, as `responder run` and `serve` set
/// them up, on an empty data directory: the demo logs and history, the
/// shipped state machine, a clock at 2026-11-20T09:15:00Z, seeded randomness.
#[derive(Debug)]
pub struct LocalSetup {
    pub local: Arc<Local>,
    pub engine: Engine,
    pub definition: Arc<Definition>,
    pub dir: PathBuf,
    /// The directory goes when the setup does (or whatever keeps this):
    /// tests leave nothing behind.
    pub removed_on_drop: RemoveOnDrop,
}

/// Removes a directory when dropped.
#[derive(Debug)]
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A [`LocalSetup`] in a temporary directory named after the test.
#[allow(clippy::unwrap_used)] // Test set-up: a failure is the test's failure.
pub fn local_setup(name: &str, seed: u64) -> LocalSetup {
    #[allow(clippy::unwrap_used)] // A constant that parses.
    // Tasks read real files on the blocking pool (QueryLogs, QueryChanges):
    // time stands still until they end, or the clock would jump to their
    // timeout while they read.
    let clock = Arc::new(
        ManualClock::new("2026-11-20T09:15:00Z".parse().unwrap()).standing_still_while_tasks_run(),
    );
    local_setup_with(name, seed, WorkflowConfig::default(), clock)
}

/// A [`LocalSetup`] over `config` (its logs folder and history seed are
/// the demo's) and `clock`: a [`ManualClock`] jumps to a timer's deadline
/// as soon as a task waits, so tasks that wait on a real server (HTTP
/// senders) need the [`responder_sfn::SystemClock`].
#[allow(clippy::unwrap_used)] // Test set-up: a failure is the test's failure.
pub fn local_setup_with(
    name: &str,
    seed: u64,
    config: WorkflowConfig,
    clock: Arc<dyn Clock>,
) -> LocalSetup {
    let dir = std::env::temp_dir().join(format!("responder-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db_path = dir.join("responder.db");
    let local = Arc::new(Local {
        db: Db::open(&db_path).unwrap(),
        config: WorkflowConfig {
            logs_dir: events_dir().join("demo/logs"),
            history_seed: None,
            ..config
        },
        normalize: NormalizeOptions::default(),
        outbox_dir: dir.join("outbox"),
    });
    local
        .db
        .seed_history(&events_dir().join("demo/history.jsonl"))
        .unwrap();
    let engine = Engine::new(
        Store::open(&db_path).unwrap(),
        Arc::new(responder_local::registry(Arc::clone(&local))),
    )
    .with_clock(clock)
    .with_random(Arc::new(SeededRandom::new(seed)));
    let asl =
        std::fs::read_to_string(statemachine_dir().join("incident-response.asl.json")).unwrap();
    let definition = Arc::new(Definition::load(&asl, &responder_local::substitutions()).unwrap());
    LocalSetup {
        local,
        engine,
        definition,
        removed_on_drop: RemoveOnDrop(dir.clone()),
        dir,
    }
}

/// The repository's `events/` folder.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// Every sample payload under `events/`, except the bad-input corpus
/// (`events/invalid/`), the functions' task inputs (`events/functions/`),
/// the API Gateway requests (`events/apigateway/`) and the readable copies
/// of encoded payloads (`*.decoded.json`), sorted.
pub fn sample_payloads() -> Vec<PathBuf> {
    let mut found = Vec::new();
    collect(&events_dir(), &mut found);
    found.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        name.ends_with(".json")
            && !name.ends_with(".decoded.json")
            && !p.components().any(|c| {
                ["invalid", "functions", "apigateway"]
                    .contains(&c.as_os_str().to_str().unwrap_or_default())
            })
    });
    found.sort();
    found
}

/// The bad-input corpus: (file, expected error type, expected message part).
pub fn bad_inputs() -> Vec<(PathBuf, String, String)> {
    let dir = events_dir().join("invalid");
    let manifest = std::fs::read_to_string(dir.join("expected.tsv")).unwrap_or_default();
    manifest
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let (file, kind, part) = (fields.next()?, fields.next()?, fields.next()?);
            Some((dir.join(file), kind.to_owned(), part.to_owned()))
        })
        .collect()
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, found);
        } else {
            found.push(path);
        }
    }
}

/// The repository's `statemachine/` folder.
pub fn statemachine_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../statemachine")
}

/// The states an execution entered, in order.
pub fn states_entered(execution: &responder_sfn::Execution) -> Vec<String> {
    execution
        .history()
        .iter()
        .filter(|e| e.kind.ends_with("StateEntered"))
        .filter_map(|e| e.details.name.clone())
        .collect()
}

/// How a test answers an approval request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The task's output: `{"decision": "APPROVED", ...}`.
    Approve(serde_json::Value),
    /// `Approval.Rejected`, with the reason as its cause.
    Reject(&'static str),
}

impl LocalSetup {
    /// Runs `payload` to its end on the engine, answering every approval it
    /// waits for with `decide`.
    #[allow(clippy::unwrap_used)] // Test set-up: a failure is the test's failure.
    pub async fn run_deciding(
        &self,
        payload: serde_json::Value,
        decide: impl Fn(&responder_local::db::PendingApproval) -> Answer,
    ) -> responder_sfn::Execution {
        let mut execution = self
            .engine
            .execute(&self.definition, "IncidentResponse", None, payload)
            .await
            .unwrap();
        while execution.status == responder_sfn::Status::Running {
            for approval in self.local.db.waiting_approvals(&execution.id).unwrap() {
                match decide(&approval) {
                    Answer::Approve(output) => {
                        self.engine
                            .send_task_success(&approval.token, output)
                            .unwrap();
                    }
                    Answer::Reject(reason) => {
                        self.engine
                            .send_task_failure(&approval.token, "Approval.Rejected", reason)
                            .unwrap();
                    }
                }
            }
            execution = self.engine.run(&execution.id).await.unwrap();
        }
        execution
    }
}
