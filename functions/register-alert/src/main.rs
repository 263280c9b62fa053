//! `RegisterAlert` (`${RegisterAlertFunctionArn}` in the state machine): NEW, DUPLICATE, REPEAT, RECOVERY or IGNORED, in one DynamoDB transaction keyed on the dedup key.
//! Configuration: see `responder_aws::config`.

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use responder_aws::config::Env;
use responder_aws::dynamodb::DynamoStore;
use responder_aws::sdk;
use responder_lambda::{config_failure, handlers, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), responder_lambda::Error> {
    let env = Env::from_process();
    let sdk = sdk::load().await;
    let store = DynamoStore::from_sdk(&sdk, env.tables().map_err(config_failure)?);
    let policy = env.policy().map_err(config_failure)?;
    run("RegisterAlert", |input| {
        let (store, policy) = (&store, &policy);
        async move { handlers::register_alert(store, policy, &input).await }
    })
    .await
}
