//! AWS's quota of 25,000 history events per Standard execution, applied as
//! AWS applies it, and the memory a long history takes.
//!
//! The quota: "Execution history: 25,000 events" in "Step Functions service
//! quotas" (<https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html>);
//! "Using Lambda to continue a new execution" says an execution that reaches
//! it fails (<https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-continue-new.html>).
//! Where the cut lands, as recorded on AWS: event 25,000 is `ExecutionFailed`
//! (previous event 24,999, the last the machine produced), with
//! `States.Runtime` and the cause "The execution reached the maximum number
//! of history events (25000)."

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use responder_sfn::Status;
use serde_json::json;

const CAUSE: &str = "The execution reached the maximum number of history events (25000).";

#[tokio::test]
async fn a_loop_without_end_fails_at_event_25000() {
    let asl = json!({
        "StartAt": "Loop",
        "States": {
            "Loop": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.spin", "BooleanEquals": true, "Next": "Loop"}],
                "Default": "Done"
            },
            "Done": {"Type": "Succeed"}
        }
    });
    let execution = run(&asl, json!({"spin": true})).await;
    assert_eq!(execution.status, Status::Failed);
    let error = execution.error.clone().unwrap();
    assert_eq!(
        (error.error.as_str(), error.cause.as_str()),
        ("States.Runtime", CAUSE)
    );
    let history = execution.history();
    assert_eq!(history.len(), 25_000);
    let last = history.last().unwrap();
    assert_eq!(
        (last.id, last.previous_event_id, last.kind.to_string()),
        (25_000, 24_999, "ExecutionFailed".to_owned())
    );
    let before = &history[24_998];
    assert_eq!(
        (before.id, before.kind.to_string()),
        (24_999, "ChoiceStateExited".to_owned())
    );
}

/// Peak resident memory of this test process, where Linux reports it.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A 10,000-item inline Map would write 80,012 events: it fails at 25,000
/// as on AWS, and the history's payloads are shared compact text, so the
/// run stays within a bounded amount of memory.
#[tokio::test]
async fn a_ten_thousand_item_map_fails_at_the_quota_in_bounded_memory() {
    let items: Vec<_> = (0..10_000).collect();
    let asl = json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemSelector": {"id.$": "$$.Map.Item.Value", "body": "x".repeat(200)},
                "ItemProcessor": {
                    "StartAt": "Work",
                    "States": {"Work": {"Type": "Pass", "Result": {"done": true}, "ResultPath": "$.r", "End": true}}
                },
                "End": true
            }
        }
    });
    let execution = run(&asl, json!(items)).await;
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(execution.error.clone().unwrap().cause, CAUSE);
    assert_eq!(execution.history().len(), 25_000);
    if let Some(peak) = peak_rss_bytes() {
        eprintln!("peak RSS: {} MiB", peak / (1024 * 1024));
        assert!(peak < 200 * 1024 * 1024, "peak RSS {peak} bytes");
    }
}
