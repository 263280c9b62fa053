//! What an alert measures: a metric of a resource. Past incidents are found
//! again by it: the same metric of the same resource (another alarm on it,
//! renamed, or with another threshold), or another metric of the same
//! resource.

use serde::{Deserialize, Serialize};

use crate::alert::Alert;

/// A metric of a resource, as comparable keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// `AWS/RDS`, a custom namespace, or the source family for alerts
    /// without a metric.
    pub namespace: String,
    /// `DatabaseConnections`; empty when unknown.
    pub metric: String,
    /// The resource's name parts, lower case: the dimension values
    /// (`billing-db`; `retail-prod`, `recommendations-svc`).
    pub resource: Vec<String>,
}

/// Splits a resource name into its comparable parts.
pub fn name_parts(text: &str) -> Vec<String> {
    let mut parts: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '/' || c == ',')
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    parts.sort();
    parts.dedup();
    parts
}

impl Subject {
    /// The alert's metric and resource: its namespace, metric name and
    /// dimension values; else its source and resource.
    pub fn of(alert: &Alert) -> Self {
        match &alert.metric {
            Some(metric) => Self {
                namespace: metric.namespace.clone().unwrap_or_default(),
                metric: metric.name.clone().unwrap_or_default(),
                resource: name_parts(
                    &metric
                        .dimensions
                        .values()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            },
            None => Self {
                namespace: alert.source.family().as_str().to_owned(),
                metric: String::new(),
                resource: name_parts(&alert.resource),
            },
        }
    }

    /// A past incident's subject from its hint: `NAMESPACE METRIC RESOURCE...`
    /// up to a comparison (`>`, `>=`, `p95`, ...) or a `;`, then free text
    /// (`AWS/RDS DatabaseConnections billing-db > 450; reporting workers`).
    pub fn from_hint(hint: &str) -> Option<Self> {
        let head = hint.split(';').next().unwrap_or_default();
        let mut words = head.split_whitespace();
        let namespace = words.next()?.to_owned();
        let metric = words.next()?.to_owned();
        let resource: Vec<&str> = words.take_while(|w| !is_comparison(w)).collect();
        if resource.is_empty() {
            return None;
        }
        Some(Self {
            namespace,
            metric,
            resource: name_parts(&resource.join(" ")),
        })
    }

    /// The same resource: one's name parts all among the other's (a
    /// function name; an instance id with its mount point).
    pub fn same_resource(&self, other: &Self) -> bool {
        let (small, large) = if self.resource.len() <= other.resource.len() {
            (&self.resource, &other.resource)
        } else {
            (&other.resource, &self.resource)
        };
        !small.is_empty()
            && self.namespace.eq_ignore_ascii_case(&other.namespace)
            && small.iter().all(|p| large.contains(p))
    }

    /// The same metric of the same resource.
    pub fn same_metric(&self, other: &Self) -> bool {
        self.same_resource(other) && self.metric.eq_ignore_ascii_case(&other.metric)
    }

    /// `AWS/RDS DatabaseConnections billing-db`: for people and the archive.
    pub fn key(&self) -> String {
        format!(
            "{} {} {}",
            self.namespace,
            self.metric,
            self.resource.join(" ")
        )
        .trim()
        .to_owned()
    }

    /// `AWS/RDS billing-db`: the resource alone.
    pub fn resource_key(&self) -> String {
        format!("{} {}", self.namespace, self.resource.join(" "))
    }
}

fn is_comparison(word: &str) -> bool {
    word.starts_with(['>', '<', '='])
        || (word.len() > 1
            && word.starts_with('p')
            && word[1..].chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_names_its_namespace_metric_and_resource() {
        let s =
            Subject::from_hint("AWS/RDS DatabaseConnections billing-db > 450; reporting workers")
                .unwrap();
        assert_eq!(
            (s.namespace.as_str(), s.metric.as_str()),
            ("AWS/RDS", "DatabaseConnections")
        );
        assert_eq!(s.resource, ["billing-db"]);
        let s = Subject::from_hint(
            "AWS/ECS MemoryUtilization retail-prod/recommendations-svc > 85; peak",
        )
        .unwrap();
        assert_eq!(s.resource, ["recommendations-svc", "retail-prod"]);
        let s = Subject::from_hint("AWS/Lambda Duration pricing-engine p95 > 8000 ms; cold starts")
            .unwrap();
        assert_eq!(s.resource, ["pricing-engine"]);
        assert!(Subject::from_hint("nothing").is_none());
    }

    #[test]
    fn resources_match_by_their_parts_and_metrics_must_match_too() {
        let disk =
            Subject::from_hint("CWAgent disk_used_percent i-0d51 / nvme0n1p1 xfs > 95").unwrap();
        let alarm = Subject {
            namespace: "CWAgent".into(),
            metric: "disk_used_percent".into(),
            resource: name_parts("i-0d51 / nvme0n1p1 xfs"),
        };
        assert!(disk.same_metric(&alarm));
        let memory = Subject::from_hint("CWAgent mem_used_percent i-0d51 > 95").unwrap();
        assert!(memory.same_resource(&alarm) && !memory.same_metric(&alarm));
        let other = Subject::from_hint("CWAgent mem_used_percent i-0ffff > 95").unwrap();
        assert!(!other.same_resource(&alarm));
    }
}
