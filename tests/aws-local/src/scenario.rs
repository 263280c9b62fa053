//! What users do to the stack: CloudWatch alarms change state (the events
//! of `events/eventbridge/`, through the rule's pattern), a person approves
//! or rejects through the API (the MCP tools, behind API Gateway with an IAM
//! caller), the alarm recovers, EventBridge delivers an event twice.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use responder_sfn::{Execution, Status};
use serde_json::{Value, json};

use crate::endpoint::Endpoint;
use crate::gateway::Gateway;
use crate::pattern;
use crate::runtime::Runtime;
use crate::stack::Stack;

#[derive(Debug)]
pub struct World<'a> {
    pub stack: &'a Stack,
    pub gateway: Option<&'a Gateway>,
    pub runtimes: &'a BTreeMap<String, Arc<Runtime>>,
    pub endpoint: &'a Arc<Endpoint>,
    pub events: PathBuf,
    /// API Gateway's local front (`http://127.0.0.1:PORT`), if the template has an API.
    pub front: Option<String>,
    /// The SigV4 client the approver uses.
    pub awscurl: PathBuf,
}

/// One scenario's result.
#[derive(Debug)]
pub struct Step {
    pub name: String,
    pub detail: String,
    pub passed: bool,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub steps: Vec<Step>,
    /// Events read, events the rule matched.
    pub events: (usize, usize),
}

/// The log group of `checkout-api`, the function `metric-alarm-lambda-errors.json` watches.
pub const WATCHED_LOG_GROUP: &str = "/aws/lambda/checkout-api";

/// How long an answered execution may take to finish.
const FINISH: Duration = Duration::from_secs(120);

pub async fn run_all(w: &World<'_>) -> Outcome {
    let mut out = Outcome::default();
    match match_events(w) {
        Ok((read, matched, step)) => {
            out.events = (read, matched);
            out.steps.push(step);
        }
        Err(e) => out.steps.push(failed("event patterns", e)),
    }
    out.steps.push(unsigned_is_refused(w).await);
    let scenarios: [(&str, &str, Option<&str>); 4] = [
        (
            "approval",
            "metric-alarm-lambda-errors.json",
            Some("approve_incident"),
        ),
        ("redelivery", "metric-alarm-lambda-errors.json", None),
        (
            "rejection",
            "metric-math-alarm-apigw-5xx-rate.json",
            Some("reject_incident"),
        ),
        ("recovery", "metric-alarm-lambda-errors-ok.json", None),
    ];
    for (name, file, decision) in scenarios {
        let step = match scenario(w, file, decision).await {
            Ok(detail) => Step {
                name: name.to_owned(),
                detail,
                passed: true,
            },
            Err(e) => failed(name, e),
        };
        out.steps.push(step);
    }
    out.steps.push(match api_tools(w).await {
        Ok(detail) => Step {
            name: "API tools".into(),
            detail,
            passed: true,
        },
        Err(e) => failed("API tools", e),
    });
    out
}

