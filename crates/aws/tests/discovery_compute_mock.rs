//! Discovery around compute and its front doors: Lambda functions, the
//! queues that feed them, API Gateway REST and HTTP APIs, load balancers.
//! Each AWS answer is a mocked HTTP response in the shape the service
//! documents; the topology is what `InsightsLogs::discover` returns.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/mocks.rs"]
mod mocks;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_smithy_mocks::{RuleMode, mock, mock_client};
use mocks::{Rules, alarm, existing, named_like_nothing, rest_error, rest_json, xml};
use responder_aws::discovery::Settings;
use responder_aws::logs_insights::InsightsLogs;
use responder_aws::poll::Polling;
use responder_core::Alert;
use responder_core::context::Topology;
use responder_workflow::ports::LogSource;

async fn discover(alert: &Alert, rules: &Rules<'_>) -> Topology {
    let logs = InsightsLogs::new(
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &rules.logs),
        BTreeMap::new(),
        Polling::immediate(Duration::from_secs(5)),
        rules.discovery(Settings::default()),
    );
    logs.discover(alert).await.unwrap()
}

fn groups(topology: &Topology) -> Vec<(&str, f64)> {
    topology
        .log_groups
        .iter()
        .map(|g| (g.name.as_str(), g.weight))
        .collect()
}

fn relation<'a>(topology: &'a Topology, kind: &str, name: &str) -> &'a str {
    topology
        .resources
        .iter()
        .find(|r| r.kind == kind && r.name == name)
        .map(|r| r.relation.as_str())
        .unwrap_or_else(|| panic!("no {kind} {name} in {:#?}", topology.resources))
}

/// `GetFunctionConfiguration` of `function`, logging to `group`.
fn function_configuration(function: &'static str, group: &'static str) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_lambda::Client::get_function_configuration)
        .match_requests(move |r| r.function_name() == Some(function))
        .then_http_response(move || {
            rest_json(
                200,
                &format!(
                    r#"{{"FunctionName":"{function}","FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:{function}","Runtime":"provided.al2023","Role":"arn:aws:iam::111122223333:role/{function}","Handler":"bootstrap","CodeSize":3412345,"Description":"","Timeout":6,"MemorySize":512,"LastModified":"2026-11-20T08:58:11.000+0000","CodeSha256":"n9S3oEJmMeqFYQ3XzNBGu3rkSeNnh1VUd4F1Ms4C0iE=","Version":"$LATEST","TracingConfig":{{"Mode":"Active"}},"RevisionId":"8f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f","State":"Active","LastUpdateStatus":"Successful","PackageType":"Zip","Architectures":["arm64"],"EphemeralStorage":{{"Size":512}},"SnapStart":{{"ApplyOn":"None","OptimizationStatus":"Off"}},"LoggingConfig":{{"LogFormat":"JSON","ApplicationLogLevel":"INFO","SystemLogLevel":"WARN","LogGroup":"{group}"}}}}"#
                ),
            )
        })
}

