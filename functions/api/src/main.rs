//! `api`: the MCP server and the HTTP API behind API Gateway. API Gateway
//! checks SigV4 (`AWS_IAM` authorization) before the request arrives; the
//! caller recorded in the audit trail is the IAM principal from its request
//! context. The same router runs locally as `responder serve`.
//! Configuration: see `responder_aws::config`.

// The async state of the handlers over generic ports nests deeply.
#![recursion_limit = "256"]

use std::sync::Arc;

use lambda_http::request::RequestContext;
use responder_api::http::{Auth, HttpConfig, router};
use responder_api::tools::{ToolPolicy, Tools};
use responder_aws::api::AwsApi;
use responder_aws::athena::AthenaHistory;
use responder_aws::bedrock::BedrockAnalyzer;
use responder_aws::config::Env;
use responder_aws::dynamodb::DynamoStore;
use responder_aws::logs_insights::InsightsLogs;
use responder_aws::s3::S3Archive;
use responder_aws::sfn::SfnExecutions;
use responder_aws::{sdk, secrets};

/// As in every function: mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let sdk = sdk::load().await;
    let env = secrets::load(&sdk).await?;
    let app = app(&env, &sdk)?;
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(tower::ServiceExt::map_request(app, without_stage)).await
}

/// The router over the AWS backend, from the function's configuration.
fn app(env: &Env, sdk: &aws_config::SdkConfig) -> Result<axum::Router, lambda_http::Error> {
    let api = AwsApi {
        store: DynamoStore::from_sdk(sdk, env.tables()?),
        executions: SfnExecutions::from_sdk(sdk, env)?,
        athena: AthenaHistory::from_sdk(sdk, env)?,
        logs: InsightsLogs::from_sdk(sdk, env)?,
        analyzer: BedrockAnalyzer::from_sdk(sdk, env)?,
        archive: S3Archive::from_sdk(sdk, env)?,
        policy: env.policy()?,
    };
    let policy = match env.optional("WRITE_TOOLS") {
        None => ToolPolicy::default(),
        Some("none") => ToolPolicy::new(Vec::new())?,
        Some(_) => ToolPolicy::new(env.list("WRITE_TOOLS"))?,
    };
    let config = HttpConfig {
        auth: Auth::Gateway(Arc::new(caller_of)),
        allowed_origins: env.list("ALLOWED_ORIGINS"),
        webhook_token: env.optional("WEBHOOK_TOKEN").map(str::to_owned),
        slack_signing_secret: env.optional("SLACK_SIGNING_SECRET").map(str::to_owned),
        link_secret: env.optional("LINK_SECRET").map(|s| s.as_bytes().to_vec()),
        slack: responder_aws::api::slack_settings(env)?,
    };
    Ok(router(Tools::new(Arc::new(api), policy), config))
}

/// A REST API passes the stage in the path (`/prod/mcp`); the routes are
/// the same at every stage, so it is taken off before routing.
fn without_stage<B>(mut request: lambda_http::http::Request<B>) -> lambda_http::http::Request<B> {
    let stage = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV1(context)) => context.stage.clone(),
        _ => None,
    };
    let Some(stage) = stage else {
        return request;
    };
    let prefix = format!("/{stage}");
    let path = request.uri().path();
    let rest = match path.strip_prefix(&prefix) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => return request,
    };
    let target = match request.uri().query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    if let Ok(uri) = target.parse() {
        *request.uri_mut() = uri;
    }
    request
}

/// The IAM principal API Gateway authenticated: the user or role ARN of a
/// REST API (`requestContext.identity.userArn`) or of an HTTP API
/// (`requestContext.authorizer.iam.userArn`).
fn caller_of(parts: &lambda_http::http::request::Parts) -> Option<String> {
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

    /// A REST API request with AWS_IAM authorization, as API Gateway hands it
    /// to the function: the caller is the signer's IAM ARN.
    #[test]
    fn the_caller_is_the_iam_principal_api_gateway_vouches_for() {
        let event = include_str!("../../../events/apigateway/rest-iam-mcp-tools-list.json");
        let request = lambda_http::request::from_str(event).unwrap();
        let (parts, _) = request.into_parts();
        assert_eq!(
            caller_of(&parts).as_deref(),
            Some("arn:aws:iam::111122223333:user/alice")
        );
    }

    /// A REST API puts its stage in front of the path; the routes see it
    /// without.
    #[test]
    fn the_stage_is_taken_off_the_path() {
        let event = include_str!("../../../events/apigateway/rest-iam-mcp-tools-list.json");
        let request = lambda_http::request::from_str(event).unwrap();
        assert_eq!(request.uri().path(), "/prod/mcp");
        assert_eq!(without_stage(request).uri().path(), "/mcp");
        let root = event.replace("\"path\": \"/mcp\"", "\"path\": \"/\"");
        let request = lambda_http::request::from_str(&root).unwrap();
        assert_eq!(without_stage(request).uri().path(), "/");
    }

    /// The whole function on a real API Gateway request: the stage taken
    /// off, the caller known, MCP answering a client that accepts only JSON.
    #[tokio::test]
    async fn an_api_gateway_request_reaches_mcp() {
        use http_body_util::BodyExt;

        let env = Env::from_pairs([
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
        ]);
        let sdk = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let service = tower::ServiceExt::map_request(app(&env, &sdk).unwrap(), without_stage);
        let event = include_str!("../../../events/apigateway/rest-iam-mcp-tools-list.json");
        let request = lambda_http::request::from_str(event).unwrap();
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

    #[test]
    fn a_request_without_a_request_context_has_no_caller() {
        let (parts, _) = lambda_http::http::Request::new(()).into_parts();
        assert_eq!(caller_of(&parts), None);
    }
}
