//! Engine throughput in state transitions per second, on one thread.
//!
//! - `pass_choice_loop`: a counter loop of Pass (with an intrinsic) and
//!   Choice states, 2,001 transitions per execution.
//! - `map_100_noop`: an inline Map over 100 items, each a Task whose handler
//!   returns at once: 101 transitions per execution.
//! - `jsonata_pass_choice_loop`, `jsonata_map_100_noop`: the same machines in
//!   JSONata (`Output` and a `Condition` for the loop, `Items` and
//!   `ItemSelector` for the Map).
//! - `jsonata_variables_loop`: the loop counting in a variable (`Assign`),
//!   its state data untouched.
//!
//! Group `engine`: the engine alone. Executions run straight through and
//! keep their full history in memory; with `Persistence::WaitingOnly`
//! nothing is written to the store (as in `responder sfn run`).
//! Group `durable`: the two JSONPath executions, each also saved with its history
//! (`Persistence::All`, as `responder` keeps them) in a SQLite file (WAL) in
//! RAM (`/dev/shm`), so the figure is SQLite's and not the disk's.
//! The baseline `plain_rust_loop` does the loop's data work (read, add one,
//! compare) with no engine: the ratio is the engine's cost per transition.
//!
//! Times on a shared machine vary by 10% or more from run to run; for a
//! before/after comparison, also count instructions per execution:
//! `ENGINE_CASE=map_100_noop ENGINE_RUNS=50 valgrind --tool=cachegrind
//! --cache-sim=no target/release/deps/engine-* --bench` (minus a run with
//! fewer `ENGINE_RUNS`, for the set-up).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use responder_sfn::{
    Definition, Engine, ManualClock, Persistence, Registry, SeededRandom, Status, Store,
};
use serde_json::{Value, json};

const LOOPS: u64 = 1000;

fn engine(store: Store, registry: Registry, persistence: Persistence) -> Engine {
    Engine::new(store, Arc::new(registry))
        .with_persistence(persistence)
        .with_clock(Arc::new(ManualClock::new(
            "2026-01-01T00:00:00Z".parse().unwrap(),
        )))
        .with_random(Arc::new(SeededRandom::new(1)))
}

fn file_store(root: &std::path::Path, name: &str) -> Store {
    let dir = root
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

fn jsonata_loop_definition() -> Arc<Definition> {
    definition(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Count",
        "States": {
            "Count": {"Type": "Pass", "Output": {"i": "{% $states.input.i + 1 %}"}, "Next": "More"},
            "More": {"Type": "Choice",
                "Choices": [{"Condition": format!("{{% $states.input.i < {LOOPS} %}}"), "Next": "Count"}],
                "Default": "Done"},
            "Done": {"Type": "Succeed"}
        }
    }))
}

fn jsonata_variables_definition() -> Arc<Definition> {
    definition(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Assign": {"i": 0}, "Next": "Count"},
            "Count": {"Type": "Pass", "Assign": {"i": "{% $i + 1 %}"}, "Next": "More"},
            "More": {"Type": "Choice",
                "Choices": [{"Condition": format!("{{% $i < {LOOPS} %}}"), "Next": "Count"}],
                "Default": "Done"},
            "Done": {"Type": "Succeed"}
        }
    }))
}

fn jsonata_map_definition() -> Arc<Definition> {
    definition(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Fanout",
        "States": {"Fanout": {
            "Type": "Map", "Items": "{% $states.input.items %}",
            "ItemSelector": "{% $states.context.Map.Item.Value %}",
            "ItemProcessor": {"StartAt": "Noop", "States": {"Noop": {
                "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:noop", "End": true
            }}},
            "End": true
        }}
    }))
}

/// `ENGINE_CASE=<name> ENGINE_RUNS=<n>`: run one case n times and stop,
/// for an instruction count under valgrind (`--tool=cachegrind`), which
/// does not vary with the machine's load as times do.
#[allow(clippy::disallowed_methods)] // The bench's own switches: it has no configuration module.
fn counting_run() -> Option<(String, usize)> {
    let case = std::env::var("ENGINE_CASE").ok()?;
    let runs = std::env::var("ENGINE_RUNS").map_or(Ok(1), |n| n.parse());
    Some((case, runs.expect("ENGINE_RUNS: a number of runs")))
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
    let cases: [Case; 5] = [
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
        (
            "jsonata_pass_choice_loop",
            jsonata_loop_definition(),
            Registry::new,
            json!({"i": 0}),
        ),
        (
            "jsonata_variables_loop",
            jsonata_variables_definition(),
            Registry::new,
            json!({}),
        ),
        (
            "jsonata_map_100_noop",
            jsonata_map_definition(),
            noop_registry,
            json!({"items": (0..100).collect::<Vec<u32>>()}),
        ),
    ];

    let shm = std::path::Path::new("/dev/shm");
    let ram = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    if let Some((case, runs)) = counting_run() {
        let (_, def, registry, input) = cases
            .iter()
            .find(|(name, ..)| *name == case)
            .unwrap_or_else(|| panic!("ENGINE_CASE: no case {case}"));
        let engine = engine(
            Store::in_memory().unwrap(),
            registry(),
            Persistence::WaitingOnly,
        );
        for _ in 0..runs {
            let execution = runtime.block_on(engine.execute(def, "Bench", None, input.clone()));
            std::hint::black_box(execution.unwrap());
        }
        return;
    }

    let mut group = c.benchmark_group("engine");
    for (name, def, registry, input) in &cases {
        let engine = engine(
            Store::in_memory().unwrap(),
            registry(),
            Persistence::WaitingOnly,
        );
        let check = runtime
            .block_on(engine.execute(def, "Bench", None, input.clone()))
            .unwrap();
        assert_eq!(check.status, Status::Succeeded);
        group.throughput(Throughput::Elements(check.transitions()));
        group.bench_function(*name, |b| {
            b.iter(|| {
                runtime
                    .block_on(engine.execute(def, "Bench", None, input.clone()))
                    .unwrap()
            })
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
    for (name, def, registry, input) in cases.iter().take(2) {
        let engine = engine(file_store(&ram, name), registry(), Persistence::All);
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
    let _ =
        std::fs::remove_dir_all(ram.join(format!("responder-sfn-bench-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("responder-sfn-bench-{}", std::process::id())),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
