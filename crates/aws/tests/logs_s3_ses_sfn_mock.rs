//! Logs Insights, S3, SES v2 and Step Functions adapters against mocked
//! responses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/mocks.rs"]
mod mocks;

/// The code AWS puts on an error response (the SDK reads it from the body).
fn meta(code: &str) -> aws_smithy_types::error::ErrorMetadata {
    aws_smithy_types::error::ErrorMetadata::builder()
        .code(code)
        .build()
}

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_cloudwatchlogs::operation::start_query::{StartQueryError, StartQueryOutput};
use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
use aws_sdk_cloudwatchlogs::types::{QueryStatus, ResultField};
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_sdk_sesv2::operation::send_email::{SendEmailError, SendEmailOutput};
use aws_sdk_sesv2::types::error::TooManyRequestsException;
use aws_sdk_sfn::operation::send_task_success::{SendTaskSuccessError, SendTaskSuccessOutput};
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_sdk_sfn::types::error::{ExecutionAlreadyExists, TaskTimedOut};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use responder_aws::logs_insights::{InsightsLogs, sample_query, signal_query};
use responder_aws::poll::Polling;
use responder_aws::s3::S3Archive;
use responder_aws::ses::SesMailer;
use responder_aws::sfn::{SfnExecutions, execution_name};
use responder_core::context::{WindowSettings, Windows};
use responder_core::{NormalizeOptions, normalize};
use responder_workflow::ports::{Archive, ArchiveRecord, Executions, LogSource};
use responder_workflow::render::Email;
use serde_json::json;

fn alert() -> responder_core::Alert {
    let text = include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json");
    normalize(text, &NormalizeOptions::default())
        .unwrap()
        .remove(0)
}

fn field(name: &str, value: &str) -> ResultField {
    ResultField::builder().field(name).value(value).build()
}

/// The windows of the demo alarm (09:14:07 state change, 60 minutes
/// before and 10 after; the baseline as long, right before).
fn windows() -> Windows {
    Windows::of(&alert(), WindowSettings::default())
}

#[tokio::test]
async fn logs_insights_reads_every_line_of_trouble_and_samples_both_windows() {
    let windows = windows();
    let incident = (
        windows.incident.start.timestamp(),
        windows.incident.end.timestamp(),
    );
    let baseline = (
        windows.baseline.start.timestamp(),
        windows.baseline.end.timestamp(),
    );
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .match_requests(|r| {
            r.log_group_names() == ["/aws/lambda/checkout-api"] && r.limit() == Some(10_000)
        })
        .then_compute_output(move |r| {
            let span = (r.start_time().unwrap(), r.end_time().unwrap());
            let filtered = r.query_string().unwrap().contains("filter");
            let id = match (span == incident, span == baseline, filtered) {
                (true, _, true) => "q-signals",
                (true, _, false) => "q-incident",
                (_, true, false) => "q-baseline",
                _ => "q-unexpected",
            };
            StartQueryOutput::builder().query_id(id).build()
        });
    let row = |at: &str, message: &str, ptr: &str| {
        vec![
            field("@timestamp", at),
            field("@message", message),
            field("@log", "111122223333:/aws/lambda/checkout-api"),
            field("@logStream", "2026/11/20/[$LATEST]7d1f0c2e9a4b"),
            field("@ptr", ptr),
        ]
    };
    let results =
        mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_compute_output(move |r| {
            let rows = match r.query_id().unwrap() {
                "q-signals" => vec![row(
                    "2026-11-20 09:12:41.000",
                    "ERROR too many connections for role \"checkout\"",
                    "p1",
                )],
                "q-incident" => vec![
                    row(
                        "2026-11-20 09:12:41.000",
                        "ERROR too many connections for role \"checkout\"",
                        "p1",
                    ),
                    row(
                        "2026-11-20 09:12:40.000",
                        "START RequestId: 1f0c Version: $LATEST",
                        "p2",
                    ),
                ],
                "q-baseline" => vec![row(
                    "2026-11-20 07:40:00.000",
                    "START RequestId: 9a4b Version: $LATEST",
                    "p3",
                )],
                other => panic!("unexpected query {other}"),
            };
            GetQueryResultsOutput::builder()
                .status(QueryStatus::Complete)
                .set_results(Some(rows))
                .build()
        });
    let client = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::MatchAny,
        [&start, &results]
    );
    let logs = InsightsLogs::new(
        client,
        BTreeMap::new(),
        Polling::immediate(Duration::from_secs(5)),
        mocks::no_discovery(),
    );
    let read = logs
        .read(&["/aws/lambda/checkout-api".to_owned()], &windows)
        .await
        .unwrap();
    assert_eq!(start.num_calls(), 3);
    let (group, events) = &read[0];
    assert_eq!(group, "/aws/lambda/checkout-api");
    // The line both the trouble query and the sample returned is one event.
    let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "START RequestId: 9a4b Version: $LATEST",
            "START RequestId: 1f0c Version: $LATEST",
            "ERROR too many connections for role \"checkout\"",
        ]
    );
    assert_eq!(
        events[2].stream.as_deref(),
        Some("2026/11/20/[$LATEST]7d1f0c2e9a4b")
    );
}

#[tokio::test]
async fn a_missing_log_group_is_logs_failed() {
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query).then_error(|| {
        StartQueryError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .meta(meta("ResourceNotFoundException"))
                .message("Log group does not exist")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&start]);
    let logs = InsightsLogs::new(
        client,
        BTreeMap::new(),
        Polling::immediate(Duration::from_secs(5)),
        mocks::no_discovery(),
    );
    let error = logs
        .read(&["/aws/lambda/gone".to_owned()], &windows())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Logs.Failed");
}

