//! `make bench-init`: each Lambda function's init time, from the start of
//! its process to its first poll of the Runtime API
//! (`GET /2018-06-01/runtime/invocation/next`), against aws-local's Runtime
//! API on 127.0.0.1 (`aws_local::runtime`); median, min and max of N cold
//! starts per function.
//!
//! Each function gets the environment its template gives it, reduced to
//! what its init reads (`cdk/lib/functions.ts`: the table names, bucket,
//! Athena, model, state machine), and the AWS endpoint of a local moto
//! server. The functions that read their secrets at init (`SECRET_ARNS`:
//! request-approval, deliver, api) read them from moto, as deployed (`{}`,
//! and the API's generated `LINK_SECRET`), so their figures include those
//! `GetSecretValue` calls; moto is started only for them, and stopped at the
//! end. The other functions make no call at init.
//!
//! The floor: this binary re-run as `--poll-once`, which makes the one GET
//! and waits: a process start and one HTTP request, nothing else. Every
//! figure is read against it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use aws_local::moto::Moto;
use aws_local::runtime::Runtime;
use aws_local::stack::{Function, Secret};
use clap::Parser;

/// The argument that makes this binary the floor's process.
const POLL_ONCE: &str = "--poll-once";
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

#[derive(Debug, Parser)]
#[command(
    about = "Each Lambda function's init time: process start to its first poll of the Runtime API"
)]
struct Args {
    /// Where the functions' binaries are: target/release, else target/debug.
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Cold starts measured per function (after one not counted).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Only these functions (crate names; all of functions/ by default).
    #[arg(long = "function", value_name = "CRATE")]
    functions: Vec<String>,
    /// The most one init may take.
    #[arg(long, default_value_t = 30)]
    limit_seconds: u64,
    /// The moto server to start for the functions that read secrets.
    #[arg(long, env = "MOTO_SERVER")]
    moto_server: Option<PathBuf>,
    /// The target folder whose release or debug build is measured, when no
    /// --bin-dir (`CARGO_TARGET_DIR`, else the workspace's `target/`).
    #[arg(long, env = "CARGO_TARGET_DIR")]
    target_dir: Option<PathBuf>,
    /// The repository's root.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))]
    root: PathBuf,
}

fn main() -> std::process::ExitCode {
    if std::env::args().nth(1).as_deref() == Some(POLL_ONCE) {
        return poll_once();
    }
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lambda_init: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Interrupted (Ctrl-C, `timeout`), the run is dropped: moto and the
    // function processes are stopped, not left behind.
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = run(args) => r,
            () = aws_local::interrupted() => Err(anyhow!("interrupted")),
        }
    });
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("lambda_init: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The floor: one GET of the next invocation, with nothing but std, then
/// wait for the answer (the bench kills the process first).
// Its one read of the environment: Lambda's address of the Runtime API.
#[allow(clippy::disallowed_methods)]
fn poll_once() -> std::process::ExitCode {
    use std::io::{Read as _, Write as _};
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return std::process::ExitCode::FAILURE;
    };
    let request = format!(
        "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api}\r\nUser-Agent: lambda-init-floor\r\n\r\n"
    );
    let Ok(mut stream) = std::net::TcpStream::connect(&api) else {
        return std::process::ExitCode::FAILURE;
    };
    if stream.write_all(request.as_bytes()).is_err() {
        return std::process::ExitCode::FAILURE;
    }
    let mut answer = [0_u8; 512];
    let _ = stream.read(&mut answer);
    std::process::ExitCode::SUCCESS
}

/// What a function's init reads, as `cdk/lib/functions.ts` deploys it.
#[derive(Debug, Clone, Copy, Default)]
struct Needs {
    tables: bool,
    archive: bool,
    athena: bool,
    logs: bool,
    model: bool,
    state_machine: bool,
    secrets: &'static [&'static str],
}

fn needs(crate_name: &str) -> Needs {
    let none = Needs::default();
    match crate_name {
        "normalize-alert" | "query-changes" => none,
        "register-alert" => Needs {
            tables: true,
            ..none
        },
        "query-history" => Needs {
            athena: true,
            archive: true,
            ..none
        },
        "query-logs" => Needs { logs: true, ..none },
        "check-cache" | "analyze" => Needs {
            tables: true,
            model: true,
            ..none
        },
        "request-approval" => Needs {
            tables: true,
            archive: true,
            secrets: &["slack"],
            ..none
        },
        "deliver" => Needs {
            tables: true,
            archive: true,
            secrets: &["slack", "jira"],
            ..none
        },
        "record-outcome" => Needs {
            tables: true,
            archive: true,
            model: true,
            ..none
        },
        // The API, and a function this table does not know yet: everything.
        _ => Needs {
            tables: true,
            archive: true,
            athena: true,
            logs: true,
            model: true,
            state_machine: true,
            secrets: &["slack", "api"],
        },
    }
}

