//! `Analyze` (`${AnalyzeFunctionArn}` in the state machine): The root-cause analysis from Bedrock (or the built-in rules as the fallback), cached and kept with the incident.
//! Configuration: see `responder_aws::config`.

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use responder_aws::bedrock::BedrockAnalyzer;
use responder_aws::config::Env;
use responder_aws::dynamodb::DynamoStore;
use responder_aws::sdk;
use responder_lambda::{config_failure, handlers, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), responder_lambda::Error> {
    let env = Env::from_process();
    let sdk = sdk::load().await;
    let store = DynamoStore::from_sdk(&sdk, env.tables().map_err(config_failure)?);
    let analyzer = BedrockAnalyzer::from_sdk(&sdk, &env).map_err(config_failure)?;
    let policy = env.policy().map_err(config_failure)?;
    run("Analyze", |input| {
        let (store, analyzer, policy) = (&store, &analyzer, &policy);
        async move { handlers::analyze(analyzer, store, store, policy, &input).await }
    })
    .await
}
