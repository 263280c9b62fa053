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
use responder_aws::sdk;
use responder_aws::sfn::SfnExecutions;

/// As in every function: mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let env = Env::from_process();
    let sdk = sdk::load().await;
    let api = AwsApi {
        store: DynamoStore::from_sdk(&sdk, env.tables()?),
        executions: SfnExecutions::from_sdk(&sdk, &env)?,
        athena: AthenaHistory::from_sdk(&sdk, &env)?,
        logs: InsightsLogs::from_sdk(&sdk, &env)?,
        analyzer: BedrockAnalyzer::from_sdk(&sdk, &env)?,
        archive: S3Archive::from_sdk(&sdk, &env)?,
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
    };
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(router(Tools::new(Arc::new(api), policy), config)).await
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

    #[test]
    fn a_request_without_a_request_context_has_no_caller() {
        let (parts, _) = lambda_http::http::Request::new(()).into_parts();
        assert_eq!(caller_of(&parts), None);
    }
}
