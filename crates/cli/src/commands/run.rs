//! `responder run EVENT_FILE [--auto-approve]`: the whole workflow on one
//! machine, an alarm in, an analyzed incident and its notifications out.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use responder_local::db::PendingApproval;
use responder_sfn::{Execution, Status};
use serde_json::{Value, json};

use crate::config::Config;
use crate::local::{DataDir, STATE_MACHINE, Workspace};

/// Run the incident workflow on a payload, on the local engine.
///
/// Prints each state as it runs, then the incident and where its
/// notifications went (the outbox in the data directory). Without
/// `--auto-approve` it waits for `responder approve` or `responder reject`
/// from another shell (or asks, on a terminal).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The alert payload (any supported source), e.g. an EventBridge event.
    #[arg(value_name = "EVENT_FILE")]
    event: PathBuf,

    /// Approve the incident as soon as it asks, with the routed channels.
    #[arg(long)]
    auto_approve: bool,
}

pub fn run(args: &Args, config: &Config) -> ExitCode {
    super::finish(execute(args, config))
}

fn execute(args: &Args, config: &Config) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.event)
        .map_err(|e| anyhow::anyhow!("ReadError: cannot read {}: {e}", args.event.display()))?;
    let input: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("InvalidAlert: payload is not valid JSON: {e}"))?;
    // Each state is printed as it completes, while the run goes on.
    let workspace = Workspace::open_with(config, true, Some(std::sync::Arc::new(print_states)))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut execution = runtime.block_on(workspace.engine.execute(
        &workspace.definition,
        STATE_MACHINE,
        None,
        input,
    ))?;
    let interactive = io::stdin().is_terminal() && !args.auto_approve;
    let mut announced = std::collections::HashSet::new();
    while execution.status == Status::Running {
        for approval in workspace.local.db.waiting_approvals(&execution.id)? {
            if args.auto_approve {
                let arguments = json!({"incident_id": approval.incident_id, "comment": "approved automatically (responder run --auto-approve)"});
                runtime.block_on(workspace.decide(
                    "approve_incident",
                    arguments,
                    "cli:auto-approve",
                ))?;
                say!("  approved automatically ({})", approval.id);
            } else if interactive {
                runtime.block_on(answer_on_terminal(&workspace, &approval))?;
            } else if announced.insert(approval.id.clone()) {
                let id = &approval.incident_id;
                say!(
                    "  waiting for a decision on {id}: responder approve {id} | responder reject {id} --reason TEXT"
                );
            }
        }
        execution = runtime.block_on(workspace.engine.run(&execution.id))?;
        if execution.status == Status::Running && !args.auto_approve {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    print_summary(&workspace, &execution)?;
    Ok(if execution.status == Status::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Asks on the terminal, then decides through the same tools as every
/// other way in (checked against `write_tools`, audited as `cli:terminal`).
async fn answer_on_terminal(
    workspace: &Workspace,
    approval: &PendingApproval,
) -> anyhow::Result<()> {
    say_inline!(
        "  approve {}? [y = approve / n = reject] ",
        approval.incident_id
    );
    io::stdout().flush()?;
    let mut line = String::new();
    io::stdin().read_line(&mut line)?;
    let id = &approval.incident_id;
    if line.trim().eq_ignore_ascii_case("y") || line.trim().eq_ignore_ascii_case("yes") {
        let arguments = json!({"incident_id": id, "comment": "approved at the terminal"});
        workspace
            .decide("approve_incident", arguments, "cli:terminal")
            .await?;
    } else {
        let arguments = json!({"incident_id": id, "reason": "rejected at the terminal"});
        workspace
            .decide("reject_incident", arguments, "cli:terminal")
            .await?;
    }
    Ok(())
}

/// Prints each state that completed among the new events (from `from`):
/// name, duration and what came out (see [`super::timeline`]).
fn print_states(history: &[responder_sfn::Event], from: usize) {
    for step in super::timeline::finished(history, from) {
        let millis = step.millis.unwrap_or_default();
        say!("  {:<20} {millis:>5} ms  {}", step.state, step.result);
    }
}

fn print_summary(workspace: &Workspace, execution: &Execution) -> anyhow::Result<()> {
    say!();
    match execution.status {
        Status::Succeeded => say!(
            "Execution succeeded ({} transitions)",
            execution.transitions()
        ),
        other => {
            let error = execution.error.as_ref();
            say!(
                "Execution {}: {}: {}",
                other.as_str(),
                error.map(|e| e.error.as_str()).unwrap_or_default(),
                error.map(|e| e.cause.as_str()).unwrap_or_default()
            );
        }
    }
    let incidents = execution
        .output
        .as_ref()
        .and_then(|o| o["incidents"].as_array())
        .cloned()
        .unwrap_or_default();
    for entry in incidents {
        let Some(id) = entry.get("incident_id").and_then(Value::as_str) else {
            continue;
        };
        let Some(incident) = workspace.local.db.incident(id)? else {
            continue;
        };
        say!(
            "Incident {} [{}] {}: {}",
            incident.id,
            incident.severity.as_str(),
            incident.status.as_str(),
            incident.title
        );
        let db = &workspace.local.db;
        if let Some(analysis) = db.analysis_of(id)? {
            say!("  {}", analysis.summary);
        }
        for delivery in db.deliveries_of(id)? {
            let where_ = delivery.location.or(delivery.error).unwrap_or_default();
            say!(
                "  {:<6} {:<10} {:<6} {where_}",
                delivery.channel,
                delivery.kind,
                delivery.status
            );
        }
    }
    // How to look again, with the data directory this run used.
    let dir = DataDir::current();
    let prefix = dir.prefix();
    say!();
    say!("Kept in {}. To look at it again:", dir.describe());
    say!("  {prefix}responder incidents list");
    say!("  {prefix}responder executions show {}", execution.name);
    Ok(())
}
