//! End-to-end local time per incident: an alarm in, the real workflow on
//! the engine with the local backends (SQLite in RAM-backed `/dev/shm`),
//! the built-in analyzer, auto-approval, three outbox deliveries.
//!
//! Every incident is new (its own alarm name, so its own signature: a cache
//! miss and the full path). Prints the median, p90 and p99 over 500
//! incidents after 50 warm-up ones, and the same-process baseline of
//! normalizing the payload alone.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use responder_core::{NormalizeOptions, normalize};
use responder_local::{Db, Local, WorkflowConfig};
use responder_sfn::{Definition, Engine, Status, Store};
use serde_json::{Value, json};

const WORKFLOW: &str = include_str!("../../../statemachine/incident-response.asl.json");
const ALARM: &str = include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json");

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let root = std::path::Path::new("/dev/shm");
    let dir = if root.is_dir() {
        root.to_path_buf()
    } else {
        std::env::temp_dir()
    }
    .join(format!("responder-incident-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db_path = dir.join("responder.db");
    let config = WorkflowConfig {
        logs_dir: std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/demo/logs"
        )),
        ..WorkflowConfig::default()
    };
    let local = Arc::new(Local {
        db: Db::open(&db_path).unwrap(),
        config,
        normalize: NormalizeOptions::default(),
        outbox_dir: dir.join("outbox"),
    });
    let engine = Engine::new(
        Store::open(&db_path).unwrap(),
        Arc::new(responder_local::registry(Arc::clone(&local))),
    );
    let definition =
        Arc::new(Definition::load(WORKFLOW, &responder_local::substitutions()).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let template: Value = serde_json::from_str(ALARM).unwrap();

    let incident = |n: usize| {
        let mut event = template.clone();
        let name = format!("checkout-api-errors-{n}");
        event["detail"]["alarmName"] = json!(name);
        event["resources"] = json!([format!(
            "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:{name}"
        )]);
        let start = Instant::now();
        let mut execution = runtime
            .block_on(engine.execute(&definition, "IncidentResponse", None, event))
            .unwrap();
        while execution.status == Status::Running {
            let token = local
                .db
                .waiting_approvals(&execution.id)
                .unwrap()
                .remove(0)
                .token;
            let decision = json!({"decision": "APPROVED", "reviewed": true, "channels": ["slack", "jira", "email"]});
            engine.send_task_success(&token, decision).unwrap();
            execution = runtime.block_on(engine.run(&execution.id)).unwrap();
        }
        assert_eq!(execution.status, Status::Succeeded, "{:?}", execution.error);
        start.elapsed()
    };

    for n in 0..50 {
        incident(n);
    }
    let mut times: Vec<Duration> = (50..550).map(incident).collect();
    times.sort();

    let mut baseline: Vec<Duration> = (0..500)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(normalize(ALARM, &NormalizeOptions::default()).unwrap());
            start.elapsed()
        })
        .collect();
    baseline.sort();

    let median = percentile(&times, 0.5);
    let base = percentile(&baseline, 0.5);
    println!("incident end to end (500 new incidents, full path, auto-approved, 3 deliveries):");
    println!(
        "  median {median:?}  p90 {:?}  p99 {:?}",
        percentile(&times, 0.9),
        percentile(&times, 0.99)
    );
    println!("baseline, normalize alone: median {base:?}");
    println!(
        "ratio: {:.0}x the normalize step",
        median.as_secs_f64() / base.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
