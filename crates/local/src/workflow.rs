//! The workflow's task handlers on the local backends: the functions behind
//! the `${...}` placeholders of `statemachine/incident-response.asl.json`.
//! Each takes the state's Parameters and returns the task's result; errors
//! carry the names the state machine's Retry and Catch match.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use responder_core::analysis::{Analysis, AnalysisInput, HistorySummary, LogContext, RuleAnalyzer};
use responder_core::{Alert, Decision, Incident, IncidentStatus, NormalizeOptions, normalize};
use responder_sfn::{Registry, TaskRequest};
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::WorkflowConfig;
use crate::db::{
    Db, HISTORY_CAUSES_SQL, HISTORY_SUMMARY_SQL, incident_in, open_incident_in, save_incident_in,
};
use crate::error::LocalError;
use crate::outbox::{self, Message};

/// The functions of the workflow, by the name their placeholder resolves to.
pub const FUNCTIONS: [&str; 9] = [
    "NormalizeAlert",
    "RegisterAlert",
    "QueryHistory",
    "QueryLogs",
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

type Handler = fn(&Local, &Value) -> Result<Value, LocalError>;

/// A registry with every function of the workflow.
pub fn registry(local: Arc<Local>) -> Registry {
    let handlers: [(&str, Handler); 9] = [
        ("NormalizeAlert", normalize_alert),
        ("RegisterAlert", register_alert),
        ("QueryHistory", query_history),
        ("QueryLogs", query_logs),
        ("CheckCache", check_cache),
        ("Analyze", analyze),
        ("RequestApproval", request_approval),
        ("Deliver", deliver),
        ("RecordOutcome", record_outcome),
    ];
    let mut registry = Registry::new();
    for (name, handler) in handlers {
        let local = Arc::clone(&local);
        registry.register_fn(name, move |request: TaskRequest| {
            handler(&local, &request.input).map_err(LocalError::into_states_error)
        });
    }
    registry
}

fn field<'v>(input: &'v Value, name: &str) -> Result<&'v Value, LocalError> {
    input.get(name).filter(|v| !v.is_null()).ok_or_else(|| {
        LocalError::named(
            "Workflow.InvalidInput",
            format!("the task input has no '{name}'"),
        )
    })
}

