//! `responder approve` and `responder reject`: answer an incident's pending
//! approval. The waiting execution (in `responder run` or `responder
//! serve`) resumes with the decision.

use std::process::ExitCode;

use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

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
    report(answer(
        config,
        &args.incident,
        |workspace, token, channels| {
            let severity = match &args.severity {
                Some(s) => Some(responder_core::Severity::parse_loose(s).ok_or_else(|| {
                    anyhow::anyhow!("InvalidSeverity: '{s}' is not CRITICAL, HIGH, MEDIUM or LOW")
                })?),
                None => None,
            };
            for channel in &args.channels {
                if !["slack", "jira", "email"].contains(&channel.as_str()) {
                    anyhow::bail!("InvalidChannel: '{channel}' is not slack, jira or email");
                }
            }
            let edited = severity.is_some() || !args.channels.is_empty() || args.summary.is_some();
            let channels = if args.channels.is_empty() {
                channels.clone()
            } else {
                json!(args.channels)
            };
            let summary: Option<String> = args
                .summary
                .as_ref()
                .map(|s| s.chars().take(1000).collect());
            let decision = json!({
                "decision": if edited { "APPROVED_WITH_EDITS" } else { "APPROVED" },
                "reviewed": true,
                "approver": "cli",
                "comment": args.comment,
                "severity": severity.map(|s| s.as_str()),
                "summary": summary,
                "channels": channels,
            });
            workspace.engine.send_task_success(token, decision)?;
            Ok("APPROVED")
        },
    ))
}

pub fn reject(args: &RejectArgs, config: &Config) -> ExitCode {
    report(answer(config, &args.incident, |workspace, token, _| {
        let reason: String = args.reason.chars().take(1000).collect();
        workspace
            .engine
            .send_task_failure(token, "Approval.Rejected", &reason)?;
        Ok("REJECTED")
    }))
}

fn answer(
    config: &Config,
    incident: &str,
    decide: impl FnOnce(&Workspace, &str, &Value) -> anyhow::Result<&'static str>,
) -> anyhow::Result<String> {
    let workspace = Workspace::open(config, false)?;
    let pending: Option<(String, String, String)> = workspace
        .local
        .db
        .conn()
        .query_row(
            "SELECT id, token, channels FROM approvals WHERE incident_id = ?1 AND status = 'PENDING' ORDER BY requested_at DESC LIMIT 1",
            params![incident],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((approval_id, token, channels)) = pending else {
        anyhow::bail!("NoPendingApproval: incident '{incident}' has no approval waiting");
    };
    let channels: Value = serde_json::from_str(&channels).unwrap_or(Value::Null);
    let decision = decide(&workspace, &token, &channels)?;
    workspace.local.db.decide_approval(&approval_id, decision)?;
    Ok(format!("{incident}: {decision} ({approval_id})"))
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
