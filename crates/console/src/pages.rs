//! The pages, rendered on the server from what the tools answer, as maud
//! templates: every value interpolated into them is escaped by maud, and
//! every value that came from an alert, a log line, the model or a person
//! goes through `clean` first (which strips control and bidirectional
//! characters); nothing from them becomes a URL.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use responder_core::json::{at, field};
use serde_json::Value;

use crate::clean;
use crate::graph::{self, StateStatus};

/// What Step Functions Standard charges per state transition (US East,
/// $0.025 per 1,000), for the execution page's estimate.
pub const PRICE_PER_TRANSITION_USD: f64 = 0.000_025;

const STATUSES: [&str; 5] = [
    "OPEN",
    "PENDING_APPROVAL",
    "NOTIFIED",
    "RESOLVED",
    "SUPPRESSED",
];
const SEVERITIES: [&str; 4] = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];
const INCIDENT_COLUMNS: [&str; 7] = [
    "Incident", "Severity", "Status", "Title", "Service", "Opened", "Seen",
];
const HISTORY_COLUMNS: [&str; 6] = [
    "Incident",
    "Opened",
    "Root cause",
    "Resolution",
    "Time to recover",
    "Alike by",
];
/// The legend of the execution page, in the order a reader meets them.
const LEGEND: [StateStatus; 5] = [
    StateStatus::Succeeded,
    StateStatus::Running,
    StateStatus::Caught,
    StateStatus::Failed,
    StateStatus::NotRun,
];

/// The page around `body`, with the navigation.
pub fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (clean(title)) " · incident-responder" }
                link rel="stylesheet" href="/console/assets/console.css";
            }
            body {
                header {
                    a class="brand" href="/console/incidents" { "incident-responder" }
                    nav {
                        a href="/console/incidents" { "Incidents" }
                        a href="/console/executions" { "Executions" }
                    }
                }
                main { (body) }
                script src="/console/assets/console.js" {}
            }
        }
    }
}

/// `value[key]` as cleaned text: every string in a tool's answer may have
/// come from an alert, a log line, the model or a person.
fn text(value: &Value, key: &str) -> String {
    text_or(value, key, "")
}

/// `value[key]` as cleaned text, or `default` when it is not a string.
fn text_or(value: &Value, key: &str, default: &str) -> String {
    clean(value[key].as_str().unwrap_or(default))
}

/// The items of an array, none for anything else.
fn items(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}

fn badge(kind: &str, value: &str) -> Markup {
    let value = clean(value);
    html! {
        span class={ "badge " (kind) "-" (value.to_ascii_lowercase()) } { (value) }
    }
}

/// The filters of the incidents list, as the query string gave them.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Filters {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub service: Option<String>,
}

/// A filter: `choices` are ours; `current` only selects one of them.
fn select(name: &str, current: Option<&str>, choices: &[&str]) -> Markup {
    html! {
        label {
            (name) " "
            select name=(name) {
                option value="" { "any" }
                @for choice in choices {
                    option selected[current == Some(*choice)] { (choice) }
                }
            }
        }
    }
}

/// The incidents list (`list_incidents`' answer), with its filters.
pub fn incidents(list: &Value, filters: &Filters) -> Markup {
    let rows = items(&list["incidents"]);
    html! {
        h1 { "Incidents" }
        form class="filters" method="get" {
            (select("status", filters.status.as_deref(), &STATUSES))
            (select("severity", filters.severity.as_deref(), &SEVERITIES))
            label {
                "service "
                input name="service" value=(clean(filters.service.as_deref().unwrap_or("")));
            }
            button { "Filter" }
        }
        @if rows.is_empty() {
            p class="empty" { "No incident matches." }
        } @else {
            table class="incidents" {
                (headings(&INCIDENT_COLUMNS))
                tbody {
                    @for incident in rows { (incident_row(incident)) }
                }
            }
        }
    }
}