#[test]
fn the_insights_queries_hold_only_our_words() {
    let q = signal_query();
    assert!(
        q.starts_with("fields @timestamp, @message, @log, @logStream, @ptr | filter @message like /(?i)(panic|"),
        "{q}"
    );
    assert!(q.contains("task\\stimed\\sout"));
    assert!(q.ends_with("| sort @timestamp desc | limit 10000"));
    assert!(!sample_query().contains("filter"));
}

#[tokio::test]
async fn the_archive_writes_one_json_line_per_incident_partitioned_by_day() {
    let put = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(|r| {
            r.bucket() == Some("ir-archive")
                && r.key() == Some("incidents/dt=2026-11-20/inc-20261120-687557cf.json")
                && r.content_type() == Some("application/x-ndjson")
        })
        .then_output(|| PutObjectOutput::builder().build());
    let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&put], |c| c
        .force_path_style(true));
    let record = ArchiveRecord {
        incident_id: "inc-20261120-687557cf".into(),
        signature: "4d94d9dc5d592e8cee09692a32289ccc".into(),
        resource: "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-errors".into(),
        subject: None,
        service: Some("checkout-api".into()),
        opened_at: "2026-11-20T09:13:00Z".into(),
        resolved_at: None,
        root_cause: Some("Database connection pool exhausted".into()),
        resolution: None,
        time_to_recover_seconds: None,
    };
    S3Archive::new(client, "ir-archive".into())
        .record(&record)
        .await
        .unwrap();
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn ses_sends_text_and_html_and_names_throttling_transient() {
    let ok = mock!(aws_sdk_sesv2::Client::send_email)
        .match_requests(|r| {
            let simple = r.content().and_then(|c| c.simple()).unwrap();
            r.from_email_address() == Some("incidents@example.com")
                && simple.subject().unwrap().data() == "[HIGH] checkout-api-errors"
                && simple.body().unwrap().html().is_some()
                && simple.body().unwrap().text().is_some()
        })
        .then_output(|| {
            SendEmailOutput::builder()
                .message_id("0102018f-msg")
                .build()
        });
    let email = Email {
        subject: "[HIGH] checkout-api-errors".into(),
        text: "t".into(),
        html: "<p>t</p>".into(),
    };
    let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, [&ok]);
    let mailer = SesMailer::new(
        client,
        "incidents@example.com".into(),
        vec!["oncall@example.com".into()],
    );
    assert_eq!(mailer.send(&email).await.unwrap(), "0102018f-msg");

    let throttled = mock!(aws_sdk_sesv2::Client::send_email).then_error(|| {
        SendEmailError::TooManyRequestsException(
            TooManyRequestsException::builder()
                .meta(meta("TooManyRequestsException"))
                .message("Maximum sending rate exceeded.")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, [&throttled]);
    let mailer = SesMailer::new(
        client,
        "incidents@example.com".into(),
        vec!["oncall@example.com".into()],
    );
    assert_eq!(
        mailer.send(&email).await.unwrap_err().name(),
        "Delivery.Transient"
    );
}

#[test]
fn execution_names_are_stable_short_and_legal() {
    let name = execution_name("687557cfcd05e099754a");
    assert_eq!(name, execution_name("687557cfcd05e099754a"));
    assert_ne!(name, execution_name("687557cfcd05e099754b"));
    assert!(name.len() <= 80 && !name.contains(':') && !name.contains('/'));
    assert!(execution_name(&"x".repeat(10_000)).len() <= 80);
}

#[tokio::test]
async fn an_execution_already_started_under_the_name_is_already_handled() {
    let exists = mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
        StartExecutionError::ExecutionAlreadyExists(
            ExecutionAlreadyExists::builder()
                .meta(meta("ExecutionAlreadyExists"))
                .message("Execution Already Exists")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&exists]);
    let sfn = SfnExecutions::new(
        client,
        "arn:aws:states:eu-west-1:111122223333:stateMachine:ir".into(),
    );
    assert_eq!(sfn.start("alert-abc", &json!({})).await.unwrap(), None);

    let started = mock!(aws_sdk_sfn::Client::start_execution)
        .match_requests(|r| r.name() == Some("alert-abc"))
        .then_output(|| {
            StartExecutionOutput::builder()
                .execution_arn("arn:aws:states:eu-west-1:111122223333:execution:ir:alert-abc")
                .start_date(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .unwrap()
        });
    let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&started]);
    let sfn = SfnExecutions::new(
        client,
        "arn:aws:states:eu-west-1:111122223333:stateMachine:ir".into(),
    );
    assert!(
        sfn.start("alert-abc", &json!({}))
            .await
            .unwrap()
            .unwrap()
            .ends_with(":alert-abc")
    );
}

#[tokio::test]
async fn a_decision_on_a_timed_out_approval_is_approval_expired() {
    let timed_out = mock!(aws_sdk_sfn::Client::send_task_success).then_error(|| {
        SendTaskSuccessError::TaskTimedOut(
            TaskTimedOut::builder()
                .meta(meta("TaskTimedOut"))
                .message("Task Timed Out")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&timed_out]);
    let sfn = SfnExecutions::new(client, "arn".into());
    let error = sfn
        .send_task_success("AQB8AAAAKgAAAAMAAAAA", &json!({"decision": "APPROVED"}))
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Approval.Expired");
    assert!(
        !error.message().contains("AQB8"),
        "the token is not echoed: {error}"
    );

    let ok = mock!(aws_sdk_sfn::Client::send_task_success)
        .then_output(|| SendTaskSuccessOutput::builder().build());
    let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&ok]);
    SfnExecutions::new(client, "arn".into())
        .send_task_success("t", &json!({}))
        .await
        .unwrap();
}
