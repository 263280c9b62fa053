//! CloudWatch Embedded Metric Format: one JSON log line per metric set,
//! which CloudWatch turns into metrics without an API call (nor the IAM
//! permission for one). Namespace `IncidentResponder`.

use std::io::Write;

use serde_json::{Map, Value, json};

pub const NAMESPACE: &str = "IncidentResponder";

/// One metric set: dimensions and values sharing them.
#[derive(Debug, Clone, Default)]
pub struct MetricSet {
    dimensions: Vec<(String, String)>,
    metrics: Vec<(String, f64, &'static str)>,
}

impl MetricSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn dimension(mut self, name: &str, value: &str) -> Self {
        self.dimensions.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A value with its CloudWatch unit (`Count`, `Milliseconds`, `None`).
    pub fn metric(mut self, name: &str, value: f64, unit: &'static str) -> Self {
        self.metrics.push((name.to_owned(), value, unit));
        self
    }

    /// The EMF document at `timestamp_ms`.
    pub fn to_json(&self, timestamp_ms: i64) -> Value {
        let mut root = Map::new();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [self.dimensions.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>()],
                    "Metrics": self.metrics.iter().map(|(name, _, unit)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
                }]
            }),
        );
        for (k, v) in &self.dimensions {
            root.insert(k.clone(), Value::String(v.clone()));
        }
        for (name, value, _) in &self.metrics {
            root.insert(name.clone(), json!(value));
        }
        Value::Object(root)
    }

    /// Writes the set as one line on stdout, where Lambda's log agent
    /// reads it. A metric is never worth failing a task over.
    pub fn emit(&self) {
        let line = self
            .to_json(chrono::Utc::now().timestamp_millis())
            .to_string();
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_one_emf_document_cloudwatch_can_read() {
        let set = MetricSet::new()
            .dimension("Channel", "slack")
            .dimension("Outcome", "SENT")
            .metric("Deliveries", 1.0, "Count");
        assert_eq!(
            set.to_json(1_763_630_000_000),
            json!({
                "_aws": {
                    "Timestamp": 1_763_630_000_000_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "IncidentResponder",
                        "Dimensions": [["Channel", "Outcome"]],
                        "Metrics": [{"Name": "Deliveries", "Unit": "Count"}]
                    }]
                },
                "Channel": "slack",
                "Outcome": "SENT",
                "Deliveries": 1.0
            })
        );
    }
}
