//! What the API reads and writes besides the workflow's ports: incidents by
//! status and time, an incident's analysis and deliveries, the approvals,
//! decisions on them, and the audit trail.
//!
//! Audit entries live in the incidents table as `audit#<time>#<nonce>`
//! items: like `analysis#` and `delivery#` items they have no `status`, so
//! the `by_status` index skips them, and they need no table of their own.

use aws_sdk_dynamodb::types::KeysAndAttributes;
use serde_json::json;

use super::*;

/// The delivery kinds the workflow sends.
const DELIVERY_KINDS: [&str; 5] = ["approval", "incident", "repeat", "recovery", "suppressed"];
/// Approvals read by a scan at most (the table holds only live approvals:
/// items expire a day after their deadline).
pub(super) const MAX_APPROVALS_SCANNED: i32 = 1000;

/// An approval as stored: the token stays behind the id.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRecord {
    pub id: String,
    pub incident_id: String,
    pub token: String,
    pub channels: Value,
    pub status: String,
    pub requested_at: String,
    /// Unix seconds: the deadline plus a day (see `put_request`).
    pub kept_until: i64,
}

impl DynamoStore {
    /// Whether the incidents table answers.
    pub async fn ready(&self) -> Result<()> {
        self.get(&self.tables.incidents, "id", "ready#probe")
            .await
            .map(|_| ())
    }

    /// Incidents of one status opened at or after `since` and before
    /// `until` (RFC 3339), most recent first, at most `limit`.
    pub async fn incidents_between(
        &self,
        status: &str,
        since: Option<&str>,
        until: Option<&str>,
        limit: i32,
    ) -> Result<Vec<Incident>> {
        let mut condition = "#s = :s".to_owned();
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.incidents)
            .index_name("by_status")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":s", s(status))
            .scan_index_forward(false)
            .limit(limit);
        match (since, until) {
            (Some(since), Some(until)) => {
                condition.push_str(" AND #o BETWEEN :since AND :until");
                query = query
                    .expression_attribute_names("#o", "opened_at")
                    .expression_attribute_values(":since", s(since))
                    .expression_attribute_values(":until", s(until));
            }
            (Some(since), None) => {
                condition.push_str(" AND #o >= :since");
                query = query
                    .expression_attribute_names("#o", "opened_at")
                    .expression_attribute_values(":since", s(since));
            }
            (None, Some(until)) => {
                condition.push_str(" AND #o < :until");
                query = query
                    .expression_attribute_names("#o", "opened_at")
                    .expression_attribute_values(":until", s(until));
            }
            (None, None) => {}
        }
        let out = query
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(|e| store_error("Query", &e))?;
        out.items().iter().map(incident_of).collect()
    }

    /// The incident's analysis and what it cost, if it has one.
    pub async fn analysis_record(&self, incident_id: &str) -> Result<Option<(Value, Value)>> {
        let key = format!("analysis#{incident_id}");
        let Some(item) = self.get(&self.tables.incidents, "id", &key).await? else {
            return Ok(None);
        };
        let analysis: Value = serde_json::from_str(&text(&item, "doc")?).map_err(Error::corrupt)?;
        let usage = match number(&item, "input_tokens") {
            Ok(input_tokens) => json!({
                "input_tokens": input_tokens,
                "output_tokens": number(&item, "output_tokens").unwrap_or_default(),
                "cost_usd": item.get("cost_usd").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<f64>().ok()),
            }),
            Err(_) => Value::Null,
        };
        Ok(Some((analysis, usage)))
    }

    /// The incident's deliveries, every channel and kind, in one batch read.
    pub async fn deliveries(&self, incident_id: &str) -> Result<Vec<Value>> {
        let mut keys = KeysAndAttributes::builder();
        for channel in responder_core::Channel::ALL {
            for kind in DELIVERY_KINDS {
                let id = format!("delivery#{incident_id}#{channel}#{kind}");
                keys = keys.keys(Item::from([("id".to_owned(), s(&id))]));
            }
        }
        let keys = keys.build().map_err(build_error)?;
        let out = self
            .client
            .batch_get_item()
            .request_items(&self.tables.incidents, keys)
            .send()
            .await
            .map_err(|e| store_error("BatchGetItem", &e))?;
        let mut deliveries: Vec<Value> = out
            .responses()
            .and_then(|r| r.get(&self.tables.incidents))
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        json!({
                            "channel": optional_text(item, "channel"),
                            "kind": optional_text(item, "kind"),
                            "status": optional_text(item, "delivery_status"),
                            "location": optional_text(item, "location"),
                            "error": optional_text(item, "error"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let key = |d: &Value| {
            let field = |name: &str| {
                d.get(name)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (field("channel"), field("kind"))
        };
        deliveries.sort_by_key(key);
        Ok(deliveries)
    }

    /// Approvals, oldest request first: those of one incident, or every
    /// pending one. A scan: the table holds only live approvals.
    pub async fn approvals_where(
        &self,
        incident_id: Option<&str>,
        pending_only: bool,
    ) -> Result<Vec<ApprovalRecord>> {
        let mut filters = Vec::new();
        let mut scan = self
            .client
            .scan()
            .table_name(&self.tables.approvals)
            .limit(MAX_APPROVALS_SCANNED);
        if let Some(id) = incident_id {
            filters.push("incident_id = :incident");
            scan = scan.expression_attribute_values(":incident", s(id));
        }
        if pending_only {
            filters.push("approval_status = :pending");
            scan = scan.expression_attribute_values(":pending", s("PENDING"));
        }
        if !filters.is_empty() {
            scan = scan.filter_expression(filters.join(" AND "));
        }
        let out = scan.send().await.map_err(|e| store_error("Scan", &e))?;
        let mut records: Vec<ApprovalRecord> = out
            .items()
            .iter()
            .map(|item| {
                Ok(ApprovalRecord {
                    id: text(item, "id")?,
                    incident_id: text(item, "incident_id")?,
                    token: text(item, "token")?,
                    channels: serde_json::from_str(&text(item, "channels")?).unwrap_or(Value::Null),
                    status: text(item, "approval_status")?,
                    requested_at: text(item, "requested_at")?,
                    kept_until: number(item, "expires_at")?,
                })
            })
            .collect::<Result<_>>()?;
        records.sort_by(|a, b| a.requested_at.cmp(&b.requested_at));
        Ok(records)
    }

    /// Keeps one audit entry (`audit#<at>#<nonce>`).
    pub async fn put_audit(&self, at: &str, nonce: &str, entry: &Value) -> Result<()> {
        let mut item = Item::new();
        item.insert("id".into(), s(&format!("audit#{at}#{nonce}")));
        item.insert("doc".into(), s(&json_text(entry)?));
        self.put(&self.tables.incidents, item).await
    }
}
