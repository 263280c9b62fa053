//! The API's backend on this machine: the SQLite database, the log folder,
//! the local analyzer and the local Step Functions engine. `responder
//! serve` and `responder mcp` serve the tools over it; `responder approve`
//! and `reject` take their decisions through it too.

use std::sync::Arc;

use chrono::{Duration, Utc};
use responder_core::analysis::{Analysis, AnalysisInput};
use responder_core::{Incident, IncidentStatus};
use responder_sfn::{Definition, Engine, Status};
use responder_workflow::backend::error::ApiError;
use responder_workflow::backend::{
    AuditEntry, Backend, Decided, Decision, FoundLine, IncidentFilter, LogSearch, PendingApproval,
    QueryRows, Result, resolution_result,
};
use responder_workflow::ports::{AnalysisCache, Analyzer};
use responder_workflow::steps::{decide, give_unanswered, resolve_by_hand};
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::analyzer::LocalAnalyzer;
use crate::archive::{ArchiveQueries, QueryLimits};
use crate::error::LocalError;
use crate::executions::LocalExecutions;
pub use crate::executions::STATE_MACHINE;
use crate::workflow::Local;

/// The local backend. Cheap to share: everything is behind `Arc`s.
#[derive(Debug, Clone)]
pub struct LocalApi {
    pub local: Arc<Local>,
    pub engine: Arc<Engine>,
    pub definition: Arc<Definition>,
    /// Woken when an execution starts or a decision is taken, so that the
    /// runner moves it on at once instead of at its next tick.
    pub wake: Arc<Notify>,
    /// `query_history`, on the archive alone.
    archive: ArchiveQueries,
}

impl LocalApi {
    pub fn new(local: Arc<Local>, engine: Arc<Engine>, definition: Arc<Definition>) -> Self {
        let archive = local.db.archive_queries(QueryLimits::default());
        Self {
            local,
            engine,
            definition,
            wake: Arc::new(Notify::new()),
            archive,
        }
    }

    /// `query_history`'s limits (`[api] query_timeout_ms`, ...).
    pub fn with_query_limits(mut self, limits: QueryLimits) -> Self {
        self.archive = self.local.db.archive_queries(limits);
        self
    }

    fn executions(&self) -> LocalExecutions {
        LocalExecutions {
            engine: Arc::clone(&self.engine),
            definition: Arc::clone(&self.definition),
        }
    }

    /// Gives the tokens of decisions recorded but never given (their
    /// process died in between); returns how many there were. Run before
    /// the engine moves executions on, at start and on every tick.
    pub async fn replay_decisions(&self) -> std::result::Result<usize, LocalError> {
        let db = &self.local.db;
        let outcomes = give_unanswered(db, &self.executions())
            .await
            .map_err(|e| LocalError::named(e.name(), e.message()))?;
        for (approval_id, outcome) in &outcomes {
            if let Err(e) = outcome {
                tracing::warn!(%approval_id, error = %e, "A recorded decision could not be given to its task.");
            }
        }
        Ok(outcomes.len())
    }

    fn analyzer(&self) -> LocalAnalyzer {
        LocalAnalyzer {
            config: self.local.config.analyzer.clone(),
        }
    }

    /// Moves every running execution on until it ends or waits for a
    /// callback (an approval); timeouts of waiting tasks fire here. Returns
    /// how many executions are still running.
    pub async fn advance(&self) -> std::result::Result<usize, LocalError> {
        self.replay_decisions().await?;
        let running = self
            .engine
            .store()
            .running()
            .map_err(|e| LocalError::Store(e.to_string()))?;
        let mut still = 0;
        for id in running {
            match self.engine.run(&id).await {
                Ok(execution) if execution.status == Status::Running => still += 1,
                Ok(_) => {}
                // Said where people running `responder serve` look; the
                // next tick tries again.
                Err(e) => eprintln!("responder: execution {id} did not advance: {e}"),
            }
        }
        Ok(still)
    }
}

fn store_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::unavailable(format!("Store.Transient: {e}"))
}

impl Backend for LocalApi {
    async fn ready(&self) -> Result<()> {
        let conn = self.local.db.conn();
        conn.query_row("SELECT count(*) FROM incidents", [], |r| r.get::<_, i64>(0))
            .map(|_| ())
            .map_err(store_error)
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        let conn = self.local.db.conn();
        let mut stmt = conn
            .prepare(
                "SELECT doc FROM incidents
                 WHERE (?1 IS NULL OR status = ?1)
                   AND (?2 IS NULL OR json_extract(doc, '$.severity') = ?2)
                   AND (?3 IS NULL OR json_extract(doc, '$.service') = ?3)
                   AND (?4 IS NULL OR signature = ?4)
                   AND (?5 IS NULL OR opened_at >= ?5)
                   AND (?6 IS NULL OR opened_at < ?6)
                 ORDER BY opened_at DESC, id LIMIT ?7",
            )
            .map_err(store_error)?;
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let docs = stmt
            .query_map(
                params![
                    filter.status.map(IncidentStatus::as_str),
                    filter.severity.map(|s| s.as_str()),
                    filter.service,
                    filter.signature,
                    filter.since,
                    filter.until,
                    limit
                ],
                |r| r.get::<_, String>(0),
            )
            .map_err(store_error)?;
        docs.map(|doc| {
            serde_json::from_str(&doc.map_err(store_error)?)
                .map_err(|e| ApiError::unavailable(format!("Store.Corrupt: {e}")))
        })
        .collect()
    }

