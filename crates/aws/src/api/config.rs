//! The API function's configuration, read once at cold start: the backend
//! ([`AwsApi`]), the write tools it serves (`WRITE_TOOLS`) and the HTTP
//! side (origins, the optional routes' secrets, Slack's buttons, the caller
//! API Gateway vouches for). `functions/api` only runs what [`router`]
//! builds.
//!
//! A REST API passes its stage in the path (`/prod/mcp`) and `lambda_http`
//! keeps it there unless [`IGNORE_STAGE`] is set; the routes are the same at
//! every stage, so the CDK app sets it and [`router`] refuses to start
//! without it (every route would answer 404 otherwise).

use std::sync::Arc;

use lambda_http::request::RequestContext;
use responder_api::http::{Auth, HttpConfig, SlackSettings};
use responder_api::slack::{ApproverCheck, SlackApprovers};
use responder_api::tools::{ToolPolicy, Tools};
use responder_notify::slack::SlackInteractivity;
use responder_workflow::error::names;
use responder_workflow::{Error, Result};

use super::AwsApi;
use crate::athena::AthenaHistory;
use crate::bedrock::BedrockAnalyzer;
use crate::config::Env;
use crate::dynamodb::DynamoStore;
use crate::logs_insights::InsightsLogs;
use crate::s3::S3Archive;
use crate::sfn::SfnExecutions;

/// Read by `lambda_http` for every request: when set, the path of an API
/// Gateway event is taken as it is, without the stage in front.
pub const IGNORE_STAGE: &str = "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH";

/// The API's router over the AWS backend, from the function's environment.
pub fn router(env: &Env, sdk: &aws_config::SdkConfig) -> Result<axum::Router> {
    if env.optional(IGNORE_STAGE).is_none() {
        return Err(Error::new(
            names::CONFIG,
            format!("{IGNORE_STAGE} is not set: the stage would stay in every path"),
        ));
    }
    let tools = Tools::new(Arc::new(AwsApi::from_sdk(sdk, env)?), tool_policy(env)?);
    Ok(responder_api::http::router(tools, http_config(env)?))
}

impl AwsApi {
    /// Every adapter the API calls.
    pub fn from_sdk(sdk: &aws_config::SdkConfig, env: &Env) -> Result<Self> {
        Ok(Self {
            store: DynamoStore::from_sdk(sdk, env.tables()?),
            executions: SfnExecutions::from_sdk(sdk, env)?,
            athena: AthenaHistory::from_sdk(sdk, env)?,
            logs: InsightsLogs::from_sdk(sdk, env)?,
            analyzer: BedrockAnalyzer::from_sdk(sdk, env)?,
            archive: S3Archive::from_sdk(sdk, env)?,
            policy: env.policy()?,
        })
    }
}

/// The write tools served: all of them when `WRITE_TOOLS` is unset, none
/// for `none`, else the ones it lists (a name that is not a write tool is
/// an error, not a tool silently off).
pub fn tool_policy(env: &Env) -> Result<ToolPolicy> {
    let policy = match env.optional("WRITE_TOOLS") {
        None => return Ok(ToolPolicy::default()),
        Some("none") => ToolPolicy::new(Vec::new()),
        Some(_) => ToolPolicy::new(env.list("WRITE_TOOLS")),
    };
    policy.map_err(|e| Error::new(names::CONFIG, format!("WRITE_TOOLS: {}", e.message)))
}

/// The HTTP side behind API Gateway: it checked the signature, the caller
/// is in the request context ([`caller_of`]).
pub fn http_config(env: &Env) -> Result<HttpConfig> {
    Ok(HttpConfig {
        auth: Auth::Gateway(Arc::new(caller_of)),
        allowed_origins: env.list("ALLOWED_ORIGINS"),
        webhook_token: env.optional("WEBHOOK_TOKEN").map(str::to_owned),
        slack_signing_secret: env.optional("SLACK_SIGNING_SECRET").map(str::to_owned),
        link_secret: env.optional("LINK_SECRET").map(|s| s.as_bytes().to_vec()),
        slack: slack_settings(env)?,
    })
}

/// Slack's buttons in AWS: who may press them (`SLACK_APPROVERS`, JSON as
/// `[api.slack_approvers]`), and replies and user-group lookups through
/// Slack's API (`SLACK_BOT_TOKEN`, `SLACK_API_BASE`).
pub fn slack_settings(env: &Env) -> Result<SlackSettings> {
    let approvers: SlackApprovers = match env.optional("SLACK_APPROVERS") {
        Some(json) => serde_json::from_str(json).map_err(|e| {
            Error::new(
                names::CONFIG,
                format!("SLACK_APPROVERS is not a list of approvers: {e}"),
            )
        })?,
        None => SlackApprovers::default(),
    };
    let slack = Arc::new(SlackInteractivity::new(
        env.optional("SLACK_API_BASE")
            .unwrap_or("https://slack.com/api"),
        env.optional("SLACK_BOT_TOKEN").map(str::to_owned),
        std::time::Duration::from_secs(5),
    ));
    if approvers.uses_groups() && !slack.reads_groups() {
        return Err(Error::new(
            names::CONFIG,
            "SLACK_APPROVERS names user groups, which are read with SLACK_BOT_TOKEN: it is not set",
        ));
    }
    Ok(SlackSettings {
        approvers: ApproverCheck::new(approvers, slack.members_fn()),
        reply: Some(slack.reply_fn()),
        ..SlackSettings::default()
    })
}

