//! `responder.toml`: read once at start-up.

use std::path::Path;

use anyhow::Context;
use responder_core::NormalizeOptions;
use serde::Deserialize;

/// The file looked for in the current directory when `--config` is not given.
const DEFAULT_FILE: &str = "responder.toml";

/// Everything configurable. Every section has defaults that need no editing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub normalize: NormalizeOptions,
    #[serde(default)]
    pub workflow: responder_local::WorkflowConfig,
    #[serde(default)]
    pub api: ApiConfig,
}

/// `[api]`: `responder serve` and `responder mcp`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Where `serve` listens; loopback unless you mean otherwise.
    pub addr: String,
    /// The region of the SigV4 credential scope (`--region` of awscurl).
    pub region: String,
    /// Access keys accepted, besides `RESPONDER_ACCESS_KEY_ID` and
    /// `RESPONDER_SECRET_ACCESS_KEY` from the environment.
    pub credentials: Vec<CredentialConfig>,
    /// Browser origins allowed on `/mcp`.
    pub allowed_origins: Vec<String>,
    /// Where people reach `responder serve` (`http://127.0.0.1:8080`): with
    /// `link_secret_env`, approval requests are also e-mailed to the outbox
    /// with signed Approve and Reject links to it.
    pub public_url: Option<String>,
    /// The host names (with port) clients reach this server by, as they sign
    /// them (`responder.example.com`, `127.0.0.1:8080`): a request signed for
    /// any other host is refused. `public_url`'s host is added. Empty: any.
    pub hosts: Vec<String>,
    /// The write tools served; all four if absent, none if empty.
    pub write_tools: Option<Vec<String>>,
    /// Environment variables holding the secrets of the optional routes:
    /// `/webhooks/*` (a bearer token), `/slack/interactions` (Slack's signing
    /// secret), `/approvals/*` (the key of e-mail approval links).
    pub webhook_token_env: Option<String>,
    pub slack_signing_secret_env: Option<String>,
    pub link_secret_env: Option<String>,
    /// `query_history`: the longest a query may run, and the largest result
    /// (the JSON of its rows) it may return.
    pub query_timeout_ms: u64,
    pub query_max_result_bytes: usize,
    /// The most connections open at once (one more is closed at once), and
    /// how long a client may take to send a request's headers.
    pub max_connections: usize,
    pub header_read_timeout_ms: u64,
    /// Who may press Approve and Reject in Slack (`users`, `groups`, and per
    /// `severity`); nobody if empty.
    pub slack_approvers: responder_api::slack::SlackApprovers,
    /// Replies to Slack presses go only to `response_url`s under this prefix.
    pub slack_response_url_prefix: String,
    /// Resolved at load time from the variables above; never in the file.
    #[serde(skip)]
    pub secrets: ApiSecrets,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8080".to_owned(),
            region: "us-east-1".to_owned(),
            credentials: Vec::new(),
            allowed_origins: Vec::new(),
            public_url: None,
            hosts: Vec::new(),
            write_tools: None,
            webhook_token_env: None,
            slack_signing_secret_env: None,
            link_secret_env: None,
            query_timeout_ms: 5_000,
            query_max_result_bytes: 1024 * 1024,
            max_connections: 256,
            header_read_timeout_ms: 10_000,
            slack_approvers: responder_api::slack::SlackApprovers::default(),
            slack_response_url_prefix: "https://hooks.slack.com/".to_owned(),
            secrets: ApiSecrets::default(),
        }
    }
}

impl ApiConfig {
    /// The host names SigV4 requests must be signed for: `hosts`, and
    /// `public_url`'s host (with its port, if it has one).
    pub fn signed_hosts(&self) -> Vec<String> {
        let mut hosts = self.hosts.clone();
        if let Some(authority) = self
            .public_url
            .as_deref()
            .and_then(|url| url.split_once("://"))
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
            .filter(|a| !a.is_empty())
        {
            hosts.push(authority.to_owned());
        }
        hosts
    }

    /// The HTTP server's limits.
    pub fn server_limits(&self) -> responder_api::http::ServerLimits {
        responder_api::http::ServerLimits {
            max_connections: self.max_connections.max(1),
            header_read_timeout: std::time::Duration::from_millis(self.header_read_timeout_ms),
        }
    }

