//! Retry timing under the manual clock, Catch, task integrations, timeouts,
//! heartbeats, callbacks, restarts, history and mocked responses.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use chrono::Duration;
use common::*;
use responder_sfn::{Engine, MockCase, Registry, SeededRandom, StatesError, Status, Store};
use serde_json::{Value, json};

fn task(fields: Value) -> Value {
    let mut state = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:work:$LATEST", "Payload.$": "$"},
        "End": true});
    with_fields(&mut state, fields);
    with_catch_target(json!({"StartAt": "Work", "States": {"Work": state}}))
}

fn with_fields(state: &mut Value, fields: Value) {
    if let (Some(s), Value::Object(f)) = (state.as_object_mut(), fields) {
        s.extend(f);
    }
}

/// Adds the `Caught` state when a catcher leads there (AWS refuses
/// unreachable states).
fn with_catch_target(mut asl: Value) -> Value {
    if asl.to_string().contains("\"Next\":\"Caught\"") {
        asl["States"]["Caught"] = json!({"Type": "Pass", "End": true});
    }
    asl
}

/// A function that fails with `error` for its first `failures` calls.
fn flaky(error: &'static str, failures: usize) -> (Registry, Arc<std::sync::Mutex<Vec<Value>>>) {
    let count = std::sync::atomic::AtomicUsize::new(0);
    recording("work", move |_, _| {
        if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < failures {
            Err(StatesError::new(error, "try again"))
        } else {
            Ok(json!({"done": true}))
        }
    })
}

fn scheduled_times(execution: &responder_sfn::Execution) -> Vec<i64> {
    execution
        .history()
        .iter()
        .filter(|e| e.kind == "TaskScheduled")
        .map(|e| (e.timestamp - start_time()).num_milliseconds())
        .collect()
}

#[tokio::test]
async fn lambda_invoke_wraps_the_result_and_plain_arns_do_not() {
    let (registry, calls) = flaky("none", 0);
    let execution = run_with(registry, &task(json!({})), json!({"alarm": "x"})).await;
    assert_eq!(calls.lock().unwrap()[0], json!({"alarm": "x"}));
    let output = execution.output.unwrap();
    assert_eq!(output["Payload"], json!({"done": true}));
    assert_eq!(output["StatusCode"], json!(200));
    assert_eq!(output["ExecutedVersion"], json!("$LATEST"));

    let (registry, _) = flaky("none", 0);
    let asl = json!({"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:work", "End": true}}});
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(execution.output, Some(json!({"done": true})));
    assert!(event_types(&execution).contains(&"LambdaFunctionSucceeded".to_owned()));
}

#[tokio::test]
async fn retries_wait_interval_times_backoff_and_count_as_transitions() {
    let (registry, calls) = flaky("Lambda.ServiceException", 3);
    let asl = task(
        json!({"Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}]}),
    );
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(calls.lock().unwrap().len(), 4);
    assert_eq!(scheduled_times(&execution), [0, 2_000, 8_000, 26_000]);
    // One state entered plus three retries.
    assert_eq!(execution.transitions(), 4);
}

#[tokio::test]
async fn max_delay_caps_and_full_jitter_stays_below_the_delay() {
    let (registry, _) = flaky("E", 3);
    let asl = task(
        json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 10, "BackoffRate": 10, "MaxDelaySeconds": 30, "MaxAttempts": 3}]}),
    );
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(scheduled_times(&execution), [0, 10_000, 40_000, 70_000]);

    let (registry, _) = flaky("E", 3);
    let asl = task(
        json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 10, "BackoffRate": 2, "MaxAttempts": 3, "JitterStrategy": "FULL"}]}),
    );
    let execution = run_with(registry, &asl, json!({})).await;
    let times = scheduled_times(&execution);
    let gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    for (gap, max) in gaps.iter().zip([10_000, 20_000, 40_000]) {
        assert!((0..=max).contains(gap), "{gaps:?}");
    }
    assert!(
        gaps != [10_000, 20_000, 40_000],
        "jitter changed nothing: {gaps:?}"
    );
}

