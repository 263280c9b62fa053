//! The DynamoDB adapter against mocked responses: what each AWS answer
//! becomes (success, conditional-check failure, throttling, malformed items).

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

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::types::error::{
    ConditionalCheckFailedException, ProvisionedThroughputExceededException,
    TransactionCanceledException,
};
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use chrono::{TimeZone, Utc};
use responder_aws::dynamodb::{DynamoStore, Tables};
use responder_core::{Decision, Incident, IncidentStatus, Severity};
use responder_workflow::ports::{
    AnalysisCache, Begin, Idempotency, IncidentStore, Occurrence, Write,
};

fn tables() -> Tables {
    Tables {
        incidents: "incidents".into(),
        occurrences: "occurrences".into(),
        approvals: "approvals".into(),
        cache: "cache".into(),
        idempotency: "idempotency".into(),
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn incident(version: u64) -> Incident {
    Incident {
        id: "inc-20261120-687557cf".into(),
        signature: "4d94d9dc5d592e8cee09692a32289ccc".into(),
        resource: "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-errors".into(),
        title: "checkout-api-errors".into(),
        severity: Severity::High,
        status: IncidentStatus::Open,
        opened_at: "2026-11-20T09:13:00Z".into(),
        last_seen_at: "2026-11-20T09:13:00Z".into(),
        occurrences: 1,
        resolved_at: None,
        time_to_recover_seconds: None,
        notified_channels: vec![],
        triggering_alarms: vec![],
        root_cause: None,
        service: Some("checkout-api".into()),
        subject: None,
        version,
    }
}

fn occurrence() -> Occurrence {
    Occurrence {
        dedup_key: "687557cfcd05e099754a".into(),
        execution_id: "arn:aws:states:eu-west-1:111122223333:execution:ir:1".into(),
        incident_id: Some("inc-20261120-687557cf".into()),
        decision: Decision::New,
        received_at: "2026-11-20T09:13:05.000Z".into(),
    }
}

fn store(client: Client) -> DynamoStore {
    DynamoStore::new(client, tables())
}

#[tokio::test]
async fn a_new_incident_is_one_transaction_with_its_occurrence_and_signature_pointer() {
    let rule = mock!(Client::transact_write_items)
        .match_requests(|r| {
            let items = r.transact_items();
            let puts: Vec<_> = items.iter().filter_map(|i| i.put()).collect();
            items.len() == 3
                && puts[0].table_name() == "occurrences"
                && puts[0].condition_expression() == Some("attribute_not_exists(dedup_key)")
                && puts[1].condition_expression() == Some("attribute_not_exists(id)")
                && puts[1].item()["version"] == AttributeValue::N("1".into())
                && puts[2].item()["id"] == s("open#4d94d9dc5d592e8cee09692a32289ccc")
        })
        .then_output(|| TransactWriteItemsOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    let write = store(client)
        .register(&occurrence(), Some(&incident(1)))
        .await
        .unwrap();
    assert_eq!(write, Write::Done);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_failed_condition_is_a_conflict_to_decide_again() {
    let rule = mock!(Client::transact_write_items).then_error(|| {
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder().meta(meta("TransactionCanceledException"))
                .message("Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]")
                .cancellation_reasons(CancellationReason::builder().code("ConditionalCheckFailed").build())
                .cancellation_reasons(CancellationReason::builder().code("None").build())
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    let write = store(client).register(&occurrence(), None).await.unwrap();
    assert_eq!(write, Write::Conflict);
}

#[tokio::test]
async fn a_denied_transaction_is_rejected_not_retried() {
    // A role without dynamodb:PutItem on the table (make aws-local found
    // it retried as transient): a deployment mistake, no retry fixes it.
    let rule = mock!(Client::transact_write_items).then_error(|| {
        TransactWriteItemsError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("User is not authorized to perform: dynamodb:PutItem")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    let error = store(client)
        .register(&occurrence(), None)
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Store.Rejected", "{error}");
    assert!(error.message().contains("AccessDeniedException"), "{error}");
}

#[tokio::test]
async fn throttling_is_a_transient_store_error() {
    let rule = mock!(Client::get_item).then_error(|| {
        aws_sdk_dynamodb::operation::get_item::GetItemError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .meta(meta("ProvisionedThroughputExceededException"))
                .message(
                    "The level of configured provisioned throughput for the table was exceeded.",
                )
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    let error = store(client).incident("inc-1").await.unwrap_err();
    assert_eq!(error.name(), "Store.Transient");
    assert!(
        error
            .message()
            .contains("ProvisionedThroughputExceededException"),
        "{error}"
    );
}

#[tokio::test]
async fn an_item_without_its_document_is_corrupt_not_a_panic() {
    let rule = mock!(Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .set_item(Some(HashMap::from([("id".to_owned(), s("inc-1"))])))
            .build()
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    let error = store(client).incident("inc-1").await.unwrap_err();
    assert_eq!(error.name(), "Store.Corrupt");
    assert!(error.message().contains("'doc'"), "{error}");
}

#[tokio::test]
async fn an_expired_cache_item_is_a_miss_even_before_ttl_deletes_it() {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    let expired = now.timestamp() - 1;
    let rule = mock!(Client::get_item).then_output(move || {
        GetItemOutput::builder()
            .set_item(Some(HashMap::from([
                ("key".to_owned(), s("k")),
                ("analysis".to_owned(), s("{}")),
                (
                    "expires_at".to_owned(),
                    AttributeValue::N(expired.to_string()),
                ),
            ])))
            .build()
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    assert_eq!(
        AnalysisCache::get(&store(client), "k", now).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn idempotency_returns_the_stored_result_of_a_completed_key() {
    let rule = mock!(Client::put_item)
        .match_requests(|r| {
            r.condition_expression()
                .is_some_and(|c| c.contains("attribute_not_exists(id)"))
        })
        .then_error(|| {
            PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .meta(meta("ConditionalCheckFailedException"))
                    .message("The conditional request failed")
                    .set_item(Some(HashMap::from([
                        ("id".to_owned(), s("deliver:inc-1:slack:incident")),
                        ("status".to_owned(), s("COMPLETED")),
                        (
                            "data".to_owned(),
                            s(r#"{"channel":"slack","status":"SENT"}"#),
                        ),
                    ])))
                    .build(),
            )
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    let now = Utc::now();
    let begin = store(client)
        .begin(
            "deliver:inc-1:slack:incident",
            now,
            now + chrono::Duration::minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(
        begin,
        Begin::Completed(serde_json::json!({"channel": "slack", "status": "SENT"}))
    );
}

#[tokio::test]
async fn idempotency_reports_an_attempt_in_progress() {
    let rule = mock!(Client::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .meta(meta("ConditionalCheckFailedException"))
                .message("The conditional request failed")
                .set_item(Some(HashMap::from([
                    ("id".to_owned(), s("k")),
                    ("status".to_owned(), s("INPROGRESS")),
                ])))
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    let now = Utc::now();
    let begin = store(client).begin("k", now, now).await.unwrap();
    assert_eq!(begin, Begin::InProgress);
}

#[tokio::test]
async fn idempotency_starts_a_new_key() {
    let rule = mock!(Client::put_item)
        .match_requests(|r| r.item().is_some_and(|i| i["status"] == s("INPROGRESS")))
        .then_output(|| PutItemOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    let now = Utc::now();
    assert_eq!(
        store(client).begin("k", now, now).await.unwrap(),
        Begin::Started
    );
}

#[tokio::test]
async fn listing_by_status_reads_the_index_newest_first() {
    let doc = serde_json::to_string(&incident(2)).unwrap();
    let rule = mock!(Client::query)
        .match_requests(|r| {
            r.index_name() == Some("by_status") && r.scan_index_forward() == Some(false)
        })
        .then_output(move || {
            QueryOutput::builder()
                .items(HashMap::from([
                    ("id".to_owned(), s("inc-20261120-687557cf")),
                    ("doc".to_owned(), s(&doc)),
                ]))
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule]);
    let found = store(client).incidents_by_status("OPEN", 20).await.unwrap();
    assert_eq!(found, vec![incident(2)]);
}
