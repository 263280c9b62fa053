//! The API's backend in AWS: the tools of `responder-api` over DynamoDB
//! (incidents, approvals, the cache, the audit trail), Athena (the
//! archive), Logs Insights (log search), Bedrock (analysis) and Step
//! Functions (executions and their task tokens). `functions/api` serves it
//! behind API Gateway, configured by [`config`].

pub mod config;

use chrono::{DateTime, Utc};
use responder_core::analysis::{Analysis, AnalysisInput};
use responder_core::{Incident, IncidentStatus};
use responder_workflow::Policy;
use responder_workflow::backend::error::ApiError;
use responder_workflow::backend::{
    AuditEntry, Backend, Decided, Decision, FoundLine, IncidentFilter, LogSearch, PendingApproval,
    QueryRows, Result, resolution_result,
};
use responder_workflow::ports::{AnalysisCache, Analyzer, IncidentStore};
use responder_workflow::steps::{decide, resolve_by_hand};
use serde_json::{Value, json};

use crate::athena::AthenaHistory;
use crate::bedrock::BedrockAnalyzer;
use crate::dynamodb::DynamoStore;
use crate::logs_insights::InsightsLogs;
use crate::s3::S3Archive;
use crate::sfn::SfnExecutions;

/// Every status, for lists without one.
const STATUSES: [IncidentStatus; 5] = [
    IncidentStatus::Open,
    IncidentStatus::PendingApproval,
    IncidentStatus::Notified,
    IncidentStatus::Suppressed,
    IncidentStatus::Resolved,
];
/// Filters other than status and time apply after the index read: read this
/// many times the limit, to fill the page despite them.
const OVERREAD: usize = 5;
/// The most items one index query reads.
const MAX_QUERY_ITEMS: usize = 1000;

/// The adapters the API needs.
#[derive(Debug, Clone)]
pub struct AwsApi {
    pub store: DynamoStore,
    pub executions: SfnExecutions,
    pub athena: AthenaHistory,
    pub logs: InsightsLogs,
    pub analyzer: BedrockAnalyzer,
    pub archive: S3Archive,
    pub policy: Policy,
}

