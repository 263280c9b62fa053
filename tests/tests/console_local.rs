//! The console's pages over the real local backend and engine, through the
//! router as `responder serve` mounts it: the token, the cookie, the pages,
//! a decision through the form (CSRF checked, audited), the execution drawn.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use responder_api::tools::{Caller, ToolPolicy, Tools};
use responder_e2e::{RemoveOnDrop, events_dir, local_setup, statemachine_dir};
use responder_local::LocalApi;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

struct Console {
    app: Router,
    api: LocalApi,
    tools: Tools<LocalApi>,
    _dir: RemoveOnDrop,
}

fn setup(name: &str) -> Console {
    setup_with(name, ToolPolicy::default())
}

fn setup_with(name: &str, policy: ToolPolicy) -> Console {
    let s = local_setup(&format!("console-{name}"), 9);
    let api = LocalApi::new(s.local, Arc::new(s.engine), s.definition);
    let tools = Tools::new(Arc::new(api.clone()), policy);
    let definition: Value = serde_json::from_str(
        &std::fs::read_to_string(statemachine_dir().join("incident-response.asl.json")).unwrap(),
    )
    .unwrap();
    Console {
        app: responder_console::router(tools.clone(), TOKEN.to_owned(), definition),
        api,
        tools,
        _dir: s.removed_on_drop,
    }
}

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Console {
    async fn send(&self, request: Request<Body>) -> Page {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        let request = Request::get(path)
            .header(header::COOKIE, format!("responder_console={TOKEN}"))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn post_form(&self, path: &str, form: &str, site: &str) -> Page {
        let request = Request::post(path)
            .header(header::COOKIE, format!("responder_console={TOKEN}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .body(Body::from(form.to_owned()))
            .unwrap();
        self.send(request).await
    }

    /// An alarm in, the engine run until the approval waits.
    async fn incident_waiting(&self) -> (String, String) {
        let payload: Value = serde_json::from_str(
            &std::fs::read_to_string(
                events_dir().join("eventbridge/metric-alarm-lambda-errors.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let started = self
            .tools
            .call(
                "start_investigation",
                json!({"payload": payload}),
                &Caller("test".to_owned()),
            )
            .await
            .unwrap();
        self.api.advance().await.unwrap();
        let list = self
            .tools
            .call("list_incidents", json!({}), &Caller("test".to_owned()))
            .await
            .unwrap();
        (
            list["incidents"][0]["id"].as_str().unwrap().to_owned(),
            started["execution_id"].as_str().unwrap().to_owned(),
        )
    }
}

fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_token_opens_the_console_and_nothing_else_does() {
    let c = setup("token");
    let anonymous = c
        .send(
            Request::get("/console/incidents")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.body.contains("responder serve"));
    let wrong = c
        .send(
            Request::get("/console/login?token=guess")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
    let login = c
        .send(
            Request::get(format!("/console/login?token={TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let cookie = login.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let page = c.get("/console/incidents").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(page.body.contains("No incident matches."));
}

#[tokio::test]
async fn an_incident_is_approved_through_its_form_and_the_decision_is_audited() {
    let c = setup("approve");
    let (incident, execution) = c.incident_waiting().await;

    let list = c
        .get("/console/incidents?status=PENDING_APPROVAL&severity=CRITICAL")
        .await;
    assert!(
        list.body
            .contains(&format!("/console/incidents/{incident}")),
        "{}",
        list.body
    );
    let none = c.get("/console/incidents?status=RESOLVED").await;
    assert!(none.body.contains("No incident matches."));

    let page = c.get(&format!("/console/incidents/{incident}")).await;
    assert!(page.body.contains("Waiting for approval"));
    // The evidence: a line of the demo's failing requests, with its group.
    assert!(
        ["PaymentGatewayError", "Task timed out"]
            .iter()
            .any(|line| page.body.contains(line))
            && page
                .body
                .contains("class=\"source\">/aws/lambda/checkout-api<"),
        "the evidence is shown: {}",
        page.body
    );
    let csrf = csrf_of(&page.body);

    // A form from another site, or without the token, decides nothing.
    let path = format!("/console/incidents/{incident}/decision");
    let forged = c
        .post_form(
            &path,
            &format!("csrf={csrf}&decision=approve"),
            "cross-site",
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let no_token = c
        .post_form(&path, "csrf=wrong&decision=approve", "same-origin")
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);

    let decided = c
        .post_form(
            &path,
            &format!("csrf={csrf}&decision=approve&severity=HIGH&comment=seen+it"),
            "same-origin",
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    c.api.advance().await.unwrap();

    let after = c.get(&format!("/console/incidents/{incident}")).await;
    assert!(after.body.contains("NOTIFIED"), "{}", after.body);
    assert!(!after.body.contains("Waiting for approval"));
    assert!(
        after
            .body
            .contains("<td>console</td><td>approve_incident</td><td>ok</td>"),
        "the audit trail"
    );

    let drawn = c.get(&format!("/console/executions/{execution}")).await;
    assert_eq!(drawn.status, StatusCode::OK);
    assert!(
        drawn
            .body
            .contains("class=\"state succeeded task\" data-state=\"RequestApproval\"")
    );
    assert!(
        drawn
            .body
            .contains("class=\"state not-run task\" data-state=\"Suppress\"")
    );
    assert!(drawn.body.contains("transitions · estimated $"));
    let listed = c.get("/console/executions").await;
    assert!(listed.body.contains("SUCCEEDED"));
}

#[tokio::test]
async fn with_the_decision_tools_turned_off_the_form_decides_nothing() {
    // Only investigations may be started: approve and reject are off.
    let policy = ToolPolicy::new(vec!["start_investigation".to_owned()]).unwrap();
    let c = setup_with("writes-off", policy);
    let (incident, _) = c.incident_waiting().await;
    let page = c.get(&format!("/console/incidents/{incident}")).await;
    let csrf = csrf_of(&page.body);

    let refused = c
        .post_form(
            &format!("/console/incidents/{incident}/decision"),
            &format!("csrf={csrf}&decision=approve"),
            "same-origin",
        )
        .await;
    assert_ne!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    assert!(
        refused.body.contains("turned off by api.write_tools"),
        "{}",
        refused.body
    );
    c.api.advance().await.unwrap();
    let after = c.get(&format!("/console/incidents/{incident}")).await;
    assert!(
        after.body.contains("Waiting for approval"),
        "{}",
        after.body
    );
}

#[tokio::test]
async fn hostile_alert_text_is_escaped_on_every_page() {
    let c = setup("hostile");
    let mut payload: Value = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("eventbridge/metric-alarm-lambda-errors.json"))
            .unwrap(),
    )
    .unwrap();
    payload["detail"]["alarmName"] = json!("<script>alert(1)</script>");
    payload["detail"]["configuration"]["description"] = json!("<img src=x onerror=alert(1)>");
    c.tools
        .call(
            "start_investigation",
            json!({"payload": payload}),
            &Caller("test".to_owned()),
        )
        .await
        .unwrap();
    c.api.advance().await.unwrap();
    let list = c.get("/console/incidents").await;
    assert!(!list.body.contains("<script>alert(1)"), "{}", list.body);
    assert!(list.body.contains("&lt;script&gt;"));
    let id = list
        .body
        .split("/console/incidents/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let page = c.get(&format!("/console/incidents/{id}")).await;
    assert!(!page.body.contains("<script>alert(1)") && !page.body.contains("<img src=x"));
}
