//! One scenario folder: read, laid out as a data directory of its own, run
//! through the real workflow on the local engine up to the analysis, and
//! its answer and analyzer context taken out.
//!
//! ```text
//! NAME/
//!   alarm.json     the alert payload (an EventBridge alarm event, or any supported source)
//!   logs/*.log     one file per log group, `/` written `__`, lines as `aws logs tail --format detailed` prints them
//!   history.json   optional: [{"signature_hint", "occurred_at", "root_cause", "resolution"}]
//!   changes.jsonl  optional: CloudTrail records as LookupEvents returns them
//!   expected.json  read by the scorer only
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use responder_core::analysis::{Analysis, AnalysisInput, prompt};
use responder_local::{Db, Local, WorkflowConfig};
use responder_sfn::{Definition, Engine, Status, Store};
use serde::Deserialize;
use serde_json::Value;

use super::score::{AnsweredCause, Expected};

/// A scenario as read from its folder.
#[derive(Debug)]
pub struct Scenario {
    pub name: String,
    pub dir: PathBuf,
    pub alarm: Value,
    pub expected: Expected,
    /// Every line of every log file, white space folded (for the scorer).
    pub log_lines: Vec<String>,
}

/// What the workflow answered, and what the analyzer was handed.
#[derive(Debug)]
pub struct Outcome {
    pub causes: Vec<AnsweredCause>,
    pub analysis: Analysis,
    /// The prompt's context, as a model would read it.
    pub context: String,
    pub context_tokens: usize,
}

/// One entry of `history.json`.
#[derive(Debug, Deserialize)]
struct PastIncident {
    signature_hint: String,
    occurred_at: String,
    #[serde(default)]
    root_cause: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
}

impl Scenario {
    /// Reads the folder; an error names what is missing or malformed.
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let read = |file: &str| {
            std::fs::read_to_string(dir.join(file)).with_context(|| format!("cannot read {file}"))
        };
        let alarm: Value =
            serde_json::from_str(&read("alarm.json")?).context("alarm.json is not JSON")?;
        let expected: Expected = serde_json::from_str(&read("expected.json")?)
            .context("expected.json does not match the scenario format")?;
        // A blank line would lie on every line: every quote would count.
        if let Some(n) = expected
            .evidence_lines
            .iter()
            .position(|l| l.trim().is_empty())
        {
            bail!("expected.json: evidence_lines[{n}] is blank");
        }
        let mut log_lines = Vec::new();
        for file in log_files(dir)? {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            log_lines.extend(text.lines().map(super::score::normalize_space));
        }
        Ok(Self {
            name,
            dir: dir.to_path_buf(),
            alarm,
            expected,
            log_lines,
        })
    }

    /// Runs the workflow on the alarm in `work` (a fresh directory) up to
    /// the analysis.
    pub async fn run(
        &self,
        work: &Path,
        workflow: &WorkflowConfig,
        token_budget: usize,
    ) -> anyhow::Result<Outcome> {
        let db_path = work.join("responder.db");
        let db = Db::open(&db_path)?;
        let local = Arc::new(Local {
            db,
            config: WorkflowConfig {
                // One file per group, `/` written `__`: the log folder's
                // flat layout, read in place.
                logs_dir: self.dir.join("logs"),
                changes_file: Some(self.dir.join("changes.jsonl")),
                history_seed: None,
                ..workflow.clone()
            },
            normalize: responder_core::NormalizeOptions::default(),
            outbox_dir: work.join("outbox"),
        });
        self.seed_history(&local.db)?;
        let engine = Engine::new(
            Store::open(&db_path)?,
            Arc::new(responder_local::registry(Arc::clone(&local))),
        );
        let definition = Arc::new(Definition::load(
            crate::local::WORKFLOW,
            &responder_local::substitutions(),
        )?);
        let execution = engine
            .execute(
                &definition,
                crate::local::STATE_MACHINE,
                None,
                self.alarm.clone(),
            )
            .await?;
        if execution.status != Status::Running && execution.status != Status::Succeeded {
            let error = execution.error.as_ref();
            bail!(
                "the workflow ended {}: {}",
                execution.status.as_str(),
                error
                    .map(|e| format!("{}: {}", e.error, e.cause))
                    .unwrap_or_default()
            );
        }
        let state = state_entering(&execution, "Analyze").context(
            "the workflow did not reach Analyze (a duplicate, a recovery, or a cached analysis?)",
        )?;
        let incident_id = state
            .pointer("/registration/incident/id")
            .and_then(Value::as_str)
            .context("no incident was registered")?
            .to_owned();
        let analysis: Analysis = local
            .db
            .analysis_of(&incident_id)?
            .context("no analysis was stored")?;
        let input: AnalysisInput = responder_workflow::steps::analysis_input(
            &serde_json::from_value(state.clone()).context("the analysis input")?,
        );
        let built = prompt::build(&input, token_budget);
        let causes = super::answered(&analysis, &input);
        Ok(Outcome {
            causes,
            analysis,
            context_tokens: prompt::tokens(&built.user),
            context: built.user,
        })
    }

    /// Loads `history.json` into the archive, each entry under the metric
    /// and resource its hint names (see `responder_local::db::seed_hinted`).
    fn seed_history(&self, db: &Db) -> anyhow::Result<()> {
        let path = self.dir.join("history.json");
        if !path.exists() {
            return Ok(());
        }
        let text = std::fs::read_to_string(&path).context("cannot read history.json")?;
        let entries: Vec<PastIncident> = serde_json::from_str(&text)
            .context("history.json does not match the scenario format")?;
        let alert = responder_core::normalize(&self.alarm.to_string(), &Default::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .into_iter()
            .next()
            .context("alarm.json holds no alert")?;
        for (n, entry) in entries.iter().enumerate() {
            db.seed_hinted(
                &alert,
                &format!("{}-history-{n}", self.name),
                &entry.signature_hint,
                &entry.occurred_at,
                entry.root_cause.as_deref(),
                entry.resolution.as_deref(),
            )?;
        }
        Ok(())
    }
}

/// The state document when `name` was entered.
fn state_entering(execution: &responder_sfn::Execution, name: &str) -> Option<Value> {
    execution
        .history()
        .iter()
        .find(|e| e.kind.ends_with("StateEntered") && e.details.name.as_deref() == Some(name))
        .and_then(|e| e.details.input.as_ref().map(|p| p.value()))
}

/// The scenario's log files, sorted.
fn log_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let logs = dir.join("logs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&logs)
        .with_context(|| format!("cannot read {}", logs.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        // `logs/*.log`, as the format says (and the second scorer reads).
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    Ok(files)
}
