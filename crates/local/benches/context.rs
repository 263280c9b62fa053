//! Local context gathering per incident: a log folder of 50 groups of
//! 10,000 lines each (the lines of the team's scenarios, as `aws logs tail
//! --format detailed` prints them, spread over 3 hours), and one alarm.
//! `gather` is what QueryLogs does: discover and weigh the groups, read
//! the incident and baseline windows of each (bisection to the window's
//! start), mine and rank the templates within the 6,000-token budget.
//! `read_only` is the reading part alone, and `plain_read`, the baseline
//! in the same run, reads every file whole without parsing it.
//!
//! Prints the median, p90 and p99 over 50 runs after 5 warm-up ones.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use responder_core::context::{self, GroupInput, WindowSettings, Windows};
use responder_core::{NormalizeOptions, normalize};
use responder_local::logs::{LogFolder, discover, read_groups};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ALARM: &str = include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json");
const GROUPS: usize = 50;
const LINES: usize = 10_000;

fn scenario_messages() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/scenarios");
    let mut messages = Vec::new();
    for scenario in std::fs::read_dir(root).unwrap().filter_map(Result::ok) {
        let Ok(files) = std::fs::read_dir(scenario.path().join("logs")) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let text = std::fs::read_to_string(file.path()).unwrap();
            for event in context::events::parse(&text, None) {
                // One line each: the folder's files hold single-line events here.
                if let Some(first) = event.message.lines().next() {
                    messages.push(first.to_owned());
                }
            }
        }
    }
    messages
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn measure(name: &str, mut run: impl FnMut()) -> Duration {
    for _ in 0..5 {
        run();
    }
    let mut times: Vec<Duration> = (0..50)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .collect();
    times.sort();
    let median = percentile(&times, 0.5);
    println!(
        "{name:<12} median {:>8.2?}  p90 {:>8.2?}  p99 {:>8.2?}",
        median,
        percentile(&times, 0.9),
        percentile(&times, 0.99)
    );
    median
}

fn main() {
    let alert = normalize(ALARM, &NormalizeOptions::default())
        .unwrap()
        .remove(0);
    let windows = Windows::of(&alert, WindowSettings::default());
    let messages = scenario_messages();
    let dir = tempfile::tempdir().unwrap();
    // SPAN_MINUTES (default a day) ending 20 minutes after the state
    // change: a day's file holds the 140 minutes of both windows and much
    // outside them, skipped by bisection. SPAN_MINUTES=180 puts nearly
    // every line inside the windows.
    #[allow(clippy::disallowed_methods)] // The bench's one setting.
    let span_minutes: i64 = std::env::var("SPAN_MINUTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24 * 60);
    let start =
        windows.at + chrono::Duration::minutes(20) - chrono::Duration::minutes(span_minutes);
    let step = chrono::Duration::milliseconds(span_minutes * 60 * 1000 / LINES as i64);
    println!("lines spread over {span_minutes} minutes");
    for g in 0..GROUPS {
        let group = if g == 0 {
            "/aws/lambda/checkout-api".to_owned()
        } else {
            format!("/ecs/service-{g:02}")
        };
        let path = dir.path().join(group.trim_start_matches('/'));
        std::fs::create_dir_all(&path).unwrap();
        let mut text = String::with_capacity(LINES * 300);
        for i in 0..LINES {
            let at = start + step * i as i32;
            let message = &messages[(g * 7919 + i) % messages.len()];
            let _ = writeln!(
                text,
                "{} {group}/stream-{:04} {message}",
                at.format("%Y-%m-%dT%H:%M:%S%.3f+00:00"),
                i % 7
            );
        }
        std::fs::write(path.join("events.log"), text).unwrap();
    }
    let folder = LogFolder {
        dir: dir.path().to_owned(),
        log_groups: BTreeMap::new(),
    };
    println!(
        "{GROUPS} groups x {LINES} lines, {} MB on disk",
        GROUPS * LINES * 300 / 1_000_000
    );
    let baseline = measure("plain_read", || {
        for entry in walk(dir.path()) {
            std::hint::black_box(std::fs::read(entry).unwrap());
        }
    });
    let read = measure("read_only", || {
        let topology = discover(&folder, &alert);
        let names: Vec<String> = topology.log_groups.iter().map(|g| g.name.clone()).collect();
        std::hint::black_box(read_groups(&folder.dir, &names, windows.read_span()));
    });
    let gather = measure("gather", || {
        let topology = discover(&folder, &alert);
        let names: Vec<String> = topology.log_groups.iter().map(|g| g.name.clone()).collect();
        let read = read_groups(&folder.dir, &names, windows.read_span());
        let inputs: Vec<GroupInput<'_>> = read
            .iter()
            .map(|(name, events)| GroupInput {
                name,
                relation: 0.5,
                why: "in the log folder",
                events,
            })
            .collect();
        std::hint::black_box(context::logs::mine(
            &inputs,
            &windows,
            &topology.names(),
            6000,
        ));
    });
    println!(
        "gather / plain_read = {:.1}x, read_only / plain_read = {:.1}x",
        gather.as_secs_f64() / baseline.as_secs_f64(),
        read.as_secs_f64() / baseline.as_secs_f64()
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
