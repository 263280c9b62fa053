//! `responder replay FILE.jsonl`: an archive of alert payloads through the
//! local engine, and what the system did with it: incidents, duplicates,
//! repeats, recoveries, analyzer calls and cache hits, deliveries, state
//! transitions, the estimated AWS cost, wall time. `--generate N` writes a
//! storm to FILE first (`crate::storm`).

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use responder_core::json::{at, field};
use responder_sfn::{Execution, Payload, Status};
use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::local::{STATE_MACHINE, Workspace};
use crate::storm::Storm;

/// Replay an archive of alert payloads (one JSON payload per line, any
/// supported source) through the local engine, and print what happened.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The archive: one payload per line (JSON Lines).
    #[arg(value_name = "FILE.jsonl")]
    file: PathBuf,

    /// How many payloads run at once.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,

    /// Approve every incident as soon as it asks (else they wait).
    #[arg(long)]
    auto_approve: bool,

    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,

    /// Write a storm of N alarm events to FILE first, then replay it.
    #[arg(long, value_name = "N")]
    generate: Option<usize>,

    /// With --generate: the root causes (one alarm each).
    #[arg(long, default_value_t = 50)]
    causes: usize,

    /// With --generate: the share of events that are redeliveries.
    #[arg(long, default_value_t = 0.2)]
    redeliveries: f64,

    /// With --generate: the seed (the same seed writes the same storm).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The price table of the estimate (US East, on-demand, as published in
/// 2026): Step Functions Standard per state transition; Lambda on arm64 per
/// GB-second and per request, at the functions' 256 MB and the durations
/// measured here (a local task's duration stands in for its Lambda's);
/// Bedrock (Claude 3.5 Haiku) per 1,000 tokens, for an analysis of the
/// size the prompt builder makes.
pub mod prices {
    pub const STEP_FUNCTIONS_PER_TRANSITION: f64 = 0.000_025;
    pub const LAMBDA_PER_GB_SECOND: f64 = 0.000_013_333_4;
    pub const LAMBDA_PER_REQUEST: f64 = 0.000_000_2;
    pub const LAMBDA_MEMORY_GB: f64 = 0.25;
    pub const BEDROCK_INPUT_PER_1K: f64 = 0.000_8;
    pub const BEDROCK_OUTPUT_PER_1K: f64 = 0.004;
    /// Tokens of one analysis: the prompt (alert, log lines, history) and
    /// the answer, when the analyzer reports none (the built-in rules).
    pub const INPUT_TOKENS_PER_ANALYSIS: f64 = 3_000.0;
    pub const OUTPUT_TOKENS_PER_ANALYSIS: f64 = 700.0;
}

/// What a replay did.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub events: usize,
    /// Lines that are not JSON, or payloads no normalizer takes.
    pub rejected: usize,
    pub incidents_created: u64,
    pub duplicates_suppressed: u64,
    pub repeats_grouped: u64,
    pub recoveries: u64,
    pub analyzer_calls: u64,
    pub cache_hits: u64,
    /// Messages sent, by channel (Slack counts approval requests and thread
    /// replies too).
    pub deliveries: BTreeMap<String, u64>,
    /// Notifications of one incident, channel and kind tried by more than
    /// one execution (the idempotency records stop them; 0 is the aim).
    pub duplicate_notifications: u64,
    pub transitions: u64,
    pub estimated_cost_usd: f64,
    pub cost_breakdown_usd: BTreeMap<&'static str, f64>,
    pub executions: BTreeMap<String, u64>,
    pub wall_seconds: f64,
}

pub fn run(args: &Args, config: &Config) -> ExitCode {
    super::finish(execute(args, config))
}

