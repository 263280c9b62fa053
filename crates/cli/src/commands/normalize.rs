//! `responder normalize [FILE|-]`: one payload in, its normalized alerts out.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use responder_core::limits::MAX_PAYLOAD_BYTES;
use responder_core::normalize_bytes;

use crate::config::Config;

/// Normalize one alert payload and print its alerts as a JSON array.
///
/// Accepts EventBridge CloudWatch alarm events, SNS and Lambda alarm
/// notifications, CloudWatch Logs subscriptions, Alertmanager and Grafana
/// webhooks, and the generic webhook. On invalid input, exits 2 with one line
/// on stderr: `InvalidAlert: ...` or `UnsupportedSource: ...`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The payload file; `-` or nothing reads standard input.
    #[arg(value_name = "FILE|-")]
    input: Option<PathBuf>,

    /// One line of JSON instead of indented JSON.
    #[arg(long)]
    compact: bool,
}

pub fn run(args: &Args, config: &Config) -> ExitCode {
    let payload = match read_input(args.input.as_deref()) {
        Ok(payload) => payload,
        Err(line) => {
            eprintln!("{line}");
            return ExitCode::from(2);
        }
    };
    let alerts = match normalize_bytes(&payload, &config.normalize) {
        Ok(alerts) => alerts,
        Err(error) => {
            eprintln!("{}: {error}", error.error_type());
            return ExitCode::from(2);
        }
    };
    let json = if args.compact {
        serde_json::to_string(&alerts)
    } else {
        serde_json::to_string_pretty(&alerts)
    };
    let written = json.map_err(io::Error::other).and_then(|json| {
        let mut out = io::stdout().lock();
        writeln!(out, "{json}")?;
        out.flush()
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is the reader's choice, not our failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("OutputError: cannot write to standard output: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads at most one byte past the payload limit, so that an endless stream
/// is refused instead of read into memory; the normalizer reports the size.
fn read_input(input: Option<&std::path::Path>) -> Result<Vec<u8>, String> {
    let limit = u64::try_from(MAX_PAYLOAD_BYTES + 1).unwrap_or(u64::MAX);
    let mut payload = Vec::new();
    let result = match input {
        None => io::stdin().lock().take(limit).read_to_end(&mut payload),
        Some(path) if path.as_os_str() == "-" => {
            io::stdin().lock().take(limit).read_to_end(&mut payload)
        }
        Some(path) => {
            std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut payload))
        }
    };
    match result {
        Ok(_) => Ok(payload),
        Err(e) => Err(format!(
            "ReadError: cannot read {}: {e}",
            input.map_or_else(|| "standard input".to_owned(), |p| p.display().to_string())
        )),
    }
}
