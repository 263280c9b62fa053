//! The AWS adapters against a local moto server: DynamoDB conditional
//! writes and idempotency, the workflow's steps on DynamoDB, the S3
//! archive, SES v2 sending and the Step Functions calls.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use responder_aws::dynamodb::DynamoStore;
use responder_aws::s3::S3Archive;
use responder_aws::ses::SesMailer;
use responder_aws::sfn::SfnExecutions;
use responder_core::{Channel, NormalizeOptions, normalize};
use responder_workflow::Policy;
use responder_workflow::fixtures::{demo_message, message_of};
use responder_workflow::ports::{
    Archive, ArchiveRecord, Begin, Executions, Found, Idempotency, IncidentStore, Notifier,
};
use responder_workflow::render::{self, Message, MessageKind};
use responder_workflow::steps::{self, DeliverInput, RegisterInput};
use serde_json::{Value, json};
use support::{sdk, unique};

async fn store() -> DynamoStore {
    support::dynamo_store().await
}

fn alert(path: &str) -> responder_core::Alert {
    let text = std::fs::read_to_string(format!(
        "{}/../../events/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    normalize(&text, &NormalizeOptions::default())
        .unwrap()
        .remove(0)
}

/// RegisterAlert for `alert`, as execution `execution` runs it.
async fn register(store: &DynamoStore, alert: &responder_core::Alert, execution: &str) -> Value {
    let input = RegisterInput {
        alert: alert.clone(),
        execution_id: execution.to_owned(),
    };
    steps::register_alert(store, &Policy::default(), &input, Utc::now())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivered_alarm_never_makes_a_second_incident() {
    let store = store().await;
    let alarm = alert("eventbridge/metric-alarm-lambda-errors.json");
    let first = register(&store, &alarm, "exec-1").await;
    assert_eq!(first["decision"], "NEW");
    // The same task retried: the same answer.
    let retried = register(&store, &alarm, "exec-1").await;
    assert_eq!(retried["decision"], "NEW");
    // The same alarm delivered again (EventBridge retry): a duplicate.
    let again = register(&store, &alarm, "exec-2").await;
    assert_eq!(again["decision"], "DUPLICATE");
    assert_eq!(again["incident"]["id"], first["incident"]["id"]);

    let open = store
        .open_incident(alarm.signature.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((open.occurrences, open.version), (1, 1));
    let listed = store.incidents_by_status("OPEN", 10).await.unwrap();
    assert_eq!(listed.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_new_incident_for_one_signature_loses_its_condition() {
    let store = store().await;
    let alarm = alert("eventbridge/metric-alarm-lambda-errors.json");
    let first = register(&store, &alarm, "exec-1").await;
    // Another delivery of the same problem (a new dedup key) joins the open incident.
    let mut later = alarm.clone();
    later.dedup_key = serde_json::from_value(json!("aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001")).unwrap();
    let repeat = register(&store, &later, "exec-3").await;
    assert_eq!(repeat["decision"], "REPEAT");
    assert_eq!(repeat["incident"]["id"], first["incident"]["id"]);
    assert_eq!(repeat["incident"]["occurrences"], 2);

    // A stale write loses; a write over the current version wins.
    let mut stale = store
        .incident(first["incident"]["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    // Written at its stored version (not one above): the condition fails.
    let current_version = stale.version;
    assert_eq!(
        store.update(&stale).await.unwrap(),
        responder_workflow::ports::Write::Conflict
    );
    stale.version = current_version + 1;
    assert_eq!(
        store.update(&stale).await.unwrap(),
        responder_workflow::ports::Write::Done
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recovery_resolves_the_incident_and_frees_its_signature() {
    let store = store().await;
    let alarm = alert("eventbridge/metric-alarm-lambda-errors.json");
    register(&store, &alarm, "exec-1").await;
    let recovery = alert("eventbridge/metric-alarm-lambda-errors-ok.json");
    let out = register(&store, &recovery, "exec-2").await;
    assert_eq!(out["decision"], "RECOVERY");
    assert_eq!(out["incident"]["status"], "RESOLVED");
    assert!(
        store
            .open_incident(alarm.signature.as_str())
            .await
            .unwrap()
            .is_none()
    );
    // The alarm firing again opens a new incident.
    let mut refire = alarm.clone();
    refire.dedup_key = serde_json::from_value(json!("bbbbbbbbbbbbbbbbbbbbbbbbbbbb0002")).unwrap();
    let again = register(&store, &refire, "exec-3").await;
    assert_eq!(again["decision"], "NEW");
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_records_follow_the_powertools_life_cycle() {
    let store = store().await;
    let now = Utc::now();
    let expiry = now + Duration::minutes(5);
    assert_eq!(
        store.begin("k1", now, expiry).await.unwrap(),
        Begin::Started
    );
    assert_eq!(
        store.begin("k1", now, expiry).await.unwrap(),
        Begin::InProgress
    );
    store
        .complete("k1", &json!({"status": "SENT"}), now + Duration::days(7))
        .await
        .unwrap();
    assert_eq!(
        store.begin("k1", now, expiry).await.unwrap(),
        Begin::Completed(json!({"status": "SENT"}))
    );
    // A failed attempt releases its key; a crashed one is taken over after its expiry.
    assert_eq!(
        store.begin("k2", now, expiry).await.unwrap(),
        Begin::Started
    );
    store.release("k2").await.unwrap();
    assert_eq!(
        store.begin("k2", now, expiry).await.unwrap(),
        Begin::Started
    );
    // An attempt that died before its effect is taken over as if new; one
    // that died after it began its effect makes the next one look first.
    let later = expiry + Duration::seconds(1);
    let later_expiry = later + Duration::minutes(5);
    assert_eq!(
        store.begin("k2", later, later_expiry).await.unwrap(),
        Begin::TakenOver {
            effect_may_have_happened: false
        }
    );
    store.effect_starts("k2").await.unwrap();
    let much_later = later_expiry + Duration::seconds(1);
    assert_eq!(
        store
            .begin("k2", much_later, much_later + Duration::minutes(5))
            .await
            .unwrap(),
        Begin::TakenOver {
            effect_may_have_happened: true
        }
    );
}

/// Counts what it sends.
#[derive(Debug, Default)]
struct CountingNotifier(AtomicUsize);

impl Notifier for CountingNotifier {
    async fn send(
        &self,
        channel: Channel,
        _message: &Message,
    ) -> responder_workflow::Result<String> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(format!("{channel}#{n}"))
    }

    async fn request_approval(
        &self,
        id: &str,
        _message: &Message,
    ) -> responder_workflow::Result<String> {
        Ok(id.to_owned())
    }

    async fn find(
        &self,
        _channel: Channel,
        _message: &Message,
    ) -> responder_workflow::Result<Found> {
        Ok(Found::NotThere)
    }

    async fn find_approval_request(
        &self,
        _id: &str,
        _message: &Message,
    ) -> responder_workflow::Result<Found> {
        Ok(Found::NotThere)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_delivery_is_sent_once() {
    let store = store().await;
    let notifier = CountingNotifier::default();
    let input = DeliverInput {
        channel: "slack".into(),
        kind: MessageKind::Incident,
        incident: demo_message().incident,
        analysis: None,
        approval: None,
        alert: None,
        execution: None,
    };
    let first = steps::deliver(&notifier, &store, &store, &input, Utc::now())
        .await
        .unwrap();
    let second = steps::deliver(&notifier, &store, &store, &input, Utc::now())
        .await
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(notifier.0.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_archive_lands_in_s3_as_json_lines_by_day() {
    let (client, bucket) = support::s3_bucket().await;
    let archive = S3Archive::new(client.clone(), bucket.clone());
    let record = ArchiveRecord {
        incident_id: "inc-20261120-687557cf".into(),
        signature: "4d94d9dc5d592e8cee09692a32289ccc".into(),
        resource: "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-errors".into(),
        subject: Some("AWS/Lambda Errors checkout-api".into()),
        service: Some("checkout-api".into()),
        opened_at: "2026-11-20T09:13:00Z".into(),
        resolved_at: Some("2026-11-20T09:41:00Z".into()),
        root_cause: Some("Database connection pool exhausted".into()),
        resolution: None,
        time_to_recover_seconds: Some(1680),
    };
    archive.record(&record).await.unwrap();
    archive.record(&record).await.unwrap();
    archive
        .report(&record.incident_id, &json!({"outcome": "RECORDED"}))
        .await
        .unwrap();
    let listed = client
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(
        keys,
        [
            "incidents/dt=2026-11-20/inc-20261120-687557cf.json",
            "reports/inc-20261120-687557cf.json"
        ]
    );
    let body = client
        .get_object()
        .bucket(&bucket)
        .key(keys[0])
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(text.lines().count(), 1);
    let line: Value = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(line["time_to_recover_seconds"], 1680);
    // The columns the history query matches on (Glue table `incident_history`).
    assert_eq!(line["subject"], "AWS/Lambda Errors checkout-api");
    assert_eq!(line["service"], "checkout-api");
}

#[tokio::test(flavor = "multi_thread")]
async fn ses_sends_the_rendered_email() {
    let sdk = sdk().await;
    let client = aws_sdk_sesv2::Client::new(&sdk);
    client
        .create_email_identity()
        .email_identity("incidents@example.com")
        .send()
        .await
        .unwrap();
    let mailer = SesMailer::new(
        client,
        "incidents@example.com".into(),
        vec!["oncall@example.com".into()],
    );
    let mut message = message_of(
        MessageKind::Incident,
        "checkout-api-errors <script>",
        "Pool exhausted",
    );
    message.incident.severity = responder_core::Severity::High;
    let id = mailer.send(&render::email(&message)).await.unwrap();
    assert!(!id.is_empty());
    let data: Value =
        reqwest_free_get(&format!("{}/moto-api/data.json", support::moto().url)).await;
    let sent = data.to_string();
    assert!(sent.contains("[HIGH] checkout-api-errors"), "{sent:.400}");
    assert!(sent.contains("&lt;script&gt;"), "the HTML part is escaped");
}

/// A GET over plain HTTP/1.1 without another client dependency.
async fn reqwest_free_get(url: &str) -> Value {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str(body).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn step_functions_names_executions_and_answers_callbacks() {
    let sdk = sdk().await;
    let client = aws_sdk_sfn::Client::new(&sdk);
    let definition = json!({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 600, "End": true}}});
    let machine = client
        .create_state_machine()
        .name(unique("incident-response"))
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/states")
        .send()
        .await
        .unwrap();
    let sfn = SfnExecutions::new(client, machine.state_machine_arn().to_owned());
    let name = responder_aws::sfn::execution_name("687557cfcd05e099754a");
    let started = sfn
        .start(
            &name,
            &json!({"detail-type": "CloudWatch Alarm State Change"}),
        )
        .await
        .unwrap();
    assert!(started.unwrap().ends_with(&name));
    // The same name with other input: already handled, not a second execution.
    assert_eq!(
        sfn.start(&name, &json!({"other": true})).await.unwrap(),
        None
    );
    // moto accepts any token (refusals are covered by the mocked tests);
    // this checks the requests are well formed, with the cause cut to its limit.
    sfn.send_task_success("token-1", &json!({"decision": "APPROVED"}))
        .await
        .unwrap();
    sfn.send_task_failure("token-2", "Approval.Rejected", &"x".repeat(40_000))
        .await
        .unwrap();
}