#[tokio::test]
async fn retriers_count_their_own_attempts_and_the_first_match_decides() {
    // Fails A, B, A, then succeeds: each retrier allows one attempt.
    let count = std::sync::atomic::AtomicUsize::new(0);
    let (registry, calls) = recording("work", move |_, _| {
        match count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 | 2 => Err(StatesError::new("A", "")),
            1 => Err(StatesError::new("B", "")),
            _ => Ok(json!(1)),
        }
    });
    let asl = task(json!({"Retry": [
        {"ErrorEquals": ["A"], "MaxAttempts": 2, "IntervalSeconds": 1},
        {"ErrorEquals": ["B"], "MaxAttempts": 1, "IntervalSeconds": 1}
    ]}));
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(calls.lock().unwrap().len(), 4);

    // MaxAttempts 0 never retries; a later States.ALL retrier is not consulted.
    let (registry, calls) = flaky("A", 5);
    let asl = task(json!({"Retry": [
        {"ErrorEquals": ["A"], "MaxAttempts": 0},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}
    ]}));
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(calls.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn catch_puts_error_and_cause_at_its_result_path() {
    let (registry, _) = flaky("Analyzer.Unavailable", 9);
    let asl = task(
        json!({"Catch": [{"ErrorEquals": ["Analyzer.Unavailable"], "ResultPath": "$.failure", "Next": "Caught"}]}),
    );
    let execution = run_with(registry, &asl, json!({"id": 1})).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        execution.output,
        Some(json!({"id": 1, "failure": {"Error": "Analyzer.Unavailable", "Cause": "try again"}}))
    );
}

#[tokio::test]
async fn task_failed_matches_everything_but_timeouts() {
    let (registry, _) = flaky("Custom", 9);
    let asl = task(json!({"Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]}));
    assert_eq!(
        run_with(registry, &asl, json!({})).await.status,
        Status::Succeeded
    );

    let mut registry = Registry::new();
    registry.register("work", |_| Box::pin(futures::future::pending()));
    let asl = task(
        json!({"TimeoutSeconds": 5, "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]}),
    );
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(execution.error.unwrap().error, "States.Timeout");
}

#[tokio::test]
async fn a_hanging_task_times_out_at_timeout_seconds_path() {
    let mut registry = Registry::new();
    registry.register("work", |_| Box::pin(futures::future::pending()));
    let asl = task(
        json!({"TimeoutSecondsPath": "$.timeout", "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Caught"}]}),
    );
    let execution = run_with(registry, &asl, json!({"timeout": 90})).await;
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        execution.output.as_ref().unwrap()["error"]["Error"],
        json!("States.Timeout")
    );
    let timed_out = execution
        .history()
        .iter()
        .find(|e| e.kind == "TaskTimedOut")
        .unwrap();
    assert_eq!((timed_out.timestamp - start_time()).num_seconds(), 90);
}

fn approval(fields: Value) -> Value {
    let mut state = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "request-approval", "Payload": {"token.$": "$$.Task.Token", "incident.$": "$.id"}},
        "ResultPath": "$.decision",
        "Next": "Done"
    });
    with_fields(&mut state, fields);
    with_catch_target(
        json!({"StartAt": "Approve", "States": {"Approve": state, "Done": {"Type": "Succeed"}}}),
    )
}

fn approval_registry() -> (Registry, Arc<std::sync::Mutex<Vec<Value>>>) {
    recording("request-approval", |_, _| Ok(json!({"sent": true})))
}