    async fn incident_view(&self, id: &str) -> Result<Option<Value>> {
        let Some(incident) = self.local.db.incident(id).map_err(store_error)? else {
            return Ok(None);
        };
        let (analysis, usage) = self.analysis_row(id)?;
        let deliveries = self.local.db.deliveries_of(id).map_err(store_error)?;
        // The connection is released before the engine is read below.
        let (approval, executions) = {
            let conn = self.local.db.conn();
            let approval: Option<Value> = conn
                .query_row(
                    "SELECT id, status, decision, requested_at, expires_at, channels FROM approvals
                     WHERE incident_id = ?1 ORDER BY requested_at DESC LIMIT 1",
                    params![id],
                    |r| {
                        Ok(json!({
                            "id": r.get::<_, String>(0)?,
                            "status": r.get::<_, String>(1)?,
                            "decision": r.get::<_, Option<String>>(2)?,
                            "requested_at": r.get::<_, String>(3)?,
                            "expires_at": r.get::<_, Option<String>>(4)?,
                            "channels": serde_json::from_str::<Value>(&r.get::<_, String>(5)?).unwrap_or(Value::Null),
                        }))
                    },
                )
                .optional()
                .map_err(store_error)?;
            let mut stmt = conn
                .prepare(
                    "SELECT DISTINCT execution_id FROM occurrences WHERE incident_id = ?1
                     ORDER BY received_at",
                )
                .map_err(store_error)?;
            let executions: Vec<String> = stmt
                .query_map(params![id], |r| r.get(0))
                .map_err(store_error)?
                .collect::<std::result::Result<_, _>>()
                .map_err(store_error)?;
            (approval, executions)
        };
        let (alert, context) = executions
            .first()
            .and_then(|first| self.iteration_state(first, id))
            .map_or((Value::Null, Value::Null), |state| {
                let field = |key: &str| state.get(key).cloned().unwrap_or(Value::Null);
                (field("alert"), field("context"))
            });
        Ok(Some(json!({
            "incident": incident,
            "alert": alert,
            "context": context,
            "analysis": analysis,
            "usage": usage,
            "approval": approval,
            "deliveries": deliveries,
            "execution_ids": executions,
        })))
    }

    async fn incident_analysis(&self, id: &str) -> Result<Option<Analysis>> {
        let (analysis, _) = self.analysis_row(id)?;
        Ok(analysis.and_then(|a| serde_json::from_value(a).ok()))
    }

    async fn pending_approvals(&self) -> Result<Vec<PendingApproval>> {
        let conn = self.local.db.conn();
        let mut stmt = conn
            .prepare(
                "SELECT a.id, a.incident_id, a.requested_at, a.expires_at, a.channels, i.doc
                 FROM approvals a
                 JOIN sfn_task_tokens t ON t.token = a.token
                 JOIN incidents i ON i.id = a.incident_id
                 WHERE a.status = 'PENDING' AND t.state = 'waiting'
                 ORDER BY a.requested_at",
            )
            .map_err(store_error)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(store_error)?;
        rows.map(|row| {
            let (approval_id, incident_id, requested_at, expires_at, channels, doc) =
                row.map_err(store_error)?;
            let incident: Incident = serde_json::from_str(&doc)
                .map_err(|e| ApiError::unavailable(format!("Store.Corrupt: {e}")))?;
            Ok(PendingApproval {
                approval_id,
                incident_id,
                title: incident.title,
                severity: incident.severity,
                requested_at,
                expires_at,
                channels: serde_json::from_str(&channels).unwrap_or_default(),
            })
        })
        .collect()
    }

