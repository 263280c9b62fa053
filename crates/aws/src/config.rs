//! The functions' configuration, read once from the environment at cold
//! start. A missing or malformed variable is a `Config.Invalid` error that
//! names it; values are never echoed (some are ARNs of secrets).
//!
//! | Variable | Used by | Default |
//! |---|---|---|
//! | `INCIDENTS_TABLE`, `OCCURRENCES_TABLE`, `APPROVALS_TABLE`, `CACHE_TABLE`, `IDEMPOTENCY_TABLE` | the stores | required where used |
//! | `ARCHIVE_BUCKET` | archive, reports, outbox | required where used |
//! | `ATHENA_WORKGROUP`, `ATHENA_DATABASE` | QueryHistory | required |
//! | `BEDROCK_MODEL_ID` | Analyze, CheckCache | required |
//! | `BEDROCK_MAX_TOKENS` | Analyze | 2000 |
//! | `BEDROCK_TIMEOUT_SECONDS` | Analyze: one Converse call at most (within Analyze's 115 s budget) | 90 |
//! | `BEDROCK_PRICE_INPUT_PER_1K`, `BEDROCK_PRICE_OUTPUT_PER_1K` | Analyze (cost) | 0.003, 0.015 |
//! | `TOKEN_BUDGET` | Analyze: the prompt's size, in tokens | 10000 |
//! | `EMAIL_FROM`, `EMAIL_TO` (comma-separated) | Deliver | e-mail to the outbox when unset |
//! | `STATE_MACHINE_ARN` | the API's StartExecution | required there |
//! | `LOG_GROUPS` (JSON: name → groups) | QueryLogs | `{}` |
//! | `QUERY_DEADLINE_SECONDS` | QueryHistory, QueryLogs | 20 |
//! | `LOG_GROUP_PREFIXES` (comma-separated, at most 5) | QueryLogs: groups every incident may read, by prefix | none |
//! | `EC2_LOG_GROUP_PATTERNS` (comma-separated, at most 5; `{instance_id}`, a final `*` for a prefix) | QueryLogs: the CloudWatch agent's groups of an instance | none |
//! | `LOG_GROUP_PATTERNS` (comma-separated, `*` for any characters) | QueryLogs: the groups its role may query; others are named, not read | every group |
//! | `DISCOVERY_MAX_CALLS` | QueryLogs: discovery calls per incident | 30 |
//! | `DISCOVERY_DEADLINE_SECONDS` | QueryLogs: discovery's time per incident (with `QUERY_DEADLINE_SECONDS`, within QueryLogs' budget) | 8 |
//! | `NORMALIZE_OPTIONS` (JSON, the `[normalize]` table) | NormalizeAlert | defaults |
//! | `RESPONDER_POLICY` (JSON, the fields of `Policy`) | routing, timeouts, cache TTL | built-in defaults |
//! | `WRITE_TOOLS` (comma-separated) | the API: the write tools served | all four; `none` for none |
//! | `ALLOWED_ORIGINS` (comma-separated) | the API: browser origins on `/mcp` | none |
//! | `WEBHOOK_TOKEN`, `SLACK_SIGNING_SECRET`, `LINK_SECRET` | the API's optional routes | route off when unset |
//! | `SLACK_APPROVERS` (JSON: `users`, `groups`, `severity`) | the API: who may press Slack's Approve and Reject | nobody |
//! | `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` (read by `lambda_http`) | the API: the REST API's stage off the path | required there (`crate::api::config`) |
//! | `SLACK_BOT_TOKEN` and `SLACK_CHANNEL`, or `SLACK_WEBHOOK_URL` | Deliver, RequestApproval: Slack | the outbox |
//! | `JIRA_BASE_URL`, `JIRA_EMAIL`, `JIRA_API_TOKEN`, `JIRA_PROJECT` (`OPS`), `JIRA_ISSUE_TYPE` (`Task`) | Deliver: Jira | the outbox |
//! | `SECRET_ARNS` (comma-separated) | every function: Secrets Manager secrets whose JSON sets the secret variables above | none |
//!
//! The secret variables (tokens, signing secrets, the webhook URL) belong
//! in Secrets Manager: `SECRET_ARNS` names the secrets, each a JSON object
//! of such variables, read once at cold start (`crate::secrets`).

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::Duration;

use responder_workflow::error::names;
use responder_workflow::{Error, Policy, Result};

#[cfg(feature = "bedrock")]
use crate::bedrock::{BedrockSettings, Prices};
#[cfg(feature = "logs")]
use crate::discovery::{self, MAX_EC2_PATTERNS, MAX_PREFIXES, VERIFY_ALLOWANCE, VERIFY_CALLS};
#[cfg(feature = "dynamodb")]
use crate::dynamodb::Tables;
use crate::poll::Polling;
use responder_workflow::ports::AnalyzerId;