fn incident_row(incident: &Value) -> Markup {
    let id = text(incident, "id");
    html! {
        tr {
            td { a href={ "/console/incidents/" (id) } { (id) } }
            td { (badge("severity", &text(incident, "severity"))) }
            td { (badge("status", &text(incident, "status"))) }
            td { (text(incident, "title")) }
            td { (text_or(incident, "service", "-")) }
            td { (text(incident, "opened_at")) }
            td { (incident["occurrences"].as_u64().unwrap_or(0)) }
        }
    }
}

/// The incident page (`get_incident`' answer), with the decision forms when
/// an approval waits. `csrf` goes into every form.
pub fn incident(view: &Value, csrf: &str) -> Markup {
    let incident = field(view, "incident");
    let id = text(incident, "id");
    let waiting = at(view, "/approval/status") == "PENDING"
        || field(incident, "status") == "PENDING_APPROVAL";
    html! {
        h1 { (badge("severity", &text(incident, "severity"))) " " (text(incident, "title")) }
        p class="facts" {
            (badge("status", &text(incident, "status"))) " " (id)
            " · service " (text_or(incident, "service", "-"))
            " · opened " (text(incident, "opened_at"))
            " · " (field(incident, "occurrences").as_u64().unwrap_or(0)) " occurrence(s)"
        }
        @if waiting { (decision_forms(&id, csrf)) }
        (metric(at(view, "/alert/metric")))
        @if field(view, "analysis").is_object() { (analysis(field(view, "analysis"))) }
        @if at(view, "/context/history").is_object() { (history_table(at(view, "/context/history"))) }
        section {
            h2 { "Deliveries" }
            (table(&view["deliveries"], &["channel", "kind", "status", "location", "error"]))
        }
        section {
            h2 { "Audit trail" }
            (table(&view["audit"], &["at", "caller", "tool", "outcome"]))
        }
        section {
            h2 { "Executions" }
            ul {
                @for execution in items(&view["execution_ids"]) {
                    @let id = execution.as_str().or_else(|| execution["id"].as_str());
                    @let id = clean(id.unwrap_or(""));
                    li { a href={ "/console/executions/" (id) } { (id) } }
                }
            }
        }
        @if view["alert"].is_object() {
            section { h2 { "Alert" } pre { (pretty(&view["alert"])) } }
        }
    }
}

/// A JSON value as people read it, cleaned.
fn pretty(value: &impl serde::Serialize) -> String {
    clean(&serde_json::to_string_pretty(value).unwrap_or_default())
}

/// What the alarm evaluated: its datapoints against the threshold. Nothing
/// when the alert carries no datapoints.
fn metric(metric: &Value) -> Markup {
    html! {
        @if let Some(chart) = crate::chart::metric_chart(metric) {
            section class="metric" {
                h2 { "The metric the alarm evaluated" }
                p class="metric-caption" { (clean(&crate::chart::caption(metric))) }
                (chart)
            }
        }
    }
}

/// The model's analysis: summary, root causes with their evidence, what
/// was read around the alarmed resource, the remediation.
fn analysis(analysis: &Value) -> Markup {
    let remediation = items(&analysis["remediation"]);
    html! {
        section {
            h2 { "Analysis" }
            p class="summary" { (text(analysis, "summary")) }
            @for cause in items(&analysis["root_causes"]) { (root_cause(cause)) }
            @if analysis["resources"].is_object() { (resources(&analysis["resources"])) }
            @if !remediation.is_empty() {
                h3 { "Remediation" }
                ol { @for step in remediation { (remediation_step(step)) } }
            }
        }
    }
}

fn root_cause(cause: &Value) -> Markup {
    let confidence = cause["confidence"].as_f64().unwrap_or(0.0);
    let (component, category) = (text(cause, "component"), text(cause, "category"));
    html! {
        div class="cause" {
            h3 {
                (clean(&responder_core::analysis::cause_headline(cause))) " "
                meter min="0" max="1" value=(confidence) {}
                " " (format!("{:.0}%", confidence * 100.0))
            }
            @if !component.is_empty() || !category.is_empty() {
                p class="cause-facts" {
                    "component " b { (or_dash(&component)) }
                    " · category " b { (or_dash(&category)) }
                }
            }
            @for evidence in items(&cause["evidence"]) { (evidence_line(evidence)) }
        }
    }
}

