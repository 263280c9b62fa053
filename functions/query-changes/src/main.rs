//! `QueryChanges` (`${QueryChangesFunctionArn}` in the state machine): what changed before the alert (CloudTrail management events, writes only) in the incident's windows.
//! Configuration: see `responder_aws::config`.

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use responder_aws::cloudtrail::CloudTrailChanges;
use responder_aws::config::Env;
use responder_aws::sdk;
use responder_lambda::{config_failure, handlers, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), responder_lambda::Error> {
    let env = Env::from_process();
    let sdk = sdk::load().await;
    let changes = CloudTrailChanges::from_sdk(&sdk);
    let policy = env.policy().map_err(config_failure)?;
    run("QueryChanges", |input| {
        let (changes, policy) = (&changes, &policy);
        async move { handlers::query_changes(changes, policy, &input).await }
    })
    .await
}