/// The environment, read once, with the secrets of `SECRET_ARNS` merged in
/// (`crate::secrets`).
#[derive(Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

/// Names only: values may be secrets.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.vars.keys().collect();
        names.sort();
        f.debug_struct("Env").field("names", &names).finish()
    }
}

impl Env {
    /// The process environment. Read here only, at start-up.
    #[allow(clippy::disallowed_methods)]
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// Sets `name` (a secret read at start-up).
    pub fn set(&mut self, name: &str, value: String) {
        self.vars.insert(name.to_owned(), value);
    }

    pub fn optional(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A comma-separated list; empty when unset.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.optional(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn required(&self, name: &str) -> Result<String> {
        self.optional(name).map(str::to_owned).ok_or_else(|| {
            Error::new(
                names::CONFIG,
                format!("the environment variable {name} is not set"),
            )
        })
    }

    pub fn parsed<T: FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.optional(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                Error::new(
                    names::CONFIG,
                    format!(
                        "the environment variable {name} is not a valid {}",
                        std::any::type_name::<T>()
                    ),
                )
            }),
        }
    }

    fn json<T: serde::de::DeserializeOwned>(&self, name: &str, default: T) -> Result<T> {
        match self.optional(name) {
            None => Ok(default),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                Error::new(
                    names::CONFIG,
                    format!("the environment variable {name} is not valid JSON for it: {e}"),
                )
            }),
        }
    }

    /// `NORMALIZE_OPTIONS`: the `[normalize]` table of `responder.toml`, as JSON.
    pub fn normalize_options(&self) -> Result<responder_core::NormalizeOptions> {
        self.json(
            "NORMALIZE_OPTIONS",
            responder_core::NormalizeOptions::default(),
        )
    }

    #[cfg(feature = "dynamodb")]
    pub fn tables(&self) -> Result<Tables> {
        Ok(Tables {
            incidents: self.required("INCIDENTS_TABLE")?,
            occurrences: self.required("OCCURRENCES_TABLE")?,
            approvals: self.required("APPROVALS_TABLE")?,
            cache: self.required("CACHE_TABLE")?,
            idempotency: self.required("IDEMPOTENCY_TABLE")?,
        })
    }

    pub fn policy(&self) -> Result<Policy> {
        let policy: Policy = self.json("RESPONDER_POLICY", Policy::default())?;
        policy
            .check_context()
            .map_err(|e| Error::new(names::CONFIG, format!("RESPONDER_POLICY: {e}")))?;
        Ok(policy)
    }

    pub fn log_groups(&self) -> Result<BTreeMap<String, Vec<String>>> {
        self.json("LOG_GROUPS", BTreeMap::new())
    }

    pub fn polling(&self) -> Result<Polling> {
        Ok(Polling {
            deadline: Duration::from_secs(self.parsed("QUERY_DEADLINE_SECONDS", 20)?),
            ..Polling::default()
        })
    }

    /// What discovery may do per incident. Its deadline, the existence
    /// check's allowance, the Insights deadline and the time to start the
    /// queries must fit in QueryLogs' budget.
    #[cfg(feature = "logs")]
    pub fn discovery(&self) -> Result<discovery::Settings> {
        let defaults = discovery::Settings::default();
        let settings = discovery::Settings {
            prefixes: self.bounded_list(
                "LOG_GROUP_PREFIXES",
                MAX_PREFIXES,
                "Logs Insights takes at most 5 prefixes",
            )?,
            ec2_patterns: self.bounded_list(
                "EC2_LOG_GROUP_PATTERNS",
                MAX_EC2_PATTERNS,
                "each pattern may cost a call",
            )?,
            readable: self.list("LOG_GROUP_PATTERNS"),
            max_calls: self.parsed("DISCOVERY_MAX_CALLS", defaults.max_calls)?,
            deadline: Duration::from_secs(
                self.parsed("DISCOVERY_DEADLINE_SECONDS", defaults.deadline.as_secs())?,
            ),
            neighbour_functions: defaults.neighbour_functions,
        };
        if settings.max_calls <= VERIFY_CALLS {
            return Err(Error::new(
                names::CONFIG,
                format!(
                    "DISCOVERY_MAX_CALLS must be more than the {VERIFY_CALLS} calls the existence check keeps"
                ),
            ));
        }
        let query = self.polling()?.deadline;
        let worst = settings.deadline + VERIFY_ALLOWANCE + query + crate::sdk::STORE_CALL_TIMEOUT;
        let budget = responder_workflow::budget::of("QueryLogs");
        if worst > budget {
            return Err(Error::new(
                names::CONFIG,
                format!(
                    "DISCOVERY_DEADLINE_SECONDS ({} s) with the existence check ({} s), QUERY_DEADLINE_SECONDS ({} s) and a call to start the queries ({} s) take {} s, more than the {} s a QueryLogs task may take",
                    settings.deadline.as_secs(),
                    VERIFY_ALLOWANCE.as_secs(),
                    query.as_secs(),
                    crate::sdk::STORE_CALL_TIMEOUT.as_secs(),
                    worst.as_secs(),
                    budget.as_secs()
                ),
            ));
        }
        Ok(settings)
    }

    /// A comma-separated list of at most `max` entries.
    #[cfg(feature = "logs")]
    fn bounded_list(&self, name: &str, max: usize, why: &str) -> Result<Vec<String>> {
        let list = self.list(name);
        if list.len() > max {
            return Err(Error::new(
                names::CONFIG,
                format!(
                    "the environment variable {name} holds {} entries, at most {max} are allowed: {why}",
                    list.len()
                ),
            ));
        }
        Ok(list)
    }

    /// The model whose analyses the cache keeps (`BEDROCK_MODEL_ID`, and
    /// the prompt's version): what CheckCache and RecordOutcome key the
    /// cache by, without a Bedrock client.
    pub fn analyzer_id(&self) -> Result<AnalyzerId> {
        Ok(AnalyzerId {
            name: self.required("BEDROCK_MODEL_ID")?,
            version: responder_core::analysis::prompt::PROMPT_VERSION.to_owned(),
        })
    }

    #[cfg(feature = "bedrock")]
    pub fn bedrock(&self) -> Result<BedrockSettings> {
        Ok(BedrockSettings {
            model_id: self.required("BEDROCK_MODEL_ID")?,
            max_tokens: self.parsed("BEDROCK_MAX_TOKENS", 2000)?,
            token_budget: self.parsed("TOKEN_BUDGET", 10_000)?,
            prices: Prices {
                input_per_1k: self.parsed("BEDROCK_PRICE_INPUT_PER_1K", 0.003)?,
                output_per_1k: self.parsed("BEDROCK_PRICE_OUTPUT_PER_1K", 0.015)?,
            },
            timeout: Duration::from_secs(self.parsed("BEDROCK_TIMEOUT_SECONDS", 90)?),
        })
    }

    /// `EMAIL_FROM` and `EMAIL_TO`, when both are set.
    pub fn email(&self) -> Option<(String, Vec<String>)> {
        let from = self.optional("EMAIL_FROM")?.to_owned();
        let to: Vec<String> = self
            .optional("EMAIL_TO")?
            .split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect();
        (!to.is_empty()).then_some((from, to))
    }
}

