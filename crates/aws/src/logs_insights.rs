//! CloudWatch Logs as the log source.
//!
//! Discovery: the groups the alert names (namespace conventions, tags,
//! configuration), then what `crate::discovery` finds around the alarmed
//! resource through read-only AWS APIs (its neighbours, the resources
//! sharing its service tag, configured prefixes, groups named like it),
//! each weighed by how it relates.
//!
//! Reading: Logs Insights returns at most 10,000 rows a query, so three
//! queries run together over the chosen groups: the incident window's
//! lines of trouble or change (the words of
//! `responder_core::context::signals`, so that rare decisive lines are never
//! sampled away), the incident window's latest lines, and the baseline's
//! latest lines. The core mines and ranks what comes back, as it does
//! locally. StartQuery and GetQueryResults are polled with backoff and a
//! deadline; every value in a query is ours, never text from the alert.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::{QueryStatus, ResultField};
use chrono::{DateTime, Utc};
use responder_core::context::events::{LogEvent, rfc3339_millis};
use responder_core::context::topology;
use responder_core::context::{Span, Topology, Windows, signals};
use responder_core::{Alert, limits::truncate_chars};
use responder_workflow::backend::FoundLine;
use responder_workflow::error::names;
use responder_workflow::policy::MAX_LOG_GROUPS;
use responder_workflow::ports::LogSource;
use responder_workflow::{Error, Result};

use crate::discovery::Discovery;
use crate::error::named;
use crate::poll::Polling;

/// Rows one Insights query returns at most.
pub const MAX_ROWS_PER_QUERY: usize = 10_000;
/// The longest message kept of one event.
pub const MAX_MESSAGE_CHARS: usize = 4000;

#[derive(Debug, Clone)]
pub struct InsightsLogs {
    client: Client,
    /// Extra log groups by alarm name or service (configuration).
    configured: BTreeMap<String, Vec<String>>,
    polling: Polling,
    discovery: Discovery,
}

impl InsightsLogs {
    pub fn new(
        client: Client,
        configured: BTreeMap<String, Vec<String>>,
        polling: Polling,
        discovery: Discovery,
    ) -> Self {
        Self {
            client,
            configured,
            polling,
            discovery,
        }
    }

    pub fn from_sdk(sdk: &aws_config::SdkConfig, env: &crate::config::Env) -> Result<Self> {
        let discovery = Discovery::new(crate::discovery::Clients::from_sdk(sdk), env.discovery()?);
        Ok(Self::new(
            Client::new(sdk),
            env.log_groups()?,
            env.polling()?,
            discovery,
        ))
    }

    /// The log groups configured for routing: what `search_logs` reads when
    /// it is given none.
    pub fn configured_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self.configured.values().flatten().cloned().collect();
        groups.sort();
        groups.dedup();
        groups
    }
}

/// The incident window's lines worth keeping: trouble, a server status, a
/// change. The words are ours (a fixed list), never text from the alert.
pub fn signal_query() -> String {
    // A space as `\s`: the pattern stays one token of the query language.
    let words: Vec<String> = signals::keep_words()
        .map(|w| escape_pattern(w).replace(' ', "\\s"))
        .collect();
    format!(
        "fields @timestamp, @message, @log, @logStream, @ptr | filter @message like /(?i)({})/ | sort @timestamp desc | limit {MAX_ROWS_PER_QUERY}",
        words.join("|")
    )
}

/// A window's latest lines.
pub fn sample_query() -> String {
    format!(
        "fields @timestamp, @message, @log, @logStream, @ptr | sort @timestamp desc | limit {MAX_ROWS_PER_QUERY}"
    )
}

impl LogSource for InsightsLogs {
    async fn discover(&self, alert: &Alert) -> Result<Topology> {
        let topology = topology::of_alert_with_configured(alert, &self.configured);
        self.discovery.extend(alert, topology).await
    }

    async fn read(
        &self,
        groups: &[String],
        windows: &Windows,
    ) -> Result<Vec<(String, Vec<LogEvent>)>> {
        let mut groups = groups.to_vec();
        groups.truncate(MAX_LOG_GROUPS);
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let (signal, sample) = (signal_query(), sample_query());
        let (signals, incident, baseline) = tokio::try_join!(
            self.run(&groups, windows.incident, &signal),
            self.run(&groups, windows.incident, &sample),
            self.run(&groups, windows.baseline, &sample),
        )?;
        let mut seen = HashSet::new();
        let mut by_group: BTreeMap<String, Vec<LogEvent>> =
            groups.iter().map(|g| (g.clone(), Vec::new())).collect();
        for row in signals.into_iter().chain(incident).chain(baseline) {
            if !seen.insert(row.ptr.clone()) {
                continue;
            }
            by_group.entry(row.group).or_default().push(row.event);
        }
        Ok(by_group
            .into_iter()
            .map(|(group, mut events)| {
                events.sort_by_key(|e| e.at);
                (group, events)
            })
            .collect())
    }
}

