//! An OpenAI-compatible chat-completions analyzer (Ollama, vLLM, llama.cpp
//! server, LM Studio): the prompt of `responder_core::analysis::prompt`,
//! JSON-schema output, and the answer checked before it is used.
//!
//! The client is the senders' HTTPS client (rustls, the system's roots;
//! `http://` for a server on this machine), asynchronous, one attempt per
//! call within `timeout_seconds` (the state machine retries), answers read
//! up to 1 MiB.

use responder_workflow::error::names;
use std::time::Duration;

use responder_notify::https::{Failure, Https};

use responder_core::analysis::{Analysis, AnalysisInput, ModelAnswer, prompt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::LocalError;

/// Responses larger than this are refused.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// `[workflow.analyzer]` in `responder.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyzerConfig {
    /// `rules` (built in, the default) or `openai`.
    pub kind: String,
    /// The API base, e.g. `http://127.0.0.1:11434/v1` (Ollama).
    pub endpoint: String,
    pub model: String,
    /// The environment variable holding the API key, if the server wants one.
    /// The key itself is never in the configuration, logs or errors.
    pub api_key_env: Option<String>,
    /// Read from `api_key_env` when the configuration is loaded.
    #[serde(skip)]
    pub api_key: Option<ApiKey>,
    pub timeout_seconds: u64,
    /// The prompt's token budget; the context is cut to fit.
    pub token_budget: usize,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            kind: "rules".to_owned(),
            endpoint: "http://127.0.0.1:11434/v1".to_owned(),
            model: "llama3.1".to_owned(),
            api_key_env: None,
            api_key: None,
            timeout_seconds: 60,
            token_budget: 10_000,
        }
    }
}

/// The model server's API key: never in debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(pub String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

impl AnalyzerConfig {
    pub fn uses_model(&self) -> bool {
        self.kind == "openai"
    }
}

/// Asks the model; the error names say what a retry can fix:
/// `Analyzer.Unavailable` and `Analyzer.Throttled` (retried, then the rules
/// answer), `Analyzer.Rejected` and `Analyzer.InvalidOutput` (not retried).
pub async fn analyze(
    config: &AnalyzerConfig,
    input: &AnalysisInput,
) -> Result<Analysis, LocalError> {
    let prompt = prompt::build(input, config.token_budget);
    let body = json!({
        "model": config.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user}
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "incident_analysis", "strict": true, "schema": prompt::answer_schema()}
        }
    });
    let content = chat(config, &body).await?;
    ModelAnswer::into_analysis(
        &content,
        &config.model,
        prompt::PROMPT_VERSION,
        prompt.context_cut,
    )
    .map_err(|e| LocalError::named(names::ANALYZER_INVALID_OUTPUT, e.0))
}

/// Asks the model a free question (`analyze_incidents`): the answer's text.
pub async fn ask(config: &AnalyzerConfig, prompt: &str) -> Result<String, LocalError> {
    let body = json!({
        "model": config.model,
        "temperature": 0,
        "messages": [{"role": "user", "content": prompt}]
    });
    chat(config, &body).await
}

/// One chat completion, asynchronous (a slow model holds no thread), over
/// `http://` or `https://`: the first choice's content, or an error named
/// for what a retry can fix.
async fn chat(config: &AnalyzerConfig, body: &Value) -> Result<String, LocalError> {
    let url = format!("{}/chat/completions", config.endpoint.trim_end_matches('/'));
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(LocalError::named(
            names::ANALYZER_CONFIG,
            format!(
                "workflow.analyzer.endpoint '{}' is not an http:// or https:// URL",
                config.endpoint
            ),
        ));
    }
    let mut headers = vec![("accept", "application/json".to_owned())];
    if let Some(key) = &config.api_key {
        headers.push(("authorization", format!("Bearer {}", key.0)));
    }
    let https =
        Https::new(Duration::from_secs(config.timeout_seconds)).with_max_body(MAX_RESPONSE_BYTES);
    let answer = https
        .request(
            "the model server",
            "POST",
            &url,
            &headers,
            Some(body.to_string()),
        )
        .await
        .map_err(|e| match e {
            Failure::Setup(m) => LocalError::named(names::ANALYZER_CONFIG, m),
            Failure::Unreachable(m) => LocalError::named(names::ANALYZER_UNAVAILABLE, m),
        })?;
    match answer.status {
        200..=299 => {}
        429 => {
            return Err(LocalError::named(
                names::ANALYZER_THROTTLED,
                format!("{url} answered 429"),
            ));
        }
        500..=599 => {
            return Err(LocalError::named(
                names::ANALYZER_UNAVAILABLE,
                format!("{url} answered {}", answer.status),
            ));
        }
        status => {
            return Err(LocalError::named(
                names::ANALYZER_REJECTED,
                format!("{url} answered {status}: {}", answer.excerpt()),
            ));
        }
    }
    let reply: Value = serde_json::from_str(&answer.body).map_err(|e| {
        LocalError::named(
            names::ANALYZER_INVALID_OUTPUT,
            format!("the response is not JSON: {e}"),
        )
    })?;
    reply
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            LocalError::named(
                names::ANALYZER_INVALID_OUTPUT,
                "the response has no choices[0].message.content",
            )
        })
}
