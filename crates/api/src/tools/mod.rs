//! The tools, described once and served the same over MCP (`tools/list`,
//! `tools/call`) and REST (`GET /tools`, `POST /tools/{name}`).
//!
//! Each tool has typed arguments (unknown fields refused, limits explicit),
//! a JSON result, and annotations: read-only tools say so; the write tools
//! can be turned off, or allowed one by one, in configuration; every write
//! is recorded in the audit trail with the caller's identity.

mod analyze;
mod args;
mod catalogue;
mod incidents;
mod writes;

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::backend::{AuditEntry, Backend};
use crate::error::{ApiError, names};

pub use analyze::normalize_value as normalize_payload;
pub use catalogue::{ToolSpec, catalogue};

/// Who is calling: the IAM principal (AWS), the credential's name (locally),
/// `slack:<user>` or `email-link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub String);

/// Which write tools may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolPolicy {
    /// The write tools allowed; the read-only tools are always on.
    pub write_tools: Vec<String>,
}

impl Default for ToolPolicy {
    /// Every write tool allowed.
    fn default() -> Self {
        Self {
            write_tools: catalogue()
                .iter()
                .filter(|t| !t.read_only)
                .map(|t| t.name.to_owned())
                .collect(),
        }
    }
}

impl ToolPolicy {
    /// Refuses names that are not write tools, so that a typo in the
    /// configuration is an error and not a silently disabled tool.
    pub fn new(write_tools: Vec<String>) -> Result<Self, ApiError> {
        for name in &write_tools {
            match catalogue().iter().find(|t| t.name == name) {
                Some(t) if !t.read_only => {}
                Some(_) => {
                    return Err(ApiError::invalid(format!(
                        "api.write_tools: '{name}' is a read-only tool; list write tools only"
                    )));
                }
                None => {
                    return Err(ApiError::invalid(format!(
                        "api.write_tools: no tool named '{name}'"
                    )));
                }
            }
        }
        Ok(Self { write_tools })
    }

    pub fn allows(&self, tool: &ToolSpec) -> bool {
        tool.read_only || self.write_tools.iter().any(|w| w == tool.name)
    }
}

/// The tools over a backend.
#[derive(Debug)]
pub struct Tools<B> {
    backend: Arc<B>,
    policy: ToolPolicy,
}

impl<B> Clone for Tools<B> {
    fn clone(&self) -> Self {
        Self {
            backend: Arc::clone(&self.backend),
            policy: self.policy.clone(),
        }
    }
}

impl<B: Backend> Tools<B> {
    pub fn new(backend: Arc<B>, policy: ToolPolicy) -> Self {
        Self { backend, policy }
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The tools this configuration serves, in catalogue order.
    pub fn list(&self) -> Vec<&'static ToolSpec> {
        catalogue()
            .iter()
            .filter(|t| self.policy.allows(t))
            .collect()
    }

    /// Whether the write `tool` is on: every way a write comes in asks this
    /// (`/events` and the webhooks are `start_investigation`; Slack buttons,
    /// e-mail links, the console and the CLI decide through
    /// `approve_incident` and `reject_incident`).
    pub fn permit(&self, tool: &str) -> Result<(), ApiError> {
        match catalogue().iter().find(|t| t.name == tool) {
            Some(spec) if self.policy.allows(spec) => Ok(()),
            Some(_) => Err(ApiError::new(
                names::TOOL_DISABLED,
                format!("tool '{tool}' is turned off by api.write_tools"),
            )),
            None => Err(ApiError::not_found(format!("no tool named '{tool}'"))),
        }
    }

    /// Runs a tool. Writes are audited, whether they succeed or not.
    pub async fn call(
        &self,
        name: &str,
        arguments: Value,
        caller: &Caller,
    ) -> Result<Value, ApiError> {
        let Some(spec) = catalogue().iter().find(|t| t.name == name) else {
            return Err(ApiError::not_found(format!("no tool named '{name}'")));
        };
        self.permit(name)?;
        let arguments = match arguments {
            Value::Null => Value::Object(serde_json::Map::new()),
            other => other,
        };
        if spec.read_only {
            return self.read(name, arguments).await;
        }
        let details = arguments.clone();
        let incident_id = details
            .get("incident_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let result = self.write(name, arguments, caller).await;
        let entry = AuditEntry::of(
            &caller.0,
            name,
            incident_id,
            audit_details(details),
            &result,
        );
        self.backend.audit(&entry).await?;
        result
    }

    async fn read(&self, name: &str, arguments: Value) -> Result<Value, ApiError> {
        let b = &*self.backend;
        match name {
            "list_incidents" => incidents::list(b, parse(arguments)?).await,
            "get_incident" => incidents::get(b, parse(arguments)?).await,
            "list_pending_approvals" => incidents::pending(b, parse(arguments)?).await,
            "get_execution" => incidents::execution(b, parse(arguments)?).await,
            "query_history" => incidents::query(b, parse(arguments)?).await,
            "incident_trends" => incidents::trends(b, parse(arguments)?).await,
            "search_logs" => incidents::search_logs(b, parse(arguments)?).await,
            "suggest_remediation" => analyze::suggest_remediation(b, parse(arguments)?).await,
            "analyze_alert" => analyze::analyze_alert(b, parse(arguments)?).await,
            "analyze_incidents" => analyze::analyze_incidents(b, parse(arguments)?).await,
            other => Err(ApiError::not_found(format!("no tool named '{other}'"))),
        }
    }

    async fn write(
        &self,
        name: &str,
        arguments: Value,
        caller: &Caller,
    ) -> Result<Value, ApiError> {
        let b = &*self.backend;
        match name {
            "approve_incident" => writes::approve(b, parse(arguments)?, caller).await,
            "reject_incident" => writes::reject(b, parse(arguments)?, caller).await,
            "resolve_incident" => writes::resolve(b, parse(arguments)?).await,
            "start_investigation" => writes::start(b, parse(arguments)?).await,
            other => Err(ApiError::not_found(format!("no tool named '{other}'"))),
        }
    }
}

/// Reads a tool's arguments, naming the field that is wrong.
fn parse<T: DeserializeOwned>(arguments: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(arguments).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::invalid(format!("arguments: {inner}"))
        } else {
            ApiError::invalid(format!("arguments.{path}: {inner}"))
        }
    })
}

/// What the audit trail keeps of a write's arguments: the values, with a
/// pasted alert payload cut to its first 2,000 characters.
fn audit_details(mut details: Value) -> Value {
    if let Some(payload) = details.get_mut("payload") {
        let text = payload.to_string();
        if text.chars().count() > 2000 {
            *payload = Value::String(format!(
                "{}… (cut)",
                text.chars().take(2000).collect::<String>()
            ));
        }
    }
    details
}
