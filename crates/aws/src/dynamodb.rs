//! DynamoDB as the workflow's stores: incidents and occurrences (one
//! transaction per registration), the analysis cache (TTL attribute, expiry
//! also checked on read: TTL deletes up to 48 hours late), approvals, and
//! Powertools-style idempotency records.
//!
//! Tables (names from configuration), each with a string partition key:
//! - incidents (`id`): incident items (`status`, `opened_at`, `version`,
//!   `doc`) with the `by_status` index (`status`, `opened_at`) for listing;
//!   beside them, items without `status` that the index skips:
//!   `open#<signature>` (the signature's open incident), `analysis#<id>`
//!   and `delivery#<id>#<channel>#<kind>`;
//! - occurrences (`dedup_key`), expiring with `expires_at` after 30 days;
//! - approvals (`id`), the task token behind the approval id;
//! - cache (`key`), expiring with `expires_at`;
//! - idempotency (`id`): `status`, `data`, `expiration`,
//!   `in_progress_expiration`, as AWS Lambda Powertools writes them.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use chrono::{DateTime, Duration, Utc};
use responder_core::analysis::Analysis;
use responder_core::{Channel, Incident};
use responder_workflow::error::names;
use responder_workflow::ports::{
    AnalysisCache, Analyzed, Answered, ApprovalRequest, Approvals, Begin, Delivery, Idempotency,
    IncidentStore, Occurrence, RecordedDecision, WaitingApproval, Write,
};
use responder_workflow::{Error, Result};
use serde_json::Value;

use aws_smithy_runtime_api::client::result::SdkError;

use crate::error::Failure;

mod views;
pub use views::ApprovalRecord;

/// How long occurrences (dedup keys) are kept.
const OCCURRENCE_DAYS: i64 = 30;

type Item = HashMap<String, AttributeValue>;

/// The table names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub incidents: String,
    pub occurrences: String,
    pub approvals: String,
    pub cache: String,
    pub idempotency: String,
}

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
}

impl DynamoStore {
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables }
    }

    pub fn from_sdk(sdk: &aws_config::SdkConfig, tables: Tables) -> Self {
        Self::new(Client::new(sdk), tables)
    }

    /// Incidents with a status, most recent first, through the index.
    pub async fn incidents_by_status(&self, status: &str, limit: i32) -> Result<Vec<Incident>> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.incidents)
            .index_name("by_status")
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":s", s(status))
            .scan_index_forward(false)
            .limit(limit)
            .send()
            .await
            .map_err(|e| store_error("Query", &e))?;
        out.items().iter().map(incident_of).collect()
    }

    async fn get(&self, table: &str, key: &str, value: &str) -> Result<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .key(key, s(value))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("GetItem", &e))?;
        Ok(out.item)
    }

    async fn put(&self, table: &str, item: Item) -> Result<()> {
        self.client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| store_error("PutItem", &e))?;
        Ok(())
    }

    fn incident_put(&self, incident: &Incident) -> Result<TransactWriteItem> {
        let put = versioned_put(&self.tables.incidents, incident)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Keeps `open#<signature>` in step with the incident's status.
    fn pointer_change(&self, incident: &Incident) -> Result<Option<TransactWriteItem>> {
        let key = format!("open#{}", incident.signature);
        if incident.status.is_open() {
            if incident.version != 1 {
                return Ok(None);
            }
            // A second new incident for the signature loses here.
            let put = Put::builder()
                .table_name(&self.tables.incidents)
                .item("id", s(&key))
                .item("incident_id", s(&incident.id))
                .condition_expression("attribute_not_exists(id)")
                .build()
                .map_err(build_error)?;
            return Ok(Some(TransactWriteItem::builder().put(put).build()));
        }
        // Closed: the pointer goes, unless another incident holds it.
        let delete = Delete::builder()
            .table_name(&self.tables.incidents)
            .key("id", s(&key))
            .condition_expression("attribute_not_exists(id) OR incident_id = :id")
            .expression_attribute_values(":id", s(&incident.id))
            .build()
            .map_err(build_error)?;
        Ok(Some(TransactWriteItem::builder().delete(delete).build()))
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Write> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Write::Done),
            Err(e) => {
                let failure = Failure::of("TransactWriteItems", &e);
                // A failed condition, or a concurrent transaction on the same
                // items: read again and decide again.
                if failure.is("TransactionCanceledException") && is_condition_conflict(&e) {
                    Ok(Write::Conflict)
                } else if failure.is("TransactionCanceledException") {
                    // Cancelled for a throttled or in-progress item: again.
                    Err(failure.named(names::STORE_TRANSIENT, names::STORE_TRANSIENT))
                } else {
                    // A denied action or a missing table is a deployment
                    // mistake that no retry fixes; throttling still retries.
                    Err(failure.named(names::STORE_TRANSIENT, names::STORE_REJECTED))
                }
            }
        }
    }
}