/// The read tools a person uses around an incident, and an investigation
/// started by hand (then rejected), each through API Gateway and awscurl.
async fn api_tools(w: &World<'_>) -> Result<String> {
    let (incident, execution) = {
        let runtime = w
            .runtimes
            .values()
            .find(|r| r.function.crate_name == "request-approval")
            .ok_or_else(|| anyhow!("the template has no request-approval function"))?;
        let invocations = runtime
            .invocations
            .lock()
            .map_err(|_| anyhow!("poisoned"))?;
        let first = invocations
            .first()
            .ok_or_else(|| anyhow!("no approval was requested"))?;
        (
            first.payload["incident"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            first.payload["execution"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let execution = w
        .endpoint
        .machine
        .deployed_arn(&w.endpoint.arns, &execution);
    let calls = [
        ("list_incidents", json!({})),
        ("get_incident", json!({"incident_id": incident})),
        ("list_pending_approvals", json!({})),
        ("get_execution", json!({"execution_id": execution})),
        (
            "search_logs",
            json!({"log_groups": [WATCHED_LOG_GROUP], "minutes": 60}),
        ),
        (
            "query_history",
            json!({"sql": "SELECT signature, count(*) AS n FROM incident_history GROUP BY signature"}),
        ),
        (
            "analyze_alert",
            json!({"text": "checkout-api: Errors > 5 for 5 minutes"}),
        ),
    ];
    let mut done = Vec::new();
    for (tool, arguments) in calls {
        call_tool(w, tool, arguments).await.context(tool)?;
        done.push(tool);
    }
    // An investigation by hand: StartExecution from the API, then rejected.
    let started = call_tool(
        w,
        "start_investigation",
        json!({"title": "aws-local: checkout slow", "message": "p99 above 2 s", "severity": "HIGH"}),
    )
    .await
    .context("start_investigation")?;
    let text = started["content"][0]["text"].as_str().unwrap_or_default();
    let answer: Value =
        serde_json::from_str(text).unwrap_or_else(|_| started["structuredContent"].clone());
    let arn = answer["execution_id"]
        .as_str()
        .ok_or_else(|| anyhow!("start_investigation answered no execution_id: {text}"))?;
    let id = w.endpoint.machine.engine_arn(&w.endpoint.arns, arn);
    let e = wait_until_settled(w, &id).await?;
    if waits_for_approval(&e) {
        let incident = approval_incident(w, &e.id)?;
        call_tool(
            w,
            "reject_incident",
            json!({"incident_id": incident, "reason": "aws-local: a drill"}),
        )
        .await
        .context("reject_incident")?;
        let ended = wait_for_end(w, &id).await?;
        if ended.status != Status::Succeeded {
            bail!("the investigation ended {}", ended.status.as_str());
        }
    }
    done.push("start_investigation");
    done.push("reject_incident");
    Ok(done.join(", "))
}

/// Waits until `id` ends or waits for a callback (a task token open).
async fn wait_until_settled(w: &World<'_>, id: &str) -> Result<Execution> {
    let started = Instant::now();
    loop {
        let e = describe(w, id)?;
        if e.status != Status::Running || approval_incident(w, id).is_ok() {
            return Ok(e);
        }
        if started.elapsed() > FINISH {
            bail!(
                "execution {id} neither ended nor asked for approval in {} s",
                FINISH.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn failed(name: &str, e: anyhow::Error) -> Step {
    Step {
        name: name.to_owned(),
        detail: format!("{e:#}"),
        passed: false,
    }
}

fn read_event(w: &World<'_>, file: &str) -> Result<Value> {
    let path = w.events.join(file);
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// The rules that start the state machine and match `event`.
fn matching_rules(w: &World<'_>, event: &Value) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for rule in &w.stack.rules {
        if !rule.targets.contains(&w.stack.machine.arn) {
            continue;
        }
        if pattern::matches(&rule.pattern, event).map_err(|e| anyhow!("rule {}: {e}", rule.name))? {
            names.push(rule.name.clone());
        }
    }
    Ok(names)
}

/// Every alarm event of `events/eventbridge/` against the rules, and one
/// event the pattern must not match (an EC2 state change).
fn match_events(w: &World<'_>) -> Result<(usize, usize, Step)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&w.events)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut matched = 0;
    let mut missed = Vec::new();
    for file in &files {
        let event: Value = serde_json::from_str(&std::fs::read_to_string(file)?)?;
        if matching_rules(w, &event)?.is_empty() {
            missed.push(
                file.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        } else {
            matched += 1;
        }
    }
    let other = json!({
        "version": "0", "id": "aws-local-ec2", "source": "aws.ec2",
        "detail-type": "EC2 Instance State-change Notification",
        "account": w.stack.deployment.account, "region": w.stack.deployment.region,
        "time": "2026-11-20T09:14:00Z", "resources": [], "detail": {"state": "stopped"}
    });
    let ec2_matches = !matching_rules(w, &other)?.is_empty();
    let passed = missed.is_empty() && !ec2_matches;
    let detail = format!(
        "{matched} of {} alarm events match the rule{}; an EC2 state change {}",
        files.len(),
        if missed.is_empty() {
            String::new()
        } else {
            format!(" (not: {})", missed.join(", "))
        },
        if ec2_matches {
            "MATCHES (wrong)"
        } else {
            "starts nothing"
        }
    );
    Ok((
        files.len(),
        matched,
        Step {
            name: "event patterns".into(),
            detail,
            passed,
        },
    ))
}

/// EventBridge delivers `event` to each matching rule's target: a
/// `StartExecution` with the event as input (and a random name).
async fn deliver(w: &World<'_>, event: Value) -> Result<Vec<Execution>> {
    let rules = matching_rules(w, &event)?;
    if rules.is_empty() {
        bail!("no rule matches the event");
    }
    let machine = &w.endpoint.machine;
    let mut out = Vec::new();
    for name in rules {
        // EventBridge assumes the target's role to start the execution.
        let rule = w.stack.rules.iter().find(|r| r.name == name);
        let (role, policies) = rule
            .and_then(|r| r.roles.get(&w.stack.machine.arn))
            .cloned()
            .unwrap_or_default();
        let need = crate::calls::need("states:StartExecution".into(), w.stack.machine.arn.clone());
        let verdict = crate::endpoint::verdict(&policies, &need);
        let refused = verdict.refused();
        if let Ok(mut calls) = w.endpoint.calls.lock() {
            calls.push(crate::endpoint::Call {
                function: format!("events rule {name}"),
                service: "states".into(),
                action: need.action.clone(),
                resource: need.resource.clone(),
                verdict,
                backend: "engine",
            });
        }
        if refused {
            bail!(
                "the rule {name}'s role {role} may not states:StartExecution on {}: EventBridge cannot start it",
                need.resource
            );
        }
        let id = machine
            .engine
            .start(&machine.definition, &machine.name, None, event.clone())?;
        out.push(machine.engine.run(&id).await?);
    }
    Ok(out)
}

fn describe(w: &World<'_>, id: &str) -> Result<Execution> {
    Ok(w.endpoint.machine.engine.describe(id)?)
}

async fn wait_for_end(w: &World<'_>, id: &str) -> Result<Execution> {
    let started = Instant::now();
    loop {
        let e = describe(w, id)?;
        if e.status != Status::Running {
            return Ok(e);
        }
        if started.elapsed() > FINISH {
            bail!("execution {id} still runs after {} s", FINISH.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waiting for a task token: the execution is running and a callback task
/// is open.
fn waits_for_approval(e: &Execution) -> bool {
    e.status == Status::Running
}

/// The incident of the last approval requested in execution `id`.
fn approval_incident(w: &World<'_>, id: &str) -> Result<String> {
    let runtime = w
        .runtimes
        .values()
        .find(|r| r.function.crate_name == "request-approval")
        .ok_or_else(|| anyhow!("the template has no request-approval function"))?;
    let invocations = runtime
        .invocations
        .lock()
        .map_err(|_| anyhow!("poisoned"))?;
    invocations
        .iter()
        .rev()
        .filter(|i| i.payload["execution"].as_str() == Some(id))
        .find_map(|i| i.payload["incident"]["id"].as_str().map(str::to_owned))
        .ok_or_else(|| anyhow!("RequestApproval was not invoked for {id}"))
}

/// An MCP `tools/call` through API Gateway to the API function, signed
/// with SigV4 by awscurl as the approver.
async fn call_tool(w: &World<'_>, tool: &str, arguments: Value) -> Result<Value> {
    let gateway = w
        .gateway
        .ok_or_else(|| anyhow!("the template has no REST API"))?;
    let front = w.front.as_deref().ok_or_else(|| anyhow!("no API front"))?;
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments}
    });
    let url = format!("{front}/{}/mcp", gateway.stage);
    let out = tokio::process::Command::new(&w.awscurl)
        .args(["--service", "execute-api", "--region", &gateway.region])
        .args(["--access_key", crate::gateway::APPROVER_KEY])
        .args(["--secret_key", crate::gateway::APPROVER_SECRET])
        .args(["-X", "POST", "-H", "Content-Type: application/json"])
        .args(["-H", "Accept: application/json, text/event-stream"])
        .args(["-d", &body.to_string(), &url])
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .await
        .with_context(|| format!("cannot run {} (make tools)", w.awscurl.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "awscurl POST {url}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rpc: Value =
        serde_json::from_str(text.trim()).with_context(|| format!("the MCP answer: {text}"))?;
    if rpc["result"]["isError"].as_bool() == Some(true) || rpc.get("error").is_some() {
        bail!("{tool} failed: {text}");
    }
    Ok(rpc["result"].clone())
}

/// An unsigned call of an `AWS_IAM` method never reaches the function.
pub async fn unsigned_is_refused(w: &World<'_>) -> Step {
    let result: Result<String> = async {
        let gateway = w
            .gateway
            .ok_or_else(|| anyhow!("the template has no REST API"))?;
        let front = w.front.as_deref().ok_or_else(|| anyhow!("no API front"))?;
        let request = hyper::Request::builder()
            .method("POST")
            .uri(format!("{front}/{}/mcp", gateway.stage))
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(axum::body::Bytes::from_static(
                b"{}",
            )))?;
        let response = crate::moto::client().request(request).await?;
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if status != 403 {
            bail!("an unsigned POST /mcp answered {status}");
        }
        Ok(format!(
            "an unsigned POST /{}/mcp is refused: {status} {kind}",
            gateway.stage
        ))
    }
    .await;
    match result {
        Ok(detail) => Step {
            name: "unsigned call".into(),
            detail,
            passed: true,
        },
        Err(e) => failed("unsigned call", e),
    }
}

async fn scenario(w: &World<'_>, file: &str, decision: Option<&str>) -> Result<String> {
    let event = read_event(w, file)?;
    let executions = deliver(w, event).await?;
    let mut details = Vec::new();
    for e in executions {
        let e = match decision {
            Some(tool) => {
                if !waits_for_approval(&e) {
                    let error = e
                        .error
                        .as_ref()
                        .map(|x| format!(": {}", x.error))
                        .unwrap_or_default();
                    bail!(
                        "{file}: the execution ended {}{error} without asking for approval",
                        e.status.as_str()
                    );
                }
                let incident = approval_incident(w, &e.id)?;
                let arguments = if tool == "reject_incident" {
                    json!({"incident_id": incident, "reason": "aws-local: a known test alarm"})
                } else {
                    json!({"incident_id": incident, "comment": "aws-local: approved"})
                };
                call_tool(w, tool, arguments).await?;
                let ended = wait_for_end(w, &e.id).await?;
                details.push(format!("{tool} {incident}"));
                ended
            }
            None if waits_for_approval(&e) => {
                bail!("{file}: the execution waits for an approval nobody asked for");
            }
            None => e,
        };
        if e.status != Status::Succeeded {
            let error = e
                .error
                .as_ref()
                .map(|x| format!("{}: {}", x.error, x.cause))
                .unwrap_or_default();
            bail!(
                "{file}: execution {} ended {} {error}",
                e.name,
                e.status.as_str()
            );
        }
        let path: Vec<String> = e
            .history()
            .iter()
            .filter(|ev| ev.kind == "TaskStateEntered")
            .filter_map(|ev| ev.details.name.clone())
            .collect();
        details.push(format!("{} via {}", e.status.as_str(), path.join(" > ")));
    }
    Ok(details.join("; "))
}
