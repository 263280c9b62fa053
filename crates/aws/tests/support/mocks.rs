//! AWS answers for the mocked clients, as the services send them: HTTP
//! responses with the status, headers and body each protocol uses
//! (restJson for Lambda and API Gateway, awsJson 1.1 for Logs, ECS,
//! CloudTrail and the Tagging API, awsQuery XML for ELBv2), so the SDK's
//! own deserializers read the documented shapes; and discovery's clients
//! over a set of rules.

// Several test binaries include this file; each uses a part of it.
#![allow(dead_code)]

use aws_smithy_mocks::{Rule, RuleMode, mock_client};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use responder_aws::discovery::{Clients, Discovery, Settings};

fn response(status: u16, content_type: &'static str, body: &str) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_owned()),
    );
    response.headers_mut().insert("content-type", content_type);
    response
}

/// A restJson answer (Lambda, API Gateway).
pub fn rest_json(status: u16, body: &str) -> HttpResponse {
    response(status, "application/json", body)
}

/// A restJson error: the code travels in `x-amzn-ErrorType`.
pub fn rest_error(status: u16, code: &'static str, message: &str) -> HttpResponse {
    let mut response = rest_json(status, &format!(r#"{{"message":"{message}"}}"#));
    response.headers_mut().insert("x-amzn-ErrorType", code);
    response
}

/// An awsJson 1.1 answer (CloudWatch Logs, ECS, CloudTrail, Tagging).
pub fn amz_json(status: u16, body: &str) -> HttpResponse {
    response(status, "application/x-amz-json-1.1", body)
}

/// An awsJson 1.1 error: the code is the body's `__type`.
pub fn amz_json_error(code: &str, message: &str) -> HttpResponse {
    amz_json(
        400,
        &format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
    )
}

/// An awsQuery answer (ELBv2).
pub fn xml(status: u16, body: &str) -> HttpResponse {
    response(status, "text/xml", body)
}

/// An awsQuery error.
pub fn xml_error(code: &str, message: &str) -> HttpResponse {
    xml(
        400,
        &format!(
            r#"<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>a9b1e2c4-0d5f-4b7e-9c61-3f2e8d7a6b50</RequestId></ErrorResponse>"#
        ),
    )
}

/// The rules each discovery client answers with. A client without rules
/// panics on any call: a test that gives none asserts there is none.
#[derive(Default)]
pub struct Rules<'a> {
    pub logs: Vec<&'a Rule>,
    pub lambda: Vec<&'a Rule>,
    pub apigateway: Vec<&'a Rule>,
    pub apigatewayv2: Vec<&'a Rule>,
    pub elb: Vec<&'a Rule>,
    pub ecs: Vec<&'a Rule>,
    pub tagging: Vec<&'a Rule>,
}

impl Rules<'_> {
    /// One attempt per call, as in the functions (`responder_aws::sdk`).
    pub fn clients(&self) -> Clients {
        Clients {
            logs: mock_client!(
                aws_sdk_cloudwatchlogs,
                RuleMode::MatchAny,
                &self.logs,
                |c| c.retry_config(aws_sdk_cloudwatchlogs::config::retry::RetryConfig::disabled())
            ),
            lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &self.lambda, |c| c
                .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled())),
            apigateway: mock_client!(
                aws_sdk_apigateway,
                RuleMode::MatchAny,
                &self.apigateway,
                |c| c.retry_config(aws_sdk_apigateway::config::retry::RetryConfig::disabled())
            ),
            apigatewayv2: mock_client!(
                aws_sdk_apigatewayv2,
                RuleMode::MatchAny,
                &self.apigatewayv2,
                |c| c.retry_config(aws_sdk_apigatewayv2::config::retry::RetryConfig::disabled())
            ),
            elb: mock_client!(
                aws_sdk_elasticloadbalancingv2,
                RuleMode::MatchAny,
                &self.elb,
                |c| c.retry_config(
                    aws_sdk_elasticloadbalancingv2::config::retry::RetryConfig::disabled()
                )
            ),
            ecs: mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &self.ecs, |c| c
                .retry_config(aws_sdk_ecs::config::retry::RetryConfig::disabled())),
            tagging: mock_client!(
                aws_sdk_resourcegroupstagging,
                RuleMode::MatchAny,
                &self.tagging,
                |c| c.retry_config(
                    aws_sdk_resourcegroupstagging::config::retry::RetryConfig::disabled()
                )
            ),
        }
    }

    pub fn discovery(&self, settings: Settings) -> Discovery {
        Discovery::new(self.clients(), settings)
    }
}

/// Discovery that must make no call: for tests of reading and searching.
pub fn no_discovery() -> Discovery {
    Rules::default().discovery(Settings::default())
}

/// A CloudWatch alarm state change (EventBridge) on `namespace` with
/// `dimensions` and `tags`, in eu-west-1 of account 111122223333: the demo
/// alarm's payload with its alarm, metric and tags replaced.
pub fn alarm(
    name: &str,
    namespace: &str,
    dimensions: &[(&str, &str)],
    tags: &[(&str, &str)],
) -> responder_core::Alert {
    let text = include_str!("../../../../events/eventbridge/metric-alarm-lambda-errors.json");
    let mut payload: serde_json::Value = serde_json::from_str(text).unwrap();
    let arn = format!("arn:aws:cloudwatch:eu-west-1:111122223333:alarm:{name}");
    payload["resources"] = serde_json::json!([arn]);
    let detail = &mut payload["detail"];
    detail["alarmName"] = name.into();
    let metric = &mut detail["configuration"]["metrics"][0]["metricStat"]["metric"];
    metric["namespace"] = namespace.into();
    metric["dimensions"] = dimensions
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    detail["alarmTags"] = tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    responder_core::normalize(
        &payload.to_string(),
        &responder_core::NormalizeOptions::default(),
    )
    .unwrap()
    .remove(0)
}

/// A `DescribeLogGroups` answer listing `names`, as CloudWatch Logs sends it.
pub fn log_groups(names: &[&str]) -> HttpResponse {
    let groups: Vec<String> = names
        .iter()
        .map(|name| {
            format!(
                r#"{{"logGroupName":"{name}","creationTime":1767225600000,"retentionInDays":30,"metricFilterCount":0,"arn":"arn:aws:logs:eu-west-1:111122223333:log-group:{name}:*","storedBytes":104857600,"logGroupClass":"STANDARD","logGroupArn":"arn:aws:logs:eu-west-1:111122223333:log-group:{name}"}}"#
            )
        })
        .collect();
    amz_json(200, &format!(r#"{{"logGroups":[{}]}}"#, groups.join(",")))
}

/// `DescribeLogGroups(logGroupIdentifiers)`: the asked groups that are
/// among `existing`. Other `DescribeLogGroups` requests do not match.
pub fn existing(existing: &'static [&'static str]) -> Rule {
    aws_smithy_mocks::mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| !r.log_group_identifiers().is_empty())
        .then_compute_response(move |r| {
            let found: Vec<&str> = r
                .log_group_identifiers()
                .iter()
                .map(String::as_str)
                .filter(|g| existing.contains(g))
                .collect();
            aws_smithy_mocks::MockResponse::Http(log_groups(&found))
        })
}

/// `DescribeLogGroups(logGroupNamePattern)` finding nothing.
pub fn named_like_nothing() -> Rule {
    aws_smithy_mocks::mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| r.log_group_name_pattern().is_some())
        .then_http_response(|| log_groups(&[]))
}
