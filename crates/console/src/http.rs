//! The console's routes under `/console`, for `responder serve`.
//!
//! Access: the server listens on loopback only when it serves the console
//! (`responder serve` refuses otherwise), and every page needs the token
//! `serve` prints at start-up: `/console/login?token=…` sets it as an
//! HttpOnly, SameSite=Strict cookie, compared in constant time. Decision
//! forms carry a CSRF token derived from it, and a cross-site POST is
//! refused. Decisions go through the same tools as the API, audited with
//! the caller `console`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use responder_api::tools::{Caller, Tools};
use responder_core::json::{at, field, set};
use responder_local::LocalApi;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::clean;
use crate::pages::{self, ExecutionRow, Filters};

/// The cookie that holds the console token.
const COOKIE: &str = "responder_console";
/// Rows in the lists.
const LIST_LIMIT: usize = 100;

struct Console {
    tools: Tools<LocalApi>,
    token: String,
    definition: Value,
}

impl Console {
    fn csrf(&self) -> String {
        let digest = Sha256::digest(format!("csrf:{}", self.token));
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn api(&self) -> &LocalApi {
        self.tools.backend()
    }
}

/// The console's router: merge it into the API's. `token` is what `serve`
/// prints; `definition` the ASL document the engine runs.
pub fn router(tools: Tools<LocalApi>, token: String, definition: Value) -> Router {
    let console = Arc::new(Console {
        tools,
        token,
        definition,
    });
    let pages = Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/incidents") }),
        )
        .route("/console/incidents", get(incidents))
        .route("/console/incidents/{id}", get(incident))
        .route("/console/incidents/{id}/decision", post(decide))
        .route("/console/executions", get(executions))
        .route("/console/executions/{id}", get(execution))
        .route("/console/executions/{id}/state", get(execution_state))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&console),
            require_token,
        ));
    Router::new()
        .route("/console/login", get(login))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .merge(pages)
        .with_state(console)
}

fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // Scripts and styles from this server only; no frames, no referrer.
    if let Ok(csp) = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'".parse() {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    if let Ok(value) = "no-referrer".parse() {
        headers.insert(header::REFERRER_POLICY, value);
    }
    if let Ok(value) = "nosniff".parse() {
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, value);
    }
    response
}

fn page(title: &str, body: Markup) -> Response {
    secure(Html(pages::layout(title, body).into_string()).into_response())
}

/// An error page. `message` may quote what a person typed or what a tool
/// answered: it is cleaned, and maud escapes it.
fn problem(status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! {
        h1 { (clean(title)) }
        p { (clean(message)) }
    };
    let mut response = page(title, body);
    *response.status_mut() = status;
    response
}

fn token_matches(console: &Console, offered: &str) -> bool {
    offered.as_bytes().ct_eq(console.token.as_bytes()).into()
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

async fn require_token(
    State(console): State<Arc<Console>>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = cookie_token(request.headers()).is_some_and(|t| token_matches(&console, &t));
    if !allowed {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Sign in",
            "Open the console link that `responder serve` printed when it started (it carries the token).",
        );
    }
    next.run(request).await
}

#[derive(Deserialize)]
struct Login {
    token: String,
}

async fn login(State(console): State<Arc<Console>>, Query(login): Query<Login>) -> Response {
    if !token_matches(&console, &login.token) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Wrong token",
            "This is not the token `responder serve` printed.",
        );
    }
    let mut response = Redirect::to("/console/incidents").into_response();
    if let Ok(cookie) = format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/console",
        console.token
    )
    .parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    secure(response)
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/console.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/console.js"),
    )
        .into_response()
}

/// Runs a read tool as the console.
async fn read(console: &Console, tool: &str, arguments: Value) -> Result<Value, Response> {
    console
        .tools
        .call(tool, arguments, &Caller("console".to_owned()))
        .await
        .map_err(|e| {
            let status = if e.name == "NotFound" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            problem(status, e.name.as_str(), &e.message)
        })
}

