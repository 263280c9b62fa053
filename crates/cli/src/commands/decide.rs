//! `responder approve` and `responder reject`: answer an incident's pending
//! approval. The waiting execution (in `responder run` or `responder
//! serve`) resumes with the decision.

use std::process::ExitCode;

use serde_json::Value;

use crate::config::Config;
use crate::local::{DataDir, Workspace};

/// Approve an incident's pending approval, optionally with edits.
#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The incident id (`inc-...`).
    incident: String,
    #[arg(long)]
    comment: Option<String>,
    /// Change the severity: CRITICAL, HIGH, MEDIUM or LOW.
    #[arg(long, value_parser = severity)]
    severity: Option<String>,
    /// Deliver to these channels instead of the routed ones (repeatable:
    /// slack, jira, email).
    #[arg(long = "channel", value_name = "CHANNEL", value_parser = responder_core::Channel::NAMES)]
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

/// `--severity`: a severity word the API takes (`high`, `P2`, `sev2`...),
/// as its canonical name; clap names the flag when it is not one.
fn severity(text: &str) -> Result<String, String> {
    responder_core::Severity::parse_loose(text)
        .map(|s| s.as_str().to_owned())
        .ok_or_else(|| "must be CRITICAL, HIGH, MEDIUM or LOW".to_owned())
}

/// Takes the decision through the API's tool, as MCP clients and Slack do:
/// the same checks, the same audit record (caller `cli`).
fn decide(config: &Config, tool: &str, arguments: Value) -> anyhow::Result<String> {
    let incident = arguments
        .get("incident_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let dir = DataDir::current();
    // Deciding never creates a database: without one, nothing waits.
    let Some(workspace) = Workspace::open_existing(config)? else {
        anyhow::bail!("{}", super::not_found("incident", &incident, &dir));
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let decided = runtime
        .block_on(workspace.decide(tool, arguments, "cli"))
        .map_err(|e| anyhow::anyhow!("{}", flags(&format!("{e:#}"))))?;
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

/// The API's names for arguments (`arguments.severity`) as this command's
/// flags (`--severity`), so an error names what the user typed.
fn flags(message: &str) -> String {
    message
        .replace("arguments.incident_id", "INCIDENT")
        .replace("arguments.channels", "--channel")
        .replace("arguments.", "--")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_argument_names_become_the_flags_typed() {
        assert_eq!(
            flags("InvalidInput: arguments.summary is longer than 2000 characters"),
            "InvalidInput: --summary is longer than 2000 characters"
        );
        assert_eq!(
            flags("InvalidInput: arguments.channels: 'sms' is not slack, jira or email"),
            "InvalidInput: --channel: 'sms' is not slack, jira or email"
        );
        assert_eq!(
            flags(
                "InvalidInput: arguments.incident_id must be 1 to 256 printable ASCII characters"
            ),
            "InvalidInput: INCIDENT must be 1 to 256 printable ASCII characters"
        );
    }

    #[test]
    fn severity_words_become_canonical_names() {
        assert_eq!(severity("high").unwrap(), "HIGH");
        assert!(severity("urgent").is_err());
    }
}
