//! CloudTrail `LookupEvents` as QueryChanges reads it: paging, the pace
//! that keeps it under 2 calls a second per account and region (measured
//! on tokio's paused clock, not by sleeping), its page bound, and its
//! throttling as `Changes.Transient`. Answers are HTTP responses in the
//! awsJson 1.1 shape CloudTrail sends.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/mocks.rs"]
mod mocks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_mocks::{MockResponse, RuleMode, mock, mock_client};
use chrono::{TimeZone, Utc};
use mocks::{amz_json, amz_json_error};
use responder_aws::cloudtrail::{CloudTrailChanges, MAX_PAGES};
use responder_core::context::Span;
use responder_workflow::ports::Changes;
use tokio::time::Instant;

/// The demo incident's read span: the baseline and incident windows.
fn span() -> Span {
    Span {
        start: Utc.with_ymd_and_hms(2026, 11, 20, 7, 4, 7).unwrap(),
        end: Utc.with_ymd_and_hms(2026, 11, 20, 9, 24, 7).unwrap(),
    }
}

/// A page of one write event, pointing at `next` when there is one.
fn page(index: usize, next: Option<String>) -> String {
    let next = next.map_or_else(String::new, |t| format!(r#","NextToken":"{t}""#));
    let detail = r#"{\"eventVersion\":\"1.08\",\"eventSource\":\"lambda.amazonaws.com\",\"eventName\":\"UpdateFunctionConfiguration20150331v2\",\"requestParameters\":{\"functionName\":\"checkout-api\",\"timeout\":3}}"#;
    format!(
        r#"{{"Events":[{{"EventId":"3f6a1c2e-9b7d-4e58-a1c0-{index:012}","EventName":"UpdateFunctionConfiguration20150331v2","ReadOnly":"false","AccessKeyId":"ASIAQ3EGUWTFEXAMPLE","EventTime":{time}.0,"EventSource":"lambda.amazonaws.com","Username":"deploy-bot","Resources":[{{"ResourceType":"AWS::Lambda::Function","ResourceName":"checkout-api"}}],"CloudTrailEvent":"{detail}"}}]{next}}}"#,
        time = 1_795_166_047 - 60 * (index as i64 + 1),
    )
}

/// CloudTrail answering `pages` pages (then always one more when
/// `endless`), recording when each request arrived.
fn cloudtrail(
    pages: usize,
    endless: bool,
) -> (
    CloudTrailChanges,
    aws_smithy_mocks::Rule,
    Arc<Mutex<Vec<Instant>>>,
) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_compute_response(move |r| {
        let mut seen = seen.lock().unwrap();
        seen.push(Instant::now());
        let index = seen.len() - 1;
        // Writes only, within the span, 50 a page at most.
        assert_eq!(r.lookup_attributes()[0].attribute_value(), "false");
        assert_eq!(r.max_results(), Some(50));
        assert_eq!(r.next_token().is_some(), index > 0);
        let next = (endless || index + 1 < pages).then(|| format!("page-{}", index + 2));
        MockResponse::Http(amz_json(200, &page(index, next)))
    });
    let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(aws_sdk_cloudtrail::config::retry::RetryConfig::disabled()));
    (CloudTrailChanges::new(client), rule, arrivals)
}

#[tokio::test(start_paused = true)]
async fn lookup_events_reads_every_page_at_most_two_calls_a_second() {
    // GIVEN three pages
    let (changes, rule, arrivals) = cloudtrail(3, false);
    // WHEN the changes are looked up
    let started = Instant::now();
    let events = changes.lookup(span()).await.unwrap();
    // THEN every page is read, each request 550 ms after the one before
    assert_eq!(events.len(), 3);
    assert_eq!(rule.num_calls(), 3);
    let arrivals = arrivals.lock().unwrap();
    let gaps: Vec<Duration> = arrivals.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(
        gaps,
        [Duration::from_millis(550), Duration::from_millis(550)]
    );
    // No one-second window holds three requests.
    assert!(
        arrivals
            .windows(3)
            .all(|w| w[2] - w[0] > Duration::from_secs(1))
    );
    assert_eq!(started.elapsed(), Duration::from_millis(1100));
}

#[tokio::test(start_paused = true)]
async fn lookup_events_stops_after_its_page_bound() {
    let (changes, rule, _) = cloudtrail(0, true);
    let events = changes.lookup(span()).await.unwrap();
    assert_eq!(rule.num_calls(), MAX_PAGES);
    assert_eq!(events.len(), MAX_PAGES);
}

#[tokio::test]
async fn a_throttled_lookup_is_changes_transient() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_http_response(|| amz_json_error("ThrottlingException", "Rate exceeded"));
    let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(aws_sdk_cloudtrail::config::retry::RetryConfig::disabled()));
    let error = CloudTrailChanges::new(client)
        .lookup(span())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Changes.Transient");
    assert_eq!(
        error.to_string(),
        "Changes.Transient: LookupEvents: ThrottlingException: Rate exceeded"
    );
}

#[tokio::test]
async fn a_refused_lookup_is_changes_failed() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_http_response(|| {
        amz_json_error(
            "AccessDeniedException",
            "User: arn:aws:sts::111122223333:assumed-role/query-changes/fn is not authorized to perform: cloudtrail:LookupEvents",
        )
    });
    let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(aws_sdk_cloudtrail::config::retry::RetryConfig::disabled()));
    let error = CloudTrailChanges::new(client)
        .lookup(span())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Changes.Failed");
}
