//! `responder`: incident-responder on one machine.

/// Prints a line on standard output, with what could drive or deceive a
/// terminal taken out (escape sequences and other control characters,
/// bidirectional overrides, zero-width characters): alarm, log and model
/// text is untrusted. A closed pipe (`| head`) is the reader's choice: the
/// line is dropped instead of panicking.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = responder_workflow::render::sanitize(&format!($($arg)*));
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    }};
}

/// Like `say!`, without the newline (a prompt).
macro_rules! say_inline {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = responder_workflow::render::sanitize(&format!($($arg)*));
        let _ = write!(std::io::stdout().lock(), "{text}");
    }};
}

/// mimalloc, as in the Lambda functions: normalization measured 1.14x faster
/// with it than with glibc's malloc (`make bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod commands;
mod config;
mod eval;
mod local;
mod storm;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Incident-responder: turns alarms into analyzed, approved incidents.
///
/// Exit codes: 0 success, 1 failure, 2 invalid input or usage.
#[derive(Debug, Parser)]
#[command(name = "responder", version, propagate_version = true)]
struct Cli {
    /// Configuration file. Without it, `responder.toml` in the current
    /// directory is read if it exists; otherwise the built-in defaults apply.
    #[arg(long, global = true, env = "RESPONDER_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Normalize(commands::normalize::Args),
    /// Run the incident workflow on a payload, on this machine.
    Run(commands::run::Args),
    /// Replay an archive of alert payloads (or a generated storm) and print what happened.
    Replay(commands::replay::Args),
    /// Approve an incident waiting for a decision.
    Approve(commands::decide::ApproveArgs),
    /// Reject an incident waiting for a decision.
    Reject(commands::decide::RejectArgs),
    /// List and show incidents.
    #[command(subcommand)]
    Incidents(commands::incidents::Command),
    /// List and show workflow executions, state by state.
    #[command(subcommand)]
    Executions(commands::executions::Command),
    /// Validate and run Step Functions definitions on the local engine.
    #[command(subcommand)]
    Sfn(commands::sfn::Command),
    /// Serve the MCP server and the HTTP API (SigV4-checked) on this machine.
    Serve(commands::serve::ServeArgs),
    /// Speak MCP over stdin and stdout, for desktop MCP clients.
    Mcp(commands::serve::McpArgs),
    /// Run the evaluation scenarios of a folder and score the analyses.
    Eval(eval::Args),
}

fn main() -> ExitCode {
    // Test builds only: crash points named by FAILPOINTS.
    responder_failpoints::setup();
    let cli = Cli::parse();
    let config = match config::Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("InvalidConfig: {error:#}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Normalize(args) => commands::normalize::run(&args, &config),
        Command::Eval(args) => eval::run(&args, &config),
        Command::Sfn(command) => commands::sfn::run(command),
        Command::Run(args) => commands::run::run(&args, &config),
        Command::Replay(args) => commands::replay::run(&args, &config),
        Command::Approve(args) => commands::decide::approve(&args, &config),
        Command::Reject(args) => commands::decide::reject(&args, &config),
        Command::Incidents(command) => commands::incidents::run(&command, &config),
        Command::Executions(command) => commands::executions::run(&command, &config),
        Command::Serve(args) => commands::serve::serve(&args, &config),
        Command::Mcp(args) => commands::serve::mcp(&args, &config),
    }
}