/// One row of an Insights query.
struct Row {
    ptr: String,
    group: String,
    event: LogEvent,
}

impl InsightsLogs {
    /// Lines of `groups` containing `text` (any case) between `start` and
    /// `end`, oldest first, at most `limit` (the most recent). The text is
    /// escaped into the query's pattern: it cannot change the query.
    pub async fn search(
        &self,
        groups: &[String],
        text: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FoundLine>> {
        let mut groups = groups.to_vec();
        groups.truncate(MAX_LOG_GROUPS);
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = self
            .run(&groups, Span { start, end }, &search_query(text, limit))
            .await?;
        rows.truncate(limit);
        rows.sort_by_key(|r| r.event.at);
        Ok(rows
            .into_iter()
            .map(|r| FoundLine {
                log_group: r.group,
                timestamp: Some(r.event.at.to_rfc3339()),
                message: r.event.message,
            })
            .collect())
    }

    /// Runs one Insights query to the end, polling with backoff until the
    /// deadline (then the query is stopped).
    async fn run(&self, groups: &[String], span: Span, query: &str) -> Result<Vec<Row>> {
        let started = self
            .client
            .start_query()
            .set_log_group_names(Some(groups.to_vec()))
            .start_time(span.start.timestamp())
            .end_time(span.end.timestamp())
            .query_string(query)
            .limit(MAX_ROWS_PER_QUERY as i32)
            .send()
            .await
            .map_err(|e| named("StartQuery", &e, names::LOGS_TRANSIENT, names::LOGS_FAILED))?;
        let id = started
            .query_id()
            .ok_or_else(|| Error::new(names::LOGS_FAILED, "StartQuery returned no query id"))?
            .to_owned();
        let mut poller = self.polling.start();
        loop {
            let out = self
                .client
                .get_query_results()
                .query_id(&id)
                .send()
                .await
                .map_err(|e| {
                    named(
                        "GetQueryResults",
                        &e,
                        names::LOGS_TRANSIENT,
                        names::LOGS_FAILED,
                    )
                })?;
            match out.status() {
                Some(QueryStatus::Complete) => {
                    return Ok(out.results().iter().filter_map(|f| row(f)).collect());
                }
                Some(QueryStatus::Scheduled | QueryStatus::Running) | None => {}
                Some(QueryStatus::Timeout) => {
                    return Err(Error::new(
                        names::LOGS_TRANSIENT,
                        format!("Logs Insights query {id} timed out"),
                    ));
                }
                Some(other) => {
                    return Err(Error::new(
                        names::LOGS_FAILED,
                        format!("Logs Insights query {id} ended {}", other.as_str()),
                    ));
                }
            }
            if !poller.wait().await {
                let _ = self.client.stop_query().query_id(&id).send().await;
                return Err(Error::new(
                    names::LOGS_TRANSIENT,
                    format!(
                        "Logs Insights query {id} did not finish within {} s",
                        self.polling.deadline.as_secs()
                    ),
                ));
            }
        }
    }
}

/// A result row as an event; `None` without a readable time. Insights
/// prints `@timestamp` as `2026-11-20 09:14:07.123` (UTC).
fn row(fields: &[ResultField]) -> Option<Row> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f.field() == Some(name))
            .and_then(|f| f.value())
            .unwrap_or_default()
    };
    let (millis, _) = rfc3339_millis(field("@timestamp").as_bytes())?;
    let message = field("@message");
    let stream = field("@logStream");
    Some(Row {
        ptr: field("@ptr").to_owned(),
        group: log_group_name(field("@log")),
        event: LogEvent {
            at: DateTime::from_timestamp_millis(millis)?,
            stream: Some(stream.to_owned()).filter(|s| !s.is_empty()),
            message: truncate_chars(message.trim_end_matches('\n'), MAX_MESSAGE_CHARS),
        },
    })
}

/// The `search_logs` query: lines containing `text` in any case.
pub fn search_query(text: &str, limit: usize) -> String {
    let pattern = escape_pattern(text);
    let filter = if pattern.is_empty() {
        String::new()
    } else {
        format!(" | filter @message like /(?i){pattern}/")
    };
    format!(
        "fields @timestamp, @message, @log, @logStream, @ptr{filter} | sort @timestamp desc | limit {}",
        limit.min(MAX_ROWS_PER_QUERY)
    )
}

/// Text as a literal inside `/.../`: every character that means something
/// in a pattern is escaped, and so is `/`, which would end it; control
/// characters are dropped.
fn escape_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 8);
    for c in text.chars().filter(|c| !c.is_control()) {
        if "\\^$.|?*+()[]{}/".contains(c) {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern
}

/// `@log` is `account-id:log-group`: the group is what people know.
fn log_group_name(log: &str) -> String {
    log.split_once(':')
        .map_or(log, |(_, group)| group)
        .to_owned()
}
