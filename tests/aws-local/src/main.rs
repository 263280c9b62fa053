//! `make aws-local [ENV=dev]`: the synthesized stack run on one machine.
//!
//! It reads everything from the template (`cdk synth`, or
//! `AWS_LOCAL_TEMPLATE`), makes its tables, buckets and secrets in a moto
//! server, runs each Lambda function's host build behind a local Runtime
//! API with the template's environment and timeout, runs the state machine
//! definition on the local engine, drives the scenarios users drive
//! (alarm events through the rule's pattern, an approval and a rejection
//! through the API function, a recovery, a redelivery), checks every AWS
//! call against the caller's role, and prints a summary. It fails, naming
//! function, action and resource, when a call is not allowed; and when a
//! function cannot start or an execution ends otherwise than expected.

// JSON is read with `value["key"]`, which never panics (Null when absent).
#![allow(clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use responder_sfn::{Definition, Engine, Registry, StatesError, Store};
use serde_json::json;

use aws_local::endpoint::{self, Caller, Endpoint, Machine};
use aws_local::runtime::{Outcome, Runtime};
use aws_local::{calls, gateway, moto, report, scenario, stack, template, zip};

#[derive(Debug, Parser)]
#[command(
    about = "Run the synthesized stack on one machine: moto, the functions' host builds, the local engine"
)]
struct Args {
    /// The environment to synthesize (dev, stage, prod).
    #[arg(long, env = "AWS_LOCAL_ENV", default_value = "dev")]
    env: String,
    /// A synthesized template to run instead (its folder is the cloud assembly).
    #[arg(long, env = "AWS_LOCAL_TEMPLATE")]
    template: Option<PathBuf>,
    /// The repository's root.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))]
    root: PathBuf,
    /// Where the functions' host builds are (`cargo build -p <function>`).
    #[arg(long, env = "AWS_LOCAL_BIN_DIR")]
    bin_dir: Option<PathBuf>,
    /// The moto server to start.
    #[arg(long, env = "MOTO_SERVER")]
    moto_server: Option<PathBuf>,
    /// Where logs and the synthesized assembly go.
    #[arg(long, env = "AWS_LOCAL_WORK_DIR")]
    work_dir: Option<PathBuf>,
    /// The SigV4 client the approver uses (`make tools` pins one).
    #[arg(long, env = "AWSCURL")]
    awscurl: Option<PathBuf>,
    /// Only synthesize ENV and print the template's path.
    #[arg(long)]
    synth_only: bool,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let started = Instant::now();
    let args = Args::parse();
    // Interrupted (Ctrl-C, `timeout`), the run is dropped: moto and the
    // function processes are stopped, not left behind.
    let outcome = tokio::select! {
        r = run(args, started) => r,
        () = aws_local::interrupted() => Err(anyhow!("interrupted")),
    };
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("aws-local: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The folder of the crates' host builds: `CARGO_TARGET_DIR`'s or the
/// workspace's `target/debug`.
fn default_bin_dir(root: &Path) -> PathBuf {
    let target = option_env!("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    target.join("debug")
}

async fn run(args: Args, started: Instant) -> Result<bool> {
    let root = args.root.canonicalize().context("the repository root")?;
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| root.join("target/aws-local").join(&args.env));
    let _ = std::fs::remove_dir_all(work.join("logs"));
    std::fs::create_dir_all(work.join("logs"))?;
    let packages = root.join("target/lambda");
    let stand_ins = work.join("stand-ins");
    let template = match &args.template {
        Some(t) => t.clone(),
        None => synthesize(
            &root,
            &args.env,
            &packages,
            &stand_ins,
            &work.join("cdk.out"),
        )?,
    };
    if args.synth_only {
        #[allow(clippy::print_stdout)]
        {
            println!("{}", template.display());
        }
        return Ok(true);
    }
    let mut deployment = template::Deployment::load(&template)?;
    let region = deployment.region.clone();
    let logs = work.join("logs");
    let moto_binary = moto::server_binary(&root, args.moto_server.clone());
    let moto = moto::Moto::start(&moto_binary, &logs.join("moto.log"), &region).await?;

    // CloudFormation's order: secrets first (their ARNs are chosen at creation).
    let mut secret_arns = HashMap::new();
    for secret in stack::secrets(&deployment)? {
        let arn = moto.create_secret(&secret).await?;
        deployment.set_secret_arn(&secret.logical_id, &arn);
        secret_arns.insert(secret.name.clone(), arn);
    }
    let stack = stack::Stack::read(deployment, &[packages, stand_ins])?;
    for table in &stack.tables {
        moto.create_table(table).await?;
    }
    for bucket in &stack.buckets {
        moto.create_bucket(bucket).await?;
    }
    for f in &stack.functions {
        if let Some(from) = f.environment.get("EMAIL_FROM") {
            let domain = from
                .rsplit('@')
                .next()
                .unwrap_or_default()
                .trim_end_matches('>');
            moto.create_email_identity(domain).await?;
        }
    }
    // The world the scenarios' alarms watch: the log group of the function
    // whose errors alarm (discovery finds it; QueryLogs queries it).
    moto.create_log_group(scenario::WATCHED_LOG_GROUP).await?;
    let gateway = gateway::Gateway::read(&stack.deployment)?;

    // The endpoint's address first: the functions' environment names it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint_url = format!("http://{}", listener.local_addr()?);
    let bin_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| default_bin_dir(&root));
    let mut runtimes: BTreeMap<String, Arc<Runtime>> = BTreeMap::new();
    let mut callers = HashMap::new();
    for (i, f) in stack.functions.iter().enumerate() {
        let key = format!("AKIAAWSLOCAL{i:08}");
        let binary = bin_dir.join(&f.crate_name);
        if !binary.exists() {
            bail!(
                "no host build of {} at {} (cargo build -p {})",
                f.crate_name,
                binary.display(),
                f.crate_name
            );
        }
        let extra: BTreeMap<String, String> = [
            ("AWS_ENDPOINT_URL", endpoint_url.clone()),
            ("AWS_ACCESS_KEY_ID", key.clone()),
            ("AWS_SECRET_ACCESS_KEY", "aws-local".to_owned()),
            ("AWS_SESSION_TOKEN", format!("aws-local-{}", f.name)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let runtime = Runtime::start(f.clone(), binary, &extra, &logs, &region).await?;
        runtimes.insert(f.name.clone(), Arc::new(runtime));
        callers.insert(
            key,
            Caller {
                function: f.name.clone(),
                role: f.role_name.clone(),
                policies: f.policies.clone(),
            },
        );
    }

    // The state machine, each function ARN invoking that function, as its
    // role allows (`lambda:InvokeFunction`).
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut registry = Registry::new();
    for (name, runtime) in &runtimes {
        let runtime = Arc::clone(runtime);
        let (calls, machine) = (Arc::clone(&calls), stack.machine.clone());
        registry.register(name.clone(), move |request| {
            let runtime = Arc::clone(&runtime);
            let need = calls::need("lambda:InvokeFunction".into(), runtime.function.arn.clone());
            let verdict = endpoint::verdict(&machine.policies, &need);
            let refused = verdict.refused();
            if let Ok(mut list) = calls.lock() {
                list.push(endpoint::Call {
                    function: format!("state machine {}", machine.name),
                    service: "lambda".into(),
                    action: need.action.clone(),
                    resource: need.resource.clone(),
                    verdict,
                    backend: "runtime",
                });
            }
            let denied = refused.then(|| {
                format!(
                    "User: arn:aws:sts::{}:assumed-role/{}/{} is not authorized to perform: lambda:InvokeFunction on resource: {}",
                    template::ACCOUNT, machine.role, machine.name, need.resource
                )
            });
            Box::pin(async move {
                if let Some(message) = denied {
                    return Err(StatesError::new("Lambda.AWSLambdaException", message));
                }
                match runtime.invoke(request.input).await {
                    Outcome::Response(v) => Ok(v),
                    Outcome::Error(kind, message) => {
                        let cause = json!({"errorType": kind, "errorMessage": message});
                        Err(StatesError::new(kind, cause.to_string()))
                    }
                }
            })
        });
    }
    let definition = Arc::new(
        Definition::load(&stack.machine.definition, &HashMap::new())
            .map_err(|e| anyhow!("the template's state machine: {e}"))?,
    );
    let engine = Arc::new(Engine::new(Store::in_memory()?, Arc::new(registry)));
    let machine = Machine {
        engine: Arc::clone(&engine),
        definition: Arc::clone(&definition),
        name: stack.machine.name.clone(),
        arn: stack.machine.arn.clone(),
        runs: Mutex::new(Vec::new()),
    };
    let arns = calls::Arns {
        region: region.clone(),
        account: stack.deployment.account.clone(),
    };
    let endpoint = Arc::new(Endpoint::new(
        arns,
        moto.url.clone(),
        callers,
        secret_arns,
        machine,
        calls,
    ));
    let app = axum::Router::new()
        .fallback(endpoint::handle)
        .with_state(Arc::clone(&endpoint));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    // API Gateway's front, when the template has a REST API.
    let mut front_url = None;
    let mut front_server = None;
    if let Some(g) = &gateway {
        let front = Arc::new(gateway::Front::new(
            g.clone(),
            &stack.deployment.account,
            runtimes.clone(),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        front_url = Some(format!("http://{}", listener.local_addr()?));
        let app = axum::Router::new()
            .fallback(gateway::serve_request)
            .with_state(front);
        front_server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }
    let awscurl = args.awscurl.clone().unwrap_or_else(|| {
        let pinned = root.join(".venv-tools/bin/awscurl");
        if pinned.exists() {
            pinned
        } else {
            PathBuf::from("awscurl")
        }
    });
    let world = scenario::World {
        stack: &stack,
        gateway: gateway.as_ref(),
        runtimes: &runtimes,
        endpoint: &endpoint,
        events: root.join("events/eventbridge"),
        front: front_url,
        awscurl,
    };
    let outcome = scenario::run_all(&world).await;
    for runtime in runtimes.values() {
        runtime.stop().await;
    }
    let passed = report::print(&world, &moto, outcome, started).await;
    server.abort();
    if let Some(f) = front_server {
        f.abort();
    }
    drop(moto);
    passed
}

/// `cdk synth` of `env` over the packages of `make package`, or over
/// stand-ins naming each crate when there are none (the harness runs the
/// host builds either way). Returns the template.
fn synthesize(
    root: &Path,
    env: &str,
    packages: &Path,
    stand_ins: &Path,
    out: &Path,
) -> Result<PathBuf> {
    let crates: Vec<String> = std::fs::read_dir(root.join("functions"))?
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let packaged = crates
        .iter()
        .all(|c| packages.join(c).join("bootstrap.zip").exists());
    let assets = if packaged {
        packages.to_path_buf()
    } else {
        for c in &crates {
            std::fs::create_dir_all(stand_ins.join(c))?;
            let mut content = stack::STAND_IN.to_vec();
            content.extend_from_slice(c.as_bytes());
            std::fs::write(
                stand_ins.join(c).join("bootstrap.zip"),
                zip::single_entry("bootstrap", &content),
            )?;
        }
        stand_ins.to_path_buf()
    };
    let _ = std::fs::remove_dir_all(out);
    let status = Command::new("npx")
        .args(["cdk", "synth", "--quiet", "--no-notices", "-c"])
        .arg(format!("env={env}"))
        .arg("-c")
        .arg(format!("assets={}", assets.display()))
        .arg("-o")
        .arg(out)
        .current_dir(root.join("cdk"))
        // The CDK CLI writes its messages to stdout when `CI=true`; stdout
        // is this tool's answer (`--synth-only` prints the template's path).
        .stdout(std::io::stderr())
        .status()
        .context("cannot run npx cdk synth (make tools)")?;
    if !status.success() {
        bail!("cdk synth -c env={env} failed");
    }
    std::fs::read_dir(out)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".template.json"))
        .ok_or_else(|| anyhow!("cdk synth wrote no template in {}", out.display()))
}
