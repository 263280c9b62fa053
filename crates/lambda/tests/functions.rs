//! Each function fed the input its state receives in the ASL
//! (`events/functions/<function>.json`, captured from a local run of
//! `statemachine/incident-response.asl.json`), on the AWS adapters (DynamoDB,
//! S3 and SES on a local moto server; Athena, Logs Insights and Bedrock
//! mocked), checked for the output shape the next state reads.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../aws/tests/support/mod.rs"]
mod support;

#[path = "../../aws/tests/support/mocks.rs"]
mod mocks;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_smithy_mocks::{RuleMode, mock, mock_client};
use responder_aws::athena::AthenaHistory;
use responder_aws::bedrock::{BedrockAnalyzer, BedrockSettings, Prices, TOOL_NAME};
use responder_aws::config::Env;
use responder_aws::dynamodb::DynamoStore;
use responder_aws::logs_insights::InsightsLogs;
use responder_aws::notifier::AwsNotifier;
use responder_aws::poll::Polling;
use responder_aws::s3::S3Archive;
use responder_core::{Channel, NormalizeOptions};
use responder_lambda::handlers;
use responder_workflow::Policy;
use serde_json::{Value, json};

fn event(name: &str) -> Value {
    let path = format!(
        "{}/../../events/functions/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

struct Aws {
    store: DynamoStore,
    archive: S3Archive,
}

impl Aws {
    /// Messages to the bucket's outbox (no SES sender configured).
    fn notifier(&self) -> AwsNotifier {
        AwsNotifier::outbox_only(self.archive.clone())
    }
}

async fn aws() -> Aws {
    let (s3, bucket) = support::s3_bucket().await;
    Aws {
        store: support::dynamo_store().await,
        archive: S3Archive::new(s3, bucket),
    }
}

const MODEL: &str = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// Bedrock answering with the analysis tool.
fn bedrock() -> (BedrockAnalyzer, aws_smithy_mocks::Rule) {
    use aws_sdk_bedrockruntime::operation::converse::ConverseOutput as Output;
    use aws_sdk_bedrockruntime::types::{
        ContentBlock, ConversationRole, ConverseOutput, Message, StopReason, TokenUsage,
        ToolUseBlock,
    };
    let rule = mock!(aws_sdk_bedrockruntime::Client::converse).then_output(|| {
        let answer = json!({
            "summary": "checkout-api calls time out against the payments database.",
            "root_causes": [{"component": "orders-db", "category": "capacity_exhaustion",
                             "explanation": "Connection pool exhausted", "confidence": 0.7,
                             "evidence": [{"kind": "log", "quote": "timeout acquiring connection"}]}],
            "impact": "Checkouts fail.",
            "remediation": [{"step": "Raise the pool size", "risk": "low"}],
            "next_checks": ["RDS DatabaseConnections"]
        });
        Output::builder()
            .output(ConverseOutput::Message(
                Message::builder()
                    .role(ConversationRole::Assistant)
                    .content(ContentBlock::ToolUse(ToolUseBlock::builder().tool_use_id("t1").name(TOOL_NAME).input(responder_aws::document::to_document(&answer)).build().unwrap()))
                    .build()
                    .unwrap(),
            ))
            .stop_reason(StopReason::ToolUse)
            .usage(TokenUsage::builder().input_tokens(1800).output_tokens(400).total_tokens(2200).build().unwrap())
            .metrics(aws_sdk_bedrockruntime::types::ConverseMetrics::builder().latency_ms(700).build().unwrap())
            .build()
            .unwrap()
    });
    let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(aws_config::retry::RetryConfig::disabled()));
    let settings = BedrockSettings {
        model_id: MODEL.into(),
        max_tokens: 1500,
        token_budget: 6000,
        prices: Prices {
            input_per_1k: 0.003,
            output_per_1k: 0.015,
        },
        timeout: Duration::from_secs(90),
    };
    (BedrockAnalyzer::new(client, settings), rule)
}

#[tokio::test(flavor = "multi_thread")]
async fn normalize_alert_gives_the_alerts_the_map_iterates() {
    let out =
        handlers::normalize_alert(&NormalizeOptions::default(), &event("normalize-alert")).unwrap();
    let alerts = out["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1);
    for key in [
        "dedup_key",
        "signature",
        "severity",
        "state",
        "resource",
        "raw",
    ] {
        assert!(!alerts[0][key].is_null(), "alerts[0].{key}");
    }
    let error = handlers::normalize_alert(
        &NormalizeOptions::default(),
        &json!({"payload": {"hello": "world"}}),
    )
    .unwrap_err();
    assert_eq!(error.name(), "UnsupportedSource");
}

#[tokio::test(flavor = "multi_thread")]
async fn register_alert_gives_route_decision_its_decision() {
    let aws = aws().await;
    let out = handlers::register_alert(&aws.store, &Policy::default(), &event("register-alert"))
        .await
        .unwrap();
    assert_eq!(out["decision"], "NEW");
    assert_eq!(out["incident"]["id"], "inc-20261120-687557cf");
    assert_eq!(out["channels"], json!(["slack", "jira", "email"]));
    assert_eq!(out["approval_timeout_seconds"], 900);
    assert_eq!(out["timeout_policy"], "deliver");
    assert!(out["notified_channels"].is_array());
}

#[tokio::test(flavor = "multi_thread")]
async fn query_history_gives_the_context_its_history() {
    use aws_sdk_athena::operation::get_query_execution::GetQueryExecutionOutput;
    use aws_sdk_athena::operation::get_query_results::GetQueryResultsOutput;
    use aws_sdk_athena::operation::start_query_execution::StartQueryExecutionOutput;
    use aws_sdk_athena::types::{
        Datum, QueryExecution, QueryExecutionState, QueryExecutionStatus, ResultSet, Row,
    };
    let start = mock!(aws_sdk_athena::Client::start_query_execution).then_output(|| {
        StartQueryExecutionOutput::builder()
            .query_execution_id("q")
            .build()
    });
    let done = mock!(aws_sdk_athena::Client::get_query_execution).then_output(|| {
        GetQueryExecutionOutput::builder()
            .query_execution(
                QueryExecution::builder()
                    .status(
                        QueryExecutionStatus::builder()
                            .state(QueryExecutionState::Succeeded)
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let results = mock!(aws_sdk_athena::Client::get_query_results).then_output(|| {
        let row = |v: &str| {
            Row::builder()
                .data(Datum::builder().var_char_value(v).build())
                .build()
        };
        let cells = |values: &[&str]| {
            let mut r = Row::builder();
            for v in values {
                r = r.data(Datum::builder().var_char_value(*v).build());
            }
            r.build()
        };
        GetQueryResultsOutput::builder()
            .result_set(
                ResultSet::builder()
                    .rows(row("header"))
                    // Athena sends every cell as text, empty for NULL.
                    .rows(cells(&[
                        "inc-20261002-0001",
                        "4d94d9dc5d592e8cee09692a32289ccc",
                        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-errors",
                        "AWS/Lambda Errors checkout-api",
                        "checkout-api",
                        "2026-10-02T14:03:00.000Z",
                        "Payment gateway timeout after a config change",
                        "Rolled back the timeout setting",
                        "1260.0",
                    ]))
                    .rows(cells(&[
                        "inc-20261101-0002",
                        "0000aaaa0000aaaa0000aaaa0000aaaa",
                        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-api-errors",
                        "",
                        "orders-api",
                        "2026-11-01T10:00:00.000Z",
                        "",
                        "",
                        "",
                    ]))
                    .build(),
            )
            .build()
    });
    let client = mock_client!(
        aws_sdk_athena,
        RuleMode::MatchAny,
        [&start, &done, &results]
    );
    let history = AthenaHistory::new(
        client,
        "wg".into(),
        "db".into(),
        Polling::immediate(Duration::from_secs(5)),
    );
    let out = handlers::query_history(&history, &Policy::default(), &event("query-history"))
        .await
        .unwrap();
    assert_eq!(out["available"], true);
    // The same alarm's past incident is told, with why; another service's
    // candidate is not like this one.
    assert_eq!(out["incidents"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["incidents"][0]["likeness"], "signature");
    assert_eq!(
        out["incidents"][0]["incident"]["resolution"],
        "Rolled back the timeout setting"
    );
    assert_eq!(
        out["incidents"][0]["incident"]["time_to_recover_seconds"],
        1260
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn query_logs_gives_the_context_its_lines() {
    use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput;
    use aws_sdk_cloudwatchlogs::operation::start_query::StartQueryOutput;
    use aws_sdk_cloudwatchlogs::types::{QueryStatus, ResultField};
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .then_output(|| StartQueryOutput::builder().query_id("q").build());
    let results = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_output(|| {
        let f = |k: &str, v: &str| ResultField::builder().field(k).value(v).build();
        GetQueryResultsOutput::builder()
            .status(QueryStatus::Complete)
            .results(vec![
                f("@timestamp", "2026-11-20 09:12:58.120"),
                f(
                    "@message",
                    "2026-11-20T09:12:58.120Z 7d1f0c2e Task timed out after 6.01 seconds",
                ),
                f("@log", "111122223333:/aws/lambda/checkout-api"),
                f("@logStream", "2026/11/20/[$LATEST]7d1f0c2e"),
                f(
                    "@ptr",
                    "CmAKJgoiMTExMTIyMjIzMzMzOi9hd3MvbGFtYmRhL2NoZWNrb3V0LWFwaRAH",
                ),
            ])
            .build()
    });
    // Discovery: the function logs to its conventional group, nothing feeds
    // it, nothing else shares its service tag; one group is named like it.
    let discovered = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| r.log_group_name_pattern().is_some())
        .then_output(|| {
            aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput::builder()
                .log_groups(
                    aws_sdk_cloudwatchlogs::types::LogGroup::builder()
                        .log_group_name("/ecs/checkout-api-worker")
                        .build(),
                )
                .build()
        });
    let exists = mocks::existing(&["/aws/lambda/checkout-api"]);
    let configuration = mock!(aws_sdk_lambda::Client::get_function_configuration).then_http_response(|| {
        mocks::rest_json(200, r#"{"FunctionName":"checkout-api","State":"Active","LoggingConfig":{"LogFormat":"JSON","LogGroup":"/aws/lambda/checkout-api"}}"#)
    });
    let sources = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .then_http_response(|| mocks::rest_json(200, r#"{"EventSourceMappings":[]}"#));
    let tagged =
        mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_http_response(|| {
            mocks::amz_json(200, r#"{"PaginationToken":"","ResourceTagMappingList":[]}"#)
        });
    let client = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::MatchAny,
        [&start, &results]
    );
    let discovery = mocks::Rules {
        logs: vec![&discovered, &exists],
        lambda: vec![&configuration, &sources],
        tagging: vec![&tagged],
        ..mocks::Rules::default()
    }
    .discovery(responder_aws::discovery::Settings::default());
    let logs = InsightsLogs::new(
        client,
        BTreeMap::new(),
        Polling::immediate(Duration::from_secs(5)),
        discovery,
    );
    let out = handlers::query_logs(&logs, &Policy::default(), &event("query-logs"))
        .await
        .unwrap();
    assert_eq!(out["available"], true);
    // Three queries (trouble, incident sample, baseline sample) return the
    // same event: it is counted once.
    assert_eq!(out["templates"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["templates"][0]["log_group"], "/aws/lambda/checkout-api");
    assert_eq!(out["templates"][0]["count"], 1);
    let groups: Vec<&str> = out["topology"]["log_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        ["/aws/lambda/checkout-api", "/ecs/checkout-api-worker"]
    );
    assert_eq!(start.num_calls(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn query_changes_gives_the_context_the_writes_before_the_alert() {
    use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
    use aws_sdk_cloudtrail::primitives::DateTime as AwsDateTime;
    use aws_sdk_cloudtrail::types::{Event, Resource};
    let page = |name: &str, minute: i64, next: Option<&str>| {
        let name = name.to_owned();
        let next = next.map(str::to_owned);
        move || {
            LookupEventsOutput::builder()
                .events(
                    Event::builder()
                        .event_id(format!("id-{name}"))
                        .event_name(&name)
                        .read_only("false")
                        .event_source("lambda.amazonaws.com")
                        .username("deploy-bot")
                        // 09:14:07 is the state change.
                        .event_time(AwsDateTime::from_secs(1_795_166_047 - minute * 60))
                        .resources(
                            Resource::builder()
                                .resource_type("AWS::Lambda::Function")
                                .resource_name("checkout-api")
                                .build(),
                        )
                        .cloud_trail_event(
                            r#"{"eventVersion":"1.08","requestParameters":{"functionName":"checkout-api","timeout":3}}"#,
                        )
                        .build(),
                )
                .set_next_token(next.clone())
                .build()
        }
    };
    let first = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|r| r.next_token().is_none())
        .then_output(page(
            "UpdateFunctionConfiguration20150331v2",
            12,
            Some("page-2"),
        ));
    let second = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(page("PutFunctionConcurrency20171031", 30, None));
    let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&first, &second]);
    let changes = responder_aws::cloudtrail::CloudTrailChanges::without_pause(client);
    let out = handlers::query_changes(&changes, &Policy::default(), &event("query-changes"))
        .await
        .unwrap();
    assert_eq!(out["available"], true);
    let names: Vec<&str> = out["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    // In time order, each naming the alarmed function.
    assert_eq!(
        names,
        [
            "PutFunctionConcurrency20171031",
            "UpdateFunctionConfiguration20150331v2"
        ]
    );
    assert_eq!(out["events"][1]["related"], true);
    assert_eq!(out["events"][1]["user"], "deploy-bot");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_cache_then_analyze_then_check_cache_hits() {
    let aws = aws().await;
    let (analyzer, converse) = bedrock();
    // CheckCache reads the model from its environment, with no client: its
    // key must be the one Analyze writes under.
    let cached_model = Env::from_pairs([("BEDROCK_MODEL_ID", MODEL)])
        .analyzer_id()
        .unwrap();
    handlers::register_alert(&aws.store, &Policy::default(), &event("register-alert"))
        .await
        .unwrap();
    let miss = handlers::check_cache(&aws.store, &cached_model, &event("check-cache"))
        .await
        .unwrap();
    assert_eq!(miss["hit"], false);
    let key = miss["key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 64);

    let mut input = event("analyze");
    input["cache_key"] = json!(key);
    let analysis = handlers::analyze(
        &analyzer,
        &aws.store,
        &aws.store,
        &Policy::default(),
        &input,
    )
    .await
    .unwrap();
    assert_eq!(analysis["analyzer"], MODEL);
    assert_eq!(
        analysis["root_causes"][0]["explanation"],
        "Connection pool exhausted"
    );
    assert_eq!(converse.num_calls(), 1);

    let hit = handlers::check_cache(&aws.store, &cached_model, &event("check-cache"))
        .await
        .unwrap();
    assert_eq!(hit["hit"], true);
    assert_eq!(hit["analysis"]["summary"], analysis["summary"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn request_approval_keeps_the_token_behind_an_id() {
    let aws = aws().await;
    handlers::register_alert(&aws.store, &Policy::default(), &event("register-alert"))
        .await
        .unwrap();
    let notifier = aws.notifier();
    let input = event("request-approval");
    let out = handlers::request_approval(
        &aws.store,
        &notifier,
        &aws.store,
        &aws.store,
        &Policy::default(),
        &input,
    )
    .await
    .unwrap();
    let id = out["approval_id"].as_str().unwrap();
    assert!(id.starts_with("apr-"));
    assert!(out["request"].as_str().unwrap().starts_with("s3://"));
    let (incident, token, status) = aws.store.approval(id).await.unwrap().unwrap();
    assert_eq!(
        (incident.as_str(), status.as_str()),
        ("inc-20261120-687557cf", "PENDING")
    );
    assert_eq!(token, input["token"].as_str().unwrap());
    // Retried: the same approval, asked once.
    let again = handlers::request_approval(
        &aws.store,
        &notifier,
        &aws.store,
        &aws.store,
        &Policy::default(),
        &input,
    )
    .await
    .unwrap();
    assert_eq!(again, out);
}

#[tokio::test(flavor = "multi_thread")]
async fn deliver_gives_the_map_one_result_per_channel_once() {
    let aws = aws().await;
    let notifier = aws.notifier();
    let out = handlers::deliver(&notifier, &aws.store, &aws.store, &event("deliver"))
        .await
        .unwrap();
    assert_eq!(out["channel"], "slack");
    assert_eq!(out["status"], "SENT");
    assert!(
        out["location"]
            .as_str()
            .unwrap()
            .ends_with("/outbox/slack/inc-20261120-687557cf-incident.json")
    );
    let again = handlers::deliver(&notifier, &aws.store, &aws.store, &event("deliver"))
        .await
        .unwrap();
    assert_eq!(again, out);
}

/// The demo incident registered, then RecordOutcome run on `input`: its
/// answer and the incident as stored after it.
async fn record_outcome(input: &Value) -> (Value, responder_core::Incident) {
    let aws = aws().await;
    handlers::register_alert(&aws.store, &Policy::default(), &event("register-alert"))
        .await
        .unwrap();
    let analyzer = Env::from_pairs([("BEDROCK_MODEL_ID", MODEL)])
        .analyzer_id()
        .unwrap();
    let out = handlers::record_outcome(&aws.store, &aws.archive, &aws.store, &analyzer, input)
        .await
        .unwrap();
    let incident =
        responder_workflow::ports::IncidentStore::incident(&aws.store, "inc-20261120-687557cf")
            .await
            .unwrap()
            .unwrap();
    (out, incident)
}

#[tokio::test(flavor = "multi_thread")]
async fn record_outcome_marks_the_incident_notified_and_archives_it() {
    let (out, incident) = record_outcome(&event("record-outcome")).await;
    assert_eq!(
        out,
        json!({"incident_id": "inc-20261120-687557cf", "status": "NOTIFIED"})
    );
    assert_eq!(
        incident.notified_channels,
        [Channel::Slack, Channel::Jira, Channel::Email]
    );
    assert_eq!(incident.root_cause.as_deref(), Some("Calls time out"));
}

/// The archive keeps the analysis' most likely cause in one line: what the
/// history tells of this incident when it comes back. A schema v2 cause has
/// an `explanation`, a category and a component (no `cause`).
#[tokio::test(flavor = "multi_thread")]
async fn record_outcome_archives_a_v2_analysis_cause_as_its_headline() {
    let mut input = event("record-outcome");
    input["analysis"]["schema_version"] = json!(2);
    input["analysis"]["root_causes"] = json!([{
        "component": "payment-gateway",
        "category": "dependency_failure",
        "explanation": "Calls to the payment gateway time out (connect ETIMEDOUT 10.20.4.17:443).",
        "confidence": 0.9,
        "evidence": [{"kind": "log", "detail": "PaymentGatewayError: connect ETIMEDOUT 10.20.4.17:443"}]
    }]);
    let (_, incident) = record_outcome(&input).await;
    assert_eq!(
        incident.root_cause.as_deref(),
        Some(
            "Dependency failure in payment-gateway: Calls to the payment gateway time out \
             (connect ETIMEDOUT 10.20.4.17:443)."
        )
    );
}
