//! `responder incidents list|show ID`.

use std::process::ExitCode;

use rusqlite::params;
use serde_json::{Value, json};

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
            let conn = workspace.local.db.conn();
            let analysis: Option<String> = conn
                .query_row(
                    "SELECT analysis FROM analyses WHERE incident_id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .ok();
            let mut stmt = conn.prepare("SELECT channel, kind, status, location, error FROM deliveries WHERE incident_id = ?1 ORDER BY channel")?;
            let deliveries: Vec<Value> = stmt
                .query_map(params![id], |r| {
                    Ok(json!({"channel": r.get::<_, String>(0)?, "kind": r.get::<_, String>(1)?, "status": r.get::<_, String>(2)?,
                              "location": r.get::<_, Option<String>>(3)?, "error": r.get::<_, Option<String>>(4)?}))
                })?
                .collect::<Result<_, _>>()?;
            let mut stmt = conn.prepare("SELECT id, status, requested_at FROM approvals WHERE incident_id = ?1 ORDER BY requested_at")?;
            let approvals: Vec<Value> = stmt
                .query_map(params![id], |r| Ok(json!({"id": r.get::<_, String>(0)?, "status": r.get::<_, String>(1)?, "requested_at": r.get::<_, String>(2)?})))?
                .collect::<Result<_, _>>()?;
            let shown = json!({
                "incident": incident,
                "analysis": analysis.and_then(|a| serde_json::from_str::<Value>(&a).ok()),
                "approvals": approvals,
                "deliveries": deliveries,
            });
            say!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
