//! What the workflow commands share: the data directory, its database, the
//! local backends and the engine, on the same state-machine file CDK deploys.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use responder_api::tools::{Caller, ToolPolicy, Tools};
use responder_local::{Db, Local, LocalApi};
use responder_sfn::{Definition, Engine, Registry, Store};

use crate::config::Config;

/// The workflow, compiled in: the file CDK deploys.
pub const WORKFLOW: &str = include_str!("../../../statemachine/incident-response.asl.json");
/// The state machine's name in execution ARNs.
pub use responder_local::api::STATE_MACHINE;

/// The default data directory, relative to the current one.
pub const DEFAULT_DATA_DIR: &str = ".responder";
/// Where `make run` keeps its demo.
pub const DEMO_DATA_DIR: &str = ".responder/demo";
/// The database file in a data directory.
const DATABASE: &str = "responder.db";

/// `RESPONDER_DATA_DIR`, default `./.responder`.
pub fn data_dir() -> PathBuf {
    DataDir::current().path
}

/// The data directory, and whether `RESPONDER_DATA_DIR` chose it: what the
/// commands that read tell people, so an empty answer is never a mystery.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub path: PathBuf,
    pub from_env: bool,
}

impl DataDir {
    /// `RESPONDER_DATA_DIR`, else `./.responder`.
    pub fn current() -> Self {
        #[allow(clippy::disallowed_methods)] // The one place the data directory is read.
        match std::env::var_os("RESPONDER_DATA_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => Self {
                path: PathBuf::from(dir),
                from_env: true,
            },
            None => Self {
                path: PathBuf::from(DEFAULT_DATA_DIR),
                from_env: false,
            },
        }
    }

    pub fn database(&self) -> PathBuf {
        self.path.join(DATABASE)
    }

    /// Whether anything ever ran with this directory.
    pub fn has_data(&self) -> bool {
        self.database().is_file()
    }

    /// `.responder/demo (RESPONDER_DATA_DIR)` or `.responder (the default;
    /// RESPONDER_DATA_DIR chooses another)`.
    pub fn describe(&self) -> String {
        if self.from_env {
            format!("{} (RESPONDER_DATA_DIR)", self.path.display())
        } else {
            format!(
                "{} (the default; RESPONDER_DATA_DIR chooses another)",
                self.path.display()
            )
        }
    }

    /// What to type before a command to read this directory again:
    /// `RESPONDER_DATA_DIR=.responder/demo ` (nothing for the default).
    pub fn prefix(&self) -> String {
        if self.from_env && self.path != Path::new(DEFAULT_DATA_DIR) {
            format!("RESPONDER_DATA_DIR={} ", self.path.display())
        } else {
            String::new()
        }
    }

    /// Where else to look when this directory holds nothing: the demo of
    /// `make run`, if it is there and this is not it.
    pub fn elsewhere(&self, command: &str) -> Option<String> {
        let demo = Path::new(DEMO_DATA_DIR);
        (self.path != demo && demo.join(DATABASE).is_file()).then(|| {
            format!(
                "the demo of `make run` is in {DEMO_DATA_DIR}: RESPONDER_DATA_DIR={DEMO_DATA_DIR} responder {command}"
            )
        })
    }
}

pub struct Workspace {
    pub local: Arc<Local>,
    pub engine: Arc<Engine>,
    pub definition: Arc<Definition>,
    query_limits: responder_local::archive::QueryLimits,
    /// `[api] write_tools`: every way a decision comes in obeys it.
    write_tools: Option<Vec<String>>,
}

impl Workspace {
    /// Opens (creating) the data directory; `handlers` is false for commands
    /// that only answer tokens or read.
    pub fn open(config: &Config, handlers: bool) -> anyhow::Result<Self> {
        Self::open_with(config, handlers, None)
    }

    /// Opens the data directory for a command that reads or decides, if it
    /// holds a database: never creates one just to find it empty.
    pub fn open_existing(config: &Config) -> anyhow::Result<Option<Self>> {
        if !DataDir::current().has_data() {
            return Ok(None);
        }
        Self::open(config, false).map(Some)
    }

    /// Like [`open`](Self::open), telling `observer` of each step.
    pub fn open_with(
        config: &Config,
        handlers: bool,
        observer: Option<responder_sfn::Observer>,
    ) -> anyhow::Result<Self> {
        let dir = data_dir();
        let db_path = dir.join(DATABASE);
        let db =
            Db::open(&db_path).with_context(|| format!("cannot open {}", db_path.display()))?;
        // Only the workflow reads the history: other commands skip the seed.
        if let Some(seed) = config.workflow.history_seed.as_ref().filter(|_| handlers) {
            db.seed_history(seed)
                .with_context(|| format!("cannot load the history seed {}", seed.display()))?;
        }
        let mut workflow = config.workflow.clone();
        workflow
            .changes_file
            .get_or_insert_with(|| dir.join("changes.jsonl"));
        let local = Arc::new(Local {
            db,
            config: workflow,
            normalize: config.normalize.clone(),
            outbox_dir: dir.join("outbox"),
        });
        let registry = if handlers {
            responder_local::registry(Arc::clone(&local))
        } else {
            Registry::new()
        };
        let store =
            Store::open(&db_path).with_context(|| format!("cannot open {}", db_path.display()))?;
        let mut engine = Engine::new(store, Arc::new(registry));
        if let Some(observer) = observer {
            engine = engine.with_observer(observer);
        }
        let definition = Arc::new(
            Definition::load(WORKFLOW, &responder_local::substitutions())
                .context("the built-in workflow is invalid")?,
        );
        Ok(Self {
            local,
            engine: Arc::new(engine),
            definition,
            query_limits: config.api.query_limits(),
            write_tools: config.api.write_tools.clone(),
        })
    }

    /// The API's tools over this workspace, with the configured write
    /// policy: `serve`, `mcp`, `approve`, `reject` and `run`'s decisions all
    /// decide through them (checked, audited with their caller).
    pub fn tools(&self) -> anyhow::Result<Tools<LocalApi>> {
        let policy = match &self.write_tools {
            Some(names) => ToolPolicy::new(names.clone()).map_err(|e| anyhow::anyhow!("{e}"))?,
            None => ToolPolicy::default(),
        };
        Ok(Tools::new(Arc::new(self.api()), policy))
    }

    /// Approves every approval `execution_id` waits for, through the tools
    /// (as `caller`), with the routed channels; returns how many.
    pub async fn approve_waiting(&self, execution_id: &str, caller: &str) -> anyhow::Result<usize> {
        let waiting = self.local.db.waiting_approvals(execution_id)?;
        for approval in &waiting {
            let arguments = serde_json::json!({"incident_id": approval.incident_id, "comment": format!("approved automatically ({caller})")});
            self.decide("approve_incident", arguments, caller).await?;
        }
        Ok(waiting.len())
    }

    /// Decides `incident_id` with the tool `tool` (`approve_incident` or
    /// `reject_incident`) as `caller`; returns the tool's answer.
    pub async fn decide(
        &self,
        tool: &str,
        arguments: serde_json::Value,
        caller: &str,
    ) -> anyhow::Result<serde_json::Value> {
        self.tools()?
            .call(tool, arguments, &Caller(caller.to_owned()))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The API's backend over this workspace (`serve`, `mcp`, `approve`).
    pub fn api(&self) -> LocalApi {
        LocalApi::new(
            Arc::clone(&self.local),
            Arc::clone(&self.engine),
            Arc::clone(&self.definition),
        )
        .with_query_limits(self.query_limits)
    }
}