/// The secrets as the stack deploys them (`cdk/lib/secrets.ts`).
fn secret(name: &str) -> Secret {
    let value = if name == "api" {
        format!(r#"{{"LINK_SECRET":"{}"}}"#, "l".repeat(48))
    } else {
        "{}".to_owned()
    };
    Secret {
        logical_id: name.to_owned(),
        name: format!("incident-responder-bench-{name}"),
        value,
    }
}

/// The template's variables a function's init reads; the secrets' ARNs
/// from `arns` (name → ARN).
fn environment(needs: Needs, arns: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([("RUST_LOG".to_owned(), "info".to_owned())]);
    let mut set = |k: &str, v: &str| {
        env.insert(k.to_owned(), v.to_owned());
    };
    if needs.tables {
        for table in [
            "INCIDENTS",
            "OCCURRENCES",
            "APPROVALS",
            "CACHE",
            "IDEMPOTENCY",
        ] {
            set(
                &format!("{table}_TABLE"),
                &format!("bench-{}", table.to_lowercase()),
            );
        }
    }
    if needs.archive {
        set("ARCHIVE_BUCKET", "bench-archive");
    }
    if needs.athena {
        set("ATHENA_WORKGROUP", "bench");
        set("ATHENA_DATABASE", "bench");
    }
    if needs.logs {
        set("LOG_GROUPS", "{}");
    }
    if needs.model {
        set(
            "BEDROCK_MODEL_ID",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
        );
    }
    if needs.state_machine {
        set(
            "STATE_MACHINE_ARN",
            &format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:bench"),
        );
    }
    if !needs.secrets.is_empty() {
        let list: Vec<&str> = needs
            .secrets
            .iter()
            .filter_map(|s| arns.get(*s).map(String::as_str))
            .collect();
        set("SECRET_ARNS", &list.join(","));
    }
    env
}

/// The crates of `functions/`, by name.
fn function_crates(root: &Path) -> Result<Vec<String>> {
    let mut crates: Vec<String> = std::fs::read_dir(root.join("functions"))
        .with_context(|| format!("{}/functions", root.display()))?
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    crates.sort();
    Ok(crates)
}

/// `CARGO_TARGET_DIR`'s (or the workspace's) `release`, when it has every
/// function; else its `debug`.
fn default_bin_dir(target: Option<&Path>, root: &Path, crates: &[String]) -> PathBuf {
    let target = target
        .map(Path::to_path_buf)
        .or_else(|| option_env!("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| root.join("target"));
    let release = target.join("release");
    if crates.iter().all(|c| release.join(c).exists()) {
        release
    } else {
        target.join("debug")
    }
}

fn function(name: &str, environment: BTreeMap<String, String>) -> Function {
    Function {
        name: name.to_owned(),
        arn: format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
        crate_name: name.to_owned(),
        environment,
        timeout_seconds: 60,
        memory_mb: 1024,
        role_name: String::new(),
        policies: Vec::new(),
        log_group: format!("/aws/lambda/{name}"),
        log_format: Some("JSON".to_owned()),
        log_level: Some("INFO".to_owned()),
    }
}

/// One row of the table.
#[derive(Debug)]
struct Row {
    name: String,
    note: &'static str,
    millis: Vec<f64>,
    error: Option<String>,
}

async fn run(args: Args) -> Result<bool> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let root = args.root.canonicalize().context("the repository root")?;
    let mut crates = function_crates(&root)?;
    if !args.functions.is_empty() {
        for f in &args.functions {
            if !crates.contains(f) {
                bail!("{f} is not a crate of functions/ ({})", crates.join(", "));
            }
        }
        crates.retain(|c| args.functions.contains(c));
    }
    let bin_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| default_bin_dir(args.target_dir.as_deref(), &root, &crates));
    for c in &crates {
        if !bin_dir.join(c).exists() {
            bail!(
                "no build of {c} in {} (cargo build --release -p {c}, or --bin-dir)",
                bin_dir.display()
            );
        }
    }
    let work = root.join("target/bench-init");
    let logs = work.join("logs");
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs)?;

    // moto, for the secrets read at init.
    let secret_names: std::collections::BTreeSet<&str> = crates
        .iter()
        .flat_map(|c| needs(c).secrets.iter().copied())
        .collect();
    let mut moto = None;
    let mut arns = BTreeMap::new();
    let mut extra = BTreeMap::from([
        (
            "AWS_ACCESS_KEY_ID".to_owned(),
            "AKIABENCHINIT0000000".to_owned(),
        ),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), "bench-init".to_owned()),
        ("AWS_SESSION_TOKEN".to_owned(), "bench-init".to_owned()),
    ]);
    if !secret_names.is_empty() {
        let binary = aws_local::moto::server_binary(&root, args.moto_server.clone());
        let server = Moto::start(&binary, &logs.join("moto.log"), REGION).await?;
        for name in &secret_names {
            let arn = server.create_secret(&secret(name)).await?;
            arns.insert((*name).to_owned(), arn);
        }
        extra.insert("AWS_ENDPOINT_URL".to_owned(), server.url.clone());
        moto = Some(server);
    } else {
        // Nothing listens there: a call at init would fail, not reach AWS.
        let port = aws_local::moto::free_port()?;
        extra.insert(
            "AWS_ENDPOINT_URL".to_owned(),
            format!("http://127.0.0.1:{port}"),
        );
    }

    // One Runtime API per function, and the floor's.
    let myself = std::env::current_exe().context("this binary's path")?;
    let mut entries: Vec<(Runtime, &'static str)> = Vec::new();
    entries.push((
        Runtime::start(
            function("floor", BTreeMap::new()),
            myself,
            &extra,
            &logs,
            REGION,
        )
        .await?
        .with_args(vec![POLL_ONCE.to_owned()]),
        "spawn + one GET",
    ));
    for c in &crates {
        let n = needs(c);
        let note = match n.secrets.len() {
            0 => "",
            1 => "+1 secret (moto)",
            _ => "+2 secrets (moto)",
        };
        let f = function(c, environment(n, &arns));
        entries.push((
            Runtime::start(f, bin_dir.join(c), &extra, &logs, REGION).await?,
            note,
        ));
    }

    eprintln!(
        "lambda_init: {} functions from {}, {} runs each (after one not counted), one at a time; logs in {}",
        crates.len(),
        bin_dir.display(),
        args.runs,
        logs.display()
    );
    let limit = Duration::from_secs(args.limit_seconds);
    let mut rows: Vec<Row> = entries
        .iter()
        .map(|(r, note)| Row {
            name: r.function.name.clone(),
            note,
            millis: Vec::new(),
            error: None,
        })
        .collect();
    // Round-robin, so a slow moment of the machine spreads over every row.
    for round in 0..=args.runs {
        for ((runtime, _), row) in entries.iter().zip(rows.iter_mut()) {
            if row.error.is_some() {
                continue;
            }
            match runtime.time_init(limit).await {
                Ok(d) if round > 0 => row.millis.push(d.as_secs_f64() * 1000.0),
                Ok(_) => {}
                Err(e) => row.error = Some(format!("{e:#}")),
            }
        }
    }
    for (runtime, _) in &entries {
        runtime.stop().await;
    }
    drop(entries);
    drop(moto);
    print(&rows, &bin_dir, args.runs);
    Ok(rows.iter().all(|r| r.error.is_none()))
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match (sorted.get(n / 2), n % 2) {
        (Some(m), 1) => *m,
        (Some(m), _) => (m + sorted.get(n / 2 - 1).copied().unwrap_or(*m)) / 2.0,
        (None, _) => f64::NAN,
    }
}

