use chrono::{DateTime, Utc};
use responder_core::Alert;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::to_value;
use crate::error::Result;
use crate::ports::{AnalysisCache, AnalyzerId};

#[derive(Debug, Deserialize)]
pub struct CacheInput {
    pub alert: Alert,
}

/// The cache key: signature, analyzer (model) and its prompt (or rules)
/// version, so that a new model or prompt does not reuse old analyses.
pub fn cache_key(alert: &Alert, analyzer: &AnalyzerId) -> String {
    let text = format!(
        "{}:{}:{}",
        alert.signature.as_str(),
        analyzer.name,
        analyzer.version
    );
    hex(&Sha256::digest(text.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// CheckCache: `{"hit": true, "key", "analysis"}` or `{"hit": false, "key"}`.
/// Expiry is checked on read: DynamoDB's TTL deletes late.
pub async fn check_cache<C: AnalysisCache>(
    cache: &C,
    analyzer: &AnalyzerId,
    input: &CacheInput,
    now: DateTime<Utc>,
) -> Result<Value> {
    let key = cache_key(&input.alert, analyzer);
    Ok(match cache.get(&key, now).await? {
        Some(analysis) => json!({"hit": true, "key": key, "analysis": to_value(&analysis)?}),
        None => json!({"hit": false, "key": key}),
    })
}
