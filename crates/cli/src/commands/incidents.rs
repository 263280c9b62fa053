//! `responder incidents list|show ID`.

use std::process::ExitCode;

use serde_json::json;

use crate::config::Config;
use crate::local::{DataDir, Workspace};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The most recent incidents, one per line, under a header naming the
    /// data directory read (`RESPONDER_DATA_DIR`, default `./.responder`).
    List {
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One incident with its analysis, approval and deliveries, as JSON.
    Show { id: String },
}

pub fn run(command: &Command, config: &Config) -> ExitCode {
    super::finish(execute(command, config))
}

fn execute(command: &Command, config: &Config) -> anyhow::Result<ExitCode> {
    let dir = DataDir::current();
    // Reading never creates a database: an empty answer says where it looked.
    let workspace = Workspace::open_existing(config)?;
    match command {
        Command::List { limit } => {
            let incidents = match &workspace {
                Some(workspace) => workspace.local.db.incidents(*limit)?,
                None => Vec::new(),
            };
            if incidents.is_empty() {
                say!("No incidents in {}.", dir.describe());
                if let Some(hint) = dir.elsewhere("incidents list") {
                    say!("Note: {hint}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            say!("Incidents in {}, most recent first:", dir.describe());
            say!(
                "{:<21}  {:<16} {:<8} {:>6}  {:<24}  TITLE",
                "INCIDENT",
                "STATUS",
                "SEVERITY",
                "ALARMS",
                "OPENED (UTC)"
            );
            for i in incidents {
                say!(
                    "{:<21}  {:<16} {:<8} {:>6}  {:<24}  {}",
                    i.id,
                    i.status.as_str(),
                    i.severity.as_str(),
                    i.occurrences,
                    super::timestamp(&i.opened_at),
                    i.title
                );
            }
            say!(
                "(ALARMS: the alarms grouped into the incident; `responder incidents show ID` for one)"
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id } => {
            let found = match &workspace {
                Some(workspace) => workspace.local.db.incident(id)?,
                None => None,
            };
            let (Some(workspace), Some(incident)) = (&workspace, found) else {
                eprintln!(
                    "{}",
                    responder_workflow::render::sanitize(&super::not_found("incident", id, &dir))
                );
                return Ok(ExitCode::from(2));
            };
            let db = &workspace.local.db;
            let shown = json!({
                "incident": incident,
                "analysis": db.analysis_of(id)?,
                "approvals": db.approvals_of(id)?,
                "deliveries": db.deliveries_of(id)?,
            });
            say!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
