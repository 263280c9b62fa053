//! Engine throughput in state transitions per second, on one thread.
//!
//! - `pass_choice_loop`: a counter loop of Pass (with an intrinsic) and
//!   Choice states, 2,001 transitions per execution.
//! - `map_100_noop`: an inline Map over 100 items, each a Task whose handler
//!   returns at once: 101 transitions per execution.
//!
//! Group `engine`: each execution is started, run and saved with its full
//! history in a fresh in-memory SQLite store (made outside the timing).
//! Group `durable`: the same into one SQLite file (WAL), as `responder`
//! keeps executions; the difference is the cost of writing the history.
//! The baseline `plain_rust_loop` does the loop's data work (read, add one,
//! compare) with no engine: the ratio is the engine's cost per transition.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use responder_sfn::{Definition, Engine, ManualClock, Registry, SeededRandom, Status, Store};
use serde_json::{Value, json};

const LOOPS: u64 = 1000;

fn engine(store: Store, registry: Registry) -> Engine {
    Engine::new(store, Arc::new(registry))
        .with_clock(Arc::new(ManualClock::new(
            "2026-01-01T00:00:00Z".parse().unwrap(),
        )))
        .with_random(Arc::new(SeededRandom::new(1)))
}

fn file_store(name: &str) -> Store {
    let dir = std::env::temp_dir()
        .join(format!("responder-sfn-bench-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    Store::open(&dir.join("engine.db")).unwrap()
}

fn definition(asl: &Value) -> Arc<Definition> {
    Arc::new(Definition::load(&asl.to_string(), &HashMap::new()).unwrap())
}

fn loop_definition() -> Arc<Definition> {
    definition(&json!({
        "StartAt": "Count",
        "States": {
            "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "More"},
            "More": {"Type": "Choice",
                "Choices": [{"Variable": "$.i", "NumericLessThan": LOOPS, "Next": "Count"}],
                "Default": "Done"},
            "Done": {"Type": "Succeed"}
        }
    }))
}

fn map_definition() -> Arc<Definition> {
    definition(&json!({
        "StartAt": "Fanout",
        "States": {"Fanout": {
            "Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "Noop", "States": {"Noop": {
                "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:noop", "End": true
            }}},
            "End": true
        }}
    }))
}

fn noop_registry() -> Registry {
    let mut registry = Registry::new();
    registry.register_fn("noop", |request| Ok(request.input));
    registry
}

/// A benchmark: its name, definition, handlers and input.
type Case = (&'static str, Arc<Definition>, fn() -> Registry, Value);

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let cases: [Case; 2] = [
        (
            "pass_choice_loop",
            loop_definition(),
            Registry::new,
            json!({"i": 0}),
        ),
        (
            "map_100_noop",
            map_definition(),
            noop_registry,
            json!({"items": (0..100).collect::<Vec<u32>>()}),
        ),
    ];

    let mut group = c.benchmark_group("engine");
    for (name, def, registry, input) in &cases {
        let check = runtime
            .block_on(engine(Store::in_memory().unwrap(), registry()).execute(
                def,
                "Bench",
                None,
                input.clone(),
            ))
            .unwrap();
        assert_eq!(check.status, Status::Succeeded);
        group.throughput(Throughput::Elements(check.transitions()));
        group.bench_function(*name, |b| {
            b.iter_batched(
                || engine(Store::in_memory().unwrap(), registry()),
                |engine| {
                    runtime
                        .block_on(engine.execute(def, "Bench", None, input.clone()))
                        .unwrap()
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.throughput(Throughput::Elements(2 * LOOPS + 1));
    group.bench_function("plain_rust_loop", |b| {
        b.iter(|| {
            let mut data = json!({"i": 0});
            loop {
                let i = data["i"].as_u64().unwrap();
                data = json!({"i": i + 1});
                if std::hint::black_box(&data)["i"].as_u64().unwrap() >= LOOPS {
                    break data;
                }
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("durable");
    for (name, def, registry, input) in &cases {
        let engine = engine(file_store(name), registry());
        let check = runtime
            .block_on(engine.execute(def, "Bench", None, input.clone()))
            .unwrap();
        group.throughput(Throughput::Elements(check.transitions()));
        group.bench_function(*name, |b| {
            b.iter(|| {
                runtime
                    .block_on(engine.execute(def, "Bench", None, input.clone()))
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
