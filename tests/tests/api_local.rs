//! The API's tools over the local backend: SQLite, the demo log folder, the
//! rule analyzer and the local engine, as `responder serve` runs them.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use responder_api::tools::{Caller, ToolPolicy, Tools};
use responder_e2e::{RemoveOnDrop, events_dir, local_setup};
use responder_local::LocalApi;
use serde_json::{Value, json};

struct Api {
    tools: Tools<LocalApi>,
    api: LocalApi,
    _dir: Option<RemoveOnDrop>,
}

fn setup(name: &str) -> Api {
    let s = local_setup(&format!("api-{name}"), 5);
    let api = LocalApi::new(s.local, Arc::new(s.engine), s.definition);
    Api {
        tools: Tools::new(Arc::new(api.clone()), ToolPolicy::default()),
        api,
        _dir: Some(s.removed_on_drop),
    }
}

fn alarm() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("eventbridge/metric-alarm-lambda-errors.json"))
            .unwrap(),
    )
    .unwrap()
}

/// The alarm, as if its state changed just now (trends look back from now).
fn alarm_now() -> Value {
    let now = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string();
    let mut payload = alarm();
    payload["time"] = json!(now.replace(".000+0000", "Z"));
    payload["detail"]["state"]["timestamp"] = json!(now);
    payload
}

