//! The pieces of `aws-local` (`src/main.rs`): the template read, moto, the
//! Runtime API each function polls, the endpoint that checks every call
//! against IAM, the scenarios and the report. `src/bin/lambda_init.rs`
//! (`make bench-init`) reuses the Runtime API and moto.

// JSON is read with `value["key"]`, which never panics (Null when absent).
#![allow(clippy::indexing_slicing)]

pub mod calls;
pub mod endpoint;
pub mod gateway;
pub mod iam;
pub mod moto;
pub mod pattern;
pub mod report;
pub mod runtime;
pub mod scenario;
pub mod stack;
pub mod template;
pub mod zip;

/// Resolves on Ctrl-C or SIGTERM (`timeout`): a run selected against it is
/// dropped, which stops moto and the function processes it started.
pub async fn interrupted() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminated => {}
    }
}
