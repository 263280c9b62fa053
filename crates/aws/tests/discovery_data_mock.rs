//! Discovery around data and hosts (RDS, ECS, EC2, DynamoDB and custom
//! namespaces through the service tag, configured prefixes), and its
//! bounds: the call budget, the per-incident cache, the existence check.
//! Each AWS answer is a mocked HTTP response in the documented shape.

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
use mocks::{Rules, alarm, amz_json, existing, log_groups, named_like_nothing, rest_json};
use responder_aws::discovery::Settings;
use responder_aws::logs_insights::InsightsLogs;
use responder_aws::poll::Polling;
use responder_core::Alert;
use responder_core::context::Topology;
use responder_workflow::ports::LogSource;

async fn discover_with(alert: &Alert, rules: &Rules<'_>, settings: Settings) -> Topology {
    let logs = InsightsLogs::new(
        mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &rules.logs),
        BTreeMap::new(),
        Polling::immediate(Duration::from_secs(5)),
        rules.discovery(settings),
    );
    logs.discover(alert).await.unwrap()
}

async fn discover(alert: &Alert, rules: &Rules<'_>) -> Topology {
    discover_with(alert, rules, Settings::default()).await
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

/// `DescribeLogGroups(logGroupNamePrefix = prefix)` listing `names`.
fn under(prefix: &'static str, names: &'static [&'static str]) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(move |r| r.log_group_name_prefix() == Some(prefix) && r.limit() == Some(50))
        .then_http_response(move || log_groups(names))
}

#[tokio::test]
async fn an_rds_alarm_reads_the_instances_exported_groups_by_prefix() {
    let exported = under(
        "/aws/rds/instance/orders-db-1/",
        &[
            "/aws/rds/instance/orders-db-1/error",
            "/aws/rds/instance/orders-db-1/postgresql",
        ],
    );
    let named = named_like_nothing();
    let rules = Rules {
        logs: vec![&exported, &named],
        ..Rules::default()
    };
    let alert = alarm(
        "orders-db-connections",
        "AWS/RDS",
        &[("DBInstanceIdentifier", "orders-db-1")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        groups(&topology),
        [
            ("/aws/rds/instance/orders-db-1/error", 1.0),
            ("/aws/rds/instance/orders-db-1/postgresql", 1.0),
        ]
    );
    assert_eq!(
        topology.log_groups[1].relation,
        "the postgresql log of rds instance orders-db-1"
    );
    // Listed groups exist: no existence check was needed.
    assert_eq!(exported.num_calls(), 1);
}

#[tokio::test]
async fn an_aurora_cluster_alarm_reads_the_clusters_exported_groups() {
    let exported = under(
        "/aws/rds/cluster/orders/",
        &["/aws/rds/cluster/orders/slowquery"],
    );
    let named = named_like_nothing();
    let rules = Rules {
        logs: vec![&exported, &named],
        ..Rules::default()
    };
    let alert = alarm(
        "orders-aurora-cpu",
        "AWS/RDS",
        &[("DBClusterIdentifier", "orders")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        groups(&topology),
        [("/aws/rds/cluster/orders/slowquery", 1.0)]
    );
}

const SERVICE: &str = r#"{"services":[{"serviceArn":"arn:aws:ecs:eu-west-1:111122223333:service/prod/checkout-web","serviceName":"checkout-web","clusterArn":"arn:aws:ecs:eu-west-1:111122223333:cluster/prod","status":"ACTIVE","desiredCount":4,"runningCount":3,"pendingCount":1,"launchType":"FARGATE","taskDefinition":"arn:aws:ecs:eu-west-1:111122223333:task-definition/checkout-web:42","deployments":[{"id":"ecs-svc/1234567890123456789","status":"PRIMARY","taskDefinition":"arn:aws:ecs:eu-west-1:111122223333:task-definition/checkout-web:42","desiredCount":4,"pendingCount":1,"runningCount":1,"failedTasks":3,"createdAt":1795165800.0,"updatedAt":1795166000.0,"launchType":"FARGATE","rolloutState":"IN_PROGRESS","rolloutStateReason":"ECS deployment ecs-svc/1234567890123456789 in progress."},{"id":"ecs-svc/9876543210987654321","status":"ACTIVE","taskDefinition":"arn:aws:ecs:eu-west-1:111122223333:task-definition/checkout-web:41","desiredCount":0,"pendingCount":0,"runningCount":2,"failedTasks":0,"createdAt":1795000000.0,"updatedAt":1795166000.0,"launchType":"FARGATE","rolloutState":"COMPLETED","rolloutStateReason":"ECS deployment ecs-svc/9876543210987654321 completed."}],"events":[]}],"failures":[]}"#;

fn task_definition(revision: u32, group: &str) -> String {
    format!(
        r#"{{"taskDefinition":{{"taskDefinitionArn":"arn:aws:ecs:eu-west-1:111122223333:task-definition/checkout-web:{revision}","family":"checkout-web","revision":{revision},"status":"ACTIVE","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"512","memory":"1024","containerDefinitions":[{{"name":"web","image":"111122223333.dkr.ecr.eu-west-1.amazonaws.com/checkout-web:{revision}","essential":true,"portMappings":[{{"containerPort":8080,"hostPort":8080,"protocol":"tcp"}}],"logConfiguration":{{"logDriver":"awslogs","options":{{"awslogs-group":"{group}","awslogs-region":"eu-west-1","awslogs-stream-prefix":"web"}}}}}},{{"name":"log-router","image":"public.ecr.aws/aws-observability/aws-for-fluent-bit:stable","essential":false,"firelensConfiguration":{{"type":"fluentbit"}}}}]}}}}"#
    )
}

#[tokio::test]
async fn an_ecs_alarm_reads_the_awslogs_groups_of_both_deployments_of_a_rollout() {
    let services = mock!(aws_sdk_ecs::Client::describe_services)
        .match_requests(|r| r.cluster() == Some("prod") && r.services() == ["checkout-web"])
        .then_http_response(|| amz_json(200, SERVICE));
    let new = mock!(aws_sdk_ecs::Client::describe_task_definition)
        .match_requests(|r| r.task_definition().is_some_and(|t| t.ends_with(":42")))
        .then_http_response(|| amz_json(200, &task_definition(42, "/ecs/checkout-web-v2")));
    let old = mock!(aws_sdk_ecs::Client::describe_task_definition)
        .match_requests(|r| r.task_definition().is_some_and(|t| t.ends_with(":41")))
        .then_http_response(|| amz_json(200, &task_definition(41, "/ecs/checkout-web")));
    let named = named_like_nothing();
    let exists = existing(&["/ecs/checkout-web-v2", "/ecs/checkout-web"]);
    let rules = Rules {
        ecs: vec![&services, &new, &old],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-web-cpu",
        "AWS/ECS",
        &[("ClusterName", "prod"), ("ServiceName", "checkout-web")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        groups(&topology),
        [("/ecs/checkout-web", 1.0), ("/ecs/checkout-web-v2", 1.0)]
    );
    assert_eq!(
        relation(&topology, "ecs task definition", "checkout-web:42"),
        "task definition of checkout-web, PRIMARY deployment, rollout IN_PROGRESS (ECS deployment ecs-svc/1234567890123456789 in progress.)"
    );
    assert_eq!(
        topology
            .log_groups
            .iter()
            .find(|g| g.name == "/ecs/checkout-web-v2")
            .unwrap()
            .relation,
        "log group of container web of checkout-web (checkout-web:42)"
    );
}

#[tokio::test]
async fn an_ecs_service_that_is_not_found_is_told_on_the_service() {
    let services = mock!(aws_sdk_ecs::Client::describe_services).then_http_response(|| {
        amz_json(200, r#"{"services":[],"failures":[{"arn":"arn:aws:ecs:eu-west-1:111122223333:service/prod/checkout-web","reason":"MISSING"}]}"#)
    });
    let named = named_like_nothing();
    let exists = existing(&[]);
    let rules = Rules {
        ecs: vec![&services],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-web-cpu",
        "AWS/ECS",
        &[("ClusterName", "prod"), ("ServiceName", "checkout-web")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        relation(&topology, "ecs service", "checkout-web"),
        "alarmed; its task definitions unknown (DescribeServices: MISSING)"
    );
    // The conventional /ecs/checkout-web does not exist: it is left out.
    assert!(topology.log_groups.is_empty());
}

#[tokio::test]
async fn an_ec2_alarm_reads_the_configured_agent_groups() {
    let agent = under("/ec2/app/", &["/ec2/app/nginx-error", "/ec2/app/syslog"]);
    let named = named_like_nothing();
    let exists = existing(&["/ec2/i-0abc1234def567890/messages"]);
    let rules = Rules {
        logs: vec![&agent, &named, &exists],
        ..Rules::default()
    };
    let settings = Settings {
        ec2_patterns: vec![
            "/ec2/{instance_id}/messages".to_owned(),
            "/ec2/app/*".to_owned(),
        ],
        ..Settings::default()
    };
    let alert = alarm(
        "web-1-cpu",
        "AWS/EC2",
        &[("InstanceId", "i-0abc1234def567890")],
        &[],
    );
    let topology = discover_with(&alert, &rules, settings).await;
    assert_eq!(
        groups(&topology),
        [
            ("/ec2/i-0abc1234def567890/messages", 1.0),
            ("/ec2/app/nginx-error", 0.8),
            ("/ec2/app/syslog", 0.8),
        ]
    );
}

fn tagged(arns: &[&str], token: &str) -> String {
    let list: Vec<String> = arns
        .iter()
        .map(|arn| format!(r#"{{"ResourceARN":"{arn}","Tags":[{{"Key":"service","Value":"orders"}},{{"Key":"team","Value":"payments"}}]}}"#))
        .collect();
    format!(
        r#"{{"PaginationToken":"{token}","ResourceTagMappingList":[{}]}}"#,
        list.join(",")
    )
}

#[tokio::test]
async fn a_dynamodb_alarm_finds_the_resources_sharing_its_service_tag_across_pages() {
    // GIVEN two pages of resources tagged service=orders
    let first = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
        .match_requests(|r| {
            r.pagination_token().is_none()
                && r.resources_per_page() == Some(50)
                && r.tag_filters()
                    .first()
                    .is_some_and(|f| f.key() == Some("service") && f.values() == ["orders"])
        })
        .then_http_response(|| {
            amz_json(
                200,
                &tagged(
                    &[
                        "arn:aws:dynamodb:eu-west-1:111122223333:table/orders",
                        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-throttles",
                        "arn:aws:lambda:eu-west-1:111122223333:function:orders-writer",
                    ],
                    "eyJrIjoib3JkZXJzLXBhZ2UtMiJ9",
                ),
            )
        });
    let second = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
        .match_requests(|r| r.pagination_token() == Some("eyJrIjoib3JkZXJzLXBhZ2UtMiJ9"))
        .then_http_response(|| {
            amz_json(
                200,
                &tagged(
                    &[
                        "arn:aws:logs:eu-west-1:111122223333:log-group:/orders/batch-import",
                        "arn:aws:states:eu-west-1:111122223333:stateMachine:orders-fulfilment",
                    ],
                    "",
                ),
            )
        });
    let configuration = mock!(aws_sdk_lambda::Client::get_function_configuration)
        .match_requests(|r| r.function_name() == Some("orders-writer"))
        .then_http_response(|| {
            rest_json(200, r#"{"FunctionName":"orders-writer","FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:orders-writer","Runtime":"nodejs22.x","Handler":"index.handler","Timeout":10,"MemorySize":256,"Version":"$LATEST","State":"Active","LastUpdateStatus":"Successful","PackageType":"Zip","LoggingConfig":{"LogFormat":"Text","LogGroup":"/aws/lambda/orders-writer"}}"#)
        });
    let named = named_like_nothing();
    let exists = existing(&[
        "/aws/lambda/orders-writer",
        "/aws/vendedlogs/states/orders-fulfilment",
    ]);
    let rules = Rules {
        tagging: vec![&first, &second],
        lambda: vec![&configuration],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "orders-throttles",
        "AWS/DynamoDB",
        &[("TableName", "orders")],
        &[("service", "orders"), ("team", "payments")],
    );
    let topology = discover(&alert, &rules).await;
    // THEN each tagged kind with logs brings them, at the tag's weight
    assert_eq!(
        groups(&topology),
        [
            ("/aws/lambda/orders-writer", 0.6),
            ("/aws/vendedlogs/states/orders-fulfilment", 0.6),
            ("/orders/batch-import", 0.6),
        ]
    );
    assert_eq!(
        relation(&topology, "lambda function", "orders-writer"),
        "shares the tag service=orders"
    );
    // The alarm, tagged too, is not a related resource.
    assert!(
        topology
            .resources
            .iter()
            .all(|r| r.name != "orders-throttles")
    );
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_throttled_tagging_call_is_told_and_the_rest_is_kept() {
    let throttled = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
        .then_http_response(|| mocks::amz_json_error("ThrottledException", "Rate exceeded"));
    let named = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| r.log_group_name_pattern() == Some("orders"))
        .then_http_response(|| log_groups(&["/orders/api"]));
    let others = named_like_nothing();
    let rules = Rules {
        tagging: vec![&throttled],
        logs: vec![&named, &others],
        ..Rules::default()
    };
    let alert = alarm(
        "orders-latency",
        "Orders/Checkout",
        &[("Route", "POST /orders")],
        &[("service", "orders")],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        relation(&topology, "service tag", "service=orders"),
        "the resources sharing it unknown (GetResources: ThrottledException: Rate exceeded)"
    );
    assert_eq!(topology.log_groups[0].name, "/orders/api");
    assert_eq!(topology.log_groups[0].relation, "its name holds orders");
}

#[tokio::test]
async fn configured_prefixes_are_listed_and_weighed_like_the_local_folder() {
    let shared = under(
        "/platform/",
        &["/platform/ingress", "/platform/payments-gateway"],
    );
    let named = named_like_nothing();
    let rules = Rules {
        logs: vec![&shared, &named],
        ..Rules::default()
    };
    let settings = Settings {
        prefixes: vec!["/platform/".to_owned()],
        ..Settings::default()
    };
    let alert = alarm(
        "payments-latency",
        "Payments/Api",
        &[("Route", "POST /pay")],
        &[("service", "payments")],
    );
    let tagging =
        mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_http_response(|| {
            amz_json(200, r#"{"PaginationToken":"","ResourceTagMappingList":[]}"#)
        });
    let rules = Rules {
        tagging: vec![&tagging],
        ..rules
    };
    let topology = discover_with(&alert, &rules, settings).await;
    assert_eq!(
        groups(&topology),
        [
            ("/platform/payments-gateway", 0.9),
            ("/platform/ingress", 0.4)
        ]
    );
    assert_eq!(
        topology.log_groups[1].relation,
        "under the configured prefix /platform/"
    );
}

#[tokio::test]
async fn the_call_budget_stops_discovery_and_says_what_was_not_asked() {
    // GIVEN a budget of three calls: one to explore, two kept for the check
    let sources = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_http_response(|| rest_json(200, r#"{"EventSourceMappings":[]}"#));
    let configuration = mock!(aws_sdk_lambda::Client::get_function_configuration).then_http_response(|| {
        rest_json(200, r#"{"FunctionName":"checkout-api","State":"Active","LoggingConfig":{"LogFormat":"Text","LogGroup":"/aws/lambda/checkout-api"}}"#)
    });
    let exists = existing(&["/aws/lambda/checkout-api"]);
    let rules = Rules {
        lambda: vec![&configuration, &sources],
        logs: vec![&exists],
        ..Rules::default()
    };
    let settings = Settings {
        max_calls: 3,
        ..Settings::default()
    };
    let alert = alarm(
        "checkout-api-errors",
        "AWS/Lambda",
        &[("FunctionName", "checkout-api")],
        &[],
    );
    let topology = discover_with(&alert, &rules, settings).await;
    assert_eq!(
        relation(&topology, "lambda function", "checkout-api"),
        "alarmed; its event sources unknown (not asked, the 3 discovery calls were spent)"
    );
    assert_eq!((configuration.num_calls(), sources.num_calls()), (1, 0));
    // The existence check still ran, on its own calls.
    assert_eq!(exists.num_calls(), 1);
    assert_eq!(groups(&topology), [("/aws/lambda/checkout-api", 1.0)]);
}

#[tokio::test]
async fn a_function_reached_by_two_paths_is_asked_about_once() {
    // GIVEN a queue consumed by a function that also shares the service tag
    let consumers = mock!(aws_sdk_lambda::Client::list_event_source_mappings).then_http_response(|| {
        rest_json(200, r#"{"EventSourceMappings":[{"UUID":"e5f6a7b8-9012-cdef-1234-55555EXAMPLE","BatchSize":10,"EventSourceArn":"arn:aws:sqs:eu-west-1:111122223333:orders-queue","FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:orders-worker","LastModified":1795160000.0,"State":"Enabled","StateTransitionReason":"USER_INITIATED"}]}"#)
    });
    let configuration = mock!(aws_sdk_lambda::Client::get_function_configuration).then_http_response(|| {
        rest_json(200, r#"{"FunctionName":"orders-worker","State":"Active","LoggingConfig":{"LogFormat":"JSON","LogGroup":"/orders/worker"}}"#)
    });
    let tagging =
        mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_http_response(|| {
            amz_json(
                200,
                &tagged(
                    &["arn:aws:lambda:eu-west-1:111122223333:function:orders-worker"],
                    "",
                ),
            )
        });
    let named = named_like_nothing();
    let exists = existing(&["/orders/worker"]);
    let rules = Rules {
        lambda: vec![&consumers, &configuration],
        tagging: vec![&tagging],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "orders-queue-age",
        "AWS/SQS",
        &[("QueueName", "orders-queue")],
        &[("service", "orders")],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(configuration.num_calls(), 1);
    // The closer relation wins: a consumer (0.8) over a tag (0.6).
    assert_eq!(groups(&topology), [("/orders/worker", 0.8)]);
}

#[tokio::test]
async fn groups_stay_unchecked_when_the_existence_check_fails() {
    let configuration = mock!(aws_sdk_lambda::Client::get_function_configuration).then_http_response(|| {
        rest_json(200, r#"{"FunctionName":"checkout-api","State":"Active","LoggingConfig":{"LogFormat":"Text","LogGroup":"/aws/lambda/checkout-api"}}"#)
    });
    let sources = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_http_response(|| rest_json(200, r#"{"EventSourceMappings":[]}"#));
    let named = named_like_nothing();
    let refused = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| !r.log_group_identifiers().is_empty())
        .then_http_response(|| {
            mocks::amz_json_error(
                "AccessDeniedException",
                "User: arn:aws:sts::111122223333:assumed-role/query-logs/fn is not authorized to perform: logs:DescribeLogGroups",
            )
        });
    let rules = Rules {
        lambda: vec![&configuration, &sources],
        logs: vec![&named, &refused],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-api-errors",
        "AWS/Lambda",
        &[("FunctionName", "checkout-api")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(groups(&topology), [("/aws/lambda/checkout-api", 1.0)]);
    assert_eq!(refused.num_calls(), 1);
}

#[tokio::test]
async fn a_group_the_role_may_not_query_is_named_but_not_read() {
    // GIVEN a function logging to a group outside the role's patterns
    let configuration = mock!(aws_sdk_lambda::Client::get_function_configuration).then_http_response(|| {
        rest_json(200, r#"{"FunctionName":"checkout-api","State":"Active","LoggingConfig":{"LogFormat":"JSON","LogGroup":"/shop/checkout-api"}}"#)
    });
    let sources = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_http_response(|| rest_json(200, r#"{"EventSourceMappings":[]}"#));
    let named = named_like_nothing();
    let exists = existing(&["/aws/lambda/checkout-api"]);
    let rules = Rules {
        lambda: vec![&configuration, &sources],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let settings = Settings {
        readable: vec!["/aws/lambda/*".to_owned()],
        ..Settings::default()
    };
    let alert = alarm(
        "checkout-api-errors",
        "AWS/Lambda",
        &[("FunctionName", "checkout-api")],
        &[],
    );
    let topology = discover_with(&alert, &rules, settings).await;
    // THEN Logs Insights is never asked for it (one such group fails the
    // whole query), and the topology says why it is missing
    assert_eq!(groups(&topology), [("/aws/lambda/checkout-api", 1.0)]);
    assert_eq!(
        relation(&topology, "log group", "/shop/checkout-api"),
        "the alarmed function's log group (its logging configuration); not read: outside LOG_GROUP_PATTERNS"
    );
}

#[tokio::test]
async fn a_throttled_ecs_call_is_told_on_the_service() {
    let services = mock!(aws_sdk_ecs::Client::describe_services)
        .then_http_response(|| mocks::amz_json_error("ThrottlingException", "Rate exceeded"));
    let named = named_like_nothing();
    let exists = existing(&["/ecs/checkout-web"]);
    let rules = Rules {
        ecs: vec![&services],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-web-cpu",
        "AWS/ECS",
        &[("ClusterName", "prod"), ("ServiceName", "checkout-web")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert_eq!(
        relation(&topology, "ecs service", "checkout-web"),
        "alarmed; its task definitions unknown (DescribeServices: ThrottlingException: Rate exceeded)"
    );
    // The conventional group, which exists, is still read.
    assert_eq!(groups(&topology), [("/ecs/checkout-web", 1.0)]);
}

#[tokio::test]
async fn a_task_definition_that_cannot_be_read_is_told_on_it() {
    let services =
        mock!(aws_sdk_ecs::Client::describe_services).then_http_response(|| amz_json(200, SERVICE));
    let refused = mock!(aws_sdk_ecs::Client::describe_task_definition).then_http_response(|| {
        mocks::amz_json_error("ClientException", "Unable to describe task definition.")
    });
    let named = named_like_nothing();
    let exists = existing(&["/ecs/checkout-web"]);
    let rules = Rules {
        ecs: vec![&services, &refused],
        logs: vec![&named, &exists],
        ..Rules::default()
    };
    let alert = alarm(
        "checkout-web-cpu",
        "AWS/ECS",
        &[("ClusterName", "prod"), ("ServiceName", "checkout-web")],
        &[],
    );
    let topology = discover(&alert, &rules).await;
    assert!(
        relation(&topology, "ecs task definition", "checkout-web:42")
            .ends_with("; its log groups unknown (DescribeTaskDefinition: ClientException: Unable to describe task definition.)")
    );
    assert_eq!(refused.num_calls(), 2);
}