    async fn execution_view(&self, id: &str) -> Result<Option<Value>> {
        let execution = match self.engine.describe(id) {
            Ok(e) => e,
            Err(responder_sfn::EngineError::ExecutionDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(store_error(e)),
        };
        let events: Vec<Value> = execution
            .history()
            .iter()
            .map(|e| {
                let mut event = json!({
                    "id": e.id,
                    "previous_event_id": e.previous_event_id,
                    "timestamp": e.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "type": e.kind,
                });
                if let Ok(Value::Object(details)) = serde_json::to_value(&e.details) {
                    for (k, v) in details {
                        responder_core::json::set(&mut event, &k, v);
                    }
                }
                event
            })
            .collect();
        let current_state = if execution.status == Status::Running {
            responder_workflow::backend::current_state(&events)
        } else {
            None
        };
        Ok(Some(json!({
            "execution_id": execution.id,
            "name": execution.name,
            "state_machine": execution.state_machine,
            "status": execution.status.as_str(),
            "current_state": current_state,
            "started_at": execution.started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "stopped_at": execution.stopped_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            "transitions": execution.transitions(),
            "input": execution.input,
            "output": execution.output,
            "error": execution.error.as_ref().map(|e| json!({"error": e.error, "cause": e.cause})),
            "events": events,
        })))
    }

    async fn query_archive(&self, sql: &str) -> Result<QueryRows> {
        self.archive.run(sql).await
    }

    async fn search_logs(&self, search: &LogSearch) -> Result<Vec<FoundLine>> {
        let config = &self.local.config;
        let groups: Vec<String> = if search.log_groups.is_empty() {
            crate::logs::list_groups(&config.logs_dir)
        } else {
            search.log_groups.clone()
        };
        Ok(crate::logs::search(
            &config.logs_dir,
            &groups,
            &search.filter,
            search.start,
            search.end,
            search.limit,
        ))
    }

    async fn analyze(&self, input: &AnalysisInput) -> Result<(Analysis, bool)> {
        let analyzer = self.analyzer();
        let key = responder_workflow::steps::cache_key(&input.alert, &analyzer.id());
        let now = Utc::now();
        let db = &self.local.db;
        if let Some(analysis) = db.get(&key, now).await.map_err(ApiError::from)? {
            return Ok((analysis, true));
        }
        let analyzed = analyzer.analyze(input).await.map_err(ApiError::from)?;
        let ttl = Duration::seconds(self.local.config.policy().cache_ttl_seconds);
        if !analyzed.analysis.degraded {
            db.put(&key, &analyzed.analysis, now + ttl)
                .await
                .map_err(ApiError::from)?;
        }
        Ok((analyzed.analysis, false))
    }

    async fn ask(&self, prompt: &str) -> Result<Option<String>> {
        let config = self.local.config.analyzer.clone();
        if !config.uses_model() {
            return Ok(None);
        }
        crate::openai::ask(&config, prompt)
            .await
            .map(Some)
            .map_err(|e| ApiError::from(responder_workflow::Error::from(e)))
    }

    /// Through the one decide step ([`decide`]), over the database and the
    /// engine: a process that dies between recording the decision and
    /// answering the token leaves it to [`LocalApi::replay_decisions`].
    async fn decide(
        &self,
        incident_id: &str,
        decision: &Decision,
        caller: &str,
    ) -> Result<Decided> {
        let db = &self.local.db;
        let decided = decide(db, &self.executions(), db, incident_id, decision, caller).await;
        if decided.is_ok() {
            self.wake.notify_one();
        }
        decided
    }

    async fn resolve(&self, incident_id: &str, resolution: &str) -> Result<Incident> {
        let db = &self.local.db;
        let outcome = resolve_by_hand(db, db, incident_id, resolution, Utc::now()).await;
        resolution_result(incident_id, outcome)
    }

    async fn start(&self, payload: &Value) -> Result<String> {
        let id = self
            .engine
            .start(&self.definition, STATE_MACHINE, None, payload.clone())
            .map_err(|e| match e {
                responder_sfn::EngineError::InvalidExecutionInput(m) => ApiError::invalid(m),
                other => store_error(other),
            })?;
        self.wake.notify_one();
        Ok(id)
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        self.local
            .db
            .conn()
            .execute(
                "INSERT INTO audit (at, caller, action, incident_id, details, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    entry.at,
                    entry.caller,
                    entry.action,
                    entry.incident_id,
                    entry.details.to_string(),
                    entry.outcome
                ],
            )
            .map(|_| ())
            .map_err(store_error)
    }
}

impl LocalApi {
    fn analysis_row(&self, id: &str) -> Result<(Option<Value>, Option<Value>)> {
        let row: Option<(String, Option<String>)> = self
            .local
            .db
            .conn()
            .query_row(
                "SELECT analysis, usage FROM analyses WHERE incident_id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(store_error)?;
        Ok(match row {
            Some((analysis, usage)) => (
                serde_json::from_str(&analysis).ok(),
                usage.and_then(|u| serde_json::from_str(&u).ok()),
            ),
            None => (None, None),
        })
    }

    /// The state of the Map iteration that handled the incident's alert, as
    /// last seen in the execution's history: the alert, the context
    /// gathered, the analysis.
    fn iteration_state(&self, execution_id: &str, incident_id: &str) -> Option<Value> {
        let execution = self.engine.describe(execution_id).ok()?;
        execution
            .history()
            .iter()
            .rev()
            .filter_map(|e| e.details.input.as_ref().map(responder_sfn::Payload::value))
            .filter(|input| {
                input
                    .pointer("/registration/incident/id")
                    .and_then(Value::as_str)
                    == Some(incident_id)
            })
            .max_by_key(|input| input.as_object().map_or(0, serde_json::Map::len))
    }
}
