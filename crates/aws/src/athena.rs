//! Athena as the history query: the shared SQL text with execution
//! parameters (each value a quoted, escaped SQL literal: never SQL built by
//! concatenation), the workgroup from configuration, polling with backoff
//! and a deadline, and paginated results.

use aws_sdk_athena::Client;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, Row};
use responder_core::context::history::ArchivedIncident;
use responder_workflow::error::names;
use responder_workflow::history::{candidate_of, candidate_sql};
use responder_workflow::ports::{History, HistoryQuery};
use responder_workflow::{Error, Result};

use crate::error::named;
use crate::poll::Polling;

/// Rows read from one query at most (the candidate query asks for 200).
const MAX_ROWS: usize = 1000;

#[derive(Debug, Clone)]
pub struct AthenaHistory {
    client: Client,
    workgroup: String,
    database: String,
    polling: Polling,
}

impl AthenaHistory {
    pub fn new(client: Client, workgroup: String, database: String, polling: Polling) -> Self {
        Self {
            client,
            workgroup,
            database,
            polling,
        }
    }

    pub fn from_sdk(sdk: &aws_config::SdkConfig, env: &crate::config::Env) -> Result<Self> {
        Ok(Self::new(
            Client::new(sdk),
            env.required("ATHENA_WORKGROUP")?,
            env.required("ATHENA_DATABASE")?,
            env.polling()?,
        ))
    }

    /// Runs one query to the end; returns its rows without the header.
    pub async fn rows(&self, sql: &str, parameters: &[&str]) -> Result<Vec<Vec<Option<String>>>> {
        self.query(sql, parameters).await.map(|(_, rows)| rows)
    }

    /// Runs one query to the end; returns its column names (the header
    /// row) and its rows.
    pub async fn query(
        &self,
        sql: &str,
        parameters: &[&str],
    ) -> Result<(Vec<String>, Vec<Vec<Option<String>>>)> {
        let started = self
            .client
            .start_query_execution()
            .query_string(sql)
            .set_execution_parameters(Some(parameters.iter().map(|p| literal(p)).collect()))
            .work_group(&self.workgroup)
            .query_execution_context(
                QueryExecutionContext::builder()
                    .database(&self.database)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                named(
                    "StartQueryExecution",
                    &e,
                    names::HISTORY_TRANSIENT,
                    names::HISTORY_FAILED,
                )
            })?;
        let id = started
            .query_execution_id()
            .ok_or_else(|| {
                Error::new(
                    names::HISTORY_FAILED,
                    "StartQueryExecution returned no query id",
                )
            })?
            .to_owned();
        self.wait(&id).await?;
        self.results(&id).await
    }

    async fn wait(&self, id: &str) -> Result<()> {
        let mut poller = self.polling.start();
        loop {
            let out = self
                .client
                .get_query_execution()
                .query_execution_id(id)
                .send()
                .await
                .map_err(|e| {
                    named(
                        "GetQueryExecution",
                        &e,
                        names::HISTORY_TRANSIENT,
                        names::HISTORY_FAILED,
                    )
                })?;
            let status = out.query_execution().and_then(|q| q.status());
            match status.and_then(|s| s.state()) {
                Some(QueryExecutionState::Succeeded) => return Ok(()),
                Some(QueryExecutionState::Failed | QueryExecutionState::Cancelled) => {
                    let reason = status
                        .and_then(|s| s.state_change_reason())
                        .unwrap_or("no reason given");
                    return Err(Error::new(
                        names::HISTORY_FAILED,
                        format!("query {id} failed: {reason}"),
                    ));
                }
                Some(QueryExecutionState::Queued | QueryExecutionState::Running) | None => {}
                Some(other) => {
                    return Err(Error::new(
                        names::HISTORY_FAILED,
                        format!("query {id} is in an unknown state {}", other.as_str()),
                    ));
                }
            }
            if !poller.wait().await {
                // Do not leave it running (and scanning) after giving up.
                let _ = self
                    .client
                    .stop_query_execution()
                    .query_execution_id(id)
                    .send()
                    .await;
                return Err(Error::new(
                    names::HISTORY_TRANSIENT,
                    format!(
                        "query {id} did not finish within {} s",
                        self.polling.deadline.as_secs()
                    ),
                ));
            }
        }
    }

    async fn results(&self, id: &str) -> Result<(Vec<String>, Vec<Vec<Option<String>>>)> {
        let mut rows = Vec::new();
        let mut columns = Vec::new();
        let mut pages = self
            .client
            .get_query_results()
            .query_execution_id(id)
            .into_paginator()
            .send();
        let mut first_page = true;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                named(
                    "GetQueryResults",
                    &e,
                    names::HISTORY_TRANSIENT,
                    names::HISTORY_FAILED,
                )
            })?;
            let Some(set) = page.result_set() else {
                continue;
            };
            // The first row of a SELECT's first page is the header.
            let skip = usize::from(first_page);
            if first_page && let Some(header) = set.rows().first() {
                columns = cells(header)
                    .into_iter()
                    .map(Option::unwrap_or_default)
                    .collect();
            }
            first_page = false;
            rows.extend(set.rows().iter().skip(skip).map(cells));
            if rows.len() >= MAX_ROWS {
                rows.truncate(MAX_ROWS);
                break;
            }
        }
        Ok((columns, rows))
    }
}

fn cells(row: &Row) -> Vec<Option<String>> {
    row.data()
        .iter()
        .map(|d| d.var_char_value().map(str::to_owned))
        .collect()
}

/// An execution parameter: Athena substitutes it as SQL text, so a string
/// must arrive as a quoted literal with `'` doubled (never a backslash).
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

impl History for AthenaHistory {
    async fn candidates(&self, q: &HistoryQuery) -> Result<Vec<ArchivedIncident>> {
        let (sql, parameters) = candidate_sql(q);
        let parameters: Vec<&str> = parameters.iter().map(String::as_str).collect();
        let rows = self.rows(&sql, &parameters).await?;
        Ok(rows.into_iter().map(candidate_of).collect())
    }
}
