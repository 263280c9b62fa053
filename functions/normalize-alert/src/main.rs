//! `NormalizeAlert` (`${NormalizeAlertFunctionArn}` in the state machine): Any supported alert payload in; its normalized alerts out. No AWS calls.
//! Configuration: see `responder_aws::config`.

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use responder_aws::config::Env;
use responder_lambda::{config_failure, handlers, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), responder_lambda::Error> {
    let env = Env::from_process();
    let options = env.normalize_options().map_err(config_failure)?;
    run("NormalizeAlert", |input| {
        let options = &options;
        async move { handlers::normalize_alert(options, &input) }
    })
    .await
}
