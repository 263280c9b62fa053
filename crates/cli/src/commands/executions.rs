//! `responder executions list|show ID`: workflow runs as the Step Functions
//! console shows them.

use std::process::ExitCode;

use serde_json::{Value, json};

use crate::config::Config;
use crate::local::Workspace;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The most recent executions, one per line.
    List {
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One execution: the path through the states with each state's input
    /// and output, then its result. ID is the execution ARN or its name.
    Show { id: String },
}

pub fn run(command: &Command, config: &Config) -> ExitCode {
    super::finish(execute(command, config))
}

fn execute(command: &Command, config: &Config) -> anyhow::Result<ExitCode> {
    let workspace = Workspace::open(config, false)?;
    let store = workspace.engine.store();
    match command {
        Command::List { limit } => {
            for e in store.list(*limit)? {
                say!(
                    "{}  {:<9}  {}  {}",
                    e.name,
                    e.status,
                    e.started_at,
                    e.state_machine
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id } => {
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
                eprintln!("ExecutionDoesNotExist: no execution '{id}'");
                return Ok(ExitCode::from(2));
            };
            let history = execution.history();
            let mut steps = Vec::new();
            for (i, event) in history.iter().enumerate() {
                if !event.kind.ends_with("StateEntered") {
                    continue;
                }
                let name = event.details.name.clone().unwrap_or_default();
                let exit = history.iter().skip(i).find(|e| {
                    e.kind.ends_with("StateExited")
                        && e.details.name.as_deref() == Some(name.as_str())
                });
                steps.push(json!({
                    "state": name,
                    "type": event.kind.trim_end_matches("StateEntered"),
                    "entered": event.timestamp.to_rfc3339(),
                    "exited": exit.map(|e| e.timestamp.to_rfc3339()),
                    "input": event.details.input,
                    "output": exit.and_then(|e| e.details.output.clone()),
                }));
            }
            let shown = json!({
                "id": execution.id,
                "status": execution.status.as_str(),
                "started": execution.started_at.to_rfc3339(),
                "stopped": execution.stopped_at.map(|t| t.to_rfc3339()),
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