fn token_of(calls: &std::sync::Mutex<Vec<Value>>) -> String {
    calls.lock().unwrap()[0]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_callback_task_waits_for_its_token() {
    let (registry, calls) = approval_registry();
    let engine = engine(registry);
    let waiting = engine
        .execute(
            &definition(&approval(json!({}))),
            "Incident",
            Some("inc-1"),
            json!({"id": "inc-1"}),
        )
        .await
        .unwrap();
    assert_eq!(waiting.status, Status::Running);
    assert!(event_types(&waiting).contains(&"TaskSubmitted".to_owned()));
    let token = token_of(&calls);
    assert!(token.len() >= 64, "{token}");

    let id = engine
        .send_task_success(&token, json!({"approved": true}))
        .unwrap();
    let done = engine.run(&id).await.unwrap();
    assert_eq!(done.status, Status::Succeeded);
    assert_eq!(
        done.output,
        Some(json!({"id": "inc-1", "decision": {"approved": true}}))
    );

    let again = engine.send_task_success(&token, json!({})).unwrap_err();
    assert_eq!(again.name(), "TaskDoesNotExist");
    assert_eq!(
        engine
            .send_task_success("unknown", json!({}))
            .unwrap_err()
            .name(),
        "TaskDoesNotExist"
    );
}

#[tokio::test]
async fn a_callback_failure_is_caught_like_any_task_error() {
    let (registry, calls) = approval_registry();
    let engine = engine(registry);
    let asl = approval(
        json!({"Catch": [{"ErrorEquals": ["Approval.Rejected"], "ResultPath": "$.rejection", "Next": "Caught"}]}),
    );
    engine
        .execute(&definition(&asl), "Incident", None, json!({"id": "inc-2"}))
        .await
        .unwrap();
    let id = engine
        .send_task_failure(&token_of(&calls), "Approval.Rejected", "false positive")
        .unwrap();
    let done = engine.run(&id).await.unwrap();
    assert_eq!(done.status, Status::Succeeded);
    assert_eq!(
        done.output.unwrap()["rejection"]["Cause"],
        json!("false positive")
    );
}

#[tokio::test]
async fn a_callback_times_out_and_its_token_then_says_so() {
    let (registry, calls) = approval_registry();
    let clock = clock();
    let engine = engine_with(registry, Arc::clone(&clock));
    let asl = approval(json!({"TimeoutSeconds": 3600, "HeartbeatSeconds": 600}));
    let waiting = engine
        .execute(&definition(&asl), "Incident", None, json!({"id": "inc-3"}))
        .await
        .unwrap();
    let token = token_of(&calls);

    // A heartbeat at 500 s moves the heartbeat deadline to 1100 s.
    clock.advance(Duration::seconds(500));
    engine.send_task_heartbeat(&token).unwrap();
    clock.advance(Duration::seconds(500));
    assert_eq!(
        engine.run(&waiting.id).await.unwrap().status,
        Status::Running
    );

    clock.advance(Duration::seconds(200));
    let failed = engine.run(&waiting.id).await.unwrap();
    assert_eq!(failed.status, Status::Failed);
    assert_eq!(failed.error.unwrap().error, "States.HeartbeatTimeout");
    assert_eq!(
        engine
            .send_task_success(&token, json!({}))
            .unwrap_err()
            .name(),
        "TaskDoesNotExist"
    );
}

#[tokio::test]
async fn an_execution_waiting_for_a_token_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("responder-sfn-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("engine.db");
    let asl = approval(json!({}));
    let (registry, calls) = approval_registry();
    let first = Engine::new(Store::open(&db).unwrap(), Arc::new(registry))
        .with_clock(clock())
        .with_random(Arc::new(SeededRandom::new(1)));
    let waiting = first
        .execute(
            &definition(&asl),
            "Incident",
            Some("inc-4"),
            json!({"id": "inc-4"}),
        )
        .await
        .unwrap();
    let events_before = waiting.history().len();
    let token = token_of(&calls);
    drop(first);

    // A new process: nothing in memory but the database file.
    let second =
        Engine::new(Store::open(&db).unwrap(), Arc::new(Registry::new())).with_clock(clock());
    assert_eq!(second.store().running().unwrap(), vec![waiting.id.clone()]);
    let id = second
        .send_task_success(&token, json!({"approved": true}))
        .unwrap();
    let done = second.run(&id).await.unwrap();
    assert_eq!(done.status, Status::Succeeded);
    assert_eq!(
        done.output.as_ref().unwrap()["decision"],
        json!({"approved": true})
    );
    // The history continues where it stopped.
    let ids: Vec<u64> = done.history().iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    assert!(done.history().len() > events_before);
    assert_eq!(second.store().list(10).unwrap()[0].status, "SUCCEEDED");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn waiting_only_persistence_keeps_just_the_executions_that_wait() {
    let (registry, calls) = approval_registry();
    let engine = engine(registry).with_persistence(responder_sfn::Persistence::WaitingOnly);
    let straight = engine
        .execute(&definition(&pass(json!({}))), "Quick", None, json!({}))
        .await
        .unwrap();
    assert_eq!(straight.status, Status::Succeeded);
    let waiting = engine
        .execute(
            &definition(&approval(json!({}))),
            "Incident",
            None,
            json!({"id": 5}),
        )
        .await
        .unwrap();
    assert_eq!(waiting.status, Status::Running);
    let listed: Vec<String> = engine
        .store()
        .list(10)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(listed, vec![waiting.id.clone()]);
    let id = engine
        .send_task_success(&token_of(&calls), json!({"ok": true}))
        .unwrap();
    assert_eq!(engine.run(&id).await.unwrap().status, Status::Succeeded);
    assert_eq!(engine.store().list(10).unwrap()[0].status, "SUCCEEDED");
}

#[tokio::test]
async fn history_has_aws_event_types_and_previous_event_ids() {
    let (registry, _) = flaky("none", 0);
    let asl = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Next": "Work"},
        "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "work", "Payload": {}}, "End": true}
    }});
    let execution = run_with(registry, &asl, json!({})).await;
    assert_eq!(
        event_types(&execution),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    for (i, event) in execution.history().iter().enumerate() {
        assert_eq!(event.id, i as u64 + 1);
        // As AWS records it, the first state's Entered event names no
        // previous event; every other event names the one before it.
        let previous = if i == 1 { 0 } else { i as u64 };
        assert_eq!(event.previous_event_id, previous);
    }
    let entered = execution.history()[1].to_aws();
    assert_eq!(entered["stateEnteredEventDetails"]["name"], json!("P"));
    assert_eq!(entered["stateEnteredEventDetails"]["input"], json!("{}"));
    let scheduled = execution.history()[4].to_aws();
    assert_eq!(
        scheduled["taskScheduledEventDetails"]["resourceType"],
        json!("lambda")
    );
    assert_eq!(execution.transitions(), 2);
}

