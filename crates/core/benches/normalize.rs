//! Normalize + signature over a mix of the sample payloads in `events/`.
//!
//! Reports throughput in events per second on one core (criterion runs one
//! thread). The baseline in the same run, `serde_json_value_parse`, is a
//! plain `serde_json::Value` parse of the same payloads: the ratio between
//! the two is the cost of normalization over merely reading the JSON.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use responder_core::{NormalizeOptions, normalize};

/// The allocator the `responder` binary and the Lambda functions use (see
/// `responder-lambda`): the figures are for what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The mix: mostly CloudWatch alarms (what the product mostly receives),
/// plus one of every other source.
const MIX: &[&str] = &[
    "eventbridge/metric-alarm-lambda-errors.json",
    "eventbridge/metric-alarm-lambda-errors-ok.json",
    "eventbridge/metric-alarm-ec2-cpu-muted.json",
    "eventbridge/metric-math-alarm-apigw-5xx-rate.json",
    "eventbridge/anomaly-detection-alarm.json",
    "eventbridge/composite-alarm.json",
    "eventbridge/contributor-state-change.json",
    "eventbridge/insufficient-data-alarm.json",
    "sns/lambda-event-rds-cpu.json",
    "lambda-action/metric-alarm.json",
    "logs/subscription-lambda-errors.json",
    "webhook/generic-firing.json",
    "alertmanager/firing.json",
    "grafana/firing.json",
];

/// The alarm-only mix the 200,000 events/s target is stated for.
const ALARMS: &[&str] = &[
    "eventbridge/metric-alarm-lambda-errors.json",
    "eventbridge/metric-alarm-ec2-cpu-muted.json",
    "eventbridge/metric-math-alarm-apigw-5xx-rate.json",
    "eventbridge/anomaly-detection-alarm.json",
    "eventbridge/composite-alarm.json",
    "sns/lambda-event-rds-cpu.json",
];

/// The sample files are pretty-printed for people to read; EventBridge, SNS
/// and Lambda deliver compact JSON. The benchmark measures what is delivered:
/// whitespace outside strings is removed, key order is kept.
fn load(paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            let path = format!("{}/../../events/{p}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            compact(&text)
        })
        .collect()
}

fn compact(json: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::with_capacity(json.len()), false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if !c.is_ascii_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    // Same document, fewer bytes.
    let before: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(
        before,
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    );
    out
}

fn bench_mix(c: &mut Criterion, name: &str, paths: &[&str]) {
    let payloads = load(paths);
    let options = NormalizeOptions::default();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("normalize_and_sign", |b| {
        b.iter(|| {
            for payload in &payloads {
                let alerts = normalize(std::hint::black_box(payload), &options).unwrap();
                std::hint::black_box(alerts);
            }
        })
    });
    group.bench_function("serde_json_value_parse", |b| {
        b.iter(|| {
            for payload in &payloads {
                let value: serde_json::Value =
                    serde_json::from_str(std::hint::black_box(payload)).unwrap();
                std::hint::black_box(value);
            }
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_mix(c, "alarm_events", ALARMS);
    bench_mix(c, "all_sources", MIX);
}

criterion_group!(normalize_benches, benches);
criterion_main!(normalize_benches);
