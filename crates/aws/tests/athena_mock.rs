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
        since: "2026-10-21T09:13:00.000Z".into(),
    }
}

#[test]
fn parameters_are_quoted_literals_with_quotes_doubled() {
    assert_eq!(literal("checkout"), "'checkout'");
    assert_eq!(literal("x' OR '1'='1"), "'x'' OR ''1''=''1'");
    assert_eq!(literal(r"back\slash"), r"'back\slash'");
}

#[tokio::test]
async fn the_summary_polls_until_done_and_reads_both_queries() {
    let start = mock!(Client::start_query_execution)
        .match_requests(|r| {
            r.work_group() == Some("incident-responder")
                && r.query_execution_context().and_then(|c| c.database())
                    == Some("incident_responder")
                && r.execution_parameters().first().map(String::as_str)
                    == Some("'4d94d9dc5d592e8cee09692a32289ccc'")
                && r.execution_parameters().len() == 3
        })
        .then_compute_output(|r| {
            let id = if r.query_string().unwrap_or_default().contains("COUNT(*)") {
                "q-summary"
            } else {
                "q-causes"
            };
            StartQueryExecutionOutput::builder()
                .query_execution_id(id)
                .build()
        });
    let running = mock!(Client::get_query_execution)
        .sequence()
        .output(|| state(QueryExecutionState::Running))
        .times(2)
        .output(|| state(QueryExecutionState::Succeeded))
        .repeatedly()
        .build();
    let summary = mock!(Client::get_query_results)
        .match_requests(|r| r.query_execution_id() == Some("q-summary"))
        .then_output(|| {
            GetQueryResultsOutput::builder()
                .result_set(
                    ResultSet::builder()
                        .rows(row(&[
                            Some("occurrences"),
                            Some("first_seen"),
                            Some("last_seen"),
                            Some("mean_time_to_recover_seconds"),
                        ]))
                        .rows(row(&[
                            Some("2"),
                            Some("2026-11-05T08:02:00Z"),
                            Some("2026-11-13T16:40:00Z"),
                            Some("1530.0"),
                        ]))
                        .build(),
                )
                .build()
        });
    let causes = mock!(Client::get_query_results)
        .match_requests(|r| r.query_execution_id() == Some("q-causes"))
        .then_output(|| {
            GetQueryResultsOutput::builder()
                .result_set(
                    ResultSet::builder()
                        .rows(row(&[Some("root_cause"), Some("resolution")]))
                        .rows(row(&[
                            Some("Connection pool exhausted"),
                            Some("Raised the pool size"),
                        ]))
                        .rows(row(&[Some("Bad deploy"), None]))
                        .build(),
                )
                .build()
        });
    let client = mock_client!(
        aws_sdk_athena,
        RuleMode::MatchAny,
        [&start, &running, &summary, &causes]
    );
    let found = history(client).summary(&query()).await.unwrap();
    assert_eq!(found.count, 2);
    assert_eq!(found.first_seen.as_deref(), Some("2026-11-05T08:02:00Z"));
    assert_eq!(found.mean_time_to_recover_seconds, Some(1530.0));
    assert_eq!(
        found.previous_root_causes,
        ["Connection pool exhausted", "Bad deploy"]
    );
    assert_eq!(found.previous_resolutions, ["Raised the pool size"]);
    assert_eq!(start.num_calls(), 2);
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

#[tokio::test]
async fn a_count_that_is_not_a_number_is_history_failed() {
    let start = started("q1");
    let done = in_state(QueryExecutionState::Succeeded);
    let results = mock!(Client::get_query_results).then_output(|| {
        GetQueryResultsOutput::builder()
            .result_set(
                ResultSet::builder()
                    .rows(row(&[Some("occurrences")]))
                    .rows(row(&[Some("many")]))
                    .build(),
            )
            .build()
    });
    let client = mock_client!(
        aws_sdk_athena,
        RuleMode::MatchAny,
        [&start, &done, &results]
    );
    let error = history(client).summary(&query()).await.unwrap_err();
    assert_eq!(error.name(), "History.Failed");
    assert!(error.message().contains("'many'"), "{error}");
}
