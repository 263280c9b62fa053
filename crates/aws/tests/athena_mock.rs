//! The Athena history adapter against mocked responses: parameters as
//! escaped literals, polling, pagination, failures and malformed results.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

/// The code AWS puts on an error response (the SDK reads it from the body).
fn meta(code: &str) -> aws_smithy_types::error::ErrorMetadata {
    aws_smithy_types::error::ErrorMetadata::builder()
        .code(code)
        .build()
}

use std::time::Duration;

use aws_sdk_athena::Client;
use aws_sdk_athena::operation::get_query_execution::GetQueryExecutionOutput;
use aws_sdk_athena::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_athena::operation::start_query_execution::{
    StartQueryExecutionError, StartQueryExecutionOutput,
};
use aws_sdk_athena::operation::stop_query_execution::StopQueryExecutionOutput;
use aws_sdk_athena::types::error::TooManyRequestsException;
use aws_sdk_athena::types::{
    Datum, QueryExecution, QueryExecutionState, QueryExecutionStatus, ResultSet, Row,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use responder_aws::athena::{AthenaHistory, literal};
use responder_aws::poll::Polling;
use responder_workflow::ports::{History, HistoryQuery};

fn row(cells: &[Option<&str>]) -> Row {
    let mut row = Row::builder();
    for cell in cells {
        row = row.data(
            Datum::builder()
                .set_var_char_value(cell.map(str::to_owned))
                .build(),
        );
    }
    row.build()
}

fn state(state: QueryExecutionState) -> GetQueryExecutionOutput {
    GetQueryExecutionOutput::builder()
        .query_execution(
            QueryExecution::builder()
                .status(
                    QueryExecutionStatus::builder()
                        .state(state)
                        .state_change_reason("SYNTAX_ERROR: line 1:8")
                        .build(),
                )
                .build(),
        )
        .build()
}

/// StartQueryExecution answering with the query id `id`.
fn started(id: &'static str) -> Rule {
    mock!(Client::start_query_execution).then_output(move || {
        StartQueryExecutionOutput::builder()
            .query_execution_id(id)
            .build()
    })
}

/// GetQueryExecution answering `state` every time.
fn in_state(state_now: QueryExecutionState) -> Rule {
    mock!(Client::get_query_execution).then_output(move || state(state_now.clone()))
}

fn history(client: Client) -> AthenaHistory {
    AthenaHistory::new(
        client,
        "incident-responder".into(),
        "incident_responder".into(),
        Polling::immediate(Duration::from_secs(5)),
    )
}

fn query() -> HistoryQuery {
    HistoryQuery {
        signature: "4d94d9dc5d592e8cee09692a32289ccc".into(),
        resource: "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-errors".into(),
        resource_parts: vec!["checkout-api".into()],
        service: Some("checkout-api".into()),
        since: "2026-08-22T09:13:00.000Z".into(),
    }
}

#[test]
fn parameters_are_quoted_literals_with_quotes_doubled() {
    assert_eq!(literal("checkout"), "'checkout'");
    assert_eq!(literal("x' OR '1'='1"), "'x'' OR ''1''=''1'");
    assert_eq!(literal(r"back\slash"), r"'back\slash'");
}

#[tokio::test]
async fn candidates_poll_until_done_with_every_value_a_parameter() {
    let start = mock!(Client::start_query_execution)
        .match_requests(|r| {
            let sql = r.query_string().unwrap_or_default();
            r.work_group() == Some("incident-responder")
                && r.query_execution_context().and_then(|c| c.database())
                    == Some("incident_responder")
                && !sql.contains("checkout")
                && r.execution_parameters()
                    == [
                        "'2026-08-22T09:13:00.000Z'",
                        "'4d94d9dc5d592e8cee09692a32289ccc'",
                        "'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-errors'",
                        "'checkout-api'",
                        "'%checkout-api%'",
                    ]
        })
        .then_output(|| {
            StartQueryExecutionOutput::builder()
                .query_execution_id("q-candidates")
                .build()
        });
    let running = mock!(Client::get_query_execution)
        .sequence()
        .output(|| state(QueryExecutionState::Running))
        .times(2)
        .output(|| state(QueryExecutionState::Succeeded))
        .repeatedly()
        .build();
    let results = mock!(Client::get_query_results).then_output(|| {
        GetQueryResultsOutput::builder()
            .result_set(
                ResultSet::builder()
                    .rows(row(&[
                        Some("incident_id"),
                        Some("signature"),
                        Some("resource"),
                        Some("subject"),
                        Some("service"),
                        Some("opened_at"),
                        Some("root_cause"),
                        Some("resolution"),
                        Some("time_to_recover_seconds"),
                    ]))
                    .rows(row(&[
                        Some("inc-20261113-00000002"),
                        Some("4d94d9dc5d592e8cee09692a32289ccc"),
                        Some("arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-errors"),
                        Some("AWS/Lambda Errors checkout-api"),
                        Some("checkout-api"),
                        Some("2026-11-13T16:40:00Z"),
                        Some("Connection pool exhausted"),
                        Some("Raised the pool size"),
                        Some("1530.0"),
                    ]))
                    .rows(row(&[
                        Some("inc-20261105-00000001"),
                        Some("9999aaaa9999aaaa9999aaaa9999aaaa"),
                        Some(
                            "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-duration",
                        ),
                        None,
                        None,
                        Some("2026-11-05T08:02:00Z"),
                        None,
                        None,
                        None,
                    ]))
                    .build(),
            )
            .build()
    });
    let client = mock_client!(
        aws_sdk_athena,
        RuleMode::MatchAny,
        [&start, &running, &results]
    );
    let found = history(client).candidates(&query()).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(
        found[0].subject.as_deref(),
        Some("AWS/Lambda Errors checkout-api")
    );
    assert_eq!(found[0].time_to_recover_seconds, Some(1530));
    assert_eq!(found[0].resolution.as_deref(), Some("Raised the pool size"));
    assert_eq!(found[1].root_cause, None);
    assert_eq!(found[1].subject, None);
    assert_eq!(start.num_calls(), 1);
}

#[tokio::test]
async fn results_are_read_across_pages_with_the_header_skipped_once() {
    let start = started("q1");
    let done = in_state(QueryExecutionState::Succeeded);
    let page1 = mock!(Client::get_query_results)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            GetQueryResultsOutput::builder()
                .result_set(
                    ResultSet::builder()
                        .rows(row(&[Some("root_cause")]))
                        .rows(row(&[Some("a")]))
                        .build(),
                )
                .next_token("page-2")
                .build()
        });
    let page2 = mock!(Client::get_query_results)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            GetQueryResultsOutput::builder()
                .result_set(ResultSet::builder().rows(row(&[Some("b")])).build())
                .build()
        });
    let client = mock_client!(
        aws_sdk_athena,
        RuleMode::MatchAny,
        [&start, &done, &page1, &page2]
    );
    let rows = history(client)
        .rows("SELECT root_cause FROM incident_history", &[])
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![vec![Some("a".to_owned())], vec![Some("b".to_owned())]]
    );
}

