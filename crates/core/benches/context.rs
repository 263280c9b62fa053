//! Template mining, on the log lines of the team's scenarios
//! (`tests/scenarios/*/logs/*.log`, 88,000 lines of many writers' formats).
//!
//! Throughput is lines per second on one core (criterion runs one thread).
//! The baseline in the same run, `plain_pass`, reads every byte of the
//! same lines once (a checksum): the ratio is the cost of masking and
//! hashing over merely touching the text. `mine` is the whole step the
//! workflow runs: templates counted in both windows, ranked, and cut to the
//! budget.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use chrono::Duration;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use responder_core::context::template::template_hash;
use responder_core::context::{GroupInput, LogEvent, Windows, logs};

/// The allocator the `responder` binary and the Lambda functions use.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Every message of every scenario's log files (the part after the
/// timestamp and stream, as the parser hands it on).
fn scenario_messages() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/scenarios");
    let mut messages = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    dirs.sort_by_key(|d| d.path());
    for scenario in dirs {
        let Ok(files) = std::fs::read_dir(scenario.path().join("logs")) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let text = std::fs::read_to_string(file.path()).unwrap();
            for event in responder_core::context::events::parse(&text, None) {
                messages.push(event.message);
            }
        }
    }
    assert!(messages.len() > 10_000, "the scenarios' logs are missing");
    messages
}

fn mining(c: &mut Criterion) {
    let messages = scenario_messages();
    let mut group = c.benchmark_group("templates");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function("plain_pass", |b| {
        b.iter(|| {
            messages.iter().fold(0u64, |sum, m| {
                m.bytes().fold(sum, |s, byte| {
                    s.wrapping_mul(31).wrapping_add(u64::from(byte))
                })
            })
        });
    });
    group.bench_function("template_hash", |b| {
        b.iter(|| messages.iter().fold(0u64, |x, m| x ^ template_hash(m)));
    });
    group.finish();
    // The same on the lines of at most 160 bytes (a plain text log's
    // usual line; JSON lines are the long ones).
    let short: Vec<&String> = messages.iter().filter(|m| m.len() <= 160).collect();
    let mut group = c.benchmark_group("templates_short_lines");
    group.throughput(Throughput::Elements(short.len() as u64));
    group.bench_function("plain_pass", |b| {
        b.iter(|| {
            short.iter().fold(0u64, |sum, m| {
                m.bytes().fold(sum, |s, byte| {
                    s.wrapping_mul(31).wrapping_add(u64::from(byte))
                })
            })
        });
    });
    group.bench_function("template_hash", |b| {
        b.iter(|| short.iter().fold(0u64, |x, m| x ^ template_hash(m)));
    });
    group.finish();
    let mut group = c.benchmark_group("templates");
    group.throughput(Throughput::Elements(messages.len() as u64));
    // The whole step: one group holding every line, spread over both
    // windows (baseline, then incident).
    let t0 = "2026-11-20T09:00:00Z".parse().unwrap();
    let windows = Windows::around(t0, Duration::minutes(60), Duration::minutes(10));
    let span = windows.read_span();
    let step = (span.end - span.start).num_milliseconds() / messages.len() as i64;
    let events: Vec<LogEvent> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| LogEvent {
            at: span.start + Duration::milliseconds(step * i as i64),
            stream: None,
            message: m.clone(),
        })
        .collect();
    let groups = [GroupInput {
        name: "/aws/lambda/checkout-api",
        relation: 1.0,
        why: "its own",
        events: &events,
    }];
    group.bench_function("mine", |b| {
        b.iter(|| logs::mine(&groups, &windows, &["checkout-api".to_owned()], 6000));
    });
    group.finish();
}

criterion_group!(benches, mining);
criterion_main!(benches);
