//! The pages, rendered on the server from what the tools answer. Every
//! value that came from an alert, a log line, the model or a person is
//! escaped with `html_escape` (which also strips control and bidirectional
//! characters); nothing from them becomes a URL.

use std::fmt::Write as _;

use responder_workflow::render::html_escape as esc;
use serde_json::Value;

use crate::graph::{self, StateStatus};

/// What Step Functions Standard charges per state transition (US East,
/// $0.025 per 1,000), for the execution page's estimate.
pub const PRICE_PER_TRANSITION_USD: f64 = 0.000_025;

/// The page around `body`, with the navigation.
pub fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} · incident-responder</title><link rel=\"stylesheet\" href=\"/console/assets/console.css\"></head>\
<body><header><a class=\"brand\" href=\"/console/incidents\">incident-responder</a><nav><a href=\"/console/incidents\">Incidents</a><a href=\"/console/executions\">Executions</a></nav></header>\
<main>{body}</main><script src=\"/console/assets/console.js\"></script></body></html>",
        esc(title)
    )
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or("")
}

fn badge(kind: &str, value: &str) -> String {
    format!(
        "<span class=\"badge {kind}-{}\">{}</span>",
        esc(&value.to_ascii_lowercase()),
        esc(value)
    )
}

/// The filters of the incidents list, as the query string gave them.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Filters {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub service: Option<String>,
}

fn select(name: &str, current: Option<&str>, options: &[&str]) -> String {
    let mut out = format!("<label>{name} <select name=\"{name}\"><option value=\"\">any</option>");
    for option in options {
        let selected = if current == Some(*option) {
            " selected"
        } else {
            ""
        };
        let _ = write!(out, "<option{selected}>{option}</option>");
    }
    out.push_str("</select></label>");
    out
}

/// The incidents list (`list_incidents`' answer), with its filters.
pub fn incidents(list: &Value, filters: &Filters) -> String {
    let mut body = String::from("<h1>Incidents</h1><form class=\"filters\" method=\"get\">");
    body.push_str(&select(
        "status",
        filters.status.as_deref(),
        &[
            "OPEN",
            "PENDING_APPROVAL",
            "NOTIFIED",
            "RESOLVED",
            "SUPPRESSED",
        ],
    ));
    body.push_str(&select(
        "severity",
        filters.severity.as_deref(),
        &["CRITICAL", "HIGH", "MEDIUM", "LOW"],
    ));
    let _ = write!(
        body,
        "<label>service <input name=\"service\" value=\"{}\"></label><button>Filter</button></form>",
        esc(filters.service.as_deref().unwrap_or(""))
    );
    let rows = list["incidents"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        body.push_str("<p class=\"empty\">No incident matches.</p>");
        return body;
    }
    body.push_str("<table class=\"incidents\"><thead><tr><th>Incident</th><th>Severity</th><th>Status</th><th>Title</th><th>Service</th><th>Opened</th><th>Seen</th></tr></thead><tbody>");
    for incident in &rows {
        let id = text(incident, "id");
        let _ = write!(
            body,
            "<tr><td><a href=\"/console/incidents/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(id),
            esc(id),
            badge("severity", text(incident, "severity")),
            badge("status", text(incident, "status")),
            esc(text(incident, "title")),
            esc(incident["service"].as_str().unwrap_or("-")),
            esc(text(incident, "opened_at")),
            incident["occurrences"].as_u64().unwrap_or(0)
        );
    }
    body.push_str("</tbody></table>");
    body
}

