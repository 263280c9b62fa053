//! The workflow's steps (`responder_workflow::steps`) on the local backends:
//! the functions behind the `${...}` placeholders of
//! `statemachine/incident-response.asl.json`. Errors carry the names the
//! state machine's Retry and Catch match.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use responder_core::NormalizeOptions;
use responder_sfn::{Registry, StatesError, TaskRequest};
use responder_workflow::ports::Analyzer;
use responder_workflow::{Error, Policy, budget, steps};
use serde_json::Value;

use crate::analyzer::LocalAnalyzer;
use crate::changes::ChangesFile;
use crate::config::WorkflowConfig;
use crate::db::Db;
use crate::logs::LogFolder;
use crate::outbox::Outbox;

/// The functions of the workflow, by the name their placeholder resolves to.
pub const FUNCTIONS: [&str; 10] = [
    "NormalizeAlert",
    "RegisterAlert",
    "QueryHistory",
    "QueryLogs",
    "QueryChanges",
    "CheckCache",
    "Analyze",
    "RequestApproval",
    "Deliver",
    "RecordOutcome",
];

/// `${NormalizeAlertFunctionArn}` → a local function ARN named `NormalizeAlert`.
pub fn substitutions() -> HashMap<String, String> {
    FUNCTIONS
        .iter()
        .map(|f| {
            (
                format!("{f}FunctionArn"),
                format!("arn:aws:lambda:local:000000000000:function:{f}"),
            )
        })
        .collect()
}

/// The local backends the handlers share.
#[derive(Debug)]
pub struct Local {
    pub db: Db,
    pub config: WorkflowConfig,
    pub normalize: NormalizeOptions,
    pub outbox_dir: PathBuf,
}

/// The ports as the local backends implement them.
#[derive(Debug)]
struct Adapters {
    local: Arc<Local>,
    policy: Policy,
    logs: LogFolder,
    changes: ChangesFile,
    analyzer: LocalAnalyzer,
    outbox: Outbox,
    faults: crate::faults::Injector,
}

/// A registry with every function of the workflow.
pub fn registry(local: Arc<Local>) -> Registry {
    let config = &local.config;
    let adapters = Arc::new(Adapters {
        policy: config.policy(),
        logs: LogFolder {
            dir: config.logs_dir.clone(),
            log_groups: config.log_groups.clone(),
        },
        changes: ChangesFile {
            path: config
                .changes_file
                .clone()
                .unwrap_or_else(|| PathBuf::from("changes.jsonl")),
        },
        analyzer: LocalAnalyzer {
            config: config.analyzer.clone(),
        },
        outbox: outbox(&local),
        faults: crate::faults::Injector::new(config.faults.clone()),
        local: Arc::clone(&local),
    });
    let mut r = Registry::new();
    add(&mut r, &adapters, "NormalizeAlert", |a, input| async move {
        let payload = input
            .get("payload")
            .filter(|v| !v.is_null())
            .ok_or_else(|| Error::invalid_input("the task input has no 'payload'"))?;
        steps::normalize_alert(&a.local.normalize, &payload.to_string())
    });
    add(&mut r, &adapters, "RegisterAlert", |a, input| async move {
        let input = steps::parse(&input)?;
        steps::register_alert(&a.local.db, &a.policy, &input, Utc::now()).await
    });
    add(&mut r, &adapters, "QueryHistory", |a, input| async move {
        a.faults.history().await?;
        steps::query_history(&a.local.db, &a.policy, &steps::parse(&input)?).await
    });
    add(&mut r, &adapters, "QueryLogs", |a, input| async move {
        a.faults.logs().await?;
        steps::query_logs(&a.logs, &a.policy, &steps::parse(&input)?).await
    });
    add(&mut r, &adapters, "QueryChanges", |a, input| async move {
        a.faults.changes().await?;
        steps::query_changes(&a.changes, &a.policy, &steps::parse(&input)?).await
    });
    add(&mut r, &adapters, "CheckCache", |a, input| async move {
        let input = steps::parse(&input)?;
        steps::check_cache(&a.local.db, &a.analyzer.id(), &input, Utc::now()).await
    });
    add(&mut r, &adapters, "Analyze", |a, input| async move {
        let input: steps::AnalyzeInput = steps::parse(&input)?;
        // The fallback runs the built-in rules: a fault is the model's.
        if !input.fallback {
            a.faults.analyzer()?;
        }
        let db = &a.local.db;
        let analyzed = steps::analyze(&a.analyzer, db, db, &a.policy, &input, Utc::now()).await?;
        serde_json::to_value(&analyzed.analysis).map_err(Error::corrupt)
    });
    add(
        &mut r,
        &adapters,
        "RequestApproval",
        |a, input| async move {
            let input = steps::parse(&input)?;
            let db = &a.local.db;
            steps::request_approval(db, &a.outbox, db, db, &a.policy, &input, Utc::now()).await
        },
    );
    add(&mut r, &adapters, "Deliver", |a, input| async move {
        let input = steps::parse(&input)?;
        let db = &a.local.db;
        steps::deliver(&a.outbox, db, db, &input, Utc::now()).await
    });
    add(&mut r, &adapters, "RecordOutcome", |a, input| async move {
        let input = steps::parse(&input)?;
        let db = &a.local.db;
        steps::record_outcome(db, db, db, &a.analyzer.id(), &input).await
    });
    r
}

/// The outbox, with the real destinations the configuration names.
fn outbox(local: &Local) -> Outbox {
    let config = &local.config;
    let seconds = std::time::Duration::from_secs;
    let mut outbox = Outbox::new(local.outbox_dir.clone(), config.email.clone());
    if let Some(links) = config.approval_links.clone() {
        outbox = outbox.with_links(links);
    }
    if let Some(target) = config.slack_target.clone() {
        outbox = outbox.with_slack(responder_notify::slack::SlackSender::new(
            target,
            seconds(config.slack.timeout_seconds),
        ));
    }
    if let Some(target) = config.jira_target.clone() {
        outbox = outbox.with_jira(responder_notify::jira::JiraSender::new(
            target,
            seconds(config.jira.timeout_seconds),
        ));
    }
    outbox
}

/// Registers one step: its errors become task failures with their names.
fn add<F, Fut>(registry: &mut Registry, adapters: &Arc<Adapters>, name: &str, step: F)
where
    F: Fn(Arc<Adapters>, Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = responder_workflow::Result<Value>> + Send + 'static,
{
    let adapters = Arc::clone(adapters);
    let function = name.to_owned();
    registry.register(name, move |request: TaskRequest| {
        let running = step(Arc::clone(&adapters), request.input);
        let function = function.clone();
        Box::pin(async move {
            budget::within(&function, budget::of(&function), running)
                .await
                .map_err(|e| StatesError::new(e.name(), e.message()))
        })
    });
}
