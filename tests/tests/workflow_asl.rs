//! The real workflow file, `statemachine/incident-response.asl.json`, on the
//! local engine with every task mocked (`incident-response.mocks.json`, the
//! Step Functions Local format): each path an incident can take.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::Arc;

use responder_e2e::{events_dir, statemachine_dir, states_entered};
use responder_sfn::{
    Definition, Engine, Execution, ManualClock, MockCase, Registry, SeededRandom, Status, Store,
};
use serde_json::{Value, json};

async fn run_case(case: &str) -> Execution {
    let asl =
        std::fs::read_to_string(statemachine_dir().join("incident-response.asl.json")).unwrap();
    let mocks =
        std::fs::read_to_string(statemachine_dir().join("incident-response.mocks.json")).unwrap();
    let definition = Arc::new(Definition::load(&asl, &HashMap::new()).unwrap());
    let alarm =
        std::fs::read_to_string(events_dir().join("eventbridge/metric-alarm-lambda-errors.json"))
            .unwrap();
    let engine = Engine::new(Store::in_memory().unwrap(), Arc::new(Registry::new()))
        .with_clock(Arc::new(ManualClock::new(
            "2026-01-15T10:05:00Z".parse().unwrap(),
        )))
        .with_random(Arc::new(SeededRandom::new(3)))
        .with_mocks(MockCase::load(&mocks, Some("IncidentResponse"), case).unwrap());
    engine
        .execute(
            &definition,
            "IncidentResponse",
            None,
            serde_json::from_str(&alarm).unwrap(),
        )
        .await
        .unwrap()
}

fn entered(execution: &Execution, state: &str) -> bool {
    states_entered(execution).iter().any(|s| s == state)
}

/// The state document when `state` was entered.
fn input_of(execution: &Execution, state: &str) -> Value {
    execution
        .history()
        .iter()
        .find(|e| e.kind.ends_with("StateEntered") && e.details.name.as_deref() == Some(state))
        .and_then(|e| e.details.input.as_ref().map(responder_sfn::Payload::value))
        .unwrap_or_else(|| panic!("{state} was not entered: {:?}", states_entered(execution)))
}

fn incidents(execution: &Execution) -> Value {
    execution.output.as_ref().unwrap()["incidents"].clone()
}

#[tokio::test]
async fn every_path_ends_in_an_explicit_state() {
    let asl =
        std::fs::read_to_string(statemachine_dir().join("incident-response.asl.json")).unwrap();
    let definition = Definition::load(&asl, &HashMap::new()).unwrap();
    assert_eq!(definition.state_count(), 35);
    // Every function is a placeholder CDK substitutes.
    let text: Value = serde_json::from_str(&asl).unwrap();
    let resources = collect_resources(&text);
    assert!(!resources.is_empty());
    for resource in resources {
        assert!(
            resource.starts_with("${") || resource.starts_with("arn:aws:states:::"),
            "{resource}"
        );
    }
}

fn collect_resources(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("Resource" | "FunctionName", Value::String(s)) => out.push(s.clone()),
                    _ => out.extend(collect_resources(v)),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| out.extend(collect_resources(v))),
        _ => {}
    }
    out
}

#[tokio::test]
async fn a_new_incident_is_analyzed_approved_and_delivered() {
    let execution = run_case("NewIncident").await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        states_entered(&execution),
        [
            "NormalizeAlert",
            "ForEachAlert",
            "RegisterAlert",
            "RouteDecision",
            "GatherContext",
            "QueryHistory",
            "QueryLogs",
            "QueryChanges",
            "CheckCache",
            "CacheHit",
            "Analyze",
            "RequestApproval",
            "Distribute",
            "Deliver",
            "Deliver",
            "RecordOutcome"
        ]
    );
    let record = input_of(&execution, "RecordOutcome");
    assert_eq!(
        record["context"]["history"]["incidents"][0]["likeness"],
        "signature"
    );
    assert_eq!(record["context"]["logs"]["available"], true);
    assert_eq!(
        record["context"]["changes"]["events"][0]["name"],
        "UpdateTable"
    );
    assert_eq!(record["approval"]["decision"], "APPROVED");
    assert_eq!(
        record["deliveries"],
        json!([{"status": "SENT"}, {"status": "SENT"}])
    );
    assert_eq!(
        incidents(&execution),
        json!([{"incident_id": "inc-20260115-0001", "recorded": true}])
    );
    // The approval request carries the task token, never in a URL.
    let request = execution
        .history()
        .iter()
        .find(|e| e.kind == "TaskScheduled")
        .unwrap();
    let input = request.details.input.as_ref().unwrap().value();
    let token = &input["Payload"]["token"];
    assert!(token.as_str().unwrap().len() >= 64);
}

#[tokio::test]
async fn a_cache_hit_skips_the_analyzer() {
    let execution = run_case("CacheHit").await;
    assert_eq!(execution.status, Status::Succeeded);
    assert!(entered(&execution, "UseCachedAnalysis"));
    assert!(!entered(&execution, "Analyze"));
    let record = input_of(&execution, "RecordOutcome");
    assert_eq!(record["analysis"]["root_causes"][0]["confidence"], 0.8);
}