fn is_condition_conflict<R>(
    e: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => {
            t.cancellation_reasons().iter().all(|r| {
                matches!(
                    r.code(),
                    None | Some("None" | "ConditionalCheckFailed" | "TransactionConflict")
                )
            })
        }
        _ => false,
    }
}

/// A put of the incident over the version it was read at.
fn versioned_put(table: &str, incident: &Incident) -> Result<Put> {
    let builder = Put::builder()
        .table_name(table)
        .set_item(Some(incident_item(incident)?))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None);
    let builder = if incident.version <= 1 {
        builder.condition_expression("attribute_not_exists(id)")
    } else {
        builder
            .condition_expression("#v = :previous")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":previous", n(incident.version - 1))
    };
    builder.build().map_err(build_error)
}

impl IncidentStore for DynamoStore {
    async fn occurrence(&self, dedup_key: &str) -> Result<Option<Occurrence>> {
        let Some(item) = self
            .get(&self.tables.occurrences, "dedup_key", dedup_key)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Occurrence {
            dedup_key: dedup_key.to_owned(),
            execution_id: text(&item, "execution_id")?,
            incident_id: optional_text(&item, "incident_id"),
            decision: serde_json::from_value(Value::String(text(&item, "decision")?))
                .map_err(Error::corrupt)?,
            received_at: text(&item, "received_at")?,
        }))
    }

    async fn open_incident(&self, signature: &str) -> Result<Option<Incident>> {
        let pointer = format!("open#{signature}");
        let Some(item) = self.get(&self.tables.incidents, "id", &pointer).await? else {
            return Ok(None);
        };
        let id = text(&item, "incident_id")?;
        Ok(self.incident(&id).await?.filter(|i| i.status.is_open()))
    }

    async fn incident(&self, id: &str) -> Result<Option<Incident>> {
        self.get(&self.tables.incidents, "id", id)
            .await?
            .map(|item| incident_of(&item))
            .transpose()
    }

    async fn register(
        &self,
        occurrence: &Occurrence,
        incident: Option<&Incident>,
    ) -> Result<Write> {
        let expires = Utc::now() + Duration::days(OCCURRENCE_DAYS);
        let mut put = Put::builder()
            .table_name(&self.tables.occurrences)
            .item("dedup_key", s(&occurrence.dedup_key))
            .item("execution_id", s(&occurrence.execution_id))
            .item("decision", s(occurrence.decision.as_str()))
            .item("received_at", s(&occurrence.received_at))
            .item("expires_at", n(expires.timestamp()))
            .condition_expression("attribute_not_exists(dedup_key)");
        if let Some(id) = &occurrence.incident_id {
            put = put.item("incident_id", s(id));
        }
        let mut items = vec![
            TransactWriteItem::builder()
                .put(put.build().map_err(build_error)?)
                .build(),
        ];
        if let Some(incident) = incident {
            items.push(self.incident_put(incident)?);
            items.extend(self.pointer_change(incident)?);
        }
        self.transact(items).await
    }

    async fn update(&self, incident: &Incident) -> Result<Write> {
        let mut items = vec![self.incident_put(incident)?];
        if !incident.status.is_open() {
            items.extend(self.pointer_change(incident)?);
        }
        self.transact(items).await
    }

    async fn record_analysis(&self, incident_id: &str, analyzed: &Analyzed) -> Result<()> {
        let mut item = Item::new();
        item.insert("id".into(), s(&format!("analysis#{incident_id}")));
        item.insert("doc".into(), s(&json_text(&analyzed.analysis)?));
        if let Some(usage) = &analyzed.usage {
            item.insert("input_tokens".into(), n(usage.input_tokens));
            item.insert("output_tokens".into(), n(usage.output_tokens));
            item.insert(
                "cost_usd".into(),
                AttributeValue::N(format!("{:.6}", usage.cost_usd)),
            );
        }
        self.put(&self.tables.incidents, item).await
    }

    async fn record_delivery(&self, d: &Delivery) -> Result<()> {
        let mut item = Item::new();
        let id = format!("delivery#{}#{}#{}", d.incident_id, d.channel, d.kind);
        item.insert("id".into(), s(&id));
        item.insert("incident_id".into(), s(&d.incident_id));
        item.insert("channel".into(), s(d.channel.as_str()));
        item.insert("kind".into(), s(&d.kind));
        item.insert("delivery_status".into(), s(&d.status));
        if let Some(location) = &d.location {
            item.insert("location".into(), s(location));
        }
        if let Some(error) = &d.error {
            item.insert("error".into(), s(error));
        }
        self.put(&self.tables.incidents, item).await
    }

    async fn delivery(
        &self,
        incident_id: &str,
        channel: Channel,
        kind: &str,
    ) -> Result<Option<Delivery>> {
        let id = format!("delivery#{incident_id}#{channel}#{kind}");
        let Some(item) = self.get(&self.tables.incidents, "id", &id).await? else {
            return Ok(None);
        };
        Ok(Some(Delivery {
            incident_id: incident_id.to_owned(),
            channel,
            kind: kind.to_owned(),
            status: optional_text(&item, "delivery_status").unwrap_or_default(),
            location: optional_text(&item, "location"),
            error: optional_text(&item, "error"),
        }))
    }
}