    /// `query_history`'s limits.
    pub fn query_limits(&self) -> responder_local::archive::QueryLimits {
        responder_local::archive::QueryLimits {
            timeout: std::time::Duration::from_millis(self.query_timeout_ms),
            max_result_bytes: self.query_max_result_bytes,
            ..Default::default()
        }
    }
}

/// One accepted access key. The secret is read from the environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// Who this key is, in the audit trail.
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key_env: String,
    pub session_token_env: Option<String>,
}

/// The API's secrets, read once from the environment.
#[derive(Clone, Default)]
pub struct ApiSecrets {
    /// access key id → credential.
    pub credentials: std::collections::HashMap<String, responder_api::sigv4::Credential>,
    pub webhook_token: Option<String>,
    pub slack_signing_secret: Option<String>,
    pub link_secret: Option<Vec<u8>>,
    /// `RESPONDER_CONSOLE_TOKEN`: the console's token (else `serve` makes
    /// one at random on every start).
    pub console_token: Option<String>,
}

impl std::fmt::Debug for ApiSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSecrets")
            .field("access_keys", &self.credentials.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads `path`, or `responder.toml` if present, or the defaults.
    /// Relative paths in a file are relative to the file's folder, wherever
    /// the command runs (a desktop MCP client starts `responder mcp` in a
    /// folder of its own); without a file, to the current directory.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let (path, required) = match path {
            Some(path) => (path, true),
            None => (Path::new(DEFAULT_FILE), false),
        };
        let mut config: Self = match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut config: Self = toml::from_str(&text)
                    .with_context(|| format!("{} is not valid", path.display()))?;
                config.resolve_paths(&folder_of(path)?);
                config
            }
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        config.apply_environment(|name| {
            #[allow(clippy::disallowed_methods)]
            // The one place settings are read from the environment.
            std::env::var(name).ok()
        })?;
        Ok(config)
    }

    /// Every path setting made absolute against `folder` (the file's):
    /// `logs_dir`, `changes_file`, `history_seed`, `email.ca_file`.
    fn resolve_paths(&mut self, folder: &Path) {
        let workflow = &mut self.workflow;
        let resolve = |path: &mut std::path::PathBuf| {
            if path.is_relative() {
                *path = folder.join(&*path);
            }
        };
        resolve(&mut workflow.logs_dir);
        for path in [
            workflow.changes_file.as_mut(),
            workflow.history_seed.as_mut(),
            workflow.email.ca_file.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            resolve(path);
        }
    }

    /// Environment variables override the file (`RESPONDER_` + the setting):
    /// `RESPONDER_LOGS_DIR`, `RESPONDER_TIMEOUT_POLICY`, `RESPONDER_PUBLIC_URL`,
    /// `RESPONDER_ANALYZER` (kind), `RESPONDER_ANALYZER_ENDPOINT`,
    /// `RESPONDER_ANALYZER_MODEL`.
    fn apply_environment(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let workflow = &mut self.workflow;
        if let Some(dir) = var("RESPONDER_LOGS_DIR") {
            workflow.logs_dir = dir.into();
        }
        if let Some(policy) = var("RESPONDER_TIMEOUT_POLICY") {
            workflow.timeout_policy = policy;
        }
        if let Some(kind) = var("RESPONDER_ANALYZER") {
            workflow.analyzer.kind = kind;
        }
        if let Some(endpoint) = var("RESPONDER_ANALYZER_ENDPOINT") {
            workflow.analyzer.endpoint = endpoint;
        }
        if let Some(model) = var("RESPONDER_ANALYZER_MODEL") {
            workflow.analyzer.model = model;
        }
        if let Some(url) = var("RESPONDER_PUBLIC_URL") {
            self.api.public_url = Some(url);
        }
        self.api.secrets = api_secrets(&self.api, &var)?;
        if let (Some(base_url), Some(key)) = (&self.api.public_url, &self.api.secrets.link_secret) {
            // Links live as long as the longest approval wait.
            let valid_seconds = self
                .workflow
                .approval_timeout_seconds
                .values()
                .max()
                .map_or(86_400, |s| i64::try_from(*s).unwrap_or(86_400));
            self.workflow.approval_links = Some(responder_local::config::ApprovalLinks {
                base_url: base_url.clone(),
                key: key.clone(),
                valid_seconds,
            });
        }
        self.workflow.slack_target = slack_target(&self.workflow.slack, &var)?;
        let bot = matches!(
            self.workflow.slack_target,
            Some(responder_notify::slack::SlackTarget::Bot { .. })
        );
        if self.api.slack_approvers.uses_groups() && !bot {
            anyhow::bail!(
                "api.slack_approvers names user groups: they are read with the bot token of [workflow.slack] (bot_token_env), which is not set"
            );
        }
        self.workflow.jira_target = jira_target(&self.workflow.jira, &var)?;
        if let Some(name) = &self.workflow.analyzer.api_key_env {
            let key = var(name)
                .filter(|v| !v.is_empty())
                .with_context(|| format!("workflow.analyzer: the variable {name} is not set"))?;
            self.workflow.analyzer.api_key = Some(responder_local::openai::ApiKey(key));
        }
        let email = &mut self.workflow.email;
        if let Some(name) = &email.password_env {
            let password = var(name)
                .with_context(|| format!("workflow.email: the variable {name} is not set"))?;
            email.password = Some(responder_local::smtp::Password(password));
        }
        if email.password.is_some() && email.username.is_none() {
            anyhow::bail!("workflow.email: password_env needs a username");
        }
        let workflow = &mut self.workflow;
        workflow.check_budgets().map_err(anyhow::Error::msg)?;
        workflow
            .policy()
            .check_context()
            .map_err(|e| anyhow::anyhow!("workflow.{e}"))?;
        if !matches!(workflow.timeout_policy.as_str(), "deliver" | "suppress") {
            anyhow::bail!(
                "workflow.timeout_policy is '{}'; expected deliver or suppress",
                workflow.timeout_policy
            );
        }
        if !matches!(workflow.analyzer.kind.as_str(), "rules" | "openai") {
            anyhow::bail!(
                "workflow.analyzer.kind is '{}'; expected rules or openai",
                workflow.analyzer.kind
            );
        }
        Ok(())
    }
}