impl Backend for AwsApi {
    async fn ready(&self) -> Result<()> {
        self.store.ready().await.map_err(ApiError::from)
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        let statuses: Vec<IncidentStatus> = match filter.status {
            Some(status) => vec![status],
            None => STATUSES.to_vec(),
        };
        let filtered =
            filter.severity.is_some() || filter.service.is_some() || filter.signature.is_some();
        let read = if filtered {
            (filter.limit * OVERREAD).min(MAX_QUERY_ITEMS)
        } else {
            filter.limit.min(MAX_QUERY_ITEMS)
        };
        let limit = i32::try_from(read.max(1)).unwrap_or(i32::MAX);
        let mut incidents = Vec::new();
        for status in statuses {
            incidents.extend(
                self.store
                    .incidents_between(
                        status.as_str(),
                        filter.since.as_deref(),
                        filter.until.as_deref(),
                        limit,
                    )
                    .await
                    .map_err(ApiError::from)?,
            );
        }
        incidents.retain(|i| {
            filter.severity.is_none_or(|s| s == i.severity)
                && filter
                    .service
                    .as_ref()
                    .is_none_or(|s| i.service.as_ref() == Some(s))
                && filter.signature.as_ref().is_none_or(|s| &i.signature == s)
        });
        incidents.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then_with(|| a.id.cmp(&b.id)));
        incidents.truncate(filter.limit);
        Ok(incidents)
    }

    async fn incident_view(&self, id: &str) -> Result<Option<Value>> {
        let Some(incident) = self.store.incident(id).await.map_err(ApiError::from)? else {
            return Ok(None);
        };
        let (analysis, usage) = self
            .store
            .analysis_record(id)
            .await
            .map_err(ApiError::from)?
            .unwrap_or((Value::Null, Value::Null));
        let approval = self
            .store
            .approvals_where(Some(id), false)
            .await
            .map_err(ApiError::from)?
            .pop()
            .map(|a| {
                json!({
                    "id": a.id,
                    "status": a.status,
                    "requested_at": a.requested_at,
                    "channels": a.channels,
                })
            });
        let deliveries = self.store.deliveries(id).await.map_err(ApiError::from)?;
        // The report (written when the workflow ends) holds the alert.
        let report = self.archive.report_of(id).await.map_err(ApiError::from)?;
        Ok(Some(json!({
            "incident": incident,
            "alert": report.as_ref().map_or(Value::Null, |r| r["alert"].clone()),
            "context": report.as_ref().map_or(Value::Null, |r| r["context"].clone()),
            "analysis": analysis,
            "usage": usage,
            "approval": approval,
            "deliveries": deliveries,
        })))
    }

    async fn incident_analysis(&self, id: &str) -> Result<Option<Analysis>> {
        Ok(self
            .store
            .analysis_record(id)
            .await
            .map_err(ApiError::from)?
            .and_then(|(analysis, _)| serde_json::from_value(analysis).ok()))
    }

    async fn pending_approvals(&self) -> Result<Vec<PendingApproval>> {
        let now = Utc::now().timestamp();
        let mut pending = Vec::new();
        for approval in self
            .store
            .approvals_where(None, true)
            .await
            .map_err(ApiError::from)?
        {
            // Kept a day past the deadline: past it, nothing waits any more.
            if approval.kept_until - 86_400 < now {
                continue;
            }
            let Some(incident) = self
                .store
                .incident(&approval.incident_id)
                .await
                .map_err(ApiError::from)?
            else {
                continue;
            };
            pending.push(PendingApproval {
                approval_id: approval.id,
                incident_id: approval.incident_id,
                title: incident.title,
                severity: incident.severity,
                requested_at: approval.requested_at,
                expires_at: DateTime::from_timestamp(approval.kept_until - 86_400, 0)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                channels: serde_json::from_value(approval.channels).unwrap_or_default(),
            });
        }
        Ok(pending)
    }

    async fn execution_view(&self, id: &str) -> Result<Option<Value>> {
        self.executions.view(id).await.map_err(ApiError::from)
    }

    async fn query_archive(&self, sql: &str) -> Result<QueryRows> {
        let (columns, rows) = self.athena.query(sql, &[]).await.map_err(|e| {
            if e.name() == responder_workflow::error::names::HISTORY_FAILED {
                ApiError::new(
                    responder_workflow::backend::error::names::QUERY_REJECTED,
                    e.message().to_owned(),
                )
            } else {
                e.into()
            }
        })?;
        Ok(QueryRows {
            columns,
            rows: rows
                .into_iter()
                .map(|row| {
                    row.into_iter()
                        .map(|cell| cell.map_or(Value::Null, Value::String))
                        .collect()
                })
                .collect(),
        })
    }

    async fn search_logs(&self, search: &LogSearch) -> Result<Vec<FoundLine>> {
        let groups = if search.log_groups.is_empty() {
            self.logs.configured_groups()
        } else {
            search.log_groups.clone()
        };
        self.logs
            .search(
                &groups,
                &search.filter,
                search.start,
                search.end,
                search.limit,
            )
            .await
            .map_err(ApiError::from)
    }

    async fn analyze(&self, input: &AnalysisInput) -> Result<(Analysis, bool)> {
        let key = responder_workflow::steps::cache_key(&input.alert, &self.analyzer.id());
        let now = Utc::now();
        if let Some(analysis) = self.store.get(&key, now).await.map_err(ApiError::from)? {
            return Ok((analysis, true));
        }
        let analyzed = self.analyzer.analyze(input).await.map_err(ApiError::from)?;
        if !analyzed.analysis.degraded {
            let expires = now + chrono::Duration::seconds(self.policy.cache_ttl_seconds);
            self.store
                .put(&key, &analyzed.analysis, expires)
                .await
                .map_err(ApiError::from)?;
        }
        Ok((analyzed.analysis, false))
    }

    async fn ask(&self, prompt: &str) -> Result<Option<String>> {
        self.analyzer
            .ask(prompt)
            .await
            .map(Some)
            .map_err(ApiError::from)
    }

    /// Through the one decide step ([`decide`]): a Lambda that dies between
    /// recording the decision and answering the token leaves it for the
    /// next decision on the incident (a client's retry) to give.
    async fn decide(
        &self,
        incident_id: &str,
        decision: &Decision,
        caller: &str,
    ) -> Result<Decided> {
        decide(
            &self.store,
            &self.executions,
            &self.store,
            incident_id,
            decision,
            caller,
        )
        .await
    }

    async fn resolve(&self, incident_id: &str, resolution: &str) -> Result<Incident> {
        let outcome = resolve_by_hand(
            &self.store,
            &self.archive,
            incident_id,
            resolution,
            Utc::now(),
        )
        .await;
        resolution_result(incident_id, outcome)
    }

    async fn start(&self, payload: &Value) -> Result<String> {
        self.executions
            .start_fresh(payload)
            .await
            .map_err(ApiError::from)
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        let nonce = format!("{:016x}", rand_nonce());
        let doc = serde_json::to_value(entry).map_err(|e| ApiError::unavailable(e.to_string()))?;
        self.store
            .put_audit(&entry.at, &nonce, &doc)
            .await
            .map_err(ApiError::from)
    }
}

/// Tells apart two audit entries of the same millisecond.
fn rand_nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i64(Utc::now().timestamp_nanos_opt().unwrap_or_default());
    hasher.finish()
}