fn execute(args: &Args, config: &Config) -> anyhow::Result<ExitCode> {
    if let Some(events) = args.generate {
        let storm = Storm {
            events,
            causes: args.causes,
            redeliveries: args.redeliveries.clamp(0.0, 1.0),
            flapping: 0.05,
            seed: args.seed,
        };
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(&args.file)
                .with_context(|| format!("cannot write {}", args.file.display()))?,
        );
        for event in storm.generate() {
            writeln!(file, "{event}")?;
        }
        file.flush()?;
    }
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("ReadError: cannot read {}: {e}", args.file.display()))?;
    let mut payloads = Vec::new();
    let mut summary = Summary::default();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        summary.events += 1;
        match serde_json::from_str::<Value>(line) {
            Ok(payload) => payloads.push(payload),
            Err(e) => {
                summary.rejected += 1;
                eprintln!("replay: line {} is not JSON: {e}", number + 1);
            }
        }
    }
    let workspace = Arc::new(Workspace::open(config, true)?);
    let before = Counts::read(&workspace)?;
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.concurrency.clamp(1, 64))
        .enable_all()
        .build()?;
    let executions = runtime.block_on(replay_all(
        Arc::clone(&workspace),
        payloads,
        args.concurrency.clamp(1, 64),
        args.auto_approve,
    ))?;
    summary.wall_seconds = started.elapsed().as_secs_f64();
    let after = Counts::read(&workspace)?;
    summarize(&mut summary, &executions, &before, &after);
    if args.json {
        say!("{}", serde_json::to_string(&summary)?);
    } else {
        print(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs every payload, `concurrency` at a time; returns the executions as
/// they ended (or wait for a decision).
async fn replay_all(
    workspace: Arc<Workspace>,
    payloads: Vec<Value>,
    concurrency: usize,
    auto_approve: bool,
) -> anyhow::Result<Vec<Execution>> {
    let queue = Arc::new(std::sync::Mutex::new(
        payloads.into_iter().rev().collect::<Vec<_>>(),
    ));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (workspace, queue) = (Arc::clone(&workspace), Arc::clone(&queue));
        workers.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let next = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                let Some(payload) = next else {
                    return Ok::<_, anyhow::Error>(done);
                };
                let mut execution = workspace
                    .engine
                    .execute(&workspace.definition, STATE_MACHINE, None, payload)
                    .await?;
                while auto_approve && execution.status == Status::Running {
                    if workspace
                        .approve_waiting(&execution.id, "cli:replay")
                        .await?
                        == 0
                    {
                        break;
                    }
                    execution = workspace.engine.run(&execution.id).await?;
                }
                done.push(execution);
            }
        }));
    }
    let mut executions = Vec::new();
    for worker in workers {
        executions.extend(worker.await??);
    }
    Ok(executions)
}

/// What the database holds, before and after.
struct Counts {
    incidents: u64,
    deliveries: HashMap<String, u64>,
}

impl Counts {
    fn read(workspace: &Workspace) -> anyhow::Result<Self> {
        let totals = workspace.local.db.totals()?;
        Ok(Self {
            incidents: totals.incidents,
            deliveries: totals.sent,
        })
    }
}