#[tokio::test]
async fn starting_the_same_name_twice_is_idempotent_only_for_the_same_input() {
    let (registry, _) = approval_registry();
    let engine = engine(registry);
    let def = definition(&approval(json!({})));
    let first = engine
        .start(&def, "Incident", Some("alarm-1"), json!({"id": 1}))
        .unwrap();
    assert_eq!(
        engine
            .start(&def, "Incident", Some("alarm-1"), json!({"id": 1}))
            .unwrap(),
        first
    );
    let error = engine
        .start(&def, "Incident", Some("alarm-1"), json!({"id": 2}))
        .unwrap_err();
    assert_eq!(error.name(), "ExecutionAlreadyExists");
    let error = engine
        .start(&def, "Incident", Some("bad:name"), json!({}))
        .unwrap_err();
    assert_eq!(error.name(), "InvalidExecutionInput");
}

const MOCKS: &str = r#"{
  "StateMachines": {"Incident": {"TestCases": {"Flaky": {"Work": "FailThenPass"}, "Approved": {"Approve": "Approved"}}}},
  "MockedResponses": {
    "FailThenPass": {
      "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "throttled"}},
      "1": {"Return": {"StatusCode": 200, "Payload": {"mocked": true}}}
    },
    "Approved": {"0": {"Return": {"approved": true}}}
  }
}"#;

#[tokio::test]
async fn mocked_responses_follow_attempt_numbers_and_answer_callbacks() {
    let mocks = MockCase::load(MOCKS, None, "Flaky").unwrap();
    let flaky_engine = engine(Registry::new()).with_mocks(mocks);
    let asl = task(
        json!({"Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 2}]}),
    );
    let execution = flaky_engine
        .execute(&definition(&asl), "Incident", None, json!({}))
        .await
        .unwrap();
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        execution.output.unwrap()["Payload"],
        json!({"mocked": true})
    );

    let mocks = MockCase::load(MOCKS, Some("Incident"), "Approved").unwrap();
    let approving = engine(Registry::new()).with_mocks(mocks);
    let execution = approving
        .execute(
            &definition(&approval(json!({}))),
            "Incident",
            None,
            json!({"id": 1}),
        )
        .await
        .unwrap();
    assert_eq!(execution.status, Status::Succeeded);
    assert_eq!(
        execution.output.unwrap()["decision"],
        json!({"approved": true})
    );

    assert!(
        MockCase::load(MOCKS, None, "Nope")
            .unwrap_err()
            .contains("no test case 'Nope'")
    );
}

#[tokio::test]
async fn an_unregistered_function_fails_the_execution_naming_it() {
    let execution = run(
        &task(json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]})),
        json!({}),
    )
    .await;
    assert_eq!(execution.status, Status::Failed);
    let error = execution.error.unwrap();
    assert_eq!(error.error, "States.Runtime");
    assert!(error.cause.contains("'work'"), "{}", error.cause);
}