impl AnalysisCache for DynamoStore {
    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Analysis>> {
        let Some(item) = DynamoStore::get(self, &self.tables.cache, "key", key).await? else {
            return Ok(None);
        };
        // TTL deletion lags: an expired item may still be there.
        if number(&item, "expires_at")? <= now.timestamp() {
            return Ok(None);
        }
        serde_json::from_str(&text(&item, "analysis")?)
            .map(Some)
            .map_err(Error::corrupt)
    }

    async fn put(&self, key: &str, analysis: &Analysis, expires_at: DateTime<Utc>) -> Result<()> {
        let mut item = Item::new();
        item.insert("key".into(), s(key));
        item.insert("analysis".into(), s(&json_text(analysis)?));
        item.insert("expires_at".into(), n(expires_at.timestamp()));
        DynamoStore::put(self, &self.tables.cache, item).await
    }

    async fn remove(&self, key: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.tables.cache)
            .key("key", s(key))
            .send()
            .await
            .map_err(|e| store_error("DeleteItem", &e))?;
        Ok(())
    }
}

impl Approvals for DynamoStore {
    async fn put_request(&self, r: &ApprovalRequest) -> Result<()> {
        let expires = DateTime::parse_from_rfc3339(&r.expires_at)
            .map(|t| t.timestamp())
            .map_err(|e| Error::invalid_input(format!("expires_at '{}': {e}", r.expires_at)))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.approvals)
            .item("id", s(&r.id))
            .item("incident_id", s(&r.incident_id))
            .item("token", s(&r.token))
            .item("channels", s(&json_text(&r.channels)?))
            .item("approval_status", s("PENDING"))
            .item("requested_at", s(&r.requested_at))
            // Kept a day past the deadline so a late click gets a clear answer.
            .item("expires_at", n(expires + 86_400))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Stored by an earlier attempt: the same token, the same id.
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(store_error("PutItem", &e)),
        }
    }

    async fn waiting(&self, incident_id: &str) -> Result<Option<WaitingApproval>> {
        Ok(self
            .approvals_where(Some(incident_id), true)
            .await?
            .pop()
            .map(|a| WaitingApproval {
                id: a.id,
                token: a.token,
                channels: a.channels,
            }))
    }

    async fn record_decision(&self, d: &RecordedDecision, caller: &str) -> Result<bool> {
        let status = d.answer.approval_status();
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.approvals)
            .key("id", s(&d.approval_id))
            .update_expression(
                "SET approval_status = :status, decision = :decision, answer = :answer, \
                 answered = :no, decided_by = :caller",
            )
            .condition_expression("approval_status = :pending")
            .expression_attribute_values(":status", s(status))
            .expression_attribute_values(":decision", s(&d.decision))
            .expression_attribute_values(":answer", s(&json_text(&d.answer)?))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .expression_attribute_values(":caller", s(caller))
            .expression_attribute_values(":pending", s("PENDING"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_conditional_failure(&e) => Ok(false),
            Err(e) => Err(store_error("UpdateItem", &e)),
        }
    }

    /// Items decided before `answered` existed have none: taken as given.
    async fn unanswered(&self, incident_id: Option<&str>) -> Result<Vec<RecordedDecision>> {
        let mut scan = self
            .client
            .scan()
            .table_name(&self.tables.approvals)
            .filter_expression(if incident_id.is_some() {
                "answered = :no AND incident_id = :incident"
            } else {
                "answered = :no"
            })
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .limit(views::MAX_APPROVALS_SCANNED);
        if let Some(id) = incident_id {
            scan = scan.expression_attribute_values(":incident", s(id));
        }
        let out = scan.send().await.map_err(|e| store_error("Scan", &e))?;
        let mut decisions: Vec<(String, RecordedDecision)> = out
            .items()
            .iter()
            .map(|item| {
                let answer =
                    serde_json::from_str(&text(item, "answer")?).map_err(Error::corrupt)?;
                Ok((
                    text(item, "requested_at")?,
                    RecordedDecision {
                        approval_id: text(item, "id")?,
                        token: text(item, "token")?,
                        decision: text(item, "decision")?,
                        answer,
                    },
                ))
            })
            .collect::<Result<_>>()?;
        decisions.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(decisions.into_iter().map(|(_, d)| d).collect())
    }

    async fn mark_answered(&self, approval_id: &str, answered: Answered) -> Result<()> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.approvals)
            .key("id", s(approval_id))
            .expression_attribute_values(":yes", AttributeValue::Bool(true));
        update = match answered {
            Answered::TooLate => update
                .update_expression("SET answered = :yes, approval_status = :expired")
                .expression_attribute_values(":expired", s("EXPIRED")),
            Answered::Given | Answered::Unknown => update.update_expression("SET answered = :yes"),
        };
        update
            .send()
            .await
            .map_err(|e| store_error("UpdateItem", &e))?;
        Ok(())
    }
}

