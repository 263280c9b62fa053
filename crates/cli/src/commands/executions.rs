//! `responder executions list|show ID`: workflow runs as the Step Functions
//! console shows them.

use std::process::ExitCode;

use serde_json::{Value, json};

use crate::config::Config;
use crate::local::{DataDir, Workspace};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The most recent executions, one per line.
    List {
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One execution as a timeline: each state with its status, duration
    /// and the key of its output. ID is the execution ARN or its name.
    Show {
        id: String,
        /// The whole history instead: each state's input and output, the
        /// execution's result, as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: &Command, config: &Config) -> ExitCode {
    super::finish(execute(command, config))
}

fn execute(command: &Command, config: &Config) -> anyhow::Result<ExitCode> {
    let dir = DataDir::current();
    // Reading never creates a database: an empty answer says where it looked.
    let Some(workspace) = Workspace::open_existing(config)? else {
        return match command {
            Command::List { .. } => {
                none_in(&dir);
                Ok(ExitCode::SUCCESS)
            }
            Command::Show { id, .. } => {
                eprintln!(
                    "{}",
                    responder_workflow::render::sanitize(&super::not_found("execution", id, &dir))
                );
                Ok(ExitCode::from(2))
            }
        };
    };
    let store = workspace.engine.store();
    match command {
        Command::List { limit } => {
            let executions = store.list(*limit)?;
            if executions.is_empty() {
                none_in(&dir);
                return Ok(ExitCode::SUCCESS);
            }
            say!("Executions in {}, most recent first:", dir.describe());
            say!(
                "{:<36}  {:<9}  {:<24}  {:<24}  STATE MACHINE",
                "NAME",
                "STATUS",
                "STARTED (UTC)",
                "STOPPED (UTC)"
            );
            for e in executions {
                say!(
                    "{:<36}  {:<9}  {:<24}  {:<24}  {}",
                    e.name,
                    e.status,
                    super::timestamp(&e.started_at),
                    e.stopped_at
                        .as_deref()
                        .map_or_else(|| "-".to_owned(), super::timestamp),
                    e.state_machine.rsplit(':').next().unwrap_or_default()
                );
            }
            say!("(`responder executions show NAME` for one, state by state)");
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, json } => {
            let arn = if id.starts_with("arn:") {
                Some(id.clone())
            } else {
                store
                    .list(usize::MAX)?
                    .into_iter()
                    .find(|e| &e.name == id)
                    .map(|e| e.id)
            };
            let Some(execution) = arn.and_then(|a| workspace.engine.describe(&a).ok()) else {
                eprintln!(
                    "{}",
                    responder_workflow::render::sanitize(&super::not_found("execution", id, &dir))
                );
                return Ok(ExitCode::from(2));
            };
            let history = execution.history();
            if !json {
                show_timeline(&execution);
                return Ok(ExitCode::SUCCESS);
            }
            let mut steps = Vec::new();
            for (i, event) in history.iter().enumerate() {
                if !event.kind.ends_with("StateEntered") {
                    continue;
                }
                let name = event.details.name.clone().unwrap_or_default();
                let exit = super::timeline::exit_of(history, i).and_then(|x| history.get(x));
                steps.push(json!({
                    "state": name,
                    "type": event.kind.trim_end_matches("StateEntered"),
                    "entered": stamp(event.timestamp),
                    "exited": exit.map(|e| stamp(e.timestamp)),
                    "input": event.details.input,
                    "output": exit.and_then(|e| e.details.output.clone()),
                }));
            }
            let shown = json!({
                "id": execution.id,
                "status": execution.status.as_str(),
                "started": stamp(execution.started_at),
                "stopped": execution.stopped_at.map(stamp),
                "transitions": execution.transitions(),
                "error": execution.error.as_ref().map(|e| &e.error),
                "cause": execution.error.as_ref().map(|e| &e.cause),
                "states": Value::Array(steps),
                "output": execution.output,
            });
            say!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn none_in(dir: &DataDir) {
    say!("No executions in {}.", dir.describe());
    if let Some(hint) = dir.elsewhere("executions list") {
        say!("Note: {hint}");
    }
}

/// A time as every command prints one (`2026-11-20T09:14:07.405Z`).
fn stamp(time: chrono::DateTime<chrono::Utc>) -> String {
    responder_core::Timestamp::from_epoch_millis(time.timestamp_millis())
        .map_or_else(|| time.to_rfc3339(), |t| t.to_string())
}

/// The execution, then one line per state entered: when, which, how it
/// ended, how long, and what came out.
fn show_timeline(execution: &responder_sfn::Execution) {
    say!(
        "Execution {} {} (started {}{}; {} transitions)",
        execution.name,
        execution.status.as_str(),
        stamp(execution.started_at),
        execution
            .stopped_at
            .map(|t| format!(", stopped {}", stamp(t)))
            .unwrap_or_default(),
        execution.transitions()
    );
    if let Some(error) = &execution.error {
        say!("  {}: {}", error.error, error.cause);
    }
    say!();
    say!(
        "{:<24}  {:<18} {:<8} {:<9} {:>8}  RESULT",
        "ENTERED (UTC)",
        "STATE",
        "TYPE",
        "STATUS",
        "DURATION"
    );
    for step in super::timeline::all(execution.history()) {
        say!(
            "{:<24}  {:<18} {:<8} {:<9} {:>8}  {}",
            stamp(step.entered),
            step.state,
            step.kind,
            step.status,
            step.millis
                .map_or_else(|| "-".to_owned(), |m| format!("{m} ms")),
            step.result
        );
    }
    say!("(`--json` for the whole history: each state's input and output)");
}
