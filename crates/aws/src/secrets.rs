//! Secrets from Secrets Manager, read once at cold start. `SECRET_ARNS`
//! names the secrets; each holds a JSON object of secret variables
//! (`{"SLACK_BOT_TOKEN": "xoxb-…", "SLACK_CHANNEL": "C0123456789"}`), which
//! are merged into the function's [`Env`] and never reach the process
//! environment, a log or an error. Only the variables of [`SECRET_VARIABLES`]
//! may come from a secret: a secret cannot change a table or a model.

use aws_sdk_secretsmanager::Client;
use responder_workflow::error::names;
use responder_workflow::{Error, Result};
use serde_json::Value;

use crate::config::Env;

/// What a secret may set.
pub const SECRET_VARIABLES: [&str; 11] = [
    "SLACK_BOT_TOKEN",
    "SLACK_CHANNEL",
    "SLACK_WEBHOOK_URL",
    "SLACK_SIGNING_SECRET",
    "JIRA_BASE_URL",
    "JIRA_EMAIL",
    "JIRA_API_TOKEN",
    "JIRA_PROJECT",
    "JIRA_ISSUE_TYPE",
    "WEBHOOK_TOKEN",
    "LINK_SECRET",
];

/// The process environment with the secrets of its `SECRET_ARNS`: what
/// the functions that send or check secrets start with.
pub async fn load(sdk: &aws_config::SdkConfig) -> Result<Env> {
    let env = Env::from_process();
    if env.list("SECRET_ARNS").is_empty() {
        return Ok(env);
    }
    with_secrets(env, &Client::new(sdk)).await
}

/// `env` with the variables of every secret in `SECRET_ARNS`; `env` as it
/// is when none is named.
pub async fn with_secrets(mut env: Env, client: &Client) -> Result<Env> {
    for arn in env.list("SECRET_ARNS") {
        let out = client
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .map_err(|e| {
                let code = aws_sdk_secretsmanager::error::ProvideErrorMetadata::code(&e)
                    .unwrap_or("no answer")
                    .to_owned();
                Error::new(
                    names::CONFIG,
                    format!("the secret {arn} could not be read: {code}"),
                )
            })?;
        let text = out.secret_string().unwrap_or_default();
        for (name, value) in variables(&arn, text)? {
            env.set(&name, value);
        }
    }
    Ok(env)
}

/// The variables of one secret's JSON. The error names the secret and the
/// variable, never a value.
pub fn variables(arn: &str, text: &str) -> Result<Vec<(String, String)>> {
    let invalid = |what: String| Error::new(names::CONFIG, format!("the secret {arn} {what}"));
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
        return Err(invalid(
            "is not a JSON object of variables (such as {\"SLACK_BOT_TOKEN\": \"...\"})".to_owned(),
        ));
    };
    object
        .into_iter()
        .map(|(name, value)| {
            if !SECRET_VARIABLES.contains(&name.as_str()) {
                return Err(invalid(format!(
                    "sets '{}', which is not a secret variable; expected one of {}",
                    name.escape_debug(),
                    SECRET_VARIABLES.join(", ")
                )));
            }
            match value {
                Value::String(value) => Ok((name, value)),
                _ => Err(invalid(format!(
                    "sets {name} to a value that is not a string"
                ))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_sets_only_secret_variables_and_its_errors_show_no_value() {
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf";
        let vars = variables(
            arn,
            r#"{"SLACK_BOT_TOKEN": "xoxb-1-2", "SLACK_CHANNEL": "C1"}"#,
        )
        .unwrap_or_default();
        assert_eq!(vars.len(), 2);

        let error = variables(arn, r#"{"INCIDENTS_TABLE": "xoxb-secret-value"}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("'INCIDENTS_TABLE', which is not a secret variable"),
            "{error}"
        );
        assert!(!error.contains("xoxb-secret-value"));

        let error = variables(arn, "xoxb-plain-token")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("is not a JSON object"), "{error}");
        assert!(!error.contains("xoxb-plain-token"));
    }
}
