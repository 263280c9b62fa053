//! The tool catalogue: names, descriptions, annotations and input schemas.

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::args;

/// One tool as clients see it.
#[derive(Debug, Clone, Serialize)]
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// Reads only: safe to call at any time.
    pub read_only: bool,
    /// Changes what people are told or what the workflow does next.
    pub destructive: bool,
    /// Calling it twice with the same arguments has the effect of once.
    pub idempotent: bool,
    pub input_schema: Value,
}

fn schema<T: JsonSchema>() -> Value {
    let mut value = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    // The schema's `$schema` and `title` repeat what the tool says.
    if let Some(object) = value.as_object_mut() {
        object.remove("$schema");
        object.remove("title");
    }
    plain_types(&mut value);
    value
}

/// `"type": ["integer", "null"]` (schemars' `Option<u32>`) as `"type":
/// "integer"`: `required` already says what is optional, and clients that
/// coerce command-line values by the declared type (the MCP Inspector)
/// only recognise a plain type. A `null` sent anyway still reads as absent.
fn plain_types(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    object.insert("type".to_owned(), only);
                }
            }
            object.values_mut().for_each(plain_types);
        }
        Value::Array(items) => items.iter_mut().for_each(plain_types),
        _ => {}
    }
}

fn read(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    input_schema: Value,
) -> ToolSpec {
    ToolSpec {
        name,
        title,
        description,
        read_only: true,
        destructive: false,
        idempotent: true,
        input_schema,
    }
}

fn write(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    destructive: bool,
    input_schema: Value,
) -> ToolSpec {
    ToolSpec {
        name,
        title,
        description,
        read_only: false,
        destructive,
        idempotent: true,
        input_schema,
    }
}

/// Every tool, read-only tools first.
pub fn catalogue() -> &'static [ToolSpec] {
    static CATALOGUE: OnceLock<Vec<ToolSpec>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        vec![
            read(
                "list_incidents",
                "List incidents",
                "Incidents, most recent first, filtered by status, severity, service and age.",
                schema::<args::ListIncidents>(),
            ),
            read(
                "get_incident",
                "Get an incident",
                "One incident with its alert, the context gathered (history, logs), the analysis with its evidence, the approval, the deliveries and the workflow execution ids.",
                schema::<args::IncidentId>(),
            ),
            read(
                "list_pending_approvals",
                "List pending approvals",
                "Incidents whose analysis waits for a human decision before anyone is notified.",
                schema::<args::NoArguments>(),
            ),
            read(
                "get_execution",
                "Get a workflow execution",
                "A workflow execution as the Step Functions console shows it: status, current state and history events.",
                schema::<args::GetExecution>(),
            ),
            read(
                "query_history",
                "Query the incident archive",
                "Runs one read-only SELECT over the incident archive (table incident_history). At most 100 rows.",
                schema::<args::QueryHistory>(),
            ),
            read(
                "incident_trends",
                "Incident trends",
                "Incident counts grouped by service, severity, signature or day over the last N days.",
                schema::<args::IncidentTrends>(),
            ),
            read(
                "search_logs",
                "Search logs",
                "Log lines containing a text, in a bounded window of time, from the configured log groups.",
                schema::<args::SearchLogs>(),
            ),
            read(
                "suggest_remediation",
                "Suggest remediation",
                "Prioritized remediation steps for an incident, each with its risk and whether it needs approval, and the checks to make first.",
                schema::<args::IncidentId>(),
            ),
            read(
                "analyze_alert",
                "Analyze an alert",
                "Ad hoc root-cause analysis of a pasted alert payload or text, through the analysis cache. Records nothing.",
                schema::<args::AnalyzeAlert>(),
            ),
            read(
                "analyze_incidents",
                "Analyze incidents",
                "Answers a question across the analyses of matching incidents, most severe and most recent first, within a token budget; says how many incidents it read and whether it had to cut.",
                schema::<args::AnalyzeIncidents>(),
            ),
            write(
                "approve_incident",
                "Approve an incident",
                "Approves an incident's pending analysis, optionally with edits (severity, channels, summary): the notifications go out.",
                true,
                schema::<args::ApproveIncident>(),
            ),
            write(
                "reject_incident",
                "Reject an incident",
                "Rejects an incident's pending analysis: nobody is notified and the incident is suppressed.",
                true,
                schema::<args::RejectIncident>(),
            ),
            write(
                "resolve_incident",
                "Resolve an incident",
                "Marks an open incident resolved, with what fixed it, for the archive.",
                true,
                schema::<args::ResolveIncident>(),
            ),
            write(
                "start_investigation",
                "Start an investigation",
                "Starts the incident workflow on an alert payload, or on a title, message and severity.",
                false,
                schema::<args::StartInvestigation>(),
            ),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `type` in a schema, wherever it is.
    fn types(value: &Value, found: &mut Vec<Value>) {
        match value {
            Value::Object(object) => {
                if let Some(t) = object.get("type") {
                    found.push(t.clone());
                }
                object.values().for_each(|v| types(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| types(v, found)),
            _ => {}
        }
    }

    #[test]
    fn optional_arguments_declare_a_plain_type() {
        for tool in catalogue() {
            let mut found = Vec::new();
            types(&tool.input_schema, &mut found);
            for t in found {
                assert!(t.is_string(), "{}: type {t}", tool.name);
            }
        }
        let list = catalogue()
            .iter()
            .find(|t| t.name == "list_incidents")
            .map(|t| t.input_schema.clone())
            .unwrap_or_default();
        assert_eq!(list["properties"]["limit"]["type"], "integer");
        assert_eq!(list["required"], Value::Null);
    }
}