async fn incidents(
    State(console): State<Arc<Console>>,
    Query(filters): Query<Filters>,
) -> Response {
    let mut arguments = json!({"limit": LIST_LIMIT});
    for (key, value) in [
        ("status", &filters.status),
        ("severity", &filters.severity),
        ("service", &filters.service),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            set(&mut arguments, key, json!(value));
        }
    }
    match read(&console, "list_incidents", arguments).await {
        Ok(list) => page("Incidents", pages::incidents(&list, &filters)),
        Err(response) => response,
    }
}

async fn incident(State(console): State<Arc<Console>>, Path(id): Path<String>) -> Response {
    let mut view = match read(&console, "get_incident", json!({"incident_id": id})).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    match console.api().local.db.audit_of(&id) {
        Ok(audit) => set(&mut view, "audit", json!(audit)),
        Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, "Store", &e.to_string()),
    }
    let title = at(&view, "/incident/title")
        .as_str()
        .unwrap_or("Incident")
        .to_owned();
    page(&title, pages::incident(&view, &console.csrf()))
}

/// The decision forms' fields.
#[derive(Deserialize)]
struct DecisionForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    State(console): State<Arc<Console>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Response {
    let same_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|site| site == "same-origin" || site == "none");
    let csrf_ok: bool = form.csrf.as_bytes().ct_eq(console.csrf().as_bytes()).into();
    if !same_site || !csrf_ok {
        return problem(
            StatusCode::FORBIDDEN,
            "Refused",
            "The form did not come from this console; reload the incident and decide again.",
        );
    }
    let some = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
    let (tool, arguments) = match form.decision.as_str() {
        "approve" => (
            "approve_incident",
            json!({"incident_id": id, "comment": some(&form.comment), "severity": some(&form.severity), "summary": some(&form.summary)}),
        ),
        "reject" => (
            "reject_incident",
            json!({"incident_id": id, "reason": some(&form.reason).unwrap_or_else(|| "rejected in the console".to_owned())}),
        ),
        other => {
            return problem(
                StatusCode::BAD_REQUEST,
                "InvalidInput",
                &format!("decision is '{other}'; expected approve or reject"),
            );
        }
    };
    let arguments = strip_nulls(arguments);
    match console
        .tools
        .call(tool, arguments, &Caller("console".to_owned()))
        .await
    {
        Ok(_) => {
            console.api().wake.notify_one();
            Redirect::to(&format!("/console/incidents/{}", encode(&id))).into_response()
        }
        Err(e) => problem(StatusCode::CONFLICT, e.name.as_str(), &e.message),
    }
}

fn strip_nulls(mut value: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.retain(|_, v| !v.is_null());
    }
    value
}

/// An id for a path segment: the characters ids are made of, nothing else.
fn encode(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect()
}

async fn executions(State(console): State<Arc<Console>>) -> Response {
    match console.api().engine.store().list(LIST_LIMIT) {
        Ok(list) => {
            let rows: Vec<ExecutionRow> = list
                .into_iter()
                .map(|e| ExecutionRow {
                    id: e.id,
                    name: e.name,
                    status: e.status,
                    started_at: e.started_at,
                    stopped_at: e.stopped_at,
                })
                .collect();
            page("Executions", pages::executions(&rows))
        }
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, "Store", &e.to_string()),
    }
}

async fn execution(State(console): State<Arc<Console>>, Path(id): Path<String>) -> Response {
    match read(&console, "get_execution", json!({"execution_id": id})).await {
        Ok(view) => page("Execution", pages::execution(&view, &console.definition)),
        Err(response) => response,
    }
}

/// What the page polls while the execution runs.
async fn execution_state(State(console): State<Arc<Console>>, Path(id): Path<String>) -> Response {
    match read(&console, "get_execution", json!({"execution_id": id})).await {
        Ok(view) => axum::Json(json!({
            "status": field(&view, "status"),
            "transitions": field(&view, "transitions"),
            "events": field(&view, "events").as_array().map_or(0, Vec::len),
        }))
        .into_response(),
        Err(response) => response,
    }
}
