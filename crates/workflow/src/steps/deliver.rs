use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::text_of;
use crate::error::{Error, Result, names};
use crate::ports::{Begin, Delivery, Found, Idempotency, IncidentStore, Notifier};
use crate::render::{ApprovalOutcome, Message, MessageKind};
use responder_core::analysis::Analysis;
use responder_core::{Channel, Incident, UnknownChannel};

/// How long an attempt holds a key before another may take over when its
/// death cannot be seen (in AWS): the task's timeout (30 s: the attempt is
/// dead by then) and a margin. The state machine's retrier of
/// `Idempotency.InProgress` waits longer than this in all. Locally a dead
/// holder is seen at once. And how long a result is remembered (longer than
/// any redelivery: EventBridge retries for 24 hours).
pub const IN_PROGRESS_EXPIRY_SECONDS: i64 = 35;
const RECORD_EXPIRY_DAYS: i64 = 7;

#[derive(Debug, Deserialize)]
pub struct DeliverInput {
    pub channel: String,
    /// `incident` (the default), `recovery`, `repeat` or `suppressed` (the
    /// last two are Slack thread replies).
    #[serde(default)]
    pub kind: MessageKind,
    pub incident: Incident,
    #[serde(default)]
    pub analysis: Option<Analysis>,
    #[serde(default)]
    pub approval: Option<ApprovalOutcome>,
    /// The normalized alert: its routing tags (Jira project, runbook).
    #[serde(default)]
    pub alert: Option<Value>,
    /// The execution's id (`$$.Execution.Id`), for the link to it.
    #[serde(default)]
    pub execution: Option<String>,
}

impl DeliverInput {
    /// The message this input asks to deliver (its thread, if any, is the
    /// store's to tell).
    pub fn message(&self) -> Message {
        Message {
            analysis: self.analysis.clone(),
            approval: self.approval.clone(),
            routing: super::routing_of(self.alert.as_ref()),
            execution: self.execution.clone(),
            ..Message::new(self.kind, self.incident.clone())
        }
    }
}

/// Deliver: one message to one channel, at most once per (incident,
/// channel, kind) however often the task runs.
pub async fn deliver<N, I, S>(
    notifier: &N,
    idempotency: &I,
    store: &S,
    input: &DeliverInput,
    now: DateTime<Utc>,
) -> Result<Value>
where
    N: Notifier,
    I: Idempotency,
    S: IncidentStore,
{
    let kind = input.kind;
    let incident_id = input.incident.id.as_str();
    let channel: Channel = input
        .channel
        .parse()
        .map_err(|e: UnknownChannel| Error::new(names::UNKNOWN_CHANNEL, e.to_string()))?;
    let reply_only = kind.is_reply();
    let thread = if channel == Channel::Slack {
        slack_thread(store, incident_id).await?
    } else {
        None
    };
    let mut key = format!("deliver:{incident_id}:{channel}:{kind}");
    if reply_only {
        if channel != Channel::Slack || thread.is_none() {
            return Ok(skipped(channel, "no Slack message to reply to"));
        }
        if kind == MessageKind::Repeat {
            let occurrences = input.incident.occurrences;
            if !worth_a_reply(occurrences) {
                return Ok(skipped(
                    channel,
                    "repeats are told at 2, 5, 10, 20, 50, ... occurrences",
                ));
            }
            key.push_str(&format!(":{occurrences}"));
        }
    }
    let message = Message {
        thread,
        ..input.message()
    };
    let result = once(
        idempotency,
        &key,
        now,
        || notifier.find(channel, &message),
        |location| json!({"channel": channel, "status": "SENT", "location": location}),
        || async {
            let location = notifier.send(channel, &message).await?;
            Ok(json!({"channel": channel, "status": "SENT", "location": location}))
        },
    )
    .await?;
    responder_failpoints::crash_at("deliver.completed");
    let uncertain = text_of(&result, "status").as_deref() == Some(UNCERTAIN);
    store
        .record_delivery(&Delivery {
            incident_id: incident_id.to_owned(),
            channel,
            kind: kind.as_str().to_owned(),
            status: if uncertain { UNCERTAIN } else { "SENT" }.to_owned(),
            location: text_of(&result, "location"),
            error: text_of(&result, "reason"),
        })
        .await?;
    Ok(result)
}

/// The status of a delivery whose attempt died while sending to a
/// destination that cannot be asked (an SMTP relay): not sent again.
pub const UNCERTAIN: &str = "UNCERTAIN";

