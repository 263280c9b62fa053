use responder_core::{NormalizeError, NormalizeOptions, normalize};
use serde_json::{Value, json};

use super::to_value;
use crate::error::{Error, Result, names};

/// NormalizeAlert: any supported payload in, its alerts out. Nothing is
/// stored, so there is nothing to make idempotent.
pub fn normalize_alert(options: &NormalizeOptions, payload: &str) -> Result<Value> {
    let alerts = normalize(payload, options).map_err(|e| match e {
        NormalizeError::UnsupportedSource(_) => {
            Error::new(names::UNSUPPORTED_SOURCE, e.to_string())
        }
        NormalizeError::InvalidAlert(_) => Error::new(names::INVALID_ALERT, e.to_string()),
    })?;
    Ok(json!({ "alerts": to_value(&alerts)? }))
}
