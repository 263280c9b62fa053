//! `Deliver` (`${DeliverFunctionArn}` in the state machine): One message to one channel, at most once per incident, channel and kind.
//! Configuration: see `responder_aws::config`.

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use responder_aws::dynamodb::DynamoStore;
use responder_aws::notifier::AwsNotifier;
use responder_aws::{sdk, secrets};
use responder_lambda::{config_failure, handlers, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), responder_lambda::Error> {
    let sdk = sdk::load().await;
    let env = secrets::load(&sdk).await.map_err(config_failure)?;
    let store = DynamoStore::from_sdk(&sdk, env.tables().map_err(config_failure)?);
    let notifier = AwsNotifier::from_sdk(&sdk, &env).map_err(config_failure)?;
    run("Deliver", |input| {
        let (store, notifier) = (&store, &notifier);
        async move { handlers::deliver(notifier, store, store, &input).await }
    })
    .await
}