impl DynamoStore {
    /// The approval behind an id: its incident, token and status.
    pub async fn approval(&self, id: &str) -> Result<Option<(String, String, String)>> {
        let Some(item) = self.get(&self.tables.approvals, "id", id).await? else {
            return Ok(None);
        };
        Ok(Some((
            text(&item, "incident_id")?,
            text(&item, "token")?,
            text(&item, "approval_status")?,
        )))
    }
}

impl Idempotency for DynamoStore {
    async fn begin(
        &self,
        key: &str,
        now: DateTime<Utc>,
        in_progress_expiry: DateTime<Utc>,
    ) -> Result<Begin> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.idempotency)
            .item("id", s(key))
            .item("status", s("INPROGRESS"))
            .item("effect_started", AttributeValue::Bool(false))
            .item("expiration", n(in_progress_expiry.timestamp()))
            .item(
                "in_progress_expiration",
                n(in_progress_expiry.timestamp_millis()),
            )
            // Take the key if it is new, expired, or an INPROGRESS whose
            // attempt died (its in-progress expiry passed).
            .condition_expression(
                "attribute_not_exists(id) OR expiration < :now \
                 OR (#s = :inprogress AND in_progress_expiration < :now_ms)",
            )
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":now_ms", n(now.timestamp_millis()))
            .expression_attribute_values(":inprogress", s("INPROGRESS"))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await;
        let error = match result {
            // An old INPROGRESS record was replaced: its attempt died.
            Ok(out) => {
                let old = out.attributes();
                let in_progress = old
                    .and_then(|o| o.get("status"))
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|s| s == "INPROGRESS");
                if !in_progress {
                    return Ok(Begin::Started);
                }
                let effect_may_have_happened = old
                    .and_then(|o| o.get("effect_started"))
                    .and_then(|v| v.as_bool().ok())
                    .copied()
                    .unwrap_or(true);
                return Ok(Begin::TakenOver {
                    effect_may_have_happened,
                });
            }
            Err(e) => e,
        };
        if !is_conditional_failure(&error) {
            return Err(store_error("PutItem", &error));
        }
        use aws_sdk_dynamodb::operation::put_item::PutItemError;
        let old = match error.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(c)) => c.item().cloned(),
            _ => None,
        };
        // Older DynamoDB-compatible stores do not return the item: read it.
        let old = match old {
            Some(item) => item,
            None => match self.get(&self.tables.idempotency, "id", key).await? {
                Some(item) => item,
                None => return Ok(Begin::InProgress),
            },
        };
        if text(&old, "status")? == "COMPLETED" {
            let data = text(&old, "data")?;
            return Ok(Begin::Completed(
                serde_json::from_str(&data).map_err(Error::corrupt)?,
            ));
        }
        Ok(Begin::InProgress)
    }

    async fn effect_starts(&self, key: &str) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.idempotency)
            .key("id", s(key))
            .update_expression("SET effect_started = :yes")
            .condition_expression("#s = :inprogress")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":inprogress", s("INPROGRESS"))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Taken over meanwhile: the new holder decides.
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(store_error("UpdateItem", &e)),
        }
    }

    async fn complete(&self, key: &str, result: &Value, expires_at: DateTime<Utc>) -> Result<()> {
        let mut item = Item::new();
        item.insert("id".into(), s(key));
        item.insert("status".into(), s("COMPLETED"));
        item.insert("data".into(), s(&result.to_string()));
        item.insert("expiration".into(), n(expires_at.timestamp()));
        DynamoStore::put(self, &self.tables.idempotency, item).await
    }

    async fn release(&self, key: &str) -> Result<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.idempotency)
            .key("id", s(key))
            .condition_expression("#s = :inprogress")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":inprogress", s("INPROGRESS"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(store_error("DeleteItem", &e)),
        }
    }
}