#[tokio::test]
async fn an_execution_timeout_ends_a_long_wait() {
    let asl = json!({"TimeoutSeconds": 60, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let execution = run(&asl, json!({})).await;
    assert_eq!(execution.status, Status::TimedOut);
    assert_eq!(execution.error.as_ref().unwrap().error, "States.Timeout");
    assert_eq!(event_types(&execution).last().unwrap(), "ExecutionTimedOut");
}

#[tokio::test]
async fn a_snapshot_round_trips_its_history_compactly() {
    let mut registry = Registry::new();
    registry.register_fn("noop", |r| Ok(r.input));
    let asl = json!({"StartAt": "F", "States": {"F": {"Type": "Map", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"StartAt": "N", "States": {"N": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:noop", "End": true}}}}}});
    let items: Vec<u32> = (0..100).collect();
    let execution = run_with(registry, &asl, json!({"items": items})).await;
    let text = serde_json::to_string(&execution).unwrap();
    let back: responder_sfn::Execution = serde_json::from_str(&text).unwrap();
    assert_eq!(back.history(), execution.history());
    assert_eq!(back.output, execution.output);
    // 706 events in about 55 KB: events are arrays, not objects.
    assert_eq!(execution.history().len(), 706);
    assert!(text.len() < 60_000, "{}", text.len());
}

#[tokio::test]
async fn a_damaged_snapshot_is_an_error_not_a_crash() {
    let dir = std::env::temp_dir().join(format!("responder-sfn-damaged-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("engine.db");
    let (registry, _) = approval_registry();
    let engine = Engine::new(Store::open(&db).unwrap(), Arc::new(registry)).with_clock(clock());
    let waiting = engine
        .execute(
            &definition(&approval(json!({}))),
            "Incident",
            None,
            json!({"id": 9}),
        )
        .await
        .unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let snapshot: String = conn
        .query_row(
            "SELECT snapshot FROM sfn_executions WHERE id = ?1",
            [&waiting.id],
            |r| r.get(0),
        )
        .unwrap();
    let mut value: Value = serde_json::from_str(&snapshot).unwrap();
    value["root"]["state"] = json!(99);
    conn.execute(
        "UPDATE sfn_executions SET snapshot = ?2 WHERE id = ?1",
        [&waiting.id, &value.to_string()],
    )
    .unwrap();
    let error = engine.run(&waiting.id).await.unwrap_err();
    assert_eq!(error.name(), "StoreError");
    assert!(
        error.to_string().contains("does not match its definition"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The approval, then a task that may hang (the Slack post in flight).
fn approval_then_deliver() -> Value {
    json!({
        "StartAt": "Approve",
        "States": {
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "request-approval", "Payload": {"token.$": "$$.Task.Token"}},
                "ResultPath": "$.decision",
                "Next": "Deliver"
            },
            "Deliver": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:deliver", "ResultPath": "$.delivered", "End": true}
        }
    })
}

#[tokio::test]
async fn an_answer_taken_by_a_run_that_died_is_replayed_after_a_restart() {
    // GIVEN an execution waiting for its approval, answered
    let dir = std::env::temp_dir().join(format!("responder-sfn-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("engine.db");
    let (mut registry, calls) = approval_registry();
    registry.register("deliver", |_| Box::pin(std::future::pending()));
    let first = Engine::new(Store::open(&db).unwrap(), Arc::new(registry))
        .with_random(Arc::new(SeededRandom::new(1)));
    let definition = definition(&approval_then_deliver());
    let waiting = first
        .execute(
            &definition,
            "Incident",
            Some("inc-5"),
            json!({"id": "inc-5"}),
        )
        .await
        .unwrap();
    first
        .send_task_success(&token_of(&calls), json!({"approved": true}))
        .unwrap();
    // WHEN a run takes the answer and the process dies while the next task
    // runs (the run is dropped before it saved anything)
    let died = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        first.run(&waiting.id),
    )
    .await;
    assert!(died.is_err(), "the delivery hangs");
    drop(first);
    // THEN a new process finds the answer again and the execution goes on
    let mut registry = Registry::new();
    registry.register("deliver", |_| Box::pin(async { Ok(json!("sent")) }));
    let second = Engine::new(Store::open(&db).unwrap(), Arc::new(registry));
    let done = second.run(&waiting.id).await.unwrap();
    assert_eq!(done.status, Status::Succeeded);
    assert_eq!(
        done.output.as_ref().unwrap()["decision"],
        json!({"approved": true})
    );
    // ... and the answer, now in the saved snapshot, is not replayed again.
    assert!(
        second
            .send_task_success(&token_of(&calls), json!({}))
            .is_err()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