fn alert_of(input: &Value) -> Result<Alert, LocalError> {
    let alert = field(input, "alert")?;
    // `Alert.raw` is raw JSON: read it from text, not from a Value.
    serde_json::from_str(&alert.to_string()).map_err(|e| {
        LocalError::named(
            "Workflow.InvalidInput",
            format!("'alert' is not an alert: {e}"),
        )
    })
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, LocalError> {
    serde_json::to_value(value).map_err(LocalError::corrupt)
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn normalize_alert(local: &Local, input: &Value) -> Result<Value, LocalError> {
    let payload = field(input, "payload")?.to_string();
    let alerts = normalize(&payload, &local.normalize).map_err(|e| match e.error_type() {
        "UnsupportedSource" => LocalError::named("UnsupportedSource", e.to_string()),
        _ => LocalError::named("InvalidAlert", e.to_string()),
    })?;
    Ok(json!({ "alerts": to_value(&alerts)? }))
}

/// NEW, DUPLICATE, REPEAT, RECOVERY or IGNORED, in one transaction keyed on
/// the dedup key. The same execution asking again (a retried task) gets its
/// first answer back; another execution with the same key is a DUPLICATE.
fn register_alert(local: &Local, input: &Value) -> Result<Value, LocalError> {
    let alert = alert_of(input)?;
    let execution = field(input, "execution_id")?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let dedup = alert.dedup_key.as_str().to_owned();
    let mut conn = local.db.conn();
    let tx = conn.transaction()?;
    let seen: Option<(String, Option<String>, String)> = tx
        .query_row(
            "SELECT execution_id, incident_id, decision FROM occurrences WHERE dedup_key = ?1",
            params![dedup],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((first_execution, incident_id, decision)) = seen {
        let incident = incident_id
            .as_deref()
            .map(|id| incident_in(&tx, id))
            .transpose()?
            .flatten();
        let decision = if first_execution == execution {
            decision
        } else {
            "DUPLICATE".to_owned()
        };
        return Ok(registration(local, &decision, incident.as_ref()));
    }
    let open = open_incident_in(&tx, alert.signature.as_str())?;
    let decision = Decision::for_alert(&alert, false, open.as_ref());
    let at = alert.occurred_at.to_string();
    let incident = match (decision, open) {
        (Decision::New, _) => Some(Incident {
            id: format!(
                "inc-{}-{}",
                at.get(..10).unwrap_or("").replace('-', ""),
                dedup.get(..8).unwrap_or(&dedup)
            ),
            signature: alert.signature.as_str().to_owned(),
            resource: alert.resource.clone(),
            title: alert.title.clone(),
            severity: alert.severity,
            status: IncidentStatus::Open,
            opened_at: at.clone(),
            last_seen_at: at.clone(),
            occurrences: 1,
            resolved_at: None,
            time_to_recover_seconds: None,
            notified_channels: Vec::new(),
            triggering_alarms: alert
                .alarm
                .iter()
                .flat_map(|a| a.triggering_alarms.iter().map(|t| t.name.clone()))
                .collect(),
        }),
        (Decision::Repeat, Some(mut incident)) => {
            incident.occurrences += 1;
            incident.last_seen_at = at.clone();
            Some(incident)
        }
        (Decision::Recovery, Some(mut incident)) => {
            incident.status = IncidentStatus::Resolved;
            incident.resolved_at = Some(at.clone());
            incident.time_to_recover_seconds = seconds_between(&incident.opened_at, &at);
            tx.execute(
                "UPDATE incident_history SET resolved_at = ?2, time_to_recover_seconds = ?3 WHERE incident_id = ?1",
                params![incident.id, at, incident.time_to_recover_seconds],
            )?;
            Some(incident)
        }
        _ => None,
    };
    if let Some(incident) = &incident {
        save_incident_in(&tx, incident)?;
    }
    tx.execute(
        "INSERT INTO occurrences (dedup_key, execution_id, incident_id, decision, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![dedup, execution, incident.as_ref().map(|i| i.id.clone()), decision.as_str(), now()],
    )?;
    tx.commit()?;
    Ok(registration(local, decision.as_str(), incident.as_ref()))
}

fn registration(local: &Local, decision: &str, incident: Option<&Incident>) -> Value {
    let severity = incident.map(|i| i.severity);
    let channels = severity
        .and_then(|s| local.config.channels.get(&s))
        .cloned()
        .unwrap_or_default();
    let timeout = severity
        .and_then(|s| local.config.approval_timeout_seconds.get(&s))
        .copied()
        .unwrap_or(3600);
    json!({
        "decision": decision,
        "incident": incident,
        "channels": channels,
        "approval_timeout_seconds": timeout,
        "timeout_policy": local.config.timeout_policy,
        "notified_channels": incident.map(|i| i.notified_channels.clone()).unwrap_or_default(),
    })
}

fn seconds_between(from: &str, to: &str) -> Option<i64> {
    let from = DateTime::parse_from_rfc3339(from).ok()?;
    let to = DateTime::parse_from_rfc3339(to).ok()?;
    Some((to - from).num_seconds())
}

fn query_history(local: &Local, input: &Value) -> Result<Value, LocalError> {
    let alert = alert_of(input)?;
    let since = DateTime::parse_from_rfc3339(&alert.occurred_at.to_string())
        .map(|t| {
            (t.with_timezone(&Utc) - Duration::days(30))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .unwrap_or_default();
    let conn = local.db.conn();
    let args = params![alert.signature.as_str(), alert.resource, since];
    let (count, first_seen, last_seen, mttr): (i64, Option<String>, Option<String>, Option<f64>) =
        conn.query_row(HISTORY_SUMMARY_SQL, args, |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    let mut stmt = conn.prepare(HISTORY_CAUSES_SQL)?;
    let rows: Vec<(Option<String>, Option<String>)> = stmt
        .query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let summary = HistorySummary {
        count: u64::try_from(count).unwrap_or(0),
        first_seen,
        last_seen,
        mean_time_to_recover_seconds: mttr,
        previous_root_causes: rows.iter().filter_map(|(c, _)| c.clone()).collect(),
        previous_resolutions: rows.iter().filter_map(|(_, r)| r.clone()).collect(),
    };
    let mut value = to_value(&summary)?;
    value["available"] = json!(true);
    Ok(value)
}

fn query_logs(local: &Local, input: &Value) -> Result<Value, LocalError> {
    let alert = alert_of(input)?;
    let context = crate::logs::read(&local.config, &alert);
    let mut value = to_value(&context)?;
    value["available"] = json!(true);
    Ok(value)
}

/// The cache key: signature, analyzer (model) and its prompt (or rules)
/// version, so a new model or prompt does not reuse old analyses.
fn cache_key(local: &Local, alert: &Alert) -> String {
    let analyzer = &local.config.analyzer;
    let (who, version) = if analyzer.uses_model() {
        (
            analyzer.model.as_str(),
            responder_core::analysis::prompt::PROMPT_VERSION,
        )
    } else {
        (
            responder_core::analysis::ANALYZER_NAME,
            responder_core::analysis::RULES_VERSION,
        )
    };
    let text = format!("{}:{who}:{version}", alert.signature.as_str());
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_cache(local: &Local, input: &Value) -> Result<Value, LocalError> {
    let alert = alert_of(input)?;
    let key = cache_key(local, &alert);
    let cached: Option<String> = local
        .db
        .conn()
        .query_row(
            "SELECT analysis FROM analysis_cache WHERE key = ?1 AND expires_at > ?2",
            params![key, now()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match cached {
        Some(text) => {
            json!({"hit": true, "key": key, "analysis": serde_json::from_str::<Value>(&text).map_err(LocalError::corrupt)?})
        }
        None => json!({"hit": false, "key": key}),
    })
}

fn analyze(local: &Local, input: &Value) -> Result<Value, LocalError> {
    let alert = alert_of(input)?;
    let context = input.get("context").cloned().unwrap_or(Value::Null);
    let available = |part: &str| context[part]["available"].as_bool() == Some(true);
    let history: Option<HistorySummary> = available("history")
        .then(|| serde_json::from_value(context["history"].clone()).ok())
        .flatten();
    let logs: Option<LogContext> = available("logs")
        .then(|| serde_json::from_value(context["logs"].clone()).ok())
        .flatten();
    let fallback = input["fallback"].as_bool() == Some(true);
    let analysis_input = AnalysisInput {
        alert,
        history,
        logs,
    };
    let mut analysis: Analysis = if local.config.analyzer.uses_model() && !fallback {
        crate::openai::analyze(&local.config.analyzer, &analysis_input)?
    } else {
        RuleAnalyzer.analyze(&analysis_input)
    };
    if fallback {
        analysis.degraded = true;
        analysis.degraded_reason = input["degraded_reason"].as_str().map(str::to_owned);
    }
    if analysis.context_unavailable.is_empty() {
        if analysis_input.history.is_none() {
            analysis.context_unavailable.push("history".to_owned());
        }
        if analysis_input.logs.is_none() {
            analysis.context_unavailable.push("logs".to_owned());
        }
    }
    analysis
        .check()
        .map_err(|e| LocalError::named("Analyzer.InvalidOutput", e.0))?;
    let text = serde_json::to_string(&analysis).map_err(LocalError::corrupt)?;
    let conn = local.db.conn();
    if let (Some(key), false) = (input["cache_key"].as_str(), analysis.degraded) {
        let expires = (Utc::now() + Duration::seconds(local.config.cache_ttl_seconds))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        conn.execute(
            "INSERT INTO analysis_cache (key, analysis, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET analysis = ?2, expires_at = ?3",
            params![key, text, expires],
        )?;
    }
    if let Some(id) = input["incident"]["id"].as_str() {
        conn.execute(
            "INSERT INTO analyses (incident_id, analysis) VALUES (?1, ?2) ON CONFLICT (incident_id) DO UPDATE SET analysis = ?2",
            params![id, text],
        )?;
    }
    to_value(&analysis)
}

/// Stores the task token behind an approval id and marks the incident as
/// waiting. The id is derived from the token, so a retried request does
/// not make a second approval.
fn request_approval(local: &Local, input: &Value) -> Result<Value, LocalError> {
    let token = field(input, "token")?.as_str().unwrap_or_default();
    let incident_id = field(input, "incident")?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let digest: String = Sha256::digest(token.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let approval_id = format!("apr-{digest}");
    let channels = input.get("channels").cloned().unwrap_or(json!([]));
    let conn = local.db.conn();
    conn.execute(
        "INSERT OR IGNORE INTO approvals (id, incident_id, token, channels, status, requested_at)
         VALUES (?1, ?2, ?3, ?4, 'PENDING', ?5)",
        params![approval_id, incident_id, token, channels.to_string(), now()],
    )?;
    if let Some(mut incident) = incident_in(&conn, &incident_id)? {
        incident.status = IncidentStatus::PendingApproval;
        save_incident_in(&conn, &incident)?;
    }
    drop(conn);
    let path = crate::outbox::approval_request(
        &local.outbox_dir,
        &approval_id,
        field(input, "incident")?,
        input.get("analysis"),
    )?;
    Ok(json!({"approval_id": approval_id, "request": path.display().to_string()}))
}

fn deliver(local: &Local, input: &Value) -> Result<Value, LocalError> {
    let channel = field(input, "channel")?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let kind = input["kind"].as_str().unwrap_or("incident").to_owned();
    let incident = field(input, "incident")?;
    let message = Message {
        kind: &kind,
        incident,
        analysis: input.get("analysis"),
        approval: input.get("approval"),
    };
    let path = outbox::deliver(&local.outbox_dir, &channel, &message)?;
    let incident_id = incident["id"].as_str().unwrap_or_default();
    local.db.conn().execute(
        "INSERT INTO deliveries (incident_id, channel, kind, status, location) VALUES (?1, ?2, ?3, 'SENT', ?4)
         ON CONFLICT (incident_id, channel, kind) DO UPDATE SET status = 'SENT', location = ?4, error = NULL",
        params![incident_id, channel, kind, path.display().to_string()],
    )?;
    Ok(json!({"channel": channel, "status": "SENT", "location": path.display().to_string()}))
}

fn record_outcome(local: &Local, input: &Value) -> Result<Value, LocalError> {
    let outcome = field(input, "outcome")?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let registration = field(input, "registration")?;
    let incident_id = registration["incident"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let Some(mut incident) = local.db.incident(&incident_id)? else {
        return Err(LocalError::named(
            "Workflow.UnknownIncident",
            format!("no incident '{incident_id}'"),
        ));
    };
    let deliveries = input
        .get("deliveries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for d in &deliveries {
        if d["status"] == "FAILED" {
            let kind = if outcome == "RECOVERED" {
                "recovery"
            } else {
                "incident"
            };
            local.db.conn().execute(
                "INSERT INTO deliveries (incident_id, channel, kind, status, error) VALUES (?1, ?2, ?3, 'FAILED', ?4)
                 ON CONFLICT (incident_id, channel, kind) DO UPDATE SET status = 'FAILED', error = ?4",
                params![incident_id, d["channel"].as_str().unwrap_or_default(), kind, d["cause"].as_str().unwrap_or_default()],
            )?;
        }
    }
    let sent: Vec<String> = deliveries
        .iter()
        .filter(|d| d["status"] == "SENT")
        .filter_map(|d| d["channel"].as_str().map(str::to_owned))
        .collect();
    match outcome.as_str() {
        "RECORDED" => {
            incident.status = IncidentStatus::Notified;
            // An approver's edit of the severity is the incident's from now on.
            if let Some(severity) = input["approval"]["severity"]
                .as_str()
                .and_then(responder_core::Severity::parse_loose)
            {
                incident.severity = severity;
            }
            for channel in sent {
                if !incident.notified_channels.contains(&channel) {
                    incident.notified_channels.push(channel);
                }
            }
            let root_cause = input["analysis"]["root_causes"][0]["cause"]
                .as_str()
                .map(str::to_owned);
            local.db.conn().execute(
                "INSERT INTO incident_history (incident_id, signature, resource, opened_at, root_cause)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (incident_id) DO UPDATE SET root_cause = ?5",
                params![incident.id, incident.signature, incident.resource, incident.opened_at, root_cause],
            )?;
        }
        "SUPPRESSED" => {
            incident.status = IncidentStatus::Suppressed;
            if let Ok(alert) = alert_of(input) {
                local.db.conn().execute(
                    "DELETE FROM analysis_cache WHERE key = ?1",
                    params![cache_key(local, &alert)],
                )?;
            }
        }
        "RECOVERED" => {}
        other => {
            return Err(LocalError::named(
                "Workflow.InvalidInput",
                format!("unknown outcome '{other}'"),
            ));
        }
    }
    local.db.save_incident(&incident)?;
    Ok(json!({"incident_id": incident.id, "status": incident.status.as_str()}))
}
