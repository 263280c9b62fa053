//! One module per subcommand.

pub mod decide;
pub mod executions;
pub mod incidents;
pub mod normalize;
pub mod replay;
pub mod run;
pub mod serve;
pub mod sfn;
pub mod timeline;

/// A command's result as the process exit: an error is one line on stderr
/// (its stable name first) and exit 2.
pub fn finish(result: anyhow::Result<std::process::ExitCode>) -> std::process::ExitCode {
    result.unwrap_or_else(|error| {
        eprintln!(
            "{}",
            responder_workflow::render::sanitize(&format!("{error:#}"))
        );
        std::process::ExitCode::from(2)
    })
}

/// A timestamp as every command prints one: RFC 3339, UTC, milliseconds,
/// `Z` (`2026-11-20T09:14:07.405Z`); text that is not one, as it is.
pub fn timestamp(text: &str) -> String {
    responder_core::time::Timestamp::parse(text).map_or_else(|| text.to_owned(), |t| t.to_string())
}

/// `NotFound: no incident 'ID' in DIR`, with where else to look.
pub fn not_found(what: &str, id: &str, dir: &crate::local::DataDir) -> String {
    let mut message = format!("NotFound: no {what} '{id}' in {}", dir.describe());
    if !dir.has_data() {
        message.push_str(": nothing has run with this data directory");
    }
    if let Some(hint) = dir.elsewhere(&format!("{what}s list")) {
        message.push_str(&format!("; {hint}"));
    }
    message
}
