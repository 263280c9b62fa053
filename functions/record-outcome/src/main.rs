//! `RecordOutcome` (`${RecordOutcomeFunctionArn}` in the state machine): The incident's status after its deliveries, and its row and report in the S3 archive.
//! Configuration: see `responder_aws::config`.

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use responder_aws::config::Env;
use responder_aws::dynamodb::DynamoStore;
use responder_aws::s3::S3Archive;
use responder_aws::sdk;
use responder_lambda::{config_failure, handlers, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), responder_lambda::Error> {
    let env = Env::from_process();
    let sdk = sdk::load().await;
    let store = DynamoStore::from_sdk(&sdk, env.tables().map_err(config_failure)?);
    let archive = S3Archive::from_sdk(&sdk, &env).map_err(config_failure)?;
    let analyzer = env.analyzer_id().map_err(config_failure)?;
    run("RecordOutcome", |input| {
        let (store, archive, analyzer) = (&store, &archive, &analyzer);
        async move { handlers::record_outcome(store, archive, store, analyzer, &input).await }
    })
    .await
}
