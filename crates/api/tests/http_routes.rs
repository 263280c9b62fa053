//! The router end to end over a backend in memory: SigV4 at the door, MCP
//! and REST answering the same tools, alert intake, Slack buttons and
//! e-mail approval links.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use responder_api::backend::Decision;
use responder_api::links::{self, ApprovalLink, LinkDecision};
use responder_api::tools::ToolPolicy;
use serde_json::json;
use support::*;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/tools-list.json");

#[tokio::test]
async fn tools_list_matches_the_golden_file() {
    let app = app(&Fake::seeded());
    let (status, _, body) = send(&app, mcp("tools/list", json!({}))).await;
    assert_eq!(status, 200, "{body}");
    let tools = json_of(&body)["result"]["tools"].clone();
    // Keys sorted: serde_json keeps insertion order when another crate of
    // the build turns its `preserve_order` on, and not otherwise.
    let text = serde_json::to_string_pretty(&sorted(&tools)).unwrap() + "\n";
    #[allow(clippy::disallowed_methods)]
    // UPDATE_GOLDEN=1 rewrites the file after a deliberate change.
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &text).unwrap();
    }
    let golden =
        std::fs::read_to_string(GOLDEN).expect("the golden file; UPDATE_GOLDEN=1 writes it");
    assert_eq!(
        text, golden,
        "tools/list changed; review, then UPDATE_GOLDEN=1 cargo test"
    );
    // Read-only and write tools say what they are.
    let hint = |name: &str, key: &str| {
        tools
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["annotations"][key]
            .clone()
    };
    assert_eq!(hint("list_incidents", "readOnlyHint"), json!(true));
    assert_eq!(hint("approve_incident", "readOnlyHint"), json!(false));
    assert_eq!(hint("approve_incident", "destructiveHint"), json!(true));
}

/// The value with every object's keys in sorted order.
fn sorted(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let ordered: std::collections::BTreeMap<&String, serde_json::Value> =
                map.iter().map(|(k, v)| (k, sorted(v))).collect();
            serde_json::Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(sorted).collect())
        }
        other => other.clone(),
    }
}

#[tokio::test]
async fn an_unsigned_request_gets_api_gateways_refusal() {
    let app = app(&Fake::seeded());
    let (status, response, body) = send(
        &app,
        unsigned(
            "POST",
            "/mcp",
            &[("content-type", "application/json")],
            "{}",
        ),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        json_of(&body),
        json!({"message": "Missing Authentication Token"})
    );
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
}

#[tokio::test]
async fn a_request_changed_after_signing_is_refused() {
    let app = app(&Fake::seeded());
    let mut request = signed("POST", "/tools/list_incidents", &[], "{}");
    *request.body_mut() = axum::body::Body::from(r#"{"limit":100}"#);
    let (status, response, body) = send(&app, request).await;
    assert_eq!(status, 403);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "InvalidSignatureException"
    );
    assert!(
        body.contains("does not match the signature you provided"),
        "{body}"
    );
}

#[tokio::test]
async fn health_ready_and_info_need_no_signature() {
    let app = app(&Fake::seeded());
    for path in ["/health", "/ready", "/"] {
        let (status, _, body) = send(&app, unsigned("GET", path, &[], "")).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (_, _, body) = send(&app, unsigned("GET", "/", &[], "")).await;
    assert_eq!(json_of(&body)["mcp"], "/mcp");
}

#[tokio::test]
async fn mcp_accepts_clients_that_accept_only_json() {
    let app = app(&Fake::seeded());
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}}).to_string();
    let request = signed(
        "POST",
        "/mcp",
        &[
            ("content-type", "application/json"),
            ("accept", "application/json"),
        ],
        &body,
    );
    let (status, response, body) = send(&app, request).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(json_of(&body)["id"], 7);
}

fn post_mcp(body: &str, extra: &[(&str, &str)]) -> axum::http::Request<axum::body::Body> {
    let mut headers = vec![
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
    ];
    headers.extend_from_slice(extra);
    signed("POST", "/mcp", &headers, body)
}

