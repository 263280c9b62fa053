//! Jira Cloud over HTTPS (`[workflow.jira]`, REST v3). Idempotent without
//! any state of its own: the issue carries the label `incident-<id>`, and
//! every delivery first searches for it. An incident message creates the
//! issue only if none has the label; a recovery adds a comment to that
//! issue. Basic authentication with an account's e-mail and API token; the
//! token is never in an error or a log.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use responder_core::json::set;
use responder_workflow::error::names;
use responder_workflow::render::{self, Message, MessageKind};
use responder_workflow::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::https::{Https, refusal};
use responder_workflow::ports::{BoxFuture, ChannelSender, Found};

/// `[workflow.jira]` in `responder.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JiraConfig {
    /// `https://your-team.atlassian.net`; unset: Jira issues go to the
    /// outbox only.
    pub base_url: Option<String>,
    /// The account the API token belongs to.
    pub email: String,
    /// The environment variable holding the API token.
    pub api_token_env: Option<String>,
    pub project: String,
    pub issue_type: String,
    pub timeout_seconds: u64,
}

impl Default for JiraConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            email: String::new(),
            api_token_env: None,
            project: "OPS".to_owned(),
            issue_type: "Task".to_owned(),
            timeout_seconds: 8,
        }
    }
}

/// Where issues go, with the token read from the environment once.
#[derive(Clone, PartialEq)]
pub struct JiraTarget {
    pub base_url: String,
    pub email: String,
    pub token: String,
    pub project: String,
    pub issue_type: String,
}

/// The token stays out of debug output.
impl std::fmt::Debug for JiraTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraTarget")
            .field("base_url", &self.base_url)
            .field("email", &self.email)
            .field("project", &self.project)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct JiraSender {
    target: JiraTarget,
    https: Https,
}

impl ChannelSender for JiraSender {
    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<String>> {
        Box::pin(self.deliver(message))
    }

    fn find<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Found>> {
        Box::pin(JiraSender::find(self, message))
    }
}

impl JiraSender {
    pub fn new(target: JiraTarget, timeout: Duration) -> Self {
        Self {
            target,
            https: Https::new(timeout),
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        let credentials = STANDARD.encode(format!("{}:{}", self.target.email, self.target.token));
        vec![
            ("authorization", format!("Basic {credentials}")),
            ("accept", "application/json".to_owned()),
        ]
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target.base_url.trim_end_matches('/'))
    }

    /// Delivers one message: creates the incident's issue once, or comments
    /// on it for a recovery. Returns `jira:<KEY>`.
    pub async fn deliver(&self, message: &Message) -> Result<String> {
        if message.kind.is_reply() {
            return Ok("jira:none (only Slack replies to repeats and suppressions)".to_owned());
        }
        let existing = self.find_issue(message.incident_id()).await?;
        match (message.kind, existing) {
            (MessageKind::Recovery, Some(key)) => self.comment(&key, message).await,
            (MessageKind::Recovery, None) => {
                Ok("jira:none (no issue was opened for this incident)".to_owned())
            }
            (_, Some(key)) => Ok(format!("jira:{key}")),
            (_, None) => self.create(message).await,
        }
    }

    /// The key of the issue labelled for this incident, if there is one.
    async fn find_issue(&self, incident_id: &str) -> Result<Option<String>> {
        let label = render::jira_label(incident_id);
        let jql = format!("labels = \"{label}\"");
        let url = self.url(&format!(
            "/rest/api/3/search/jql?jql={}&fields=key&maxResults=1",
            crate::encode(&jql)
        ));
        let answer = self
            .https
            .send("Jira", "GET", &url, &self.headers(), None)
            .await?;
        if answer.status != 200 {
            return Err(refusal("Jira", &answer));
        }
        let found: Value = serde_json::from_str(&answer.body).map_err(|_| {
            Error::new(
                names::DELIVERY_FAILED,
                format!("Jira's search answer is not JSON: {}", answer.excerpt()),
            )
        })?;
        Ok(found
            .pointer("/issues/0/key")
            .and_then(Value::as_str)
            .map(str::to_owned))
    }

    async fn create(&self, message: &Message) -> Result<String> {
        let mut body = render::jira(message);
        // The alarm's `jira-project` tag, else the configured project.
        let project = render::jira_project(message).unwrap_or_else(|| self.target.project.clone());
        if let Some(fields) = body.get_mut("fields") {
            set(fields, "project", json!({"key": project}));
            set(fields, "issuetype", json!({"name": self.target.issue_type}));
        }
        let answer = self
            .https
            .send(
                "Jira",
                "POST",
                &self.url("/rest/api/3/issue"),
                &self.headers(),
                Some(body.to_string()),
            )
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(refusal("Jira", &answer));
        }
        let created: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        let key = created.get("key").and_then(Value::as_str).unwrap_or("?");
        Ok(format!("jira:{key}"))
    }

    /// Whether `message` is already in Jira: the incident's issue (found by
    /// its label) for an incident message, a comment carrying our property
    /// for a recovery. Returns `jira:<KEY>`, as [`deliver`](Self::deliver).
    pub async fn find(&self, message: &Message) -> Result<Found> {
        let Some(key) = self.find_issue(message.incident_id()).await? else {
            return Ok(Found::NotThere);
        };
        if message.kind != MessageKind::Recovery {
            return Ok(Found::At(format!("jira:{key}")));
        }
        let url = self.url(&format!(
            "/rest/api/3/issue/{}/comment?expand=properties&maxResults=100&orderBy=-created",
            crate::encode(&key)
        ));
        let answer = self
            .https
            .send("Jira", "GET", &url, &self.headers(), None)
            .await?;
        if answer.status != 200 {
            return Err(refusal("Jira", &answer));
        }
        let listed: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        let ours = comment_property(message);
        let list = |value: &Value, key: &str| {
            value
                .get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let there = list(&listed, "comments")
            .iter()
            .flat_map(|c| list(c, "properties"))
            .any(|p| {
                p.get("key").and_then(Value::as_str) == Some(COMMENT_PROPERTY)
                    && p.get("value") == ours.get("value")
            });
        Ok(if there {
            Found::At(format!("jira:{key}"))
        } else {
            Found::NotThere
        })
    }

    async fn comment(&self, key: &str, message: &Message) -> Result<String> {
        // The property lets a later attempt find this comment again.
        let body = json!({
            "body": render::jira_comment(message),
            "properties": [comment_property(message)],
        });
        let url = self.url(&format!("/rest/api/3/issue/{}/comment", crate::encode(key)));
        let answer = self
            .https
            .send(
                "Jira",
                "POST",
                &url,
                &self.headers(),
                Some(body.to_string()),
            )
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(refusal("Jira", &answer));
        }
        Ok(format!("jira:{key}"))
    }
}

/// The comment property that marks our comments: which incident, which kind.
const COMMENT_PROPERTY: &str = "incident-responder";

fn comment_property(message: &Message) -> Value {
    json!({
        "key": COMMENT_PROPERTY,
        "value": {"incident_id": message.incident_id(), "kind": message.kind},
    })
}
