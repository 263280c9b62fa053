//! `responder approve` and `responder reject`: answer an incident's pending
//! approval. The waiting execution (in `responder run` or `responder
//! serve`) resumes with the decision.

use std::process::ExitCode;

use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use crate::commands::run::mark;
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
            let decision = json!({
                "decision": if severity.is_some() { "APPROVED_WITH_EDITS" } else { "APPROVED" },
                "reviewed": true,
                "approver": "cli",
                "comment": args.comment,
                "severity": severity.map(|s| s.as_str()),
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
    mark(&workspace, &approval_id, decision)?;
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