/// The folder holding the configuration file `path`, absolute.
fn folder_of(path: &Path) -> anyhow::Result<std::path::PathBuf> {
    let folder = path.parent().unwrap_or(Path::new(""));
    if folder.is_absolute() {
        return Ok(folder.to_owned());
    }
    let current = std::env::current_dir().context("cannot read the current directory")?;
    Ok(current.join(folder))
}

/// Where Slack messages go, from `[workflow.slack]` and its variables: a
/// bot token with a channel, or an incoming webhook; none without either.
fn slack_target(
    slack: &responder_notify::slack::SlackConfig,
    var: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<responder_notify::slack::SlackTarget>> {
    use responder_notify::slack::SlackTarget;
    let read = |name: &str| {
        var(name)
            .filter(|v| !v.is_empty())
            .with_context(|| format!("workflow.slack: the variable {name} is not set"))
    };
    match (&slack.bot_token_env, &slack.webhook_url_env) {
        (Some(_), Some(_)) => {
            anyhow::bail!("workflow.slack: set bot_token_env or webhook_url_env, not both")
        }
        (Some(token_env), None) => {
            let channel = slack.channel.clone().context(
                "workflow.slack: bot_token_env needs a channel (an id such as C0123456789)",
            )?;
            Ok(Some(SlackTarget::Bot {
                api_base: slack.api_base.clone(),
                token: read(token_env)?,
                channel,
            }))
        }
        (None, Some(url_env)) => Ok(Some(SlackTarget::Webhook {
            url: read(url_env)?,
        })),
        (None, None) => Ok(None),
    }
}

/// Where Jira issues go: `[workflow.jira]` with its token's variable; none
/// without a site.
fn jira_target(
    jira: &responder_notify::jira::JiraConfig,
    var: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<responder_notify::jira::JiraTarget>> {
    let Some(base_url) = &jira.base_url else {
        return Ok(None);
    };
    let token_env = jira.api_token_env.as_deref().context(
        "workflow.jira: base_url needs api_token_env (the variable holding an API token)",
    )?;
    if jira.email.is_empty() {
        anyhow::bail!("workflow.jira: base_url needs email (the account the token belongs to)");
    }
    let token = var(token_env)
        .filter(|v| !v.is_empty())
        .with_context(|| format!("workflow.jira: the variable {token_env} is not set"))?;
    Ok(Some(responder_notify::jira::JiraTarget {
        base_url: base_url.clone(),
        email: jira.email.clone(),
        token,
        project: jira.project.clone(),
        issue_type: jira.issue_type.clone(),
    }))
}

/// Reads the API's secrets: `RESPONDER_ACCESS_KEY_ID`,
/// `RESPONDER_SECRET_ACCESS_KEY` and `RESPONDER_SESSION_TOKEN` (a credential
/// named `local`), then each `[[api.credentials]]` entry's variables, and
/// the link key (`link_secret_env`, else `RESPONDER_LINK_SECRET`).
fn api_secrets(
    api: &ApiConfig,
    var: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<ApiSecrets> {
    use responder_api::sigv4::Credential;
    let mut secrets = ApiSecrets {
        console_token: var("RESPONDER_CONSOLE_TOKEN").filter(|t| !t.is_empty()),
        ..ApiSecrets::default()
    };
    match (
        var("RESPONDER_ACCESS_KEY_ID"),
        var("RESPONDER_SECRET_ACCESS_KEY"),
    ) {
        (Some(key), Some(secret)) => {
            secrets.credentials.insert(
                key,
                Credential {
                    name: "local".to_owned(),
                    secret_access_key: secret,
                    session_token: var("RESPONDER_SESSION_TOKEN"),
                },
            );
        }
        (None, None) => {}
        _ => anyhow::bail!(
            "set both RESPONDER_ACCESS_KEY_ID and RESPONDER_SECRET_ACCESS_KEY, or neither"
        ),
    }
    for entry in &api.credentials {
        let secret = var(&entry.secret_access_key_env).with_context(|| {
            format!(
                "api.credentials '{}': the variable {} is not set",
                entry.name, entry.secret_access_key_env
            )
        })?;
        let session_token = match &entry.session_token_env {
            Some(name) => Some(var(name).with_context(|| {
                format!(
                    "api.credentials '{}': the variable {name} is not set",
                    entry.name
                )
            })?),
            None => None,
        };
        secrets.credentials.insert(
            entry.access_key_id.clone(),
            Credential {
                name: entry.name.clone(),
                secret_access_key: secret,
                session_token,
            },
        );
    }
    let secret = |setting: &str, name: &Option<String>| -> anyhow::Result<Option<String>> {
        match name {
            Some(name) => var(name)
                .filter(|v| !v.is_empty())
                .map(Some)
                .with_context(|| format!("api.{setting}: the variable {name} is not set")),
            None => Ok(None),
        }
    };
    secrets.webhook_token = secret("webhook_token_env", &api.webhook_token_env)?;
    secrets.slack_signing_secret =
        secret("slack_signing_secret_env", &api.slack_signing_secret_env)?;
    secrets.link_secret = secret("link_secret_env", &api.link_secret_env)?
        .or_else(|| var("RESPONDER_LINK_SECRET").filter(|v| !v.is_empty()))
        .map(String::into_bytes);
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_responder_toml_parses() {
        let shipped = include_str!("../../../responder.toml");
        let config: Config = toml::from_str(shipped).unwrap();
        assert!(
            config
                .normalize
                .severity_rules
                .iter()
                .all(|r| !r.name.is_empty())
        );
    }

    #[test]
    fn the_environment_overrides_the_file_and_is_checked() {
        let mut config = Config::default();
        let env = |name: &str| match name {
            "RESPONDER_ANALYZER" => Some("openai".to_owned()),
            "RESPONDER_ANALYZER_MODEL" => Some("qwen2.5".to_owned()),
            "RESPONDER_LOGS_DIR" => Some("/var/log/demo".to_owned()),
            _ => None,
        };
        config.apply_environment(env).unwrap();
        assert_eq!(config.workflow.analyzer.kind, "openai");
        assert_eq!(config.workflow.analyzer.model, "qwen2.5");
        assert_eq!(
            config.workflow.logs_dir,
            std::path::PathBuf::from("/var/log/demo")
        );
        let bad = |name: &str| (name == "RESPONDER_TIMEOUT_POLICY").then(|| "ignore".to_owned());
        let error = Config::default().apply_environment(bad).unwrap_err();
        assert!(error.to_string().contains("timeout_policy is 'ignore'"));
    }

    #[test]
    fn a_public_url_and_a_link_secret_turn_approval_emails_on() {
        let mut config: Config = toml::from_str(
            "[api]\npublic_url = \"http://127.0.0.1:8080\"\nlink_secret_env = \"LINK_KEY\"\n",
        )
        .unwrap();
        let env = |name: &str| (name == "LINK_KEY").then(|| "k3y".to_owned());
        config.apply_environment(env).unwrap();
        let links = config.workflow.approval_links.as_ref().unwrap();
        assert_eq!(links.base_url, "http://127.0.0.1:8080");
        assert_eq!(links.key, b"k3y");
        assert!(
            !format!("{config:?}").contains("k3y"),
            "the key stays out of debug output"
        );
        let mut unset: Config = toml::from_str("[api]\nlink_secret_env = \"LINK_KEY\"\n").unwrap();
        let error = unset.apply_environment(|_: &str| None).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the variable LINK_KEY is not set"),
            "{error}"
        );
    }

    #[test]
    fn slack_needs_its_token_and_channel_and_keeps_the_token_out_of_debug_output() {
        let mut config: Config = toml::from_str(
            "[workflow.slack]\nbot_token_env = \"SLACK_BOT_TOKEN\"\nchannel = \"C0123456789\"\n",
        )
        .unwrap();
        let env = |name: &str| (name == "SLACK_BOT_TOKEN").then(|| "xoxb-secret".to_owned());
        config.apply_environment(env).unwrap();
        assert!(config.workflow.slack_target.is_some());
        assert!(!format!("{config:?}").contains("xoxb-secret"));
        let mut no_channel: Config =
            toml::from_str("[workflow.slack]\nbot_token_env = \"SLACK_BOT_TOKEN\"\n").unwrap();
        let error = no_channel.apply_environment(env).unwrap_err();
        assert!(error.to_string().contains("needs a channel"), "{error}");
    }

    #[test]
    fn a_timeout_that_outlasts_its_task_is_refused_by_name() {
        let mut config: Config =
            toml::from_str("[workflow.slack]\ntimeout_seconds = 20\n").unwrap();
        let error = config.apply_environment(|_: &str| None).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("workflow.slack.timeout_seconds: 2 call(s) of up to 20 s"),
            "{error}"
        );
    }

    #[test]
    fn relative_paths_in_a_file_are_relative_to_its_folder() {
        let mut config: Config = toml::from_str(
            "[workflow]\nlogs_dir = \"events/demo/logs\"\nhistory_seed = \"../seed.jsonl\"\nchanges_file = \"/var/changes.jsonl\"\n[workflow.email]\nca_file = \"ca.pem\"\n",
        )
        .unwrap();
        config.resolve_paths(Path::new("/etc/responder"));
        let workflow = &config.workflow;
        assert_eq!(
            workflow.logs_dir,
            Path::new("/etc/responder/events/demo/logs")
        );
        assert_eq!(
            workflow.history_seed.as_deref(),
            Some(Path::new("/etc/responder/../seed.jsonl"))
        );
        // Absolute paths stay as they are.
        assert_eq!(
            workflow.changes_file.as_deref(),
            Some(Path::new("/var/changes.jsonl"))
        );
        assert_eq!(
            workflow.email.ca_file.as_deref(),
            Some(Path::new("/etc/responder/ca.pem"))
        );
    }

    #[test]
    fn a_relative_file_name_is_read_from_the_current_directory() {
        let folder = folder_of(Path::new("responder.toml")).unwrap();
        assert_eq!(folder, std::env::current_dir().unwrap());
        let nested = folder_of(Path::new("conf/responder.toml")).unwrap();
        assert_eq!(nested, std::env::current_dir().unwrap().join("conf"));
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let error = toml::from_str::<Config>("[normalize]\nseverity_rule = []\n").unwrap_err();
        assert!(error.to_string().contains("severity_rule"));
    }
}