/// `ListEventSourceMappings` answering `body`'s mappings.
fn mappings(
    body: impl Into<String>,
) -> impl Fn() -> aws_smithy_runtime_api::client::orchestrator::HttpResponse {
    let body = body.into();
    move || rest_json(200, &format!(r#"{{"EventSourceMappings":[{body}]}}"#))
}

const SQS_MAPPING: &str = r#"{"UUID":"a1b2c3d4-5678-90ab-cdef-11111EXAMPLE","BatchSize":10,"MaximumBatchingWindowInSeconds":0,"EventSourceArn":"arn:aws:sqs:eu-west-1:111122223333:orders-queue","FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:checkout-api","LastModified":1795160000.0,"State":"Enabled","StateTransitionReason":"USER_INITIATED","FunctionResponseTypes":["ReportBatchItemFailures"]}"#;
const KINESIS_MAPPING: &str = r#"{"UUID":"b2c3d4e5-6789-0abc-def1-22222EXAMPLE","StartingPosition":"LATEST","BatchSize":100,"MaximumBatchingWindowInSeconds":0,"ParallelizationFactor":1,"EventSourceArn":"arn:aws:kinesis:eu-west-1:111122223333:stream/clicks","FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:checkout-api","LastModified":1795160000.0,"LastProcessingResult":"PROBLEM: Function call failed","State":"Enabled","StateTransitionReason":"User action","DestinationConfig":{"OnFailure":{"Destination":"arn:aws:sqs:eu-west-1:111122223333:checkout-failures"}},"MaximumRecordAgeInSeconds":-1,"BisectBatchOnFunctionError":false,"MaximumRetryAttempts":-1}"#;

#[tokio::test]
async fn a_lambda_alarm_reads_the_functions_own_group_and_names_what_feeds_it() {
    // GIVEN a function that logs to a custom group, fed by a queue and a
    // stream whose last batch failed; its conventional group does not exist
    let configuration = function_configuration("checkout-api", "/shop/checkout-api");
    let sources = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .match_requests(|r| r.function_name() == Some("checkout-api") && r.max_items() == Some(20))
        .then_http_response(mappings(format!("{SQS_MAPPING},{KINESIS_MAPPING}")));
    let (named, exists) = (named_like_nothing(), existing(&["/shop/checkout-api"]));
    let rules = Rules {
        lambda: vec![&configuration, &sources],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    // WHEN the topology is discovered
    let alert = alarm(
        "checkout-api-errors",
        "AWS/Lambda",
        &[("FunctionName", "checkout-api")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    // THEN the function's own group is read, not the missing conventional one
    assert_eq!(groups(&topology), [("/shop/checkout-api", 1.0)]);
    assert_eq!(
        relation(&topology, "sqs queue", "orders-queue"),
        "event source of checkout-api (mapping Enabled)"
    );
    assert_eq!(
        relation(&topology, "kinesis stream", "clicks"),
        "event source of checkout-api (mapping Enabled, last result: PROBLEM: Function call failed)"
    );
    assert_eq!(
        relation(&topology, "sqs queue", "checkout-failures"),
        "on-failure destination of checkout-api's mapping"
    );
    assert_eq!(
        (
            configuration.num_calls(),
            sources.num_calls(),
            exists.num_calls()
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn a_failed_update_of_the_alarmed_function_is_told_in_its_relation() {
    let configuration = mock!(aws_sdk_lambda::Client::get_function_configuration).then_http_response(|| {
        rest_json(
            200,
            r#"{"FunctionName":"checkout-api","FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:checkout-api","Runtime":"python3.13","Handler":"app.handler","Timeout":6,"MemorySize":512,"Version":"$LATEST","State":"Active","LastUpdateStatus":"Failed","LastUpdateStatusReason":"Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant.","LastUpdateStatusReasonCode":"KMSKeyInvalidState","PackageType":"Zip","DeadLetterConfig":{"TargetArn":"arn:aws:sqs:eu-west-1:111122223333:checkout-api-dlq"},"LoggingConfig":{"LogFormat":"Text","LogGroup":"/aws/lambda/checkout-api"}}"#,
        )
    });
    let sources =
        mock!(aws_sdk_lambda::Client::list_event_source_mappings).then_http_response(mappings(""));
    let (named, exists) = (
        named_like_nothing(),
        existing(&["/aws/lambda/checkout-api"]),
    );
    let rules = Rules {
        lambda: vec![&configuration, &sources],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-api-errors",
        "AWS/Lambda",
        &[("FunctionName", "checkout-api")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        relation(&topology, "lambda function", "checkout-api"),
        "alarmed; last update Failed: Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant."
    );
    assert_eq!(
        relation(&topology, "sqs queue", "checkout-api-dlq"),
        "dead-letter target of checkout-api"
    );
}

#[tokio::test]
async fn a_throttled_call_is_recorded_on_its_resource_and_discovery_goes_on() {
    // GIVEN Lambda throttling GetFunctionConfiguration only
    let configuration = mock!(aws_sdk_lambda::Client::get_function_configuration)
        .then_http_response(|| rest_error(429, "TooManyRequestsException", "Rate exceeded"));
    let sources = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_http_response(mappings(SQS_MAPPING));
    let (named, exists) = (
        named_like_nothing(),
        existing(&["/aws/lambda/checkout-api"]),
    );
    let rules = Rules {
        lambda: vec![&configuration, &sources],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-api-errors",
        "AWS/Lambda",
        &[("FunctionName", "checkout-api")],
        &[],
    );
    // WHEN discovered, THEN the conventional group stands in, the failure is
    // told, and the event source is still found
    let topology = discover(&alert, &rules).await;
    assert_eq!(groups(&topology), [("/aws/lambda/checkout-api", 1.0)]);
    assert_eq!(
        relation(&topology, "lambda function", "checkout-api"),
        "alarmed; its logging configuration unknown (GetFunctionConfiguration: TooManyRequestsException: Rate exceeded)"
    );
    assert!(
        relation(&topology, "sqs queue", "orders-queue")
            .starts_with("event source of checkout-api")
    );
}

#[tokio::test]
async fn throttling_on_every_call_fails_discovery_as_logs_transient() {
    let configuration = mock!(aws_sdk_lambda::Client::get_function_configuration)
        .then_http_response(|| rest_error(429, "TooManyRequestsException", "Rate exceeded"));
    let sources = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_http_response(|| rest_error(429, "TooManyRequestsException", "Rate exceeded"));
    let throttled = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .then_http_response(|| mocks::amz_json_error("ThrottlingException", "Rate exceeded"));
    let rules = Rules {
        lambda: vec![&configuration, &sources],
        logs: vec![&throttled],
        ..Rules::default()
    };
    let logs = InsightsLogs::new(
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&throttled]),
        BTreeMap::new(),
        Polling::immediate(Duration::from_secs(5)),
        rules.discovery(Settings::default()),
    );
    let alert = alarm(
        "checkout-api-errors",
        "AWS/Lambda",
        &[("FunctionName", "checkout-api")],
        &[],
    );
    let error = logs.discover(&alert).await.unwrap_err();
    assert_eq!(error.name(), "Logs.Transient");
    // GetFunctionConfiguration, ListEventSourceMappings, two name searches
    // and the existence check.
    assert!(
        error
            .to_string()
            .contains("throttled on each of its 5 calls"),
        "{error}"
    );
}

#[tokio::test]
async fn an_sqs_alarm_finds_the_queues_consumers_and_their_groups() {
    // GIVEN a queue consumed by one function; its ARN from the alarm's
    let consumers = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .match_requests(|r| r.event_source_arn() == Some("arn:aws:sqs:eu-west-1:111122223333:orders-queue"))
        .then_http_response(mappings(
            r#"{"UUID":"c3d4e5f6-7890-abcd-ef12-33333EXAMPLE","BatchSize":10,"EventSourceArn":"arn:aws:sqs:eu-west-1:111122223333:orders-queue","FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:orders-worker","LastModified":1795160000.0,"State":"Disabled","StateTransitionReason":"USER_INITIATED"}"#,
        ));
    let configuration = function_configuration("orders-worker", "/aws/lambda/orders-worker");
    let (named, exists) = (
        named_like_nothing(),
        existing(&["/aws/lambda/orders-worker"]),
    );
    let rules = Rules {
        lambda: vec![&consumers, &configuration],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "orders-queue-age",
        "AWS/SQS",
        &[("QueueName", "orders-queue")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(groups(&topology), [("/aws/lambda/orders-worker", 0.8)]);
    assert_eq!(
        topology.log_groups[0].relation,
        "log group of orders-worker, consumer of orders-queue"
    );
    // A disabled mapping is worth knowing: nothing drains the queue.
    assert_eq!(
        relation(&topology, "lambda function", "orders-worker"),
        "consumer of orders-queue (mapping Disabled)"
    );
}

#[tokio::test]
async fn a_dead_letter_queue_leads_to_its_source_queues_consumers() {
    let none = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .match_requests(|r| {
            r.event_source_arn() == Some("arn:aws:sqs:eu-west-1:111122223333:orders-dlq")
        })
        .then_http_response(mappings(""));
    let source = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .match_requests(|r| r.event_source_arn() == Some("arn:aws:sqs:eu-west-1:111122223333:orders"))
        .then_http_response(mappings(
            r#"{"UUID":"d4e5f6a7-8901-bcde-f123-44444EXAMPLE","BatchSize":10,"EventSourceArn":"arn:aws:sqs:eu-west-1:111122223333:orders","FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:orders-worker","LastModified":1795160000.0,"State":"Enabled","StateTransitionReason":"USER_INITIATED"}"#,
        ));
    let configuration = function_configuration("orders-worker", "/aws/lambda/orders-worker");
    let (named, exists) = (
        named_like_nothing(),
        existing(&["/aws/lambda/orders-worker"]),
    );
    let rules = Rules {
        lambda: vec![&none, &source, &configuration],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "orders-dlq-visible",
        "AWS/SQS",
        &[("QueueName", "orders-dlq")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(groups(&topology), [("/aws/lambda/orders-worker", 0.8)]);
    assert_eq!(
        relation(&topology, "sqs queue", "orders"),
        "source queue of the dead-letter queue orders-dlq (by name)"
    );
}

#[tokio::test]
async fn a_rest_api_alarm_maps_the_name_to_its_id_across_pages_and_reads_its_stage_and_targets() {
    // GIVEN the API on the second page of GetRestApis
    let first = mock!(aws_sdk_apigateway::Client::get_rest_apis)
        .match_requests(|r| r.position().is_none() && r.limit() == Some(500))
        .then_http_response(|| {
            rest_json(200, r#"{"item":[{"id":"k3c9x2m1qa","name":"billing-api","createdDate":1767225600,"apiKeySource":"HEADER","endpointConfiguration":{"types":["REGIONAL"]},"disableExecuteApiEndpoint":false}],"position":"eyJpZCI6ImszYzl4Mm0xcWEifQ=="}"#)
        });
    let second = mock!(aws_sdk_apigateway::Client::get_rest_apis)
        .match_requests(|r| r.position() == Some("eyJpZCI6ImszYzl4Mm0xcWEifQ=="))
        .then_http_response(|| {
            rest_json(200, r#"{"item":[{"id":"a1b2c3d4e5","name":"checkout-api","createdDate":1767225600,"apiKeySource":"HEADER","endpointConfiguration":{"types":["REGIONAL"]},"disableExecuteApiEndpoint":false}]}"#)
        });
    let stage = mock!(aws_sdk_apigateway::Client::get_stage)
        .match_requests(|r| r.rest_api_id() == Some("a1b2c3d4e5") && r.stage_name() == Some("prod"))
        .then_http_response(|| {
            rest_json(200, r#"{"deploymentId":"7xq2ab","stageName":"prod","cacheClusterEnabled":false,"cacheClusterStatus":"NOT_AVAILABLE","methodSettings":{"*/*":{"metricsEnabled":true,"loggingLevel":"ERROR","dataTraceEnabled":false,"throttlingBurstLimit":100,"throttlingRateLimit":50.0}},"accessLogSettings":{"format":"$context.requestId $context.status","destinationArn":"arn:aws:logs:eu-west-1:111122223333:log-group:checkout-api-access"},"tracingEnabled":true,"createdDate":1767225600,"lastUpdatedDate":1795160000}"#)
        });
    let resources = mock!(aws_sdk_apigateway::Client::get_resources)
        .match_requests(|r| r.rest_api_id() == Some("a1b2c3d4e5") && r.embed() == ["methods"])
        .then_http_response(|| {
            rest_json(200, r#"{"item":[{"id":"r00t1d","path":"/"},{"id":"p4y3nt","parentId":"r00t1d","pathPart":"orders","path":"/orders","resourceMethods":{"POST":{"httpMethod":"POST","authorizationType":"AWS_IAM","apiKeyRequired":false,"methodIntegration":{"type":"AWS_PROXY","httpMethod":"POST","uri":"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111122223333:function:orders-create/invocations","passthroughBehavior":"WHEN_NO_MATCH","timeoutInMillis":29000,"cacheNamespace":"p4y3nt","cacheKeyParameters":[]}},"GET":{"httpMethod":"GET","authorizationType":"AWS_IAM","apiKeyRequired":false,"methodIntegration":{"type":"HTTP_PROXY","httpMethod":"GET","uri":"https://orders.internal.example.com/orders","passthroughBehavior":"WHEN_NO_MATCH","timeoutInMillis":29000}}}}]}"#)
        });
    let configuration = function_configuration("orders-create", "/aws/lambda/orders-create");
    let named = named_like_nothing();
    let exists = existing(&[
        "API-Gateway-Execution-Logs_a1b2c3d4e5/prod",
        "checkout-api-access",
        "/aws/lambda/orders-create",
    ]);
    let rules = Rules {
        apigateway: vec![&first, &second, &stage, &resources],
        lambda: vec![&configuration],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-api-5xx",
        "AWS/ApiGateway",
        &[("ApiName", "checkout-api"), ("Stage", "prod")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        groups(&topology),
        [
            ("API-Gateway-Execution-Logs_a1b2c3d4e5/prod", 1.0),
            ("checkout-api-access", 1.0),
            ("/aws/lambda/orders-create", 0.8),
        ]
    );
    assert_eq!(
        relation(&topology, "api gateway api", "checkout-api"),
        "alarmed; REST API a1b2c3d4e5"
    );
    assert_eq!(
        relation(&topology, "lambda function", "orders-create"),
        "integration of checkout-api POST /orders"
    );
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

#[tokio::test]
async fn an_http_api_alarm_reads_the_stages_access_logs_and_the_functions_behind_it() {
    let stage = mock!(aws_sdk_apigatewayv2::Client::get_stage)
        .match_requests(|r| r.api_id() == Some("x7y8z9w0v1") && r.stage_name() == Some("$default"))
        .then_http_response(|| {
            rest_json(200, r#"{"accessLogSettings":{"destinationArn":"arn:aws:logs:eu-west-1:111122223333:log-group:/aws/http-api/checkout","format":"$context.requestId $context.status $context.integrationErrorMessage"},"autoDeploy":true,"createdDate":"2026-01-01T00:00:00Z","defaultRouteSettings":{"detailedMetricsEnabled":false},"deploymentId":"d3pl0y","lastUpdatedDate":"2026-11-20T08:58:11Z","routeSettings":{},"stageName":"$default","stageVariables":{},"tags":{}}"#)
        });
    let integrations = mock!(aws_sdk_apigatewayv2::Client::get_integrations)
        .match_requests(|r| r.api_id() == Some("x7y8z9w0v1"))
        .then_http_response(|| {
            rest_json(200, r#"{"items":[{"connectionType":"INTERNET","integrationId":"int0001","integrationMethod":"POST","integrationType":"AWS_PROXY","integrationUri":"arn:aws:lambda:eu-west-1:111122223333:function:checkout-http","payloadFormatVersion":"2.0","timeoutInMillis":30000}]}"#)
        });
    let configuration = function_configuration("checkout-http", "/aws/lambda/checkout-http");
    let named = named_like_nothing();
    let exists = existing(&["/aws/http-api/checkout", "/aws/lambda/checkout-http"]);
    let rules = Rules {
        apigatewayv2: vec![&stage, &integrations],
        lambda: vec![&configuration],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-http-5xx",
        "AWS/ApiGateway",
        &[("ApiId", "x7y8z9w0v1"), ("Stage", "$default")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        groups(&topology),
        [
            ("/aws/http-api/checkout", 1.0),
            ("/aws/lambda/checkout-http", 0.8)
        ]
    );
}

const TARGET_GROUPS: &str = r#"<DescribeTargetGroupsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeTargetGroupsResult>
    <TargetGroups>
      <member>
        <TargetGroupArn>arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/checkout-web/73e2d6bc24d8a067</TargetGroupArn>
        <TargetGroupName>checkout-web</TargetGroupName>
        <Protocol>HTTP</Protocol><Port>80</Port><VpcId>vpc-3ac0fb5f</VpcId>
        <TargetType>instance</TargetType>
        <LoadBalancerArns><member>arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/checkout-alb/50dc6c495c0c9188</member></LoadBalancerArns>
      </member>
      <member>
        <TargetGroupArn>arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/checkout-fn/9a8b7c6d5e4f3a2b</TargetGroupArn>
        <TargetGroupName>checkout-fn</TargetGroupName>
        <TargetType>lambda</TargetType>
        <LoadBalancerArns><member>arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/checkout-alb/50dc6c495c0c9188</member></LoadBalancerArns>
      </member>
    </TargetGroups>
  </DescribeTargetGroupsResult>
  <ResponseMetadata><RequestId>70092c0e-f3a9-11e5-ae48-cff02092876b</RequestId></ResponseMetadata>
</DescribeTargetGroupsResponse>"#;

fn target_health(members: &str) -> String {
    format!(
        r#"<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTargetHealthResult><TargetHealthDescriptions>{members}</TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>c534f810-f389-11e5-9192-3fff33344cfa</RequestId></ResponseMetadata></DescribeTargetHealthResponse>"#
    )
}

#[tokio::test]
async fn a_load_balancer_alarm_names_its_targets_with_their_health_and_reads_lambda_targets_groups()
{
    let target_groups = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_target_groups)
        .match_requests(|r| {
            r.load_balancer_arn()
                == Some("arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/checkout-alb/50dc6c495c0c9188")
                && r.page_size() == Some(5)
        })
        .then_http_response(|| xml(200, TARGET_GROUPS));
    let instances = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_target_health)
        .match_requests(|r| r.target_group_arn().is_some_and(|a| a.contains("checkout-web")))
        .then_http_response(|| {
            xml(200, &target_health(
                "<member><HealthCheckPort>80</HealthCheckPort><Target><Port>80</Port><Id>i-0f76fade435676abd</Id></Target><TargetHealth><State>unhealthy</State><Reason>Target.FailedHealthChecks</Reason><Description>Health checks failed with these codes: [502]</Description></TargetHealth></member>\
                 <member><HealthCheckPort>80</HealthCheckPort><Target><Port>80</Port><Id>i-0a1b2c3d4e5f67890</Id></Target><TargetHealth><State>healthy</State></TargetHealth></member>",
            ))
        });
    let functions = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_target_health)
        .match_requests(|r| r.target_group_arn().is_some_and(|a| a.contains("checkout-fn")))
        .then_http_response(|| {
            xml(200, &target_health(
                "<member><Target><Id>arn:aws:lambda:eu-west-1:111122223333:function:checkout-render</Id></Target><TargetHealth><State>unavailable</State><Reason>Target.HealthCheckDisabled</Reason><Description>Health checks are not enabled</Description></TargetHealth></member>",
            ))
        });
    let configuration = function_configuration("checkout-render", "/aws/lambda/checkout-render");
    let named = named_like_nothing();
    let exists = existing(&["/aws/lambda/checkout-render"]);
    let rules = Rules {
        elb: vec![&target_groups, &instances, &functions],
        lambda: vec![&configuration],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-alb-5xx",
        "AWS/ApplicationELB",
        &[("LoadBalancer", "app/checkout-alb/50dc6c495c0c9188")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(groups(&topology), [("/aws/lambda/checkout-render", 0.8)]);
    assert_eq!(
        relation(&topology, "ec2 instance", "i-0f76fade435676abd"),
        "target of checkout-web (unhealthy: Target.FailedHealthChecks: Health checks failed with these codes: [502])"
    );
    assert_eq!(
        relation(&topology, "ec2 instance", "i-0a1b2c3d4e5f67890"),
        "target of checkout-web (healthy)"
    );
    assert_eq!(
        relation(&topology, "target group", "checkout-fn"),
        "target group of checkout-alb"
    );
}

#[tokio::test]
async fn a_throttled_target_health_call_is_told_on_the_target_group() {
    let health = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_target_health)
        .match_requests(|r| {
            r.target_group_arn()
                == Some("arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/checkout-web/73e2d6bc24d8a067")
        })
        .then_http_response(|| mocks::xml_error("Throttling", "Rate exceeded"));
    let named = named_like_nothing();
    let rules = Rules {
        elb: vec![&health],
        logs: vec![&named],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-web-unhealthy",
        "AWS/ApplicationELB",
        &[
            ("LoadBalancer", "app/checkout-alb/50dc6c495c0c9188"),
            ("TargetGroup", "targetgroup/checkout-web/73e2d6bc24d8a067"),
        ],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        relation(&topology, "target group", "checkout-web"),
        "its targets unknown (DescribeTargetHealth: Throttling: Rate exceeded)"
    );
    assert!(topology.log_groups.is_empty());
}

#[tokio::test]
async fn more_mappings_than_a_page_are_told_on_the_function() {
    let configuration = function_configuration("checkout-api", "/aws/lambda/checkout-api");
    let sources = mock!(aws_sdk_lambda::Client::list_event_source_mappings).then_http_response(|| {
        rest_json(
            200,
            &format!(r#"{{"EventSourceMappings":[{SQS_MAPPING}],"NextMarker":"AAAAAGV4YW1wbGUtbWFya2Vy"}}"#),
        )
    });
    let (named, exists) = (
        named_like_nothing(),
        existing(&["/aws/lambda/checkout-api"]),
    );
    let rules = Rules {
        lambda: vec![&configuration, &sources],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-api-errors",
        "AWS/Lambda",
        &[("FunctionName", "checkout-api")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        relation(&topology, "lambda function", "checkout-api"),
        "alarmed; more than 20 event sources, the first read"
    );
    assert_eq!(sources.num_calls(), 1);
}

#[tokio::test]
async fn a_throttled_rest_api_listing_is_told_on_the_api() {
    let listing = mock!(aws_sdk_apigateway::Client::get_rest_apis)
        .then_http_response(|| rest_error(429, "TooManyRequestsException", "Too Many Requests"));
    let named = named_like_nothing();
    let rules = Rules {
        apigateway: vec![&listing],
        logs: vec![&named],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-api-5xx",
        "AWS/ApiGateway",
        &[("ApiName", "checkout-api"), ("Stage", "prod")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        relation(&topology, "api gateway api", "checkout-api"),
        "alarmed; its id unknown (GetRestApis: TooManyRequestsException: Too Many Requests)"
    );
    assert!(topology.log_groups.is_empty());
}

#[tokio::test]
async fn a_rest_api_alarm_without_a_stage_reads_each_stage() {
    let listing = mock!(aws_sdk_apigateway::Client::get_rest_apis).then_http_response(|| {
        rest_json(
            200,
            r#"{"item":[{"id":"a1b2c3d4e5","name":"checkout-api","createdDate":1767225600}]}"#,
        )
    });
    let stages = mock!(aws_sdk_apigateway::Client::get_stages)
        .match_requests(|r| r.rest_api_id() == Some("a1b2c3d4e5"))
        .then_http_response(|| {
            rest_json(200, r#"{"item":[{"deploymentId":"7xq2ab","stageName":"prod","accessLogSettings":{"format":"$context.requestId","destinationArn":"arn:aws:logs:eu-west-1:111122223333:log-group:checkout-api-access"},"createdDate":1767225600},{"deploymentId":"7xq2ab","stageName":"staging","createdDate":1767225600}]}"#)
        });
    let resources = mock!(aws_sdk_apigateway::Client::get_resources)
        .then_http_response(|| rest_json(200, r#"{"item":[{"id":"r00t1d","path":"/"}]}"#));
    let named = named_like_nothing();
    let exists = existing(&[
        "API-Gateway-Execution-Logs_a1b2c3d4e5/prod",
        "API-Gateway-Execution-Logs_a1b2c3d4e5/staging",
        "checkout-api-access",
    ]);
    let rules = Rules {
        apigateway: vec![&listing, &stages, &resources],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-api-latency",
        "AWS/ApiGateway",
        &[("ApiName", "checkout-api")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        groups(&topology),
        [
            ("API-Gateway-Execution-Logs_a1b2c3d4e5/prod", 1.0),
            ("API-Gateway-Execution-Logs_a1b2c3d4e5/staging", 1.0),
            ("checkout-api-access", 1.0),
        ]
    );
}

#[tokio::test]
async fn a_throttled_http_api_stage_is_told_and_its_integrations_still_read() {
    let stage = mock!(aws_sdk_apigatewayv2::Client::get_stage)
        .then_http_response(|| rest_error(429, "TooManyRequestsException", "Too Many Requests"));
    let integrations = mock!(aws_sdk_apigatewayv2::Client::get_integrations)
        .then_http_response(|| rest_json(200, r#"{"items":[]}"#));
    let named = named_like_nothing();
    let rules = Rules {
        apigatewayv2: vec![&stage, &integrations],
        logs: vec![&named],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-http-5xx",
        "AWS/ApiGateway",
        &[("ApiId", "x7y8z9w0v1"), ("Stage", "$default")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        relation(&topology, "api gateway api", "x7y8z9w0v1"),
        "alarmed; the access logs of stage $default unknown (GetStage: TooManyRequestsException: Too Many Requests)"
    );
    assert_eq!(integrations.num_calls(), 1);
}