impl Api {
    async fn call(&self, tool: &str, arguments: Value) -> Value {
        self.tools
            .call(tool, arguments, &Caller("alice".to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{tool}: {e}"))
    }

    /// Starts an investigation and runs the engine until it waits.
    async fn investigate(&self, payload: Value) -> String {
        let started = self
            .call("start_investigation", json!({ "payload": payload }))
            .await;
        self.api.advance().await.unwrap();
        started["execution_id"].as_str().unwrap().to_owned()
    }

    fn audit(&self) -> Vec<(String, String, String)> {
        let conn = self.api.local.db.conn();
        let mut stmt = conn
            .prepare("SELECT caller, action, outcome FROM audit ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

#[tokio::test]
async fn an_investigation_waits_for_approval_then_notifies() {
    let api = setup("approve");
    let execution = api.investigate(alarm()).await;

    let pending = api.call("list_pending_approvals", json!({})).await;
    assert_eq!(pending["count"], 1, "{pending}");
    let incident_id = pending["approvals"][0]["incident_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let view = api
        .call("get_incident", json!({ "incident_id": incident_id }))
        .await;
    assert_eq!(view["incident"]["status"], "PENDING_APPROVAL");
    assert_eq!(view["alert"]["title"], "checkout-api-errors");
    assert_eq!(
        view["context"]["logs"]["available"], true,
        "{}",
        view["context"]
    );
    assert!(
        !view["analysis"]["root_causes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(view["execution_ids"], json!([execution]));

    let waiting = api
        .call("get_execution", json!({ "execution_id": execution }))
        .await;
    assert_eq!(waiting["status"], "RUNNING");
    assert_eq!(waiting["current_state"], "RequestApproval");

    let decided = api
        .call(
            "approve_incident",
            json!({ "incident_id": incident_id, "channels": ["slack", "email"] }),
        )
        .await;
    assert_eq!(decided["decision"], "APPROVED_WITH_EDITS");
    api.api.advance().await.unwrap();

    let view = api
        .call("get_incident", json!({ "incident_id": incident_id }))
        .await;
    assert_eq!(view["incident"]["status"], "NOTIFIED", "{view}");
    let deliveries: Vec<(&str, &str)> = view["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["channel"].as_str().unwrap(), d["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        deliveries,
        [
            ("email", "incident"),
            ("slack", "approval"),
            ("slack", "incident")
        ]
    );
    let done = api
        .call("get_execution", json!({ "execution_id": execution }))
        .await;
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(
        api.audit(),
        [
            (
                "alice".to_owned(),
                "start_investigation".to_owned(),
                "ok".to_owned()
            ),
            (
                "alice".to_owned(),
                "approve_incident".to_owned(),
                "ok".to_owned()
            )
        ]
    );
}

#[tokio::test]
async fn a_redelivered_alarm_makes_no_second_incident_or_approval() {
    let api = setup("redelivery");
    api.investigate(alarm()).await;
    api.investigate(alarm()).await;
    let incidents = api.call("list_incidents", json!({})).await;
    assert_eq!(incidents["count"], 1, "{incidents}");
    assert_eq!(
        api.call("list_pending_approvals", json!({})).await["count"],
        1
    );
}

#[tokio::test]
async fn a_rejection_suppresses_and_a_second_decision_is_a_conflict() {
    let api = setup("reject");
    api.investigate(alarm()).await;
    let pending = api.call("list_pending_approvals", json!({})).await;
    let incident_id = pending["approvals"][0]["incident_id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.call(
        "reject_incident",
        json!({ "incident_id": incident_id, "reason": "planned load test" }),
    )
    .await;
    api.api.advance().await.unwrap();
    let view = api
        .call("get_incident", json!({ "incident_id": incident_id }))
        .await;
    assert_eq!(view["incident"]["status"], "SUPPRESSED");
    let again = api
        .tools
        .call(
            "approve_incident",
            json!({ "incident_id": incident_id }),
            &Caller("bob".to_owned()),
        )
        .await
        .unwrap_err();
    assert_eq!(again.name, "Conflict");
    assert_eq!(
        api.audit().last().unwrap(),
        &(
            "bob".to_owned(),
            "approve_incident".to_owned(),
            "Conflict".to_owned()
        )
    );
}

#[tokio::test]
async fn a_resolution_by_hand_goes_to_the_archive() {
    let api = setup("resolve");
    api.investigate(alarm()).await;
    let incidents = api
        .call("list_incidents", json!({ "status": "PENDING_APPROVAL" }))
        .await;
    let incident_id = incidents["incidents"][0]["id"].as_str().unwrap().to_owned();
    let resolved = api
        .call(
            "resolve_incident",
            json!({ "incident_id": incident_id, "resolution": "rolled back v42" }),
        )
        .await;
    assert_eq!(resolved["incident"]["status"], "RESOLVED");
    let rows = api
        .call(
            "query_history",
            json!({ "sql": format!("SELECT resolution FROM incident_history WHERE incident_id = '{incident_id}'") }),
        )
        .await;
    assert_eq!(rows["rows"], json!([["rolled back v42"]]), "{rows}");
}

#[tokio::test]
async fn the_archive_answers_sql_and_refuses_writes() {
    let api = setup("sql");
    let rows = api
        .call(
            "query_history",
            json!({ "sql": "SELECT signature, count(*) AS n FROM incident_history GROUP BY signature ORDER BY n DESC" }),
        )
        .await;
    assert_eq!(rows["columns"], json!(["signature", "n"]));
    assert!(rows["row_count"].as_u64().unwrap() >= 1, "{rows}");
    let refused = api
        .tools
        .call(
            "query_history",
            json!({ "sql": "DELETE FROM incident_history" }),
            &Caller("x".to_owned()),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.name, "QueryRejected");
}

#[tokio::test]
async fn a_cte_named_in_a_nested_scope_does_not_open_other_tables() {
    let api = setup("sql-scope");
    api.investigate(alarm()).await;
    for sql in [
        "WITH a AS (WITH approvals AS (SELECT 1) SELECT 1) SELECT id, token, status FROM approvals",
        "WITH a AS (WITH sfn_task_tokens AS (SELECT 1) SELECT 1) SELECT token FROM sfn_task_tokens",
        "WITH a AS (WITH sqlite_master AS (SELECT 1) SELECT 1) SELECT sql FROM sqlite_master",
        "WITH a AS (WITH x AS (SELECT 1) SELECT 1) SELECT * FROM pragma_database_list",
    ] {
        let refused = api
            .tools
            .call(
                "query_history",
                json!({ "sql": sql }),
                &Caller("x".to_owned()),
            )
            .await
            .unwrap_err();
        assert_eq!(refused.name, "QueryRejected", "{sql}: {refused}");
    }
}

#[tokio::test]
async fn a_query_that_never_ends_stops_and_blocks_no_other_call() {
    let api = setup("sql-forever");
    let limits = responder_local::archive::QueryLimits {
        timeout: std::time::Duration::from_secs(2),
        ..Default::default()
    };
    let api = Arc::new(Api {
        tools: Tools::new(
            Arc::new(api.api.clone().with_query_limits(limits)),
            ToolPolicy::default(),
        ),
        api: api.api,
        _dir: api._dir,
    });
    let forever = {
        let api = Arc::clone(&api);
        tokio::spawn(async move {
            api.tools
                .call(
                    "query_history",
                    json!({ "sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c" }),
                    &Caller("x".to_owned()),
                )
                .await
        })
    };
    tokio::task::yield_now().await;
    // WHEN other calls arrive while the query runs
    let listed = api.call("list_incidents", json!({})).await;
    let ready = api
        .api
        .local
        .db
        .conn()
        .query_row("SELECT 1", [], |r| r.get::<_, i64>(0));
    // THEN they are answered before it ends, and it ends at its limit
    assert!(listed["incidents"].is_array());
    assert_eq!(ready.unwrap(), 1);
    assert!(!forever.is_finished(), "the query should still be running");
    let refused = forever.await.unwrap().unwrap_err();
    assert_eq!(refused.name, "QueryTimeout", "{refused}");
}

#[tokio::test]
async fn logs_are_searched_in_a_window() {
    let api = setup("logs");
    let found = api
        .call(
            "search_logs",
            json!({ "filter": "error", "minutes": 1440, "end": "2026-11-20T12:00:00Z", "limit": 5 }),
        )
        .await;
    let lines = found["lines"].as_array().unwrap();
    assert!(!lines.is_empty(), "{found}");
    assert!(lines.len() <= 5);
    assert!(lines.iter().all(|l| {
        l["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("error")
    }));
}

#[tokio::test]
async fn an_ad_hoc_analysis_is_cached() {
    let api = setup("analyze");
    let first = api
        .call("analyze_alert", json!({ "payload": alarm() }))
        .await;
    assert_eq!(first["results"][0]["cached"], false);
    let second = api
        .call("analyze_alert", json!({ "payload": alarm() }))
        .await;
    assert_eq!(second["results"][0]["cached"], true);
    assert_eq!(
        first["results"][0]["analysis"],
        second["results"][0]["analysis"]
    );
}

#[tokio::test]
async fn trends_and_cross_incident_analysis_read_the_incidents() {
    let api = setup("trends");
    api.investigate(alarm_now()).await;
    let trends = api
        .call("incident_trends", json!({ "by": "severity", "days": 30 }))
        .await;
    assert_eq!(trends["total"], 1, "{trends}");
    let answer = api
        .call(
            "analyze_incidents",
            json!({ "question": "What keeps failing?", "since": "7d" }),
        )
        .await;
    assert_eq!(answer["incidents_read"], 1, "{answer}");
    assert_eq!(answer["answered_by"], "rules");
    assert_eq!(answer["patterns"]["services"][0]["service"], "checkout-api");
    let too_far = api
        .tools
        .call(
            "analyze_incidents",
            json!({ "question": "?", "since": "3650d" }),
            &Caller("x".to_owned()),
        )
        .await
        .unwrap_err();
    assert_eq!(
        too_far.message,
        "arguments.since is 3650d; it must be 1 to 365 (up to 365 days back)"
    );
}

/// `responder serve` stopped while an incident waits for approval, then
/// started again: the new process answers the approval and finishes the run.
#[tokio::test]
async fn a_waiting_execution_resumes_in_a_new_process() {
    let first = local_setup("api-restart", 5);
    let dir = first.dir.clone();
    let api = LocalApi::new(first.local, Arc::new(first.engine), first.definition);
    let tools = Tools::new(Arc::new(api.clone()), ToolPolicy::default());
    tools
        .call(
            "start_investigation",
            json!({ "payload": alarm() }),
            &Caller("alice".to_owned()),
        )
        .await
        .unwrap();
    api.advance().await.unwrap();
    drop((tools, api));

    // A second process: the same data directory, a new database handle and
    // engine.
    let db_path = dir.join("responder.db");
    let local = Arc::new(responder_local::Local {
        db: responder_local::Db::open(&db_path).unwrap(),
        config: responder_local::WorkflowConfig {
            logs_dir: events_dir().join("demo/logs"),
            ..responder_local::WorkflowConfig::default()
        },
        normalize: responder_core::NormalizeOptions::default(),
        outbox_dir: dir.join("outbox"),
    });
    let engine = responder_sfn::Engine::new(
        responder_sfn::Store::open(&db_path).unwrap(),
        Arc::new(responder_local::registry(Arc::clone(&local))),
    );
    let asl = std::fs::read_to_string(
        responder_e2e::statemachine_dir().join("incident-response.asl.json"),
    )
    .unwrap();
    let definition =
        Arc::new(responder_sfn::Definition::load(&asl, &responder_local::substitutions()).unwrap());
    let api = LocalApi::new(local, Arc::new(engine), definition);
    let again = Api {
        tools: Tools::new(Arc::new(api.clone()), ToolPolicy::default()),
        api,
        _dir: None,
    };
    let pending = again.call("list_pending_approvals", json!({})).await;
    let incident_id = pending["approvals"][0]["incident_id"]
        .as_str()
        .unwrap()
        .to_owned();
    again
        .call("approve_incident", json!({ "incident_id": incident_id }))
        .await;
    assert_eq!(
        again.api.advance().await.unwrap(),
        0,
        "nothing left running"
    );
    let view = again
        .call("get_incident", json!({ "incident_id": incident_id }))
        .await;
    assert_eq!(view["incident"]["status"], "NOTIFIED");
}

/// The bad-input corpus through `POST /events` over the local backend: each
/// payload refused with 400 and its error's name and reason, and nothing
/// stored, no execution started.
#[tokio::test]
async fn the_bad_input_corpus_is_refused_by_post_events_and_nothing_is_stored() {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use responder_api::http::{Auth, HttpConfig, router};
    use tower::ServiceExt;

    let api = setup("bad-input");
    let app = router(
        api.tools.clone(),
        HttpConfig {
            auth: Auth::Gateway(Arc::new(|_| {
                Some("arn:aws:iam::111122223333:user/alice".to_owned())
            })),
            allowed_origins: Vec::new(),
            webhook_token: None,
            slack_signing_secret: None,
            link_secret: None,
            slack: responder_api::http::SlackSettings::default(),
        },
    );
    let corpus = responder_e2e::bad_inputs();
    assert!(corpus.len() >= 20, "{} bad inputs", corpus.len());
    for (path, kind, reason) in &corpus {
        let body = std::fs::read(path).unwrap();
        let request = axum::http::Request::post("/events")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            status == axum::http::StatusCode::BAD_REQUEST
                || status == axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "{}: {status} {text}",
            path.display()
        );
        assert!(
            text.contains(kind.as_str()),
            "{}: {text} does not name {kind}",
            path.display()
        );
        // The route reads the JSON itself; what parses goes to the normalizer,
        // whose reason the corpus lists.
        let parses = serde_json::from_slice::<Value>(&std::fs::read(path).unwrap()).is_ok();
        let said = if parses { reason.as_str() } else { "JSON" };
        assert!(
            text.contains(said),
            "{}: {text} does not say {said}",
            path.display()
        );
    }
    assert!(
        api.api.local.db.incidents(10).unwrap().is_empty(),
        "no incident stored"
    );
    assert!(
        api.api.engine.store().list(10).unwrap().is_empty(),
        "no execution started"
    );
}
