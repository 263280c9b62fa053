//! An OpenAI-compatible chat-completions analyzer (Ollama, vLLM, llama.cpp
//! server, LM Studio): the prompt of `responder_core::analysis::prompt`,
//! JSON-schema output, and the answer checked before it is used.
//!
//! The built-in client speaks plain HTTP/1.1, which is what these servers
//! serve on a machine or a private network. An `https://` endpoint is
//! refused with a clear error (put a local proxy in front of it).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

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
            timeout_seconds: 60,
            token_budget: 6000,
        }
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
pub fn analyze(config: &AnalyzerConfig, input: &AnalysisInput) -> Result<Analysis, LocalError> {
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
    let content = chat(config, &body)?;
    ModelAnswer::into_analysis(
        &content,
        &config.model,
        prompt::PROMPT_VERSION,
        prompt.context_cut,
    )
    .map_err(|e| LocalError::named("Analyzer.InvalidOutput", e.0))
}

/// Asks the model a free question (`analyze_incidents`): the answer's text.
pub fn ask(config: &AnalyzerConfig, prompt: &str) -> Result<String, LocalError> {
    let body = json!({
        "model": config.model,
        "temperature": 0,
        "messages": [{"role": "user", "content": prompt}]
    });
    chat(config, &body)
}

/// One chat completion: the first choice's content, or an error named for
/// what a retry can fix.
fn chat(config: &AnalyzerConfig, body: &Value) -> Result<String, LocalError> {
    #[allow(clippy::disallowed_methods)] // The key is read where it is used, never stored.
    let key = config
        .api_key_env
        .as_deref()
        .and_then(|name| std::env::var(name).ok());
    let url = format!("{}/chat/completions", config.endpoint.trim_end_matches('/'));
    let (status, response) = post_json(
        &url,
        &body.to_string(),
        key.as_deref(),
        Duration::from_secs(config.timeout_seconds),
    )?;
    match status {
        200..=299 => {}
        429 => {
            return Err(LocalError::named(
                "Analyzer.Throttled",
                format!("{url} answered 429"),
            ));
        }
        500..=599 => {
            return Err(LocalError::named(
                "Analyzer.Unavailable",
                format!("{url} answered {status}"),
            ));
        }
        _ => {
            return Err(LocalError::named(
                "Analyzer.Rejected",
                format!("{url} answered {status}: {}", excerpt(&response)),
            ));
        }
    }
    let reply: Value = serde_json::from_str(&response).map_err(|e| {
        LocalError::named(
            "Analyzer.InvalidOutput",
            format!("the response is not JSON: {e}"),
        )
    })?;
    reply
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            LocalError::named(
                "Analyzer.InvalidOutput",
                "the response has no choices[0].message.content",
            )
        })
}

/// A short, printable piece of a response for an error message.
fn excerpt(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// POSTs JSON over HTTP/1.1; returns the status and the body.
pub fn post_json(
    url: &str,
    body: &str,
    bearer: Option<&str>,
    timeout: Duration,
) -> Result<(u16, String), LocalError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        LocalError::named(
            "Analyzer.Config",
            format!("'{url}' is not an http:// URL; the built-in client speaks plain HTTP (put a local proxy in front of an https endpoint)"),
        )
    })?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let unavailable = |what: String| LocalError::named("Analyzer.Unavailable", what);
    let socket = address
        .to_socket_addrs()
        .map_err(|e| unavailable(format!("cannot resolve {authority}: {e}")))?
        .next()
        .ok_or_else(|| unavailable(format!("{authority} has no address")))?;
    let mut stream = TcpStream::connect_timeout(&socket, timeout)
        .map_err(|e| unavailable(format!("cannot connect to {authority}: {e}")))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| unavailable(e.to_string()))?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| unavailable(e.to_string()))?;
    let auth = bearer
        .map(|k| format!("Authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{auth}\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| unavailable(format!("cannot send to {authority}: {e}")))?;
    let mut raw = Vec::new();
    stream
        .take(u64::try_from(MAX_RESPONSE_BYTES + 64 * 1024).unwrap_or(u64::MAX))
        .read_to_end(&mut raw)
        .map_err(|e| unavailable(format!("no answer from {authority}: {e}")))?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<(u16, String), LocalError> {
    let invalid = |what: &str| {
        LocalError::named(
            "Analyzer.Unavailable",
            format!("malformed HTTP response: {what}"),
        )
    };
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers"))?;
    let head = String::from_utf8_lossy(raw.get(..split).unwrap_or_default()).into_owned();
    let body = raw.get(split + 4..).unwrap_or_default();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status"))?;
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(body).ok_or_else(|| invalid("bad chunked body"))?
    } else {
        body.to_vec()
    };
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(LocalError::named(
            "Analyzer.InvalidOutput",
            format!("the response is over {MAX_RESPONSE_BYTES} bytes"),
        ));
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(body.get(..line_end)?).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = body.get(line_end + 2..)?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}