/// The incident page (`get_incident`' answer), with the decision forms when
/// an approval waits. `csrf` goes into every form.
pub fn incident(view: &Value, csrf: &str) -> String {
    let incident = &view["incident"];
    let id = text(incident, "id");
    let mut body = format!(
        "<h1>{} {}</h1><p class=\"facts\">{} {} · service {} · opened {} · {} occurrence(s)</p>",
        badge("severity", text(incident, "severity")),
        esc(text(incident, "title")),
        badge("status", text(incident, "status")),
        esc(id),
        esc(incident["service"].as_str().unwrap_or("-")),
        esc(text(incident, "opened_at")),
        incident["occurrences"].as_u64().unwrap_or(0)
    );
    if view["approval"]["status"] == "PENDING" || incident["status"] == "PENDING_APPROVAL" {
        body.push_str(&decision_forms(id, csrf));
    }
    // What the alarm evaluated: its datapoints against the threshold.
    if let Some(svg) = crate::chart::metric_chart(&view["alert"]["metric"]) {
        let _ = write!(
            body,
            "<section class=\"metric\"><h2>The metric the alarm evaluated</h2><p class=\"metric-caption\">{}</p>{svg}</section>",
            esc(&crate::chart::caption(&view["alert"]["metric"]))
        );
    }
    let analysis = &view["analysis"];
    if analysis.is_object() {
        let _ = write!(
            body,
            "<section><h2>Analysis</h2><p class=\"summary\">{}</p>",
            esc(text(analysis, "summary"))
        );
        for cause in analysis["root_causes"].as_array().into_iter().flatten() {
            let confidence = cause["confidence"].as_f64().unwrap_or(0.0);
            let _ = write!(
                body,
                "<div class=\"cause\"><h3>{} <meter min=\"0\" max=\"1\" value=\"{confidence}\"></meter> {:.0}%</h3>",
                esc(&responder_core::analysis::cause_headline(cause)),
                confidence * 100.0
            );
            let (component, category) = (text(cause, "component"), text(cause, "category"));
            if !component.is_empty() || !category.is_empty() {
                let _ = write!(
                    body,
                    "<p class=\"cause-facts\">component <b>{}</b> · category <b>{}</b></p>",
                    esc(if component.is_empty() { "-" } else { component }),
                    esc(if category.is_empty() { "-" } else { category })
                );
            }
            for evidence in cause["evidence"].as_array().into_iter().flatten() {
                let source = text(evidence, "source");
                let _ = write!(
                    body,
                    "<p class=\"evidence\"><span>{}</span> {}<code>{}</code></p>",
                    esc(text(evidence, "kind")),
                    if source.is_empty() {
                        String::new()
                    } else {
                        format!("from <span class=\"source\">{}</span>", esc(source))
                    },
                    esc(text(evidence, "detail"))
                );
            }
            body.push_str("</div>");
        }
        // What the workflow found around the alarmed resource.
        let resources = &analysis["resources"];
        if resources.is_object() {
            body.push_str("<h3>Resources and log groups read</h3><ul class=\"resources\">");
            for r in resources["resources"].as_array().into_iter().flatten() {
                let _ = write!(
                    body,
                    "<li>{} <b>{}</b> ({})</li>",
                    esc(text(r, "kind")),
                    esc(text(r, "name")),
                    esc(text(r, "relation"))
                );
            }
            for g in resources["log_groups"].as_array().into_iter().flatten() {
                let _ = write!(
                    body,
                    "<li>log group <code>{}</code> ({})</li>",
                    esc(text(g, "name")),
                    esc(text(g, "relation"))
                );
            }
            body.push_str("</ul>");
        }
        let steps: Vec<String> = analysis["remediation"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                format!(
                    "<li>{} <span class=\"risk\">risk: {}</span>{}</li>",
                    esc(text(r, "step")),
                    esc(r["risk"].as_str().unwrap_or("unknown")),
                    if r["requires_approval"] == true {
                        " <span class=\"risk\">needs approval</span>"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        if !steps.is_empty() {
            let _ = write!(body, "<h3>Remediation</h3><ol>{}</ol>", steps.concat());
        }
        body.push_str("</section>");
    }
    let history = &view["context"]["history"];
    if history.is_object() {
        body.push_str(&history_table(history));
    }
    body.push_str("<section><h2>Deliveries</h2>");
    body.push_str(&table(
        &view["deliveries"],
        &["channel", "kind", "status", "location", "error"],
    ));
    body.push_str("</section><section><h2>Audit trail</h2>");
    body.push_str(&table(&view["audit"], &["at", "caller", "tool", "outcome"]));
    body.push_str("</section><section><h2>Executions</h2><ul>");
    for execution in view["execution_ids"].as_array().into_iter().flatten() {
        let id = execution
            .as_str()
            .or_else(|| execution["id"].as_str())
            .unwrap_or("");
        let _ = write!(
            body,
            "<li><a href=\"/console/executions/{}\">{}</a></li>",
            esc(id),
            esc(id)
        );
    }
    body.push_str("</ul></section>");
    let alert = &view["alert"];
    if alert.is_object() {
        let _ = write!(
            body,
            "<section><h2>Alert</h2><pre>{}</pre></section>",
            esc(&serde_json::to_string_pretty(alert).unwrap_or_default())
        );
    }
    body
}

/// Past incidents like this one (`query_history`'s answer) as a table:
/// when, what caused it, what resolved it, how long it took.
fn history_table(history: &Value) -> String {
    let days = history["days"].as_u64().unwrap_or(0);
    let mut out = format!("<section class=\"history\"><h2>History (last {days} days)</h2>");
    if history["available"] == false {
        out.push_str("<p class=\"empty\">The history could not be read.</p></section>");
        return out;
    }
    let rows = history["incidents"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        out.push_str("<p class=\"empty\">No incident like this one.</p></section>");
        return out;
    }
    out.push_str("<table class=\"history\"><thead><tr><th>Incident</th><th>Opened</th><th>Root cause</th><th>Resolution</th><th>Time to recover</th><th>Alike by</th></tr></thead><tbody>");
    for row in &rows {
        let past = &row["incident"];
        let recover = past["time_to_recover_seconds"]
            .as_u64()
            .map_or_else(|| "-".to_owned(), |s| format!("{} min", s.div_ceil(60)));
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(text(past, "incident_id")),
            esc(text(past, "opened_at")),
            esc(past["root_cause"].as_str().unwrap_or("-")),
            esc(past["resolution"].as_str().unwrap_or("-")),
            esc(&recover),
            esc(text(row, "likeness"))
        );
    }
    out.push_str("</tbody></table>");
    if let Some(left) = history["left_out"].as_u64().filter(|n| *n > 0) {
        let _ = write!(out, "<p class=\"empty\">{left} more left out.</p>");
    }
    out.push_str("</section>");
    out
}

fn decision_forms(id: &str, csrf: &str) -> String {
    let action = format!("/console/incidents/{}/decision", esc(id));
    let csrf = esc(csrf);
    format!(
        "<section class=\"decide\"><h2>Waiting for approval</h2>\
<form method=\"post\" action=\"{action}\" class=\"approve\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"decision\" value=\"approve\">\
<label>Comment <input name=\"comment\"></label><button type=\"submit\" class=\"primary\">Approve</button></form>\
<details><summary>Approve with edits</summary><form method=\"post\" action=\"{action}\" class=\"approve-edits\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"decision\" value=\"approve\">\
<label>Severity <select name=\"severity\"><option value=\"\">as analyzed</option><option>CRITICAL</option><option>HIGH</option><option>MEDIUM</option><option>LOW</option></select></label>\
<label>Summary <textarea name=\"summary\" rows=\"3\"></textarea></label><label>Comment <input name=\"comment\"></label>\
<button type=\"submit\">Approve with edits</button></form></details>\
<form method=\"post\" action=\"{action}\" class=\"reject\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"decision\" value=\"reject\">\
<label>Reason <input name=\"reason\" required></label><button type=\"submit\" class=\"danger\">Reject</button></form></section>"
    )
}

/// A table of `rows` (an array of objects) with `columns`.
fn table(rows: &Value, columns: &[&str]) -> String {
    let rows = rows.as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "<p class=\"empty\">None.</p>".to_owned();
    }
    let mut out = String::from("<table><thead><tr>");
    for column in columns {
        let _ = write!(out, "<th>{column}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for row in &rows {
        out.push_str("<tr>");
        for column in columns {
            let cell = match &row[*column] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            let _ = write!(out, "<td>{}</td>", esc(&cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
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

pub fn executions(rows: &[ExecutionRow]) -> String {
    let mut body = String::from("<h1>Executions</h1>");
    if rows.is_empty() {
        body.push_str("<p class=\"empty\">No execution yet.</p>");
        return body;
    }
    body.push_str("<table><thead><tr><th>Execution</th><th>Status</th><th>Started</th><th>Stopped</th></tr></thead><tbody>");
    for row in rows {
        let _ = write!(
            body,
            "<tr><td><a href=\"/console/executions/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&row.id),
            esc(&row.name),
            badge("execution", &row.status),
            esc(&row.started_at),
            esc(row.stopped_at.as_deref().unwrap_or("-"))
        );
    }
    body.push_str("</tbody></table>");
    body
}

/// The execution page: the graph coloured by status, each state's events
/// (input, output, error) for the click, the transitions and their cost.
pub fn execution(view: &Value, definition: &Value) -> String {
    let status = text(view, "status");
    let running = status == "RUNNING";
    let states = graph::statuses(
        view["events"].as_array().map_or(&[][..], Vec::as_slice),
        !running,
    );
    let transitions = view["transitions"].as_u64().unwrap_or(0);
    let mut body = format!(
        "<h1>Execution {}</h1><p class=\"facts\" id=\"execution-facts\" data-status=\"{}\" data-execution=\"{}\">{} · started {} · {} transitions · estimated ${:.6} (Step Functions Standard, $0.025 per 1,000 transitions)</p>",
        esc(text(view, "name")),
        esc(status),
        esc(text(view, "execution_id")),
        badge("execution", status),
        esc(text(view, "started_at")),
        transitions,
        transitions as f64 * PRICE_PER_TRANSITION_USD
    );
    if let Some(current) = view["current_state"].as_str() {
        let _ = write!(body, "<p>Now in <strong>{}</strong>.</p>", esc(current));
    }
    body.push_str("<div class=\"legend\">");
    for s in [
        StateStatus::Succeeded,
        StateStatus::Running,
        StateStatus::Caught,
        StateStatus::Failed,
        StateStatus::NotRun,
    ] {
        let _ = write!(
            body,
            "<span class=\"key {}\">{}</span>",
            s.class(),
            s.label()
        );
    }
    body.push_str("</div><div class=\"execution\"><div class=\"graph\">");
    body.push_str(&graph::svg(definition, &states).unwrap_or_default());
    body.push_str("</div><aside id=\"state-details\"><p>Click a state to see its input, output and error.</p></aside></div>");
    // Each state's events, hidden until its box is clicked.
    body.push_str("<div hidden id=\"state-events\">");
    let events = view["events"].as_array().map_or(&[][..], Vec::as_slice);
    let mut by_state: std::collections::BTreeMap<&str, Vec<&Value>> = Default::default();
    for (event, name) in events.iter().zip(graph::state_of_each(events)) {
        if let Some(name) = name {
            by_state.entry(name).or_default().push(event);
        }
    }
    for (name, events) in &by_state {
        let _ = write!(
            body,
            "<section data-state=\"{}\"><h2>{}</h2>",
            esc(name),
            esc(name)
        );
        for event in events {
            let _ = write!(
                body,
                "<h3>{} <small>{}</small></h3>",
                esc(text(event, "type")),
                esc(text(event, "timestamp"))
            );
            for key in ["input", "output", "error", "cause"] {
                if !event[key].is_null() {
                    let shown = match &event[key] {
                        Value::String(s) => s.clone(),
                        other => serde_json::to_string_pretty(other).unwrap_or_default(),
                    };
                    let _ = write!(body, "<h4>{key}</h4><pre>{}</pre>", esc(&shown));
                }
            }
        }
        body.push_str("</section>");
    }
    body.push_str("</div>");
    if let Some(error) = view["error"].as_object() {
        let _ = write!(
            body,
            "<section><h2>Error</h2><pre>{}</pre></section>",
            esc(&serde_json::to_string_pretty(error).unwrap_or_default())
        );
    }
    body
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
        let page = incident(&view, "csrf");

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
}