#[cfg(all(test, feature = "logs"))]
mod tests {
    use super::*;

    #[test]
    fn discovery_reads_its_lists_and_bounds() {
        let env = Env::from_pairs([
            ("LOG_GROUP_PREFIXES", "/platform/, /shared/"),
            ("EC2_LOG_GROUP_PATTERNS", "/ec2/{instance_id}/messages"),
            ("LOG_GROUP_PATTERNS", "/aws/lambda/*,/platform/*"),
            ("DISCOVERY_MAX_CALLS", "12"),
        ]);
        let settings = env.discovery().unwrap();
        assert_eq!(settings.prefixes, ["/platform/", "/shared/"]);
        assert_eq!(settings.readable, ["/aws/lambda/*", "/platform/*"]);
        assert_eq!(settings.max_calls, 12);
        assert_eq!(settings.deadline, Duration::from_secs(8));
    }

    #[test]
    fn more_than_five_prefixes_is_a_configuration_error_naming_the_variable() {
        let env = Env::from_pairs([("LOG_GROUP_PREFIXES", "/a/,/b/,/c/,/d/,/e/,/f/")]);
        let error = env.discovery().unwrap_err();
        assert_eq!(error.name(), names::CONFIG);
        assert!(
            error
                .message()
                .contains("LOG_GROUP_PREFIXES holds 6 entries, at most 5"),
            "{error}"
        );
    }

    #[test]
    fn a_discovery_deadline_that_leaves_no_time_for_the_queries_is_refused() {
        let env = Env::from_pairs([
            ("DISCOVERY_DEADLINE_SECONDS", "30"),
            ("QUERY_DEADLINE_SECONDS", "20"),
        ]);
        let error = env.discovery().unwrap_err();
        assert_eq!(error.name(), names::CONFIG);
        assert!(
            error
                .message()
                .contains("take 59 s, more than the 55 s a QueryLogs task may take"),
            "{error}"
        );
    }
}
