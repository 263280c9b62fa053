//! The API's AWS backend: DynamoDB and S3 on a local moto server (real
//! conditions, index queries and scans), Step Functions, Athena and Logs
//! Insights through aws-smithy-mocks (moto does not run them for real).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/mocks.rs"]
mod mocks;

mod support;

use aws_sdk_athena::operation::get_query_execution::GetQueryExecutionOutput;
use aws_sdk_athena::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_athena::operation::start_query_execution::StartQueryExecutionOutput;
use aws_sdk_athena::types::{
    Datum, QueryExecution, QueryExecutionState, QueryExecutionStatus, ResultSet, Row,
};
use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput as LogsResults;
use aws_sdk_cloudwatchlogs::operation::start_query::StartQueryOutput;
use aws_sdk_cloudwatchlogs::types::QueryStatus;
use aws_sdk_sfn::operation::send_task_success::{SendTaskSuccessError, SendTaskSuccessOutput};
use aws_sdk_sfn::types::error::TaskTimedOut;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use responder_aws::api::AwsApi;
use responder_aws::athena::AthenaHistory;
use responder_aws::bedrock::BedrockAnalyzer;
use responder_aws::dynamodb::DynamoStore;
use responder_aws::logs_insights::{InsightsLogs, search_query};
use responder_aws::poll::Polling;
use responder_aws::s3::S3Archive;
use responder_aws::sfn::SfnExecutions;
use responder_core::{Channel, Incident, IncidentStatus, Severity};
use responder_workflow::Policy;
use responder_workflow::backend::{AuditEntry, Backend, Decision, IncidentFilter, LogSearch};
use responder_workflow::ports::{ApprovalRequest, Approvals, Delivery, IncidentStore, Occurrence};
use serde_json::{Value, json};
use support::{sdk, unique};

fn meta(code: &str) -> aws_smithy_types::error::ErrorMetadata {
    aws_smithy_types::error::ErrorMetadata::builder()
        .code(code)
        .build()
}

fn polling() -> Polling {
    Polling {
        first: std::time::Duration::from_millis(1),
        max: std::time::Duration::from_millis(2),
        deadline: std::time::Duration::from_secs(5),
    }
}

/// The backend over moto (DynamoDB, S3) and the given mocks.
async fn api(store: DynamoStore, sfn: &[&Rule], athena: &[&Rule], logs: &[&Rule]) -> AwsApi {
    let sdk = sdk().await;
    let (s3, bucket) = support::s3_bucket().await;
    AwsApi {
        store,
        executions: SfnExecutions::new(
            mock_client!(aws_sdk_sfn, RuleMode::MatchAny, sfn),
            "arn:aws:states:us-east-1:111122223333:stateMachine:IncidentResponse".to_owned(),
        ),
        athena: AthenaHistory::new(
            mock_client!(aws_sdk_athena, RuleMode::MatchAny, athena),
            "responder".to_owned(),
            "incidents".to_owned(),
            polling(),
        ),
        logs: InsightsLogs::new(
            mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, logs),
            [(
                "checkout-api".to_owned(),
                vec!["/aws/lambda/checkout-api".to_owned()],
            )]
            .into(),
            polling(),
            mocks::no_discovery(),
        ),
        analyzer: BedrockAnalyzer::from_sdk(
            &sdk,
            &responder_aws::config::Env::from_pairs([(
                "BEDROCK_MODEL_ID",
                "anthropic.claude-3-5-sonnet",
            )]),
        )
        .unwrap(),
        archive: S3Archive::new(s3, bucket),
        policy: Policy::default(),
    }
}

fn incident(id: &str, status: IncidentStatus, opened_at: &str, service: &str) -> Incident {
    Incident {
        id: id.to_owned(),
        // One open incident per signature: each test incident has its own.
        signature: format!("sig-{id}"),
        resource: format!("arn:aws:cloudwatch:us-east-1:111122223333:alarm:{service}-errors"),
        title: format!("{service}-errors"),
        severity: Severity::High,
        status,
        opened_at: opened_at.to_owned(),
        last_seen_at: opened_at.to_owned(),
        occurrences: 1,
        resolved_at: None,
        time_to_recover_seconds: None,
        notified_channels: Vec::new(),
        triggering_alarms: Vec::new(),
        root_cause: None,
        service: Some(service.to_owned()),
        subject: None,
        version: 1,
    }
}