fn summarize(summary: &mut Summary, executions: &[Execution], before: &Counts, after: &Counts) {
    summary.incidents_created = after.incidents.saturating_sub(before.incidents);
    for (channel, count) in &after.deliveries {
        let earlier = before.deliveries.get(channel).copied().unwrap_or(0);
        summary
            .deliveries
            .insert(channel.clone(), count.saturating_sub(earlier));
    }
    let mut notifications: HashMap<(String, String, String), u64> = HashMap::new();
    let mut lambda_ms = 0.0;
    let mut invocations = 0u64;
    let mut analyses = 0u64;
    let mut tokens = (0u64, 0u64);
    for execution in executions {
        *summary
            .executions
            .entry(execution.status.as_str().to_ascii_lowercase())
            .or_default() += 1;
        summary.transitions += execution.transitions();
        let history = execution.history();
        // A task's time runs from its Scheduled event, through Started, to
        // Succeeded or Failed (each names the one before it); a callback
        // task's function has returned at TaskSubmitted.
        let mut scheduled: HashMap<u64, chrono::DateTime<chrono::Utc>> = HashMap::new();
        for event in history {
            if event.kind.ends_with("Scheduled") {
                scheduled.insert(event.id, event.timestamp);
            } else if event.kind.ends_with("Started")
                && let Some(at) = scheduled.get(&event.previous_event_id).copied()
            {
                scheduled.insert(event.id, at);
            }
        }
        for event in history {
            let name = event.details.name.as_deref().unwrap_or_default();
            if event.kind.ends_with("StateEntered") {
                match name {
                    "Duplicate" => summary.duplicates_suppressed += 1,
                    "NotifyRepeat" => summary.repeats_grouped += 1,
                    "NotifyRecovery" => summary.recoveries += 1,
                    "Analyze" | "AnalyzeFallback" => analyses += 1,
                    "UseCachedAnalysis" => summary.cache_hits += 1,
                    "Deliver" | "SendRecovery" => {
                        if let Some(input) = event.details.input.as_ref().map(Payload::value) {
                            let key = (
                                at(&input, "/incident/id")
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_owned(),
                                field(&input, "channel")
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_owned(),
                                field(&input, "kind")
                                    .as_str()
                                    .unwrap_or("incident")
                                    .to_owned(),
                            );
                            *notifications.entry(key).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
            if event.kind.ends_with("Succeeded")
                || event.kind.ends_with("Failed")
                || event.kind == "TaskSubmitted"
            {
                if let Some(started) = scheduled.get(&event.previous_event_id) {
                    let ms = (event.timestamp - *started).num_microseconds().unwrap_or(0) as f64
                        / 1000.0;
                    lambda_ms += ms.max(1.0).ceil();
                    invocations += 1;
                }
                if let Some(output) = event.details.output.as_ref().map(Payload::value) {
                    let count = |key: &str| at(&output, key).as_u64().unwrap_or(0);
                    tokens.0 += count("/usage/input_tokens");
                    tokens.1 += count("/usage/output_tokens");
                }
            }
        }
    }
    summary.analyzer_calls = analyses;
    summary.duplicate_notifications = notifications.values().map(|n| n.saturating_sub(1)).sum();

    use prices::*;
    let (input, output) = if tokens.0 > 0 {
        (tokens.0 as f64, tokens.1 as f64)
    } else {
        (
            analyses as f64 * INPUT_TOKENS_PER_ANALYSIS,
            analyses as f64 * OUTPUT_TOKENS_PER_ANALYSIS,
        )
    };
    let step_functions = summary.transitions as f64 * STEP_FUNCTIONS_PER_TRANSITION;
    let lambda = lambda_ms / 1000.0 * LAMBDA_MEMORY_GB * LAMBDA_PER_GB_SECOND
        + invocations as f64 * LAMBDA_PER_REQUEST;
    let bedrock = input / 1000.0 * BEDROCK_INPUT_PER_1K + output / 1000.0 * BEDROCK_OUTPUT_PER_1K;
    summary.estimated_cost_usd = step_functions + lambda + bedrock;
    summary.cost_breakdown_usd = BTreeMap::from([
        ("step_functions", step_functions),
        ("lambda", lambda),
        ("bedrock", bedrock),
        (
            "per_incident",
            summary.estimated_cost_usd / summary.incidents_created.max(1) as f64,
        ),
        (
            "per_1000_alerts",
            summary.estimated_cost_usd * 1000.0 / summary.events.max(1) as f64,
        ),
    ]);
}

fn print(s: &Summary) {
    say!(
        "Replayed {} events in {:.1} s ({} rejected)",
        s.events,
        s.wall_seconds,
        s.rejected
    );
    say!("  incidents created      {}", s.incidents_created);
    say!("  duplicates suppressed  {}", s.duplicates_suppressed);
    say!("  repeats grouped        {}", s.repeats_grouped);
    say!("  recoveries             {}", s.recoveries);
    say!(
        "  analyzer calls         {} ({} cache hits)",
        s.analyzer_calls,
        s.cache_hits
    );
    let deliveries: Vec<String> = s
        .deliveries
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    say!(
        "  deliveries             {}",
        if deliveries.is_empty() {
            "none".to_owned()
        } else {
            deliveries.join(", ")
        }
    );
    say!("  duplicate notifications {}", s.duplicate_notifications);
    say!("  state transitions      {}", s.transitions);
    let executions: Vec<String> = s
        .executions
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    say!("  executions             {}", executions.join(", "));
    say!(
        "  estimated AWS cost     ${:.4} (Step Functions ${:.4}, Lambda ${:.6}, Bedrock ${:.4}); ${:.5} per incident, ${:.4} per 1,000 alerts",
        s.estimated_cost_usd,
        s.cost_breakdown_usd
            .get("step_functions")
            .copied()
            .unwrap_or(0.0),
        s.cost_breakdown_usd.get("lambda").copied().unwrap_or(0.0),
        s.cost_breakdown_usd.get("bedrock").copied().unwrap_or(0.0),
        s.cost_breakdown_usd
            .get("per_incident")
            .copied()
            .unwrap_or(0.0),
        s.cost_breakdown_usd
            .get("per_1000_alerts")
            .copied()
            .unwrap_or(0.0)
    );
}