/// A quote the model cites, with the log group it came from.
fn evidence_line(evidence: &Value) -> Markup {
    let source = text(evidence, "source");
    html! {
        p class="evidence" {
            span { (text(evidence, "kind")) } " "
            @if !source.is_empty() { "from " span class="source" { (source) } }
            code { (text(evidence, "detail")) }
        }
    }
}

/// What the workflow found around the alarmed resource.
fn resources(resources: &Value) -> Markup {
    html! {
        h3 { "Resources and log groups read" }
        ul class="resources" {
            @for r in items(&resources["resources"]) {
                li { (text(r, "kind")) " " b { (text(r, "name")) } " (" (text(r, "relation")) ")" }
            }
            @for g in items(&resources["log_groups"]) {
                li { "log group " code { (text(g, "name")) } " (" (text(g, "relation")) ")" }
            }
        }
    }
}

fn remediation_step(step: &Value) -> Markup {
    html! {
        li {
            (text(step, "step")) " "
            span class="risk" { "risk: " (text_or(step, "risk", "unknown")) }
            @if step["requires_approval"] == true { " " span class="risk" { "needs approval" } }
        }
    }
}

/// Past incidents like this one (`query_history`'s answer) as a table:
/// when, what caused it, what resolved it, how long it took.
fn history_table(history: &Value) -> Markup {
    let rows = items(&history["incidents"]);
    html! {
        section class="history" {
            h2 { "History (last " (history["days"].as_u64().unwrap_or(0)) " days)" }
            @if history["available"] == false {
                p class="empty" { "The history could not be read." }
            } @else if rows.is_empty() {
                p class="empty" { "No incident like this one." }
            } @else {
                table class="history" {
                    (headings(&HISTORY_COLUMNS))
                    tbody { @for row in rows { (history_row(row)) } }
                }
                @if let Some(left) = history["left_out"].as_u64().filter(|n| *n > 0) {
                    p class="empty" { (left) " more left out." }
                }
            }
        }
    }
}

fn history_row(row: &Value) -> Markup {
    let past = &row["incident"];
    let recover = past["time_to_recover_seconds"]
        .as_u64()
        .map_or_else(|| "-".to_owned(), |s| format!("{} min", s.div_ceil(60)));
    html! {
        tr {
            td { (text(past, "incident_id")) }
            td { (text(past, "opened_at")) }
            td { (text_or(past, "root_cause", "-")) }
            td { (text_or(past, "resolution", "-")) }
            td { (recover) }
            td { (text(row, "likeness")) }
        }
    }
}

/// Approve, approve with edits, reject: each a form to the decision route.
fn decision_forms(id: &str, csrf: &str) -> Markup {
    let action = format!("/console/incidents/{id}/decision");
    html! {
        section class="decide" {
            h2 { "Waiting for approval" }
            form method="post" action=(action) class="approve" {
                (decision_fields(csrf, "approve"))
                label { "Comment " input name="comment"; }
                button type="submit" class="primary" { "Approve" }
            }
            details {
                summary { "Approve with edits" }
                form method="post" action=(action) class="approve-edits" {
                    (decision_fields(csrf, "approve"))
                    label {
                        "Severity "
                        select name="severity" {
                            option value="" { "as analyzed" }
                            @for severity in SEVERITIES { option { (severity) } }
                        }
                    }
                    label { "Summary " textarea name="summary" rows="3" {} }
                    label { "Comment " input name="comment"; }
                    button type="submit" { "Approve with edits" }
                }
            }
            form method="post" action=(action) class="reject" {
                (decision_fields(csrf, "reject"))
                label { "Reason " input name="reason" required; }
                button type="submit" class="danger" { "Reject" }
            }
        }
    }
}

/// The hidden fields of a decision form: the CSRF token and the decision.
fn decision_fields(csrf: &str, decision: &str) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(csrf);
        input type="hidden" name="decision" value=(decision);
    }
}

