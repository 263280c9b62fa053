//! States inside states: Map in Parallel, Wait and Retry inside Map items,
//! Retry of a whole Parallel, and the `...Path` variants of Map and Task.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use responder_sfn::{Registry, StatesError, Status};
use serde_json::json;

#[tokio::test]
async fn a_map_inside_a_parallel_branch_keeps_both_orders() {
    let asl = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs", "End": true,
            "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"StartAt": "Double", "States": {"Double": {"Type": "Pass",
                "Parameters": {"i.$": "$.i", "sum.$": "States.MathAdd($.v, $.v)"}, "End": true}}}}}},
        {"StartAt": "Count", "States": {"Count": {"Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.xs)"}, "End": true}}}
    ]}}});
    let execution = run(&asl, json!({"xs": [1, 2, 3]})).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        execution.output,
        Some(json!([[{"i": 0, "sum": 2}, {"i": 1, "sum": 4}, {"i": 2, "sum": 6}], {"n": 3}]))
    );
}

#[tokio::test]
async fn waits_inside_map_items_run_side_by_side_on_the_clock() {
    let asl = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.delays", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}},
        "ItemSelector": {"s.$": "$$.Map.Item.Value"}}}});
    let execution = run(&asl, json!({"delays": [30, 10, 20]})).await;
    assert_eq!(execution.status, Status::Succeeded);
    let last = execution.history().last().unwrap();
    // All three wait at once: the Map ends after the longest wait, not the sum.
    assert_eq!((last.timestamp - start_time()).num_seconds(), 30);
}

#[tokio::test]
async fn max_concurrency_path_limits_the_items_in_flight() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (now, peak) = (Arc::clone(&in_flight), Arc::clone(&most));
    let mut registry = Registry::new();
    registry.register("slow", move |_| {
        let (now, peak) = (Arc::clone(&now), Arc::clone(&peak));
        Box::pin(async move {
            let current = now.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(current, Ordering::SeqCst);
            tokio::task::yield_now().await;
            now.fetch_sub(1, Ordering::SeqCst);
            Ok(json!(current))
        })
    });
    let asl = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrencyPath": "$.limit", "End": true,
        "ItemProcessor": {"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:slow", "End": true}}}}}});
    let execution = run_with(
        registry,
        &asl,
        json!({"limit": 2, "items": [1, 2, 3, 4, 5]}),
    )
    .await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(execution.output.unwrap().as_array().unwrap().len(), 5);
    assert_eq!(most.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_retry_on_a_parallel_state_runs_every_branch_again() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let mut registry = Registry::new();
    registry.register_fn("flaky", move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(StatesError::new("Transient", "first call fails"))
        } else {
            Ok(json!("ok"))
        }
    });
    let asl = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
    "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 5, "MaxAttempts": 1}],
    "Branches": [
        {"StartAt": "F", "States": {"F": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:flaky", "End": true}}},
        {"StartAt": "Q", "States": {"Q": {"Type": "Pass", "Result": "static", "End": true}}}
    ]}}});
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(execution.output, Some(json!(["ok", "static"])));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // One state entered, one retry.
    assert_eq!(execution.transitions(), 2 + 2 + 2);
}

#[tokio::test]
async fn tolerated_failure_percentage_path_is_read_from_the_input() {
    let mut registry = Registry::new();
    registry.register_fn("odd", |request| {
        if request.input.as_i64().unwrap() % 2 == 1 {
            Err(StatesError::new("Odd", "odd item"))
        } else {
            Ok(request.input)
        }
    });
    let asl = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
        "ToleratedFailurePercentagePath": "$.tolerance", "End": true,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:odd", "End": true}}}}}});
    let items = json!([0, 1, 2, 3]);
    let ok = run_with(
        registry.clone(),
        &asl,
        json!({"items": items, "tolerance": 50}),
    )
    .await;
    assert_eq!(ok.status, Status::Succeeded);
    let failed = run_with(registry, &asl, json!({"items": items, "tolerance": 25})).await;
    assert_eq!(
        failed.error.unwrap().error,
        "States.ExceedToleratedFailureThreshold"
    );
}

#[tokio::test]
async fn heartbeat_seconds_path_is_read_from_the_input() {
    let (registry, _) = recording("wait", |_, _| Ok(json!({})));
    let asl = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "End": true,
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "HeartbeatSecondsPath": "$.hb", "TimeoutSeconds": 3600,
        "Parameters": {"FunctionName": "wait", "Payload": {"token.$": "$$.Task.Token"}}}}});
    let clock = clock();
    let engine = engine_with(registry, Arc::clone(&clock));
    let waiting = engine
        .execute(&definition(&asl), "Test", None, json!({"hb": 60}))
        .await
        .unwrap();
    clock.advance(chrono::Duration::seconds(61));
    let failed = engine.run(&waiting.id).await.unwrap();
    assert_eq!(
        failed.error.as_ref().unwrap().error,
        "States.HeartbeatTimeout"
    );
    let timed_out = failed
        .history()
        .iter()
        .find(|e| e.kind == "TaskTimedOut")
        .unwrap();
    assert_eq!((timed_out.timestamp - start_time()).num_seconds(), 61);
}

#[tokio::test]
async fn a_filter_can_compare_with_a_value_from_the_document_root() {
    let asl = pass(json!({"Parameters": {"over.$": "$.items[?(@.n > $.limit)].n"}}));
    let execution = run(
        &asl,
        json!({"limit": 2, "items": [{"n": 1}, {"n": 3}, {"n": 5}]}),
    )
    .await;
    assert_eq!(execution.output, Some(json!({"over": [3, 5]})));
}