#[tokio::test]
async fn a_failed_query_is_history_failed_with_athenas_reason() {
    let start = started("q1");
    let failed = in_state(QueryExecutionState::Failed);
    let client = mock_client!(aws_sdk_athena, RuleMode::MatchAny, [&start, &failed]);
    let error = history(client).rows("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(error.name(), "History.Failed");
    assert!(error.message().contains("SYNTAX_ERROR"), "{error}");
}

#[tokio::test]
async fn a_query_past_its_deadline_is_stopped_and_transient() {
    let start = started("q1");
    let running = in_state(QueryExecutionState::Running);
    let stop = mock!(Client::stop_query_execution)
        .then_output(|| StopQueryExecutionOutput::builder().build());
    let client = mock_client!(
        aws_sdk_athena,
        RuleMode::MatchAny,
        [&start, &running, &stop]
    );
    let slow = AthenaHistory::new(
        client,
        "wg".into(),
        "db".into(),
        Polling {
            first: Duration::from_millis(1),
            max: Duration::from_millis(2),
            deadline: Duration::from_millis(20),
        },
    );
    let error = slow.rows("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(error.name(), "History.Transient");
    assert_eq!(stop.num_calls(), 1);
}

#[tokio::test]
async fn throttling_is_transient() {
    let start = mock!(Client::start_query_execution).then_error(|| {
        StartQueryExecutionError::TooManyRequestsException(
            TooManyRequestsException::builder()
                .meta(meta("TooManyRequestsException"))
                .message("Rate exceeded")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_athena, RuleMode::MatchAny, [&start]);
    let error = history(client).rows("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(error.name(), "History.Transient");
}