/// A table's head: our own column names.
fn headings(names: &[&str]) -> Markup {
    html! {
        thead { tr { @for name in names { th { (name) } } } }
    }
}

/// A table of `rows` (an array of objects) with `columns`.
fn table(rows: &Value, columns: &[&str]) -> Markup {
    let rows = items(rows);
    html! {
        @if rows.is_empty() {
            p class="empty" { "None." }
        } @else {
            table {
                (headings(columns))
                tbody {
                    @for row in rows {
                        tr { @for column in columns { td { (cell(&row[*column])) } } }
                    }
                }
            }
        }
    }
}

/// A table cell: a string as it is, nothing for null, other JSON as JSON.
fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => clean(s),
        Value::Null => String::new(),
        other => clean(&other.to_string()),
    }
}

/// One row of the executions list.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExecutionRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub started_at: String,
    pub stopped_at: Option<String>,
}

pub fn executions(rows: &[ExecutionRow]) -> Markup {
    html! {
        h1 { "Executions" }
        @if rows.is_empty() {
            p class="empty" { "No execution yet." }
        } @else {
            table {
                (headings(&["Execution", "Status", "Started", "Stopped"]))
                tbody {
                    @for row in rows { (execution_row(row)) }
                }
            }
        }
    }
}

fn execution_row(row: &ExecutionRow) -> Markup {
    html! {
        tr {
            td { a href={ "/console/executions/" (clean(&row.id)) } { (clean(&row.name)) } }
            td { (badge("execution", &row.status)) }
            td { (clean(&row.started_at)) }
            td { (clean(row.stopped_at.as_deref().unwrap_or("-"))) }
        }
    }
}

/// The execution page: the graph coloured by status, each state's events
/// (input, output, error) for the click, the transitions and their cost.
pub fn execution(view: &Value, definition: &Value) -> Markup {
    let status = text(view, "status");
    let events = items(&view["events"]);
    let states = graph::statuses(events, status != "RUNNING");
    let transitions = view["transitions"].as_u64().unwrap_or(0);
    let cost = transitions as f64 * PRICE_PER_TRANSITION_USD;
    html! {
        h1 { "Execution " (text(view, "name")) }
        p class="facts" id="execution-facts" data-status=(status)
            data-execution=(text(view, "execution_id")) {
            (badge("execution", &status))
            " · started " (text(view, "started_at"))
            " · " (transitions) " transitions · estimated $" (format!("{cost:.6}"))
            " (Step Functions Standard, $0.025 per 1,000 transitions)"
        }
        @if let Some(current) = view["current_state"].as_str() {
            p { "Now in " strong { (clean(current)) } "." }
        }
        div class="legend" {
            @for s in LEGEND { span class={ "key " (s.class()) } { (s.label()) } }
        }
        div class="execution" {
            div class="graph" {
                @if let Some(svg) = graph::svg(definition, &states) {
                    // Pre-escaped because graph.rs writes the SVG itself: its
                    // only text (state names and types) goes through
                    // `html_escape` there, the rest are numbers and our classes.
                    (PreEscaped(svg))
                }
            }
            aside id="state-details" { p { "Click a state to see its input, output and error." } }
        }
        // Each state's events, hidden until its box is clicked.
        div hidden id="state-events" {
            @for (name, events) in &events_by_state(events) { (state_events(name, events)) }
        }
        @if let Some(error) = view["error"].as_object() {
            section { h2 { "Error" } pre { (pretty(error)) } }
        }
    }
}

/// The events of each state, by the state's name.
fn events_by_state(events: &[Value]) -> std::collections::BTreeMap<&str, Vec<&Value>> {
    let mut by_state: std::collections::BTreeMap<&str, Vec<&Value>> = Default::default();
    for (event, name) in events.iter().zip(graph::state_of_each(events)) {
        if let Some(name) = name {
            by_state.entry(name).or_default().push(event);
        }
    }
    by_state
}

