//! `QueryLogs` (`${QueryLogsFunctionArn}` in the state machine): the log groups around the alert (discovered), their lines in the incident and baseline windows through CloudWatch Logs Insights, mined into ranked templates.
//! Configuration: see `responder_aws::config`.

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use responder_aws::config::Env;
use responder_aws::logs_insights::InsightsLogs;
use responder_aws::sdk;
use responder_lambda::{config_failure, handlers, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), responder_lambda::Error> {
    let env = Env::from_process();
    let sdk = sdk::load().await;
    let logs = InsightsLogs::from_sdk(&sdk, &env).map_err(config_failure)?;
    let policy = env.policy().map_err(config_failure)?;
    run("QueryLogs", |input| {
        let (logs, policy) = (&logs, &policy);
        async move { handlers::query_logs(logs, policy, &input).await }
    })
    .await
}
