//! `responder approve` and `responder reject`: answer an incident's pending
//! approval. The waiting execution (in `responder run` or `responder
//! serve`) resumes with the decision.

use std::process::ExitCode;

use serde_json::Value;

use crate::config::Config;
use crate::local::Workspace;

/// Approve an incident's pending approval, optionally with edits.
#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The incident id (`inc-...`).
    incident: String,
    #[arg(long)]
    comment: Option<String>,
    /// Change the severity: CRITICAL, HIGH, MEDIUM or LOW.
    #[arg(long)]
    severity: Option<String>,
    /// Deliver to these channels instead of the routed ones (repeatable:
    /// slack, jira, email).
    #[arg(long = "channel", value_name = "CHANNEL")]
    channels: Vec<String>,
    /// Replace the analysis summary in the notifications.
    #[arg(long)]
    summary: Option<String>,
}

/// Reject an incident's pending approval: it is suppressed, not delivered.
#[derive(Debug, clap::Args)]
pub struct RejectArgs {
    /// The incident id (`inc-...`).
    incident: String,
    /// Why (kept with the incident).
    #[arg(long)]
    reason: String,
}

pub fn approve(args: &ApproveArgs, config: &Config) -> ExitCode {
    let decision = serde_json::json!({
        "incident_id": args.incident,
        "comment": args.comment,
        "severity": args.severity,
        "channels": (!args.channels.is_empty()).then_some(&args.channels),
        "summary": args.summary,
    });
    report(decide(config, "approve_incident", decision))
}

pub fn reject(args: &RejectArgs, config: &Config) -> ExitCode {
    let decision = serde_json::json!({ "incident_id": args.incident, "reason": args.reason });
    report(decide(config, "reject_incident", decision))
}

/// Takes the decision through the API's tool, as MCP clients and Slack do:
/// the same checks, the same audit record (caller `cli`).
fn decide(config: &Config, tool: &str, arguments: Value) -> anyhow::Result<String> {
    let workspace = Workspace::open(config, false)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let decided = runtime.block_on(workspace.decide(tool, arguments, "cli"))?;
    let field = |name: &str| {
        decided
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(format!(
        "{}: {} ({})",
        field("incident_id"),
        field("decision"),
        field("approval_id")
    ))
}

fn report(result: anyhow::Result<String>) -> ExitCode {
    match result {
        Ok(line) => {
            say!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::from(2)
        }
    }
}