#[allow(clippy::print_stdout)]
fn print(rows: &[Row], bin_dir: &Path, runs: usize) {
    println!(
        "Init: process start to first GET /runtime/invocation/next; {runs} runs; {}",
        bin_dir.display()
    );
    println!(
        "{:<18} {:>10} {:>9} {:>9} {:>8}  note",
        "function", "median ms", "min", "max", "x floor"
    );
    let floor = rows.first().map_or(f64::NAN, |r| {
        let mut m = r.millis.clone();
        m.sort_by(f64::total_cmp);
        median(&m)
    });
    for row in rows {
        if let Some(e) = &row.error {
            println!("{:<18} failed: {e}", row.name);
            continue;
        }
        let mut m = row.millis.clone();
        m.sort_by(f64::total_cmp);
        let med = median(&m);
        println!(
            "{:<18} {:>10.2} {:>9.2} {:>9.2} {:>8.1}  {}",
            row.name,
            med,
            m.first().copied().unwrap_or(f64::NAN),
            m.last().copied().unwrap_or(f64::NAN),
            med / floor,
            row.note
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert!((median(&[1.0, 2.0, 9.0]) - 2.0).abs() < 1e-9);
        assert!((median(&[1.0, 2.0, 4.0, 9.0]) - 3.0).abs() < 1e-9);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn every_function_gets_what_its_init_reads_and_only_the_secrets_it_reads() {
        let arns = BTreeMap::from([
            ("slack".to_owned(), "arn:slack".to_owned()),
            ("jira".to_owned(), "arn:jira".to_owned()),
            ("api".to_owned(), "arn:api".to_owned()),
        ]);
        let deliver = environment(needs("deliver"), &arns);
        assert_eq!(
            deliver.get("SECRET_ARNS").map(String::as_str),
            Some("arn:slack,arn:jira")
        );
        assert!(deliver.contains_key("ARCHIVE_BUCKET"));
        let normalize = environment(needs("normalize-alert"), &arns);
        assert!(!normalize.contains_key("SECRET_ARNS"));
        assert!(!normalize.contains_key("INCIDENTS_TABLE"));
        let api = environment(needs("api"), &arns);
        for key in ["STATE_MACHINE_ARN", "ATHENA_WORKGROUP", "BEDROCK_MODEL_ID"] {
            assert!(api.contains_key(key), "{key}");
        }
    }
}