#[tokio::test]
async fn invalid_json_on_mcp_is_a_400_parse_error() {
    // GIVEN a signed request whose body is not JSON
    let app = app(&Fake::seeded());

    // WHEN it is posted to /mcp
    let (status, response, body) = send(&app, post_mcp("{\"jsonrpc\": ", &[])).await;

    // THEN JSON-RPC's parse error comes back, as JSON, with status 400
    assert_eq!(status, 400, "{body}");
    assert_eq!(response.headers()["content-type"], "application/json");
    let answer = json_of(&body);
    assert_eq!(answer["error"]["code"], -32700, "{body}");
    assert_eq!(answer["id"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_batch_is_answered_as_an_array_for_protocol_2025_03_26() {
    // GIVEN a batch of two requests and a notification
    let app = app(&Fake::seeded());
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "get_incident", "arguments": {"incident_id": "inc-1"}}},
    ])
    .to_string();

    // WHEN it is posted with protocol 2025-03-26, and without the header
    for extra in [&[("mcp-protocol-version", "2025-03-26")][..], &[][..]] {
        let (status, _, body) = send(&app, post_mcp(&batch, extra)).await;

        // THEN one array answers both requests, in order; the notification
        // has no answer
        assert_eq!(status, 200, "{body}");
        let answers = json_of(&body);
        let answers = answers.as_array().unwrap();
        assert_eq!(answers.len(), 2, "{body}");
        assert_eq!(answers[0]["id"], 1);
        assert!(answers[0]["result"]["tools"].as_array().unwrap().len() > 5);
        assert_eq!(answers[1]["id"], 2);
        assert_eq!(answers[1]["result"]["isError"], false, "{body}");
    }
}

#[tokio::test]
async fn a_batch_under_a_protocol_without_batches_is_an_invalid_request() {
    let app = app(&Fake::seeded());
    let batch = json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]).to_string();
    let (status, _, body) = send(
        &app,
        post_mcp(&batch, &[("mcp-protocol-version", "2025-06-18")]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(json_of(&body)["error"]["code"], -32600, "{body}");
    let (status, _, body) = send(&app, post_mcp("[]", &[])).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(json_of(&body)["error"]["code"], -32600, "{body}");
}

#[tokio::test]
async fn a_browser_origin_must_be_allowed() {
    let app = app(&Fake::seeded());
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}).to_string();
    let evil = signed(
        "POST",
        "/mcp",
        &[
            ("content-type", "application/json"),
            ("origin", "http://evil.example"),
        ],
        &body,
    );
    let (status, _, text) = send(&app, evil).await;
    assert_eq!(status, 403);
    assert!(
        text.contains("Origin 'http://evil.example' is not allowed"),
        "{text}"
    );
    let allowed = signed(
        "POST",
        "/mcp",
        &[
            ("content-type", "application/json"),
            ("origin", "http://localhost:6274"),
        ],
        &body,
    );
    assert_eq!(send(&app, allowed).await.0, 200);
}

