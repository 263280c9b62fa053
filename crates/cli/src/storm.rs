//! A storm of CloudWatch alarm events (`responder replay --generate N`):
//! N EventBridge `CloudWatch Alarm State Change` events over K root causes
//! (one alarm each, on services and metrics of several kinds), the way a bad
//! hour looks: a few causes fire most of the time, alarms flap between
//! ALARM and OK, every datapoint and timestamp differs, and a share of the
//! events are EventBridge redeliveries (the same event again, byte for
//! byte). Seeded: the same arguments write the same file.

use chrono::{DateTime, Duration, Utc};
use responder_core::json::set;
use serde_json::{Value, json};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Storm {
    pub events: usize,
    pub causes: usize,
    /// The share of events that are redeliveries, 0.0 to 1.0.
    pub redeliveries: f64,
    /// The share of fresh events that turn an alarm back to OK.
    pub flapping: f64,
    pub seed: u64,
}

/// A small, seeded generator (xorshift64*): the storm must be repeatable,
/// and the workspace has no `rand`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// One root cause: an alarm on one service's metric.
struct Cause {
    alarm: String,
    service: String,
    namespace: &'static str,
    metric: &'static str,
    dimension: (&'static str, String),
    threshold: f64,
    in_alarm: bool,
    rank: usize,
}

const SERVICES: [&str; 10] = [
    "checkout-api",
    "payments-worker",
    "search-api",
    "orders-api",
    "inventory-sync",
    "auth-service",
    "notifications",
    "catalog-api",
    "billing-batch",
    "shipping-api",
];

/// (namespace, metric, dimension name, threshold)
const METRICS: [(&str, &str, &str, f64); 5] = [
    ("AWS/Lambda", "Errors", "FunctionName", 5.0),
    ("AWS/Lambda", "Duration", "FunctionName", 3000.0),
    ("AWS/ApiGateway", "5XXError", "ApiName", 10.0),
    (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "QueueName",
        300.0,
    ),
    ("AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", 90.0),
];

impl Cause {
    /// Routing tags: one cause in five is critical, one in five high, the
    /// rest take the severity the rules give.
    fn tags(&self) -> Value {
        let mut tags = json!({"service": self.service, "team": "platform"});
        match self.rank % 5 {
            0 => set(&mut tags, "severity", json!("critical")),
            1 => set(&mut tags, "severity", json!("high")),
            _ => {}
        }
        tags
    }
}

fn causes(count: usize) -> Vec<Cause> {
    (0..count)
        .map(|k| {
            let service = format!(
                "{}-{}",
                SERVICES
                    .get(k % SERVICES.len())
                    .copied()
                    .unwrap_or_default(),
                k / SERVICES.len() + 1
            );
            let (namespace, metric, dimension, threshold) =
                METRICS.get(k % METRICS.len()).copied().unwrap_or_default();
            Cause {
                alarm: format!("{service}-{}", metric.to_ascii_lowercase()),
                dimension: (dimension, service.clone()),
                service,
                namespace,
                metric,
                threshold,
                in_alarm: false,
                rank: k,
            }
        })
        .collect()
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

fn event(cause: &Cause, to_alarm: bool, value: f64, at: DateTime<Utc>, rng: &mut Rng) -> Value {
    let (state, previous) = if to_alarm {
        ("ALARM", "OK")
    } else {
        ("OK", "ALARM")
    };
    let relation = if to_alarm {
        "greater than or equal to"
    } else {
        "not greater than or equal to"
    };
    let minute = at.format("%d/%m/%y %H:%M:00");
    let reason = format!(
        "Threshold Crossed: 1 out of the last 1 datapoints [{value:.1} ({minute})] was {relation} the threshold ({:.1}) (minimum 1 datapoint for {previous} -> {state} transition).",
        cause.threshold
    );
    let reason_data = json!({
        "version": "1.0", "queryDate": stamp(at), "statistic": "Sum", "period": 60,
        "recentDatapoints": [value], "threshold": cause.threshold,
        "evaluatedDatapoints": [{"timestamp": stamp(at - Duration::seconds(60)), "sampleCount": 100 + rng.below(400), "value": value}]
    });
    let region = "eu-west-1";
    let account = "111122223333";
    json!({
        "version": "0",
        "id": format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", rng.next() as u32, rng.next() as u16, rng.next() & 0xfff, rng.next() & 0xfff, rng.next() & 0xffff_ffff_ffff),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account,
        "time": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": region,
        "resources": [format!("arn:aws:cloudwatch:{region}:{account}:alarm:{}", cause.alarm)],
        "detail": {
            "alarmName": cause.alarm,
            "configuration": {
                "description": format!("{} {} is out of bounds.", cause.service, cause.metric),
                "metrics": [{
                    "id": "m1",
                    "metricStat": {
                        "metric": {"dimensions": {cause.dimension.0: cause.dimension.1}, "name": cause.metric, "namespace": cause.namespace},
                        "period": 60, "stat": "Sum"
                    },
                    "returnData": true
                }]
            },
            "previousState": {"reason": "", "timestamp": stamp(at - Duration::seconds(300)), "value": previous},
            "state": {"reason": reason, "reasonData": reason_data.to_string(), "timestamp": stamp(at), "value": state},
            "alarmTags": cause.tags(),
            "alarmTagsStatus": "Available"
        }
    })
}

impl Storm {
    /// The events, in delivery order.
    pub fn generate(&self) -> Vec<Value> {
        let mut rng = Rng(self.seed.max(1));
        let mut causes = causes(self.causes.max(1));
        // A few causes fire most: weights fall off as 1/(k+1).
        let weights: Vec<f64> = (0..causes.len()).map(|k| 1.0 / (k as f64 + 1.0)).collect();
        let total: f64 = weights.iter().sum();
        let mut at: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-20T08:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let mut sent: Vec<Value> = Vec::with_capacity(self.events);
        while sent.len() < self.events {
            if !sent.is_empty()
                && sent.len() >= causes.len()
                && rng.unit() < self.redeliveries
                && let Some(again) = sent.get(rng.below(sent.len())).cloned()
            {
                sent.push(again);
                continue;
            }
            // Every cause fires once first, so that each is a root cause;
            // then the weights choose.
            let k = if sent.len() < causes.len() {
                sent.len()
            } else {
                let mut pick = rng.unit() * total;
                let last = weights.len().saturating_sub(1);
                let mut k = last;
                for (i, &weight) in weights.iter().enumerate().take(last) {
                    if pick < weight {
                        k = i;
                        break;
                    }
                    pick -= weight;
                }
                k
            };
            at += Duration::milliseconds(200 + rng.below(4_000) as i64);
            let Some(cause) = causes.get_mut(k) else {
                break;
            };
            // An alarm in ALARM flaps back to OK now and then; else it fires.
            let to_alarm = !(cause.in_alarm && rng.unit() < self.flapping);
            cause.in_alarm = to_alarm;
            let value = if to_alarm {
                cause.threshold * (1.2 + rng.unit() * 3.0)
            } else {
                cause.threshold * rng.unit() * 0.8
            };
            let event = event(cause, to_alarm, value, at, &mut rng);
            sent.push(event);
        }
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storm_is_repeatable_and_has_its_shares() {
        let storm = Storm {
            events: 2_000,
            causes: 20,
            redeliveries: 0.2,
            flapping: 0.1,
            seed: 7,
        };
        let events = storm.generate();
        assert_eq!(events.len(), 2_000);
        assert_eq!(events, storm.generate(), "the same seed, the same storm");
        let ids: std::collections::HashSet<&str> =
            events.iter().filter_map(|e| e["id"].as_str()).collect();
        let redelivered = events.len() - ids.len();
        assert!(
            (300..=500).contains(&redelivered),
            "{redelivered} redeliveries of 2000"
        );
        let alarms: std::collections::HashSet<&str> = events
            .iter()
            .filter_map(|e| e["detail"]["alarmName"].as_str())
            .collect();
        assert_eq!(alarms.len(), 20, "every cause fires");
        let recoveries = events
            .iter()
            .filter(|e| e["detail"]["state"]["value"] == "OK")
            .count();
        assert!(recoveries > 20, "alarms flap: {recoveries}");
        // Each event is a payload the normalizer takes.
        for event in events.iter().take(50) {
            let alerts = responder_core::normalize(
                &event.to_string(),
                &responder_core::NormalizeOptions::default(),
            );
            assert!(alerts.is_ok(), "{event}");
        }
    }
}
