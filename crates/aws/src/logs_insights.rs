//! CloudWatch Logs Insights as the log source: the alert's log groups
//! (tags, configuration, namespace conventions), error lines in the window
//! around the state change, StartQuery and GetQueryResults polled with
//! backoff and a deadline, and a cap on lines and their length.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::QueryStatus;
use chrono::{DateTime, Duration, Utc};
use responder_core::analysis::{LogContext, LogLine};
use responder_core::{Alert, limits::truncate_chars};
use responder_workflow::error::names;
use responder_workflow::logs::{ERROR_WORDS, MAX_LINE_CHARS, MAX_LINES, log_groups};
use responder_workflow::ports::LogSource;
use responder_workflow::{Error, Result};

use crate::error::named;
use crate::poll::Polling;

/// StartQuery takes at most 50 log groups.
const MAX_LOG_GROUPS: usize = 50;

#[derive(Debug, Clone)]
pub struct InsightsLogs {
    client: Client,
    /// Extra log groups by alarm name or service (configuration).
    configured: BTreeMap<String, Vec<String>>,
    window_minutes: i64,
    polling: Polling,
}

impl InsightsLogs {
    pub fn new(
        client: Client,
        configured: BTreeMap<String, Vec<String>>,
        window_minutes: i64,
        polling: Polling,
    ) -> Self {
        Self {
            client,
            configured,
            window_minutes,
            polling,
        }
    }

    pub fn from_sdk(sdk: &aws_config::SdkConfig, env: &crate::config::Env) -> Result<Self> {
        Ok(Self::new(
            Client::new(sdk),
            env.log_groups()?,
            env.parsed("LOG_WINDOW_MINUTES", 15)?,
            env.polling()?,
        ))
    }
}

/// The Insights query: error lines, most recent first, capped. The words
/// are ours (a fixed list), never text from the alert.
pub fn query_string() -> String {
    let words: Vec<String> = ERROR_WORDS.iter().map(|w| w.replace(' ', "\\s")).collect();
    format!(
        "fields @timestamp, @message, @log | filter @message like /(?i)({})/ | sort @timestamp desc | limit {MAX_LINES}",
        words.join("|")
    )
}

impl LogSource for InsightsLogs {
    async fn context(&self, alert: &Alert) -> Result<LogContext> {
        let mut groups = log_groups(alert, &self.configured);
        groups.truncate(MAX_LOG_GROUPS);
        if groups.is_empty() {
            return Ok(LogContext {
                log_groups: groups,
                lines: Vec::new(),
            });
        }
        let at = DateTime::parse_from_rfc3339(&alert.occurred_at.to_string())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|_| Utc::now());
        let lines = self
            .run(
                &groups,
                at - Duration::minutes(self.window_minutes),
                at + Duration::minutes(5),
                &query_string(),
                MAX_LINES,
            )
            .await?;
        Ok(LogContext {
            log_groups: groups,
            lines,
        })
    }
}

impl InsightsLogs {
    /// The log groups configured for routing: what `search_logs` reads when
    /// it is given none.
    pub fn configured_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self.configured.values().flatten().cloned().collect();
        groups.sort();
        groups.dedup();
        groups
    }

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
    ) -> Result<Vec<LogLine>> {
        let mut groups = groups.to_vec();
        groups.truncate(MAX_LOG_GROUPS);
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        self.run(&groups, start, end, &search_query(text, limit), limit)
            .await
    }

    /// Runs one Insights query to the end, polling with backoff until the
    /// deadline (then the query is stopped).
    async fn run(
        &self,
        groups: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        query: &str,
        limit: usize,
    ) -> Result<Vec<LogLine>> {
        let started = self
            .client
            .start_query()
            .set_log_group_names(Some(groups.to_vec()))
            .start_time(start.timestamp())
            .end_time(end.timestamp())
            .query_string(query)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
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
                    let mut lines: Vec<LogLine> = out
                        .results()
                        .iter()
                        .take(limit)
                        .map(|fields| {
                            let field = |name: &str| {
                                fields
                                    .iter()
                                    .find(|f| f.field() == Some(name))
                                    .and_then(|f| f.value())
                                    .unwrap_or_default()
                                    .to_owned()
                            };
                            LogLine {
                                timestamp: field("@timestamp"),
                                log_group: log_group_name(&field("@log")),
                                message: truncate_chars(&field("@message"), MAX_LINE_CHARS),
                            }
                        })
                        .collect();
                    lines.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
                    return Ok(lines);
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

/// The `search_logs` query: lines containing `text` in any case. Every
/// character that means something in a pattern is escaped, and so is `/`,
/// which would end it.
pub fn search_query(text: &str, limit: usize) -> String {
    let mut pattern = String::with_capacity(text.len() + 8);
    for c in text.chars().filter(|c| !c.is_control()) {
        if "\\^$.|?*+()[]{}/".contains(c) {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    let filter = if pattern.is_empty() {
        String::new()
    } else {
        format!(" | filter @message like /(?i){pattern}/")
    };
    format!("fields @timestamp, @message, @log{filter} | sort @timestamp desc | limit {limit}")
}

/// `@log` is `account-id:log-group`: the group is what people know.
fn log_group_name(log: &str) -> String {
    log.split_once(':')
        .map_or(log, |(_, group)| group)
        .to_owned()
}
