//! `api`: the MCP server and the HTTP API behind API Gateway. API Gateway
//! checks SigV4 (`AWS_IAM` authorization) before the request arrives; the
//! caller recorded in the audit trail is the IAM principal from its request
//! context. The same router runs locally as `responder serve`.
//! Configuration: see `responder_aws::config` and `responder_aws::api::config`
//! (which also needs `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`).

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use responder_aws::api::config::router;
use responder_aws::{sdk, secrets};

/// As in every function: mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let sdk = sdk::load().await;
    let env = secrets::load(&sdk).await?;
    let app = router(&env, &sdk)?;
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(app).await
}
