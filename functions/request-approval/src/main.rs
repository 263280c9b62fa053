//! `RequestApproval` (`${RequestApprovalFunctionArn}` in the state machine): Keeps the task token behind an approval id and asks the approvers once.
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
    let policy = env.policy().map_err(config_failure)?;
    run("RequestApproval", |input| {
        let (store, notifier, policy) = (&store, &notifier, &policy);
        async move { handlers::request_approval(store, notifier, store, store, policy, &input).await }
    })
    .await
}
