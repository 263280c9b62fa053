//! One module per subcommand.

pub mod decide;
pub mod executions;
pub mod incidents;
pub mod normalize;
pub mod replay;
pub mod run;
pub mod serve;
pub mod sfn;

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