#[tokio::test]
async fn a_duplicate_delivery_stops_after_registering_and_a_repeat_after_its_notice() {
    let execution = run_case("Duplicate").await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        states_entered(&execution),
        [
            "NormalizeAlert",
            "ForEachAlert",
            "RegisterAlert",
            "RouteDecision",
            "Duplicate"
        ]
    );
    // A repeat is told in the incident's Slack thread; Slack being down
    // (after the retries) never fails the execution.
    for case in ["Repeat", "RepeatWithSlackDown"] {
        let execution = run_case(case).await;
        assert_eq!(execution.status, Status::Succeeded, "{case}");
        assert_eq!(
            states_entered(&execution),
            [
                "NormalizeAlert",
                "ForEachAlert",
                "RegisterAlert",
                "RouteDecision",
                "NotifyRepeat",
                "Repeat"
            ]
        );
        let notice = input_of(&execution, "NotifyRepeat");
        assert_eq!(notice["registration"]["decision"], "REPEAT");
    }
}

#[tokio::test]
async fn a_recovery_tells_the_notified_channels() {
    let execution = run_case("Recovery").await;
    assert_eq!(execution.status, Status::Succeeded);
    assert!(entered(&execution, "SendRecovery"));
    let record = input_of(&execution, "RecordRecovery");
    assert_eq!(
        record["registration"]["incident"]["time_to_recover_seconds"],
        840
    );
    assert_eq!(record["deliveries"], json!([{"status": "SENT"}]));
}

#[tokio::test]
async fn a_rejection_suppresses_the_incident() {
    let execution = run_case("Rejected").await;
    assert_eq!(execution.status, Status::Succeeded);
    assert!(!entered(&execution, "Distribute"));
    assert!(entered(&execution, "TellSuppression"));
    let suppress = input_of(&execution, "Suppress");
    assert_eq!(suppress["notice"]["status"], "SENT");
    assert_eq!(suppress["approval"]["Error"], "Approval.Rejected");
    assert_eq!(suppress["approval"]["Cause"], "false positive: load test");
}

#[tokio::test]
async fn an_approval_timeout_delivers_marked_not_reviewed() {
    let execution = run_case("ApprovalTimeout").await;
    assert_eq!(execution.status, Status::Succeeded);
    let record = input_of(&execution, "RecordOutcome");
    assert_eq!(
        record["approval"],
        json!({"decision": "TIMED_OUT", "reviewed": false, "channels": ["slack", "jira"]})
    );
}

#[tokio::test]
async fn an_analyzer_that_stays_down_falls_back_degraded() {
    let execution = run_case("AnalyzerDown").await;
    assert_eq!(execution.status, Status::Succeeded);
    let fallback = input_of(&execution, "AnalyzeFallback");
    assert_eq!(fallback["analyzer_error"]["Error"], "Analyzer.Unavailable");
    let record = input_of(&execution, "RecordOutcome");
    assert_eq!(record["analysis"]["degraded"], true);
    // Three retries after the first attempt, with backoff.
    let analyze_attempts = execution
        .history()
        .iter()
        .filter(|e| {
            e.kind == "LambdaFunctionScheduled"
                && e.details
                    .input
                    .as_ref()
                    .is_some_and(|i| i.value().get("cache_key").is_some())
        })
        .count();
    assert_eq!(analyze_attempts, 4);
}

#[tokio::test]
async fn a_failing_history_branch_marks_its_context_unavailable() {
    let execution = run_case("HistoryDown").await;
    assert_eq!(execution.status, Status::Succeeded);
    let record = input_of(&execution, "RecordOutcome");
    assert_eq!(record["context"]["history"]["available"], false);
    assert_eq!(record["context"]["history"]["error"], "History.QueryFailed");
    assert_eq!(record["context"]["logs"]["available"], true);
}

/// LookupEvents throttled past the retries, then refused: the incident is
/// analyzed without its changes, and says so.
#[tokio::test]
async fn a_failing_changes_branch_marks_its_context_unavailable() {
    let execution = run_case("ChangesDown").await;
    assert_eq!(execution.status, Status::Succeeded);
    let record = input_of(&execution, "RecordOutcome");
    assert_eq!(record["context"]["changes"]["available"], false);
    assert_eq!(record["context"]["changes"]["error"], "Changes.Transient");
    assert_eq!(record["context"]["history"]["available"], true);
    assert_eq!(record["context"]["logs"]["available"], true);
}

#[tokio::test]
async fn one_failing_channel_does_not_block_the_others() {
    let execution = run_case("ChannelFails").await;
    assert_eq!(execution.status, Status::Succeeded);
    let record = input_of(&execution, "RecordOutcome");
    assert_eq!(record["deliveries"][0], json!({"status": "SENT"}));
    assert_eq!(record["deliveries"][1]["status"], "FAILED");
    assert_eq!(record["deliveries"][1]["error"], "Delivery.Rejected");
    assert_eq!(record["deliveries"][1]["channel"], "jira");
}

#[tokio::test]
async fn an_invalid_alert_fails_cleanly_with_its_error_name() {
    let execution = run_case("InvalidAlert").await;
    assert_eq!(execution.status, Status::Failed);
    let error = execution.error.clone().unwrap();
    assert_eq!(error.error, "InvalidAlert");
    assert_eq!(error.cause, "detail.state.value is missing");
    assert!(
        !states_entered(&execution)
            .iter()
            .any(|s| s == "RegisterAlert")
    );
}

#[tokio::test]
async fn an_approval_request_slack_refuses_is_asked_again_quietly_and_still_decided() {
    let execution = run_case("ApprovalRequestNotSent").await;
    assert_eq!(execution.status, Status::Succeeded);
    assert!(entered(&execution, "RequestApprovalQuietly"));
    let quiet = input_of(&execution, "RequestApprovalQuietly");
    assert_eq!(quiet["approval_request_error"]["Error"], "Delivery.Failed");
    assert!(entered(&execution, "Distribute"));
}