fn is_conditional_failure<E, R>(e: &SdkError<E, R>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ConditionalCheckFailedException")
}

fn store_error<E, R>(operation: &str, e: &SdkError<E, R>) -> Error
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    // Everything a table refuses is worth a retry but a validation error,
    // which names a deployment mistake (a missing table, a wrong key).
    crate::error::named(operation, e, names::STORE_TRANSIENT, names::STORE_REJECTED)
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::new(names::STORE_REJECTED, format!("request: {e}"))
}

fn incident_item(incident: &Incident) -> Result<Item> {
    let mut item = Item::new();
    item.insert("id".into(), s(&incident.id));
    item.insert("signature".into(), s(&incident.signature));
    item.insert("status".into(), s(incident.status.as_str()));
    item.insert("opened_at".into(), s(&incident.opened_at));
    item.insert("severity".into(), s(incident.severity.as_str()));
    item.insert("version".into(), n(incident.version));
    item.insert("doc".into(), s(&json_text(incident)?));
    Ok(item)
}

fn incident_of(item: &Item) -> Result<Incident> {
    serde_json::from_str(&text(item, "doc")?).map_err(Error::corrupt)
}

fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(Error::corrupt)
}

pub(crate) fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

pub(crate) fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn text(item: &Item, name: &str) -> Result<String> {
    optional_text(item, name)
        .ok_or_else(|| Error::corrupt(format!("the item has no string attribute '{name}'")))
}

fn optional_text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn number(item: &Item, name: &str) -> Result<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::corrupt(format!("the item has no number attribute '{name}'")))
}