/// Where the incident's first Slack message went (the approval request,
/// else the incident message): later Slack messages reply in its thread.
pub(crate) async fn slack_thread<S: IncidentStore>(
    store: &S,
    incident_id: &str,
) -> Result<Option<String>> {
    for kind in ["approval", "incident"] {
        if let Some(delivery) = store.delivery(incident_id, Channel::Slack, kind).await?
            && delivery.status == "SENT"
            && let Some(location) = delivery.location
        {
            return Ok(Some(location));
        }
    }
    Ok(None)
}

fn skipped(channel: Channel, why: &str) -> Value {
    json!({"channel": channel, "status": "SKIPPED", "reason": why})
}

/// Repeats worth a thread reply: the 2nd, 5th, 10th, 20th, 50th, 100th...
/// occurrence (a 1-2-5 series), so that a storm of a thousand repeats makes
/// ten replies, not a thousand.
pub fn worth_a_reply(occurrences: u64) -> bool {
    let mut n = occurrences;
    while n >= 10 && n.is_multiple_of(10) {
        n /= 10;
    }
    occurrences >= 2 && matches!(n, 1 | 2 | 5)
}

/// Runs `work` once for `key`: a repeat gets the first result back; a
/// repeat while the first still runs fails with `Idempotency.InProgress`
/// (the state machine retries it); a failure releases the key. When the
/// key is taken over from an attempt that died while doing the work, the
/// destination is asked first (`find`): found, the work is done (`found`
/// makes its result from the location); not there, it is done again;
/// cannot tell, it is not done again and the result says `UNCERTAIN`.
pub(crate) async fn once<I, L, LFut, F, Fut>(
    idempotency: &I,
    key: &str,
    now: DateTime<Utc>,
    find: L,
    found: impl FnOnce(&str) -> Value,
    work: F,
) -> Result<Value>
where
    I: Idempotency,
    L: FnOnce() -> LFut,
    LFut: Future<Output = Result<Found>>,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Value>>,
{
    let expiry = now + Duration::seconds(IN_PROGRESS_EXPIRY_SECONDS);
    let finish = |result: Value| async move {
        let expires = now + Duration::days(RECORD_EXPIRY_DAYS);
        idempotency.complete(key, &result, expires).await?;
        Ok(result)
    };
    match idempotency.begin(key, now, expiry).await? {
        Begin::Completed(result) => return Ok(result),
        Begin::InProgress => {
            return Err(Error::new(
                names::IN_PROGRESS,
                format!("'{key}' is being done by another attempt"),
            ));
        }
        Begin::TakenOver {
            effect_may_have_happened: true,
        } => match find().await? {
            Found::At(location) => return finish(found(&location)).await,
            Found::CannotTell => {
                return finish(json!({
                    "status": UNCERTAIN,
                    "reason": "an earlier attempt stopped while sending, and this destination cannot be asked whether it arrived; it is not sent again (at most once)",
                }))
                .await;
            }
            Found::NotThere => {}
        },
        Begin::Started
        | Begin::TakenOver {
            effect_may_have_happened: false,
        } => {}
    }
    responder_failpoints::crash_at("deliver.started");
    idempotency.effect_starts(key).await?;
    match work().await {
        Ok(result) => {
            responder_failpoints::crash_at("deliver.sent");
            finish(result).await
        }
        Err(error) => {
            // If the release fails too, the record expires on its own.
            let _ = idempotency.release(key).await;
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Idempotency records in memory; `begin` answers `scripted` once when
    /// set (a record left by an attempt that died).
    #[derive(Default)]
    struct Records {
        done: Mutex<HashMap<String, Value>>,
        held: Mutex<HashMap<String, bool>>,
        scripted: Mutex<Option<Begin>>,
    }

    impl Idempotency for Records {
        async fn begin(&self, key: &str, _: DateTime<Utc>, _: DateTime<Utc>) -> Result<Begin> {
            if let Some(begin) = self.scripted.lock().unwrap().take() {
                self.held.lock().unwrap().insert(key.to_owned(), false);
                return Ok(begin);
            }
            if let Some(result) = self.done.lock().unwrap().get(key) {
                return Ok(Begin::Completed(result.clone()));
            }
            let mut held = self.held.lock().unwrap();
            if held.contains_key(key) {
                return Ok(Begin::InProgress);
            }
            held.insert(key.to_owned(), false);
            Ok(Begin::Started)
        }

        async fn complete(&self, key: &str, result: &Value, _: DateTime<Utc>) -> Result<()> {
            self.held.lock().unwrap().remove(key);
            self.done
                .lock()
                .unwrap()
                .insert(key.to_owned(), result.clone());
            Ok(())
        }

        async fn effect_starts(&self, key: &str) -> Result<()> {
            self.held.lock().unwrap().insert(key.to_owned(), true);
            Ok(())
        }

        async fn release(&self, key: &str) -> Result<()> {
            self.held.lock().unwrap().remove(key);
            Ok(())
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_630_047, 0).unwrap()
    }

    /// A Deliver input is read whole before anything is sent: an incident
    /// that lacks a field, or a kind nobody renders, is refused naming it.
    #[test]
    fn a_deliver_input_missing_a_field_is_refused_naming_it() {
        let mut input: Value =
            serde_json::from_str(include_str!("../../../../events/functions/deliver.json"))
                .unwrap();
        assert!(super::super::parse::<DeliverInput>(&input).is_ok());
        if let Some(incident) = input.get_mut("incident").and_then(Value::as_object_mut) {
            incident.remove("signature");
        }
        let error = super::super::parse::<DeliverInput>(&input).unwrap_err();
        assert_eq!(error.name(), names::INVALID_INPUT);
        assert!(error.message().contains("'incident'"), "{error}");
        assert!(error.message().contains("signature"), "{error}");
        let mut wrong_kind: Value =
            serde_json::from_str(include_str!("../../../../events/functions/deliver.json"))
                .unwrap();
        responder_core::json::set(&mut wrong_kind, "kind", Value::from("page"));
        let error = super::super::parse::<DeliverInput>(&wrong_kind).unwrap_err();
        assert!(error.message().contains("'kind'"), "{error}");
        assert!(error.message().contains("page"), "{error}");
    }

    /// Runs `once` for "k", counting the sends; the destination answers `at`.
    async fn send(records: &Records, sends: &AtomicUsize, at: Found) -> Result<Value> {
        once(
            records,
            "k",
            now(),
            || async move { Ok(at) },
            |location| json!({"status": "SENT", "location": location, "found": true}),
            || async {
                sends.fetch_add(1, Ordering::SeqCst);
                Ok(json!({"status": "SENT", "location": "ts-1"}))
            },
        )
        .await
    }

    #[tokio::test]
    async fn a_repeat_gets_the_first_result_and_sends_nothing() {
        let (records, sends) = (Records::default(), AtomicUsize::new(0));
        let first = send(&records, &sends, Found::NotThere).await.unwrap();
        let again = send(&records, &sends, Found::NotThere).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(sends.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failure_releases_the_key_and_a_repeat_while_it_runs_waits() {
        let records = Records::default();
        let failed = once(
            &records,
            "k",
            now(),
            || async { Ok(Found::NotThere) },
            |_| Value::Null,
            || async { Err::<Value, _>(Error::new(names::DELIVERY_TRANSIENT, "503")) },
        )
        .await
        .unwrap_err();
        assert_eq!(failed.name(), names::DELIVERY_TRANSIENT);
        let sends = AtomicUsize::new(0);
        send(&records, &sends, Found::NotThere).await.unwrap();
        assert_eq!(sends.load(Ordering::SeqCst), 1, "released: the retry sends");

        let busy = Records::default();
        busy.held.lock().unwrap().insert("k".to_owned(), true);
        let error = send(&busy, &sends, Found::NotThere).await.unwrap_err();
        assert_eq!(error.name(), names::IN_PROGRESS);
        assert_eq!(
            sends.load(Ordering::SeqCst),
            1,
            "nothing sent while another attempt runs"
        );
    }

    #[tokio::test]
    async fn a_key_taken_over_from_a_dead_sender_asks_the_destination_first() {
        let taken_over = || {
            let records = Records::default();
            *records.scripted.lock().unwrap() = Some(Begin::TakenOver {
                effect_may_have_happened: true,
            });
            records
        };
        let sends = AtomicUsize::new(0);
        // It arrived: not sent again, and the result says where.
        let found = send(&taken_over(), &sends, Found::At("ts-0".into()))
            .await
            .unwrap();
        assert_eq!(found["location"], "ts-0");
        // Nobody can tell: not sent again (at most once), and said so.
        let unsure = send(&taken_over(), &sends, Found::CannotTell)
            .await
            .unwrap();
        assert_eq!(unsure["status"], UNCERTAIN);
        assert_eq!(sends.load(Ordering::SeqCst), 0);
        // It is not there: sent.
        send(&taken_over(), &sends, Found::NotThere).await.unwrap();
        assert_eq!(sends.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn repeats_are_told_on_a_1_2_5_series() {
        let told: Vec<u64> = (1..=1000).filter(|&n| worth_a_reply(n)).collect();
        assert_eq!(told, [2, 5, 10, 20, 50, 100, 200, 500, 1000]);
    }
}