#[tokio::test]
async fn mcp_tool_calls_return_structured_results_and_readable_errors() {
    let app = app(&Fake::seeded());
    let (status, _, body) = send(
        &app,
        mcp(
            "tools/call",
            json!({"name": "list_incidents", "arguments": {"severity": "critical"}}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let result = &json_of(&body)["result"];
    assert_eq!(result["isError"], false);
    assert_eq!(result["structuredContent"]["count"], 1);
    assert_eq!(result["structuredContent"]["incidents"][0]["id"], "inc-1");

    let (_, _, body) = send(
        &app,
        mcp(
            "tools/call",
            json!({"name": "get_incident", "arguments": {"incident_id": "inc-404"}}),
        ),
    )
    .await;
    let result = &json_of(&body)["result"];
    assert_eq!(result["isError"], true);
    assert_eq!(result["structuredContent"]["error"], "NotFound");
}

#[tokio::test]
async fn writes_through_mcp_are_audited_with_the_signers_name() {
    let fake = Fake::seeded();
    let app = app(&fake);
    let (_, _, body) = send(
        &app,
        mcp("tools/call", json!({"name": "approve_incident", "arguments": {"incident_id": "inc-1", "comment": "ok"}})),
    )
    .await;
    assert_eq!(
        json_of(&body)["result"]["structuredContent"]["decision"],
        "APPROVED",
        "{body}"
    );
    let state = fake.state.lock().unwrap();
    assert_eq!(state.decisions[0].2, "alice");
    let audit = &state.audit[0];
    assert_eq!(
        (
            audit.caller.as_str(),
            audit.action.as_str(),
            audit.outcome.as_str()
        ),
        ("alice", "approve_incident", "ok")
    );
    assert_eq!(audit.incident_id.as_deref(), Some("inc-1"));
}

#[tokio::test]
async fn rest_tools_answer_with_status_codes_and_error_names() {
    let app = app(&Fake::seeded());
    let (status, _, body) = send(&app, signed("GET", "/tools", &[], "")).await;
    assert_eq!(status, 200);
    assert_eq!(json_of(&body).as_array().unwrap().len(), 14);
    let cases = [
        ("/tools/nope", "{}", 404, "NotFound"),
        (
            "/tools/list_incidents",
            r#"{"limit": 1000}"#,
            400,
            "InvalidInput",
        ),
        (
            "/tools/list_incidents",
            r#"{"colour": "red"}"#,
            400,
            "InvalidInput",
        ),
        ("/tools/list_incidents", "not json", 400, "InvalidInput"),
        (
            "/tools/query_history",
            r#"{"sql": "DELETE FROM incident_history"}"#,
            400,
            "QueryRejected",
        ),
        (
            "/tools/reject_incident",
            r#"{"incident_id": "inc-2", "reason": "noise"}"#,
            409,
            "Conflict",
        ),
        (
            "/tools/analyze_alert",
            r#"{"payload": {"foo": 1}}"#,
            400,
            "UnsupportedSource",
        ),
    ];
    for (path, body, expected, name) in cases {
        let (status, _, text) = send(&app, signed("POST", path, &[], body)).await;
        assert_eq!(status, expected, "{path} {body}: {text}");
        assert_eq!(json_of(&text)["error"], name, "{path} {body}");
    }
}

#[tokio::test]
async fn a_disabled_write_tool_is_neither_listed_nor_run() {
    let fake = Fake::seeded();
    let app = app_with(
        &fake,
        ToolPolicy::new(vec!["resolve_incident".to_owned()]).unwrap(),
    );
    let (_, _, body) = send(&app, signed("GET", "/tools", &[], "")).await;
    let names: Vec<String> = json_of(&body)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"resolve_incident".to_owned()));
    assert!(!names.contains(&"approve_incident".to_owned()));
    let (status, _, text) = send(
        &app,
        signed(
            "POST",
            "/tools/approve_incident",
            &[],
            r#"{"incident_id": "inc-1"}"#,
        ),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(json_of(&text)["error"], "ToolDisabled");
    assert!(fake.state.lock().unwrap().decisions.is_empty());
    assert!(ToolPolicy::new(vec!["list_incidents".to_owned()]).is_err());
}

#[tokio::test]
async fn get_execution_keeps_the_most_recent_events() {
    let app = app(&Fake::seeded());
    let (status, _, body) = send(
        &app,
        signed(
            "POST",
            "/tools/get_execution",
            &[],
            r#"{"execution_id": "exec-1", "max_events": 50}"#,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let view = json_of(&body);
    assert_eq!(view["events"].as_array().unwrap().len(), 50);
    assert_eq!(view["events"][0]["id"], 251);
    assert_eq!(view["events_omitted"], 250);
}

#[tokio::test]
async fn events_start_an_execution_and_refuse_what_normalization_refuses() {
    let fake = Fake::seeded();
    let app = app(&fake);
    let payload = include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json");
    let (status, _, body) = send(&app, signed("POST", "/events", &[], payload)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(json_of(&body)["execution_id"], "exec-1");
    let (status, _, body) = send(
        &app,
        signed("POST", "/events", &[], r#"{"detail-type": 5}"#),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(json_of(&body)["error"], "InvalidAlert");
    let state = fake.state.lock().unwrap();
    assert_eq!(state.started.len(), 1, "a refused payload starts nothing");
    assert_eq!(state.audit.len(), 2, "both are audited");
}

#[tokio::test]
async fn webhooks_want_the_bearer_token_and_their_own_payloads() {
    let fake = Fake::seeded();
    let app = app(&fake);
    let firing = include_str!("../../../events/alertmanager/firing.json");
    let no_token = unsigned("POST", "/webhooks/alertmanager", &[], firing);
    assert_eq!(send(&app, no_token).await.0, 401);
    let wrong = unsigned(
        "POST",
        "/webhooks/alertmanager",
        &[("authorization", "Bearer nope")],
        firing,
    );
    assert_eq!(send(&app, wrong).await.0, 401);
    let bearer = format!("Bearer {WEBHOOK_TOKEN}");
    let ok = unsigned(
        "POST",
        "/webhooks/alertmanager",
        &[("authorization", &bearer)],
        firing,
    );
    let (status, _, body) = send(&app, ok).await;
    assert_eq!(status, 202, "{body}");
    let grafana = include_str!("../../../events/grafana/firing.json");
    let mismatched = unsigned(
        "POST",
        "/webhooks/alertmanager",
        &[("authorization", &bearer)],
        grafana,
    );
    let (status, _, body) = send(&app, mismatched).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("takes alertmanager payloads"), "{body}");
    assert_eq!(
        fake.state.lock().unwrap().audit.last().unwrap().caller,
        "webhook:alertmanager"
    );
}

fn slack_request(
    action: &str,
    value: &str,
    timestamp: i64,
    secret: &str,
) -> axum::http::Request<axum::body::Body> {
    slack_press(SLACK_APPROVER, action, value, timestamp, secret)
}

fn slack_press(
    user: &str,
    action: &str,
    value: &str,
    timestamp: i64,
    secret: &str,
) -> axum::http::Request<axum::body::Body> {
    let payload = json!({
        "type": "block_actions",
        "user": {"id": user, "username": "oncall"},
        "actions": [{"action_id": action, "value": value, "type": "button"}],
        "response_url": "https://hooks.slack.com/actions/T0001/1234/abcd",
    });
    let body = format!("payload={}", urlencode(&payload.to_string()));
    let signature = responder_api::slack::sign(secret.as_bytes(), timestamp, body.as_bytes());
    unsigned(
        "POST",
        "/slack/interactions",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-slack-request-timestamp", &timestamp.to_string()),
            ("x-slack-signature", &signature),
        ],
        &body,
    )
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_signed_slack_button_decides_and_an_unsigned_one_does_nothing() {
    let fake = Fake::seeded();
    let app = app(&fake);
    let now = chrono::Utc::now().timestamp();
    let (status, _, _) = send(&app, slack_request("approve", "apr-1", now, "wrong-secret")).await;
    assert_eq!(status, 401);
    let (status, _, _) = send(
        &app,
        slack_request("approve", "apr-1", now - 600, SLACK_SECRET),
    )
    .await;
    assert_eq!(status, 401, "a replay from ten minutes ago");
    assert!(fake.state.lock().unwrap().decisions.is_empty());

    let (status, _, body) = send(&app, slack_request("reject", "apr-1", now, SLACK_SECRET)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        json_of(&body)["text"]
            .as_str()
            .unwrap()
            .starts_with("Rejected by <@U024BE7LH>"),
        "{body}"
    );
    let state = fake.state.lock().unwrap();
    assert_eq!(state.decisions[0].2, "slack:U024BE7LH");
    assert!(matches!(state.decisions[0].1, Decision::Reject { .. }));
    let (url, reply) = state.slack_replies.last().unwrap();
    assert_eq!(url, "https://hooks.slack.com/actions/T0001/1234/abcd");
    assert_eq!(reply["replace_original"], true);
}

#[tokio::test]
async fn a_press_by_someone_not_an_approver_is_refused_ephemerally_and_audited() {
    // GIVEN approvers listed by user id, and a press by someone else
    let fake = Fake::seeded();
    let app = app(&fake);
    let now = chrono::Utc::now().timestamp();
    // WHEN they press Approve
    let (status, _, body) = send(
        &app,
        slack_press("U0MALLORY", "approve", "apr-1", now, SLACK_SECRET),
    )
    .await;
    // THEN nothing is decided, they are told why in a message only they see,
    // and the refusal is in the audit trail
    assert_eq!(status, 200, "{body}");
    let state = fake.state.lock().unwrap();
    assert!(state.decisions.is_empty());
    let (_, reply) = state.slack_replies.last().unwrap();
    assert_eq!(reply["response_type"], "ephemeral");
    assert_eq!(reply["replace_original"], false);
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("not an approver for CRITICAL"),
        "{reply}"
    );
    let audit = state.audit.last().unwrap();
    assert_eq!(audit.caller, "slack:U0MALLORY");
    assert_eq!(audit.action, "approve_incident");
    assert!(audit.outcome.contains("NotAnApprover"), "{audit:?}");
}

#[tokio::test]
async fn a_forged_response_url_is_not_called() {
    let fake = Fake::seeded();
    let app = app(&fake);
    let payload = json!({
        "type": "block_actions",
        "user": {"id": SLACK_APPROVER},
        "actions": [{"action_id": "reject", "value": "apr-1"}],
        "response_url": "http://169.254.169.254/latest/meta-data/",
    });
    let body = format!("payload={}", urlencode(&payload.to_string()));
    let now = chrono::Utc::now().timestamp();
    let signature = responder_api::slack::sign(SLACK_SECRET.as_bytes(), now, body.as_bytes());
    let request = unsigned(
        "POST",
        "/slack/interactions",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-slack-request-timestamp", &now.to_string()),
            ("x-slack-signature", &signature),
        ],
        &body,
    );
    let (status, _, _) = send(&app, request).await;
    assert_eq!(status, 200);
    assert!(fake.state.lock().unwrap().slack_replies.is_empty());
}

#[tokio::test]
async fn write_tools_govern_every_way_in() {
    // GIVEN a read-only server
    let fake = Fake::seeded();
    let app = app_with(&fake, ToolPolicy::new(Vec::new()).unwrap());
    let alarm = include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json");
    // WHEN an alert arrives through /events or a webhook
    let (status, _, text) = send(&app, signed("POST", "/events", &[], alarm)).await;
    assert_eq!(status, 403, "{text}");
    assert_eq!(json_of(&text)["error"], "ToolDisabled");
    let alertmanager = include_str!("../../../events/alertmanager/firing.json");
    let (status, _, text) = send(
        &app,
        unsigned(
            "POST",
            "/webhooks/alertmanager",
            &[("authorization", &format!("Bearer {WEBHOOK_TOKEN}"))],
            alertmanager,
        ),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    // ... or an approver presses Approve in Slack, or opens an e-mail link
    let now = chrono::Utc::now().timestamp();
    let (_, _, body) = send(&app, slack_request("approve", "apr-1", now, SLACK_SECRET)).await;
    assert!(
        json_of(&body)["text"]
            .as_str()
            .unwrap()
            .contains("turned off"),
        "{body}"
    );
    let token = links::sign(
        LINK_SECRET,
        &ApprovalLink {
            incident_id: "inc-1".to_owned(),
            decision: LinkDecision::Approve,
            expires_at: now + 600,
        },
    );
    let (status, _, _) = send(
        &app,
        unsigned("POST", &format!("/approvals/{token}"), &[], ""),
    )
    .await;
    assert_eq!(status, 403);
    // THEN nothing started and nothing was decided
    let state = fake.state.lock().unwrap();
    assert!(state.started.is_empty());
    assert!(state.decisions.is_empty());
}

#[tokio::test]
async fn an_email_link_asks_before_it_decides() {
    let fake = Fake::seeded();
    let app = app(&fake);
    let token = links::sign(
        LINK_SECRET,
        &ApprovalLink {
            incident_id: "inc-1".to_owned(),
            decision: LinkDecision::Approve,
            expires_at: chrono::Utc::now().timestamp() + 600,
        },
    );
    let path = format!("/approvals/{token}");
    let (status, response, page) = send(&app, unsigned("GET", &path, &[], "")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\">"), "{page}");
    // The alarm's title is escaped, never markup.
    assert!(
        page.contains("checkout-api-errors &lt;!channel&gt;"),
        "{page}"
    );
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert!(
        fake.state.lock().unwrap().decisions.is_empty(),
        "opening the link decides nothing"
    );

    let (status, _, page) = send(&app, unsigned("POST", &path, &[], "")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("inc-1: APPROVED"), "{page}");
    assert_eq!(fake.state.lock().unwrap().decisions[0].2, "email-link");

    let expired = links::sign(
        LINK_SECRET,
        &ApprovalLink {
            incident_id: "inc-1".to_owned(),
            decision: LinkDecision::Approve,
            expires_at: fixed_time().timestamp(),
        },
    );
    assert_eq!(
        send(
            &app,
            unsigned("GET", &format!("/approvals/{expired}"), &[], "")
        )
        .await
        .0,
        410
    );
    assert_eq!(
        send(&app, unsigned("POST", "/approvals/forged.token", &[], ""))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn incidents_are_resources_and_triage_is_a_prompt() {
    let app = app(&Fake::seeded());
    let (_, _, body) = send(&app, mcp("resources/list", json!({}))).await;
    let resources = json_of(&body)["result"]["resources"].clone();
    assert_eq!(resources[0]["uri"], "incident://inc-1", "{body}");
    let (_, _, body) = send(
        &app,
        mcp("resources/read", json!({"uri": "incident://inc-1"})),
    )
    .await;
    let text = json_of(&body)["result"]["contents"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(json_of(&text)["incident"]["id"], "inc-1");
    let (_, _, body) = send(
        &app,
        mcp(
            "prompts/get",
            json!({"name": "triage", "arguments": {"incident_id": "inc-1"}}),
        ),
    )
    .await;
    let message = json_of(&body)["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("<untrusted-data>"),
        "the record is fenced: {message}"
    );
}

/// What the Lambda adapter leaves in the request: the principal API
/// Gateway authenticated.
#[derive(Clone)]
struct Principal(&'static str);

#[tokio::test]
async fn behind_api_gateway_the_vouched_principal_is_the_caller() {
    use std::sync::Arc;

    use responder_api::http::{Auth, HttpConfig, router};
    use responder_api::tools::Tools;

    let fake = Fake::seeded();
    let config = HttpConfig {
        auth: Auth::Gateway(Arc::new(|parts: &axum::http::request::Parts| {
            parts.extensions.get::<Principal>().map(|p| p.0.to_owned())
        })),
        allowed_origins: Vec::new(),
        webhook_token: None,
        slack_signing_secret: None,
        link_secret: None,
        slack: responder_api::http::SlackSettings::default(),
    };
    let app = router(Tools::new(Arc::clone(&fake), ToolPolicy::default()), config);
    let body = r#"{"incident_id": "inc-1", "reason": "maintenance window"}"#;
    let mut request = unsigned("POST", "/tools/reject_incident", &[], body);
    request
        .extensions_mut()
        .insert(Principal("arn:aws:iam::111122223333:user/alice"));
    let (status, _, text) = send(&app, request).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        fake.state.lock().unwrap().audit[0].caller,
        "arn:aws:iam::111122223333:user/alice"
    );
    let (status, _, text) = send(&app, unsigned("POST", "/tools/list_incidents", &[], "{}")).await;
    assert_eq!(status, 403);
    assert_eq!(json_of(&text)["message"], "Missing Authentication Token");
    // Webhooks and the webhook-less routes are off without their secrets.
    assert_eq!(
        send(&app, unsigned("POST", "/webhooks/grafana", &[], "{}"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn a_header_value_that_is_not_utf_8_is_refused() {
    let app = app(&Fake::seeded());
    let mut request = signed("GET", "/tools", &[("x-note", "plain")], "");
    request.headers_mut().insert(
        "x-note",
        axum::http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
    );
    let (status, response, text) = send(&app, request).await;
    assert_eq!(status, 403, "{text}");
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "InvalidSignatureException"
    );
    assert!(text.contains("x-note"), "{text}");
}

#[test]
fn the_routers_state_prints_no_secret() {
    let fake = Fake::seeded();
    let state = responder_api::http::AppState {
        tools: responder_api::tools::Tools::new(
            std::sync::Arc::clone(&fake),
            ToolPolicy::default(),
        ),
        config: http_config(&fake),
    };
    let text = format!("{state:?}");
    for secret in [WEBHOOK_TOKEN, SLACK_SECRET, SECRET, "link-secret"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("webhook_token: \"<set>\""), "{text}");
}