/// A state's events, each with its input, output, error and cause.
fn state_events(name: &str, events: &[&Value]) -> Markup {
    let name = clean(name);
    html! {
        section data-state=(name) {
            h2 { (name) }
            @for event in events {
                h3 { (text(event, "type")) " " small { (text(event, "timestamp")) } }
                @for key in ["input", "output", "error", "cause"] {
                    @if !event[key].is_null() { h4 { (key) } pre { (shown(&event[key])) } }
                }
            }
        }
    }
}

/// An event's field: a string as it is, anything else as pretty JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => clean(s),
        other => pretty(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_incident_page_draws_the_metric_and_tables_the_history() {
        // GIVEN an incident whose alarm evaluated datapoints, with history
        let view = json!({
            "incident": {"id": "inc-1", "title": "errors", "severity": "HIGH", "status": "NOTIFIED"},
            "alert": {"metric": {"name": "Errors", "statistic": "Sum", "period": 60, "threshold": 5.0, "recent_datapoints": [2.0, 27.0]}},
            "analysis": {"summary": "s", "root_causes": [{"component": "checkout-api", "category": "timeout",
                "explanation": "e", "confidence": 0.9,
                "evidence": [{"kind": "log", "source": "/aws/lambda/checkout-api", "detail": "ERROR <x>"}]}]},
            "context": {"history": {"days": 90, "available": true, "left_out": 0, "incidents": [
                {"incident": {"incident_id": "inc-0", "opened_at": "2026-11-12T22:47:05.000Z",
                  "root_cause": "NAT <change>", "resolution": "reverted", "time_to_recover_seconds": 1087},
                 "likeness": "signature"}]}}
        });

        // WHEN the page is rendered
        let page = incident(&view, "csrf").into_string();

        // THEN the chart is inline, the history a table, the evidence says
        // where it came from, and untrusted text is escaped
        assert!(page.contains("<svg class=\"metric-chart\""), "{page}");
        assert_eq!(page.matches("class=\"datapoint breach\"").count(), 1);
        assert!(page.contains("<table class=\"history\">"), "{page}");
        assert!(page.contains("<td>NAT &lt;change&gt;</td>"), "{page}");
        assert!(page.contains("<td>19 min</td>"), "{page}");
        assert!(
            page.contains("from <span class=\"source\">/aws/lambda/checkout-api</span>"),
            "{page}"
        );
        assert!(page.contains("component <b>checkout-api</b> · category <b>timeout</b>"));
        assert!(
            !page.contains("\"incident_id\""),
            "no raw JSON for the history"
        );
    }

    #[test]
    fn hostile_text_is_escaped_and_bidi_overrides_are_stripped() {
        // GIVEN an incident whose title, service, analysis and quoted log
        // line carry markup, an attribute breakout and a bidi override
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>\u{202E}txt.exe";
        let incident_json = json!({"id": "inc-1", "title": hostile, "service": hostile,
            "severity": "HIGH", "status": "PENDING_APPROVAL"});
        let view = json!({
            "incident": incident_json,
            "analysis": {
                "summary": hostile,
                "root_causes": [{"explanation": hostile, "confidence": 0.5,
                    "evidence": [{"kind": "log", "source": hostile, "detail": hostile}]}],
                "remediation": [{"step": hostile}]},
        });
        let list = json!({"incidents": [incident_json]});
        let filters = Filters {
            service: Some(hostile.to_owned()),
            ..Filters::default()
        };

        // WHEN the incident page and the list are rendered, in the layout
        let pages = [
            layout(hostile, incident(&view, "csrf")).into_string(),
            layout(hostile, incidents(&list, &filters)).into_string(),
        ];

        // THEN nothing of it is markup, and the override is gone
        for page in pages {
            assert!(!page.contains("<script>alert"), "{page}");
            assert!(!page.contains("<img"), "{page}");
            assert!(!page.contains("onerror=alert(1)>"), "{page}");
            assert!(!page.contains('\u{202E}'), "{page}");
            assert!(
                page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{page}"
            );
            assert!(
                page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;txt.exe"),
                "{page}"
            );
        }
    }
}