/// The IAM principal API Gateway authenticated: the user or role ARN of a
/// REST API (`requestContext.identity.userArn`) or of an HTTP API
/// (`requestContext.authorizer.iam.userArn`).
pub fn caller_of(parts: &lambda_http::http::request::Parts) -> Option<String> {
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV1(context) => context
            .identity
            .user_arn
            .clone()
            .or_else(|| context.identity.caller.clone()),
        RequestContext::ApiGatewayV2(context) => {
            context.authorizer.as_ref()?.iam.as_ref()?.user_arn.clone()
        }
        #[allow(unreachable_patterns)] // Other sources when their features are on.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/apigateway/rest-iam-mcp-tools-list.json"
    ));

    /// Whether this process has [`IGNORE_STAGE`], as `lambda_http` sees it.
    #[allow(clippy::disallowed_methods)] // The variable lambda_http reads, not configuration.
    fn stage_ignored_here() -> bool {
        std::env::var_os(IGNORE_STAGE).is_some()
    }

    /// `lambda_http` reads [`IGNORE_STAGE`] from the process environment,
    /// which a test cannot set safely (`set_var` races the other tests'
    /// threads): the test runs again, alone, in a child process that has it.
    fn rerun_with_stage_ignored(test: &str) {
        let module = module_path!().split_once("::").map_or("", |(_, m)| m);
        let name = format!("{module}::{test}");
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name.as_str(), "--exact", "--test-threads=1"])
            .env(IGNORE_STAGE, "true")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        // "1 passed": the name matched, the test did run.
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{name} with {IGNORE_STAGE}:\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The function's environment, as the CDK app sets it.
    fn env() -> Env {
        Env::from_pairs([
            ("INCIDENTS_TABLE", "incidents"),
            ("OCCURRENCES_TABLE", "occurrences"),
            ("APPROVALS_TABLE", "approvals"),
            ("CACHE_TABLE", "cache"),
            ("IDEMPOTENCY_TABLE", "idempotency"),
            (
                "STATE_MACHINE_ARN",
                "arn:aws:states:us-east-1:111122223333:stateMachine:IncidentResponse",
            ),
            ("ATHENA_WORKGROUP", "responder"),
            ("ATHENA_DATABASE", "incidents"),
            ("BEDROCK_MODEL_ID", "anthropic.claude-3-5-sonnet"),
            ("ARCHIVE_BUCKET", "archive"),
            (IGNORE_STAGE, "true"),
        ])
    }

    fn sdk() -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    /// A REST API request with AWS_IAM authorization, as API Gateway hands it
    /// to the function: the caller is the signer's IAM ARN.
    #[test]
    fn the_caller_is_the_iam_principal_api_gateway_vouches_for() {
        let request = lambda_http::request::from_str(EVENT).unwrap();
        let (parts, _) = request.into_parts();
        assert_eq!(
            caller_of(&parts).as_deref(),
            Some("arn:aws:iam::111122223333:user/alice")
        );
    }

    #[test]
    fn a_request_without_a_request_context_has_no_caller() {
        let (parts, _) = lambda_http::http::Request::new(()).into_parts();
        assert_eq!(caller_of(&parts), None);
    }

    /// A REST API puts its stage in front of the path; with [`IGNORE_STAGE`]
    /// the routes see it without, the query kept.
    #[test]
    fn the_stage_is_taken_off_the_path() {
        if !stage_ignored_here() {
            // Why the variable is set: without it the stage stays.
            let request = lambda_http::request::from_str(EVENT).unwrap();
            assert_eq!(request.uri().path(), "/prod/mcp");
            return rerun_with_stage_ignored("the_stage_is_taken_off_the_path");
        }
        let request = lambda_http::request::from_str(EVENT).unwrap();
        assert_eq!(request.uri().path(), "/mcp");
        let root = EVENT.replace("\"path\": \"/mcp\"", "\"path\": \"/\"");
        let request = lambda_http::request::from_str(&root).unwrap();
        assert_eq!(request.uri().path(), "/");
        let query = EVENT.replace(
            "\"queryStringParameters\": null",
            "\"queryStringParameters\": {\"a\": \"b\"}",
        );
        let request = lambda_http::request::from_str(&query).unwrap();
        assert_eq!(request.uri().path(), "/mcp");
        assert_eq!(request.uri().query(), Some("a=b"));
    }

    /// The whole function on a real API Gateway request: the stage taken
    /// off, the caller known, MCP answering a client that accepts only JSON.
    #[tokio::test]
    async fn an_api_gateway_request_reaches_mcp() {
        use http_body_util::BodyExt;

        if !stage_ignored_here() {
            return rerun_with_stage_ignored("an_api_gateway_request_reaches_mcp");
        }
        let service = router(&env(), &sdk()).unwrap();
        let request = lambda_http::request::from_str(EVENT).unwrap();
        let response = tower::ServiceExt::oneshot(service, request).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            answer["result"]["tools"].as_array().unwrap().len(),
            14,
            "{answer}"
        );
    }

    /// Without the variable every route would answer 404: the function does
    /// not start.
    #[test]
    fn the_router_needs_the_stage_ignored() {
        let mut pairs = env();
        pairs.set(IGNORE_STAGE, String::new());
        let error = router(&pairs, &sdk()).unwrap_err();
        assert_eq!(error.name(), names::CONFIG);
        assert!(error.message().contains(IGNORE_STAGE), "{error:?}");
    }

    #[test]
    fn write_tools_are_all_none_or_the_listed_ones() {
        let with = |value: &str| {
            let mut env = Env::default();
            env.set("WRITE_TOOLS", value.to_owned());
            tool_policy(&env)
        };
        assert!(tool_policy(&Env::default()).is_ok());
        assert!(with("none").is_ok());
        assert!(with("approve_incident").is_ok());
        let error = with("approve_incidnet").unwrap_err();
        assert_eq!(error.name(), names::CONFIG);
        assert!(error.message().starts_with("WRITE_TOOLS: "), "{error:?}");
    }
}