async fn seed(store: &DynamoStore, incident: &Incident) {
    let occurrence = Occurrence {
        dedup_key: unique("dedup"),
        execution_id: "arn:aws:states:us-east-1:111122223333:execution:IncidentResponse:x"
            .to_owned(),
        incident_id: Some(incident.id.clone()),
        decision: responder_core::Decision::New,
        received_at: incident.opened_at.clone(),
    };
    let written = store.register(&occurrence, Some(incident)).await.unwrap();
    assert_eq!(written, responder_workflow::ports::Write::Done);
}

async fn approval(store: &DynamoStore, incident_id: &str, minutes_left: i64) -> String {
    let now = chrono::Utc::now();
    let id = unique("apr");
    store
        .put_request(&ApprovalRequest {
            id: id.clone(),
            incident_id: incident_id.to_owned(),
            token: format!("token-for-{id}"),
            channels: vec![Channel::Slack, Channel::Email],
            requested_at: now.to_rfc3339(),
            expires_at: (now + chrono::Duration::minutes(minutes_left)).to_rfc3339(),
        })
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn incidents_are_listed_across_statuses_most_recent_first_and_filtered() {
    let store = support::dynamo_store().await;
    for (id, status, at, service) in [
        (
            "inc-a",
            IncidentStatus::Open,
            "2026-11-18T10:00:00Z",
            "checkout-api",
        ),
        (
            "inc-b",
            IncidentStatus::Notified,
            "2026-11-20T10:00:00Z",
            "search",
        ),
        (
            "inc-c",
            IncidentStatus::PendingApproval,
            "2026-11-19T10:00:00Z",
            "checkout-api",
        ),
    ] {
        seed(&store, &incident(id, status, at, service)).await;
    }
    let api = api(store, &[], &[], &[]).await;
    let ids = |incidents: Vec<Incident>| incidents.into_iter().map(|i| i.id).collect::<Vec<_>>();
    let all = api
        .list_incidents(&IncidentFilter {
            limit: 10,
            ..IncidentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(all), ["inc-b", "inc-c", "inc-a"]);
    let checkout = api
        .list_incidents(&IncidentFilter {
            service: Some("checkout-api".to_owned()),
            limit: 1,
            ..IncidentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(checkout), ["inc-c"]);
    let recent = api
        .list_incidents(&IncidentFilter {
            since: Some("2026-11-19T00:00:00Z".to_owned()),
            limit: 10,
            ..IncidentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(recent), ["inc-b", "inc-c"]);
}

#[tokio::test]
async fn a_decision_answers_the_task_token_once() {
    let store = support::dynamo_store().await;
    seed(
        &store,
        &incident(
            "inc-d",
            IncidentStatus::PendingApproval,
            "2026-11-20T10:00:00Z",
            "checkout-api",
        ),
    )
    .await;
    let approval_id = approval(&store, "inc-d", 15).await;
    let token = format!("token-for-{approval_id}");
    let success = mock!(aws_sdk_sfn::Client::send_task_success)
        .match_requests(move |r| {
            let output: Value = serde_json::from_str(r.output().unwrap()).unwrap();
            r.task_token() == Some(token.as_str())
                && output["decision"] == "APPROVED_WITH_EDITS"
                && output["channels"] == json!(["slack"])
                && output["approver"] == "arn:aws:iam::111122223333:user/alice"
        })
        .then_output(|| SendTaskSuccessOutput::builder().build());
    let api = api(store, &[&success], &[], &[]).await;
    let pending = api.pending_approvals().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].title, "checkout-api-errors");
    let decision = Decision::Approve {
        comment: None,
        severity: None,
        channels: Some(vec![Channel::Slack]),
        summary: None,
    };
    let decided = api
        .decide("inc-d", &decision, "arn:aws:iam::111122223333:user/alice")
        .await
        .unwrap();
    assert_eq!(decided.decision, "APPROVED_WITH_EDITS");
    assert_eq!(decided.approval_id, approval_id);
    assert!(api.pending_approvals().await.unwrap().is_empty());
    let again = api.decide("inc-d", &decision, "bob").await.unwrap_err();
    assert_eq!(again.name, "Conflict");
    // An id nobody knows is not a conflict: it is not found.
    let unknown = api.decide("inc-nope", &decision, "bob").await.unwrap_err();
    assert_eq!(unknown.name, "NotFound", "{unknown}");
    assert_eq!(success.num_calls(), 1);
}

#[tokio::test]
async fn a_token_that_timed_out_is_a_conflict() {
    let store = support::dynamo_store().await;
    seed(
        &store,
        &incident(
            "inc-e",
            IncidentStatus::PendingApproval,
            "2026-11-20T10:00:00Z",
            "search",
        ),
    )
    .await;
    approval(&store, "inc-e", 15).await;
    let timed_out = mock!(aws_sdk_sfn::Client::send_task_success).then_error(|| {
        SendTaskSuccessError::TaskTimedOut(
            TaskTimedOut::builder().meta(meta("TaskTimedOut")).build(),
        )
    });
    let api = api(store, &[&timed_out], &[], &[]).await;
    let decision = Decision::Approve {
        comment: None,
        severity: None,
        channels: None,
        summary: None,
    };
    let error = api.decide("inc-e", &decision, "alice").await.unwrap_err();
    assert_eq!(error.name, "Conflict", "{error}");
    assert!(
        api.pending_approvals().await.unwrap().is_empty(),
        "marked EXPIRED"
    );
}

/// Step Functions throttles the answer past the SDK's three attempts: the
/// decision stays recorded, and the client's retry gives it (once), where a
/// second decision is refused.
#[tokio::test]
async fn a_decision_step_functions_did_not_take_is_given_by_the_retry() {
    let store = support::dynamo_store().await;
    seed(
        &store,
        &incident(
            "inc-t",
            IncidentStatus::PendingApproval,
            "2026-11-20T10:00:00Z",
            "checkout-api",
        ),
    )
    .await;
    let approval_id = approval(&store, "inc-t", 15).await;
    let throttled_then_taken = mock!(aws_sdk_sfn::Client::send_task_success)
        .sequence()
        .error(|| SendTaskSuccessError::generic(meta("ThrottlingException")))
        .times(3)
        .output(|| SendTaskSuccessOutput::builder().build())
        .build();
    let api = api(store.clone(), &[&throttled_then_taken], &[], &[]).await;
    let decision = Decision::Approve {
        comment: Some("seen it, go".into()),
        severity: None,
        channels: None,
        summary: None,
    };
    let error = api.decide("inc-t", &decision, "alice").await.unwrap_err();
    assert_eq!(error.name, "Unavailable", "{error}");
    let kept = store.unanswered(Some("inc-t")).await.unwrap();
    assert_eq!(kept.len(), 1, "the decision is recorded, not lost");
    assert_eq!(kept[0].approval_id, approval_id);
    assert_eq!(kept[0].decision, "APPROVED");

    let reject = Decision::Reject {
        reason: "too late".into(),
    };
    let decided = api.decide("inc-t", &decision, "alice").await.unwrap();
    assert_eq!(decided.decision, "APPROVED");
    assert_eq!(decided.approval_id, approval_id);
    assert!(store.unanswered(None).await.unwrap().is_empty());
    let refused = api.decide("inc-t", &reject, "bob").await.unwrap_err();
    assert_eq!(refused.name, "Conflict", "{refused}");
    assert_eq!(throttled_then_taken.num_calls(), 4);
}

#[tokio::test]
async fn the_incident_view_gathers_analysis_deliveries_and_the_report() {
    let store = support::dynamo_store().await;
    let inc = incident(
        "inc-f",
        IncidentStatus::Notified,
        "2026-11-20T10:00:00Z",
        "checkout-api",
    );
    seed(&store, &inc).await;
    let alert = responder_core::normalize(
        include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json"),
        &responder_core::NormalizeOptions::default(),
    )
    .unwrap()
    .remove(0);
    let analysis =
        responder_core::analysis::RuleAnalyzer.analyze(&responder_core::analysis::AnalysisInput {
            alert: alert.clone(),
            history: None,
            logs: None,
            changes: None,
        });
    store
        .record_analysis(
            "inc-f",
            &responder_workflow::ports::Analyzed {
                analysis,
                usage: None,
            },
        )
        .await
        .unwrap();
    for channel in [Channel::Slack, Channel::Email] {
        store
            .record_delivery(&Delivery {
                incident_id: "inc-f".to_owned(),
                channel,
                kind: "incident".to_owned(),
                status: "SENT".to_owned(),
                location: Some(format!("{channel}-location")),
                error: None,
            })
            .await
            .unwrap();
    }
    let api = api(store, &[], &[], &[]).await;
    api.archive
        .put_report("inc-f", &json!({"incident": inc, "alert": alert}))
        .await
        .unwrap();
    let view = api.incident_view("inc-f").await.unwrap().unwrap();
    assert_eq!(view["incident"]["id"], "inc-f");
    assert_eq!(view["alert"]["title"], "checkout-api-errors");
    assert!(
        view["analysis"]["summary"]
            .as_str()
            .unwrap()
            .contains("checkout-api-errors")
    );
    let channels: Vec<&str> = view["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["email", "slack"]);
    assert!(api.incident_view("inc-missing").await.unwrap().is_none());
}

#[tokio::test]
async fn audit_entries_stay_out_of_incident_lists() {
    let store = support::dynamo_store().await;
    seed(
        &store,
        &incident(
            "inc-g",
            IncidentStatus::Open,
            "2026-11-20T10:00:00Z",
            "search",
        ),
    )
    .await;
    let api = api(store, &[], &[], &[]).await;
    let entry = AuditEntry::of(
        "arn:aws:iam::111122223333:user/alice",
        "resolve_incident",
        Some("inc-g".to_owned()),
        json!({"incident_id": "inc-g"}),
        &Ok::<(), responder_workflow::backend::error::ApiError>(()),
    );
    api.audit(&entry).await.unwrap();
    api.audit(&entry).await.unwrap();
    let listed = api
        .list_incidents(&IncidentFilter {
            limit: 10,
            ..IncidentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let resolved = api.resolve("inc-g", "restarted the pod").await.unwrap();
    assert_eq!(resolved.status, IncidentStatus::Resolved);
    assert_eq!(
        api.resolve("inc-g", "again").await.unwrap_err().name,
        "Conflict"
    );
}

#[tokio::test]
async fn archive_sql_runs_on_athena_with_its_header() {
    let start = mock!(aws_sdk_athena::Client::start_query_execution)
        .match_requests(|r| r.query_string() == Some("SELECT signature, count(*) AS n FROM incident_history GROUP BY signature LIMIT 100"))
        .then_output(|| StartQueryExecutionOutput::builder().query_execution_id("q-9").build());
    let status = mock!(aws_sdk_athena::Client::get_query_execution).then_output(|| {
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
    let row = |cells: &[&str]| {
        Row::builder()
            .set_data(Some(
                cells
                    .iter()
                    .map(|c| Datum::builder().var_char_value(*c).build())
                    .collect(),
            ))
            .build()
    };
    let results = mock!(aws_sdk_athena::Client::get_query_results).then_output(move || {
        GetQueryResultsOutput::builder()
            .result_set(
                ResultSet::builder()
                    .rows(row(&["signature", "n"]))
                    .rows(row(&["sig-a", "3"]))
                    .build(),
            )
            .build()
    });
    let api = api(
        support::dynamo_store().await,
        &[],
        &[&start, &status, &results],
        &[],
    )
    .await;
    let rows = api
        .query_archive(
            "SELECT signature, count(*) AS n FROM incident_history GROUP BY signature LIMIT 100",
        )
        .await
        .unwrap();
    assert_eq!(rows.columns, ["signature", "n"]);
    assert_eq!(rows.rows, vec![vec![json!("sig-a"), json!("3")]]);
}

#[tokio::test]
async fn a_log_search_cannot_change_the_query() {
    assert_eq!(
        search_query("a/b.c | stats count(*)", 5),
        "fields @timestamp, @message, @log, @logStream, @ptr | filter @message like /(?i)a\\/b\\.c \\| stats count\\(\\*\\)/ | sort @timestamp desc | limit 5"
    );
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .match_requests(|r| {
            r.log_group_names() == ["/aws/lambda/checkout-api"]
                && r.query_string()
                    .is_some_and(|q| q.contains("like /(?i)timeout/"))
        })
        .then_output(|| StartQueryOutput::builder().query_id("q-2").build());
    let results = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results)
        .then_output(|| LogsResults::builder().status(QueryStatus::Complete).build());
    let api = api(support::dynamo_store().await, &[], &[], &[&start, &results]).await;
    let now = chrono::Utc::now();
    let found = api
        .search_logs(&LogSearch {
            log_groups: Vec::new(),
            filter: "timeout".to_owned(),
            start: now - chrono::Duration::hours(1),
            end: now,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(found.is_empty());
    assert_eq!(start.num_calls(), 1, "the configured groups were read");
}
