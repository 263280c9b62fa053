//! `responder`: incident-responder on one machine.

mod commands;
mod config;

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
    /// Validate and run Step Functions definitions on the local engine.
    #[command(subcommand)]
    Sfn(commands::sfn::Command),
}

fn main() -> ExitCode {
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
        Command::Sfn(command) => commands::sfn::run(command),
    }
}
