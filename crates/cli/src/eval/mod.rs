//! `responder eval DIR`: every scenario folder of DIR through the real
//! workflow on the local engine, a fresh data directory each, then scored
//! against its `expected.json` (see `score`). The format is open: bring
//! your own incidents. `docs/eval.md` documents the format and the scores.

mod report;
mod scenario;
pub mod score;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use responder_core::analysis::{Analysis, AnalysisInput};
use serde_json::{Value, json};

use crate::config::Config;
use scenario::Scenario;
use score::{AnsweredCause, Scores};

/// Run the evaluation scenarios of DIR and score the analyses.
///
/// Each scenario folder holds `alarm.json`, `logs/*.log`, optionally
/// `history.json` and `changes.jsonl`, and `expected.json` (read by the
/// scorer only). Prints every figure overall and per difficulty.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder of scenario folders (e.g. `tests/scenarios`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The analyzer: the built-in `rules` (default) or an `openai`-compatible
    /// model as `[workflow.analyzer]` configures it.
    #[arg(long, value_parser = ["rules", "openai"])]
    analyzer: Option<String>,
    /// Print every figure as JSON.
    #[arg(long)]
    json: bool,
    /// Write each scenario's answer (ranked causes) to this file, for other scorers.
    #[arg(long, value_name = "OUT")]
    answers: Option<PathBuf>,
    /// Run only the scenario of this name.
    #[arg(long, value_name = "NAME")]
    only: Option<String>,
    /// Write what each scenario's analyzer was given (`NAME.context.txt`,
    /// the prompt's context as a model reads it) and answered
    /// (`NAME.analysis.json`) to this folder.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

/// One scenario's result.
#[derive(Debug, serde::Serialize)]
pub struct Scored {
    pub name: String,
    pub difficulty: String,
    pub scores: Scores,
    pub context_recall: f64,
    pub context_tokens: usize,
    pub ungrounded_quotes: u32,
}

pub fn run(args: &Args, config: &Config) -> ExitCode {
    super::commands::finish(execute(args, config))
}

fn execute(args: &Args, config: &Config) -> anyhow::Result<ExitCode> {
    let mut workflow = config.workflow.clone();
    if let Some(kind) = &args.analyzer {
        workflow.analyzer.kind = kind.clone();
    }
    let budget = workflow.analyzer.token_budget;
    let folders = scenario_folders(&args.dir, args.only.as_deref())?;
    let work_root = std::env::temp_dir().join(format!("responder-eval-{}", std::process::id()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut scored = Vec::new();
    let mut answers = serde_json::Map::new();
    let mut unreadable = Vec::new();
    for folder in folders {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let work = work_root.join(&name);
        let _ = std::fs::remove_dir_all(&work);
        let outcome = Scenario::read(&folder).and_then(|scenario| {
            let outcome = runtime.block_on(scenario.run(&work, &workflow, budget))?;
            Ok((scenario, outcome))
        });
        let _ = std::fs::remove_dir_all(&work);
        let (scenario, outcome) = match outcome {
            Ok(done) => done,
            Err(e) => {
                eprintln!("{name}: skipped: {e:#}");
                unreadable.push(json!({"name": name, "reason": format!("{e:#}")}));
                continue;
            }
        };
        if let Some(keep) = &args.keep {
            std::fs::create_dir_all(keep)
                .with_context(|| format!("cannot create {}", keep.display()))?;
            std::fs::write(keep.join(format!("{name}.context.txt")), &outcome.context)?;
            std::fs::write(
                keep.join(format!("{name}.analysis.json")),
                serde_json::to_string_pretty(&outcome.analysis)?,
            )?;
        }
        let scores = score::score(&scenario.expected, &outcome.causes, &scenario.log_lines);
        answers.insert(name.clone(), json!({"causes": outcome.causes}));
        scored.push(Scored {
            name,
            difficulty: scenario.expected.difficulty.clone(),
            scores,
            context_recall: score::context_recall(&scenario.expected, &outcome.context),
            context_tokens: outcome.context_tokens,
            ungrounded_quotes: outcome.analysis.ungrounded_quotes,
        });
    }
    let _ = std::fs::remove_dir_all(&work_root);
    if let Some(path) = &args.answers {
        std::fs::write(path, serde_json::to_string_pretty(&Value::Object(answers))?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        let figures = report::figures(&scored);
        say!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "analyzer": workflow.analyzer.kind,
                "overall": figures.overall,
                "by_difficulty": figures.by_difficulty,
                "scenarios": scored,
                "unreadable": unreadable,
            }))?
        );
    } else {
        for line in report::table(&scored) {
            say!("{line}");
        }
    }
    Ok(if scored.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The scenario folders of `dir` (those holding an `alarm.json`), sorted.
fn scenario_folders(dir: &Path, only: Option<&str>) -> anyhow::Result<Vec<PathBuf>> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter(|p| only.is_none_or(|name| p.file_name().is_some_and(|n| n == name)))
        .collect();
    folders.sort();
    if folders.is_empty() {
        anyhow::bail!("ReadError: no scenario folder in {}", dir.display());
    }
    Ok(folders)
}

/// An analysis's ranked causes as the scorer reads them.
pub fn answered(analysis: &Analysis, input: &AnalysisInput) -> Vec<AnsweredCause> {
    let _ = input;
    analysis
        .root_causes
        .iter()
        .map(|cause| AnsweredCause {
            component: cause.component.clone(),
            category: cause.category.as_str().to_owned(),
            explanation: cause.explanation.clone(),
            evidence: cause.evidence.iter().map(|e| e.detail.clone()).collect(),
        })
        .collect()
}
