//! `CheckCache` (`${CheckCacheFunctionArn}` in the state machine): A cached analysis for the signature, model and prompt version, from DynamoDB.
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
    let analyzer = env.analyzer_id().map_err(config_failure)?;
    run("CheckCache", |input| {
        let (store, analyzer) = (&store, &analyzer);
        async move { handlers::check_cache(store, analyzer, &input).await }
    })
    .await
}
