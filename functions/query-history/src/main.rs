//! `QueryHistory` (`${QueryHistoryFunctionArn}` in the state machine): past incidents like this one (the same alarm, metric, resource or service), from the S3 archive through Athena.
//! Configuration: see `responder_aws::config`.

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use responder_aws::athena::AthenaHistory;
use responder_aws::config::Env;
use responder_aws::sdk;
use responder_lambda::{config_failure, handlers, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), responder_lambda::Error> {
    let env = Env::from_process();
    let sdk = sdk::load().await;
    let history = AthenaHistory::from_sdk(&sdk, &env).map_err(config_failure)?;
    let policy = env.policy().map_err(config_failure)?;
    run("QueryHistory", |input| {
        let (history, policy) = (&history, &policy);
        async move { handlers::query_history(history, policy, &input).await }
    })
    .await
}
