//! The resources that could hold an incident's cause, and their log groups:
//! the alarmed resource, what the alarm's namespace, dimensions and tags
//! name, and (in AWS) what discovery finds around it. Each with how it
//! relates, so that a group's lines can be weighed by it.

use serde::{Deserialize, Serialize};

use crate::alert::Alert;

/// A resource related to the alarmed one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedResource {
    /// `lambda function`, `rds instance`, `sqs queue`, `ecs service`, ...
    pub kind: String,
    pub name: String,
    /// How it relates: `alarmed`, `event source of …`, `target of …`.
    pub relation: String,
}

/// A log group to read, how it relates, and how much (0 to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedGroup {
    pub name: String,
    pub relation: String,
    pub weight: f64,
}

/// Dimension values that name no resource of their own (a stage, an
/// environment): matching them would relate everything.
const GENERIC_NAMES: &[&str] = &[
    "prod",
    "production",
    "live",
    "stage",
    "staging",
    "test",
    "default",
    "main",
    "primary",
    "beta",
    "Average",
    "Sum",
    "true",
    "false",
    "none",
];

/// The small map of an incident: what is alarmed, what is around it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    /// The alarmed resource's names: its dimension values, its alarm's name.
    pub alarmed: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<RelatedResource>,
    /// The log groups read, best related first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_groups: Vec<RelatedGroup>,
}

impl Topology {
    /// Every name worth finding in a log line or a change: the alarmed
    /// resource's, the service, the related resources'.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .alarmed
            .iter()
            .chain(self.service.iter())
            .chain(self.resources.iter().map(|r| &r.name))
            .filter(|n| n.len() >= 4 && !GENERIC_NAMES.contains(&n.to_lowercase().as_str()))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// [`of_alert`], plus the log groups configuration names for the alert's
/// alarm or service (`LOG_GROUPS`, `[workflow] log_groups`).
pub fn of_alert_with_configured(
    alert: &Alert,
    configured: &std::collections::BTreeMap<String, Vec<String>>,
) -> Topology {
    let mut topology = of_alert(alert);
    let keys = alert
        .alarm
        .as_ref()
        .map(|a| a.name.as_str())
        .into_iter()
        .chain(alert.service.as_deref());
    for key in keys {
        for group in configured.get(key).into_iter().flatten() {
            if !topology.log_groups.iter().any(|g| &g.name == group) {
                topology.log_groups.push(RelatedGroup {
                    name: group.clone(),
                    relation: format!("configured for {key}"),
                    weight: 1.0,
                });
            }
        }
    }
    topology
}

/// The resource an alert is about, from its metric's dimensions, namespace
/// and tags: its names, what kind it is, and the log groups the naming
/// conventions give it.
pub fn of_alert(alert: &Alert) -> Topology {
    let mut topology = Topology {
        service: alert.service.clone(),
        ..Topology::default()
    };
    let add_group = |name: String, relation: &str, weight: f64, topology: &mut Topology| {
        if !topology.log_groups.iter().any(|g| g.name == name) {
            topology.log_groups.push(RelatedGroup {
                name,
                relation: relation.to_owned(),
                weight,
            });
        }
    };
    if let Some(alarm) = &alert.alarm {
        topology.alarmed.push(alarm.name.clone());
    }
    if let Some(metric) = &alert.metric {
        let namespace = metric.namespace.as_deref().unwrap_or_default();
        for (key, value) in &metric.dimensions {
            if !topology.alarmed.contains(value) && !value.is_empty() && value != "/" {
                topology.alarmed.push(value.clone());
            }
            if let Some((kind, group)) = conventional(namespace, key, value) {
                topology.resources.push(RelatedResource {
                    kind: kind.to_owned(),
                    name: resource_name(key, value),
                    relation: "alarmed".to_owned(),
                });
                if let Some(group) = group {
                    add_group(
                        group,
                        "the alarmed resource's own log group",
                        1.0,
                        &mut topology,
                    );
                }
            }
        }
    }
    for (key, value) in &alert.labels {
        let key = key.to_ascii_lowercase().replace('-', "_");
        if matches!(key.as_str(), "log_group" | "log_groups") {
            for group in value.split(',').map(str::trim).filter(|g| !g.is_empty()) {
                add_group(
                    group.to_owned(),
                    "named by the alarm's log-group tag",
                    1.0,
                    &mut topology,
                );
            }
        }
    }
    if let Some(logs) = &alert.logs {
        add_group(
            logs.log_group.clone(),
            "the subscription's own log group",
            1.0,
            &mut topology,
        );
    }
    topology
}

/// An ARN's last part (`…:stateMachine:orders` → `orders`); a name as it is.
fn resource_name(key: &str, value: &str) -> String {
    if key.ends_with("Arn") {
        value.rsplit([':', '/']).next().unwrap_or(value).to_owned()
    } else {
        value.to_owned()
    }
}

/// The kind of resource a dimension names, and the log group naming
/// conventions give it (none where the group's name needs a discovery).
fn conventional(namespace: &str, key: &str, value: &str) -> Option<(&'static str, Option<String>)> {
    let name = resource_name(key, value);
    Some(match (namespace, key) {
        ("AWS/Lambda", "FunctionName") => ("lambda function", Some(format!("/aws/lambda/{name}"))),
        ("AWS/RDS", "DBInstanceIdentifier") => ("rds instance", None),
        ("AWS/RDS", "DBClusterIdentifier") => ("rds cluster", None),
        ("AWS/ECS" | "ECS/ContainerInsights", "ServiceName") => {
            ("ecs service", Some(format!("/ecs/{name}")))
        }
        ("AWS/ECS" | "ECS/ContainerInsights", "ClusterName") => ("ecs cluster", None),
        ("AWS/SQS", "QueueName") => ("sqs queue", None),
        ("AWS/SNS", "TopicName") => ("sns topic", None),
        ("AWS/DynamoDB", "TableName") => ("dynamodb table", None),
        ("AWS/ApiGateway", "ApiName" | "ApiId") => ("api gateway api", None),
        ("AWS/ApplicationELB", "LoadBalancer") => ("load balancer", None),
        ("AWS/ApplicationELB", "TargetGroup") => ("target group", None),
        ("AWS/States", "StateMachineArn") => (
            "state machine",
            Some(format!("/aws/vendedlogs/states/{name}")),
        ),
        ("AWS/EC2" | "CWAgent", "InstanceId") => ("ec2 instance", None),
        _ => return None,
    })
}

/// How a log group of the log folder relates to the alarmed resource (for
/// the local backends, where every group of the folder is a candidate):
/// its own group by convention, a group whose name holds one of its names,
/// its namespace's family of groups, or just in the folder.
pub fn weigh_group(topology: &Topology, namespace: &str, group: &str) -> RelatedGroup {
    if let Some(known) = topology.log_groups.iter().find(|g| g.name == group) {
        return known.clone();
    }
    let lower = group.to_lowercase();
    let named = topology
        .alarmed
        .iter()
        .chain(topology.service.iter())
        .map(|n| n.to_lowercase())
        .filter(|n| n.len() >= 4 && !GENERIC_NAMES.contains(&n.as_str()))
        .find(|n| lower.contains(n.as_str()));
    if let Some(name) = named {
        return RelatedGroup {
            name: group.to_owned(),
            relation: format!("its name holds {name}"),
            weight: 0.9,
        };
    }
    let family = match namespace {
        "AWS/Lambda" => Some("/aws/lambda/"),
        "AWS/RDS" => Some("/aws/rds/"),
        "AWS/ApiGateway" => Some("api-gateway-execution-logs"),
        "AWS/ECS" | "ECS/ContainerInsights" => Some("/ecs/"),
        "AWS/States" => Some("/aws/vendedlogs/states/"),
        _ => None,
    };
    if family.is_some_and(|f| lower.starts_with(f)) {
        return RelatedGroup {
            name: group.to_owned(),
            relation: "of the alarmed resource's kind".to_owned(),
            weight: 0.6,
        };
    }
    RelatedGroup {
        name: group.to_owned(),
        relation: "in the log folder".to_owned(),
        weight: 0.4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_alerts::demo_alarm;

    fn groups(topology: &Topology) -> Vec<(&str, &str)> {
        topology
            .log_groups
            .iter()
            .map(|g| (g.name.as_str(), g.relation.as_str()))
            .collect()
    }

    #[test]
    fn a_lambda_alarm_names_its_function_and_the_functions_own_group() {
        let alert = demo_alarm();
        let topology = of_alert(&alert);
        assert!(
            topology.alarmed.iter().any(|n| n == "checkout-api"),
            "{topology:?}"
        );
        let function = &topology.resources[0];
        assert_eq!(
            (
                function.kind.as_str(),
                function.name.as_str(),
                function.relation.as_str()
            ),
            ("lambda function", "checkout-api", "alarmed")
        );
        assert_eq!(
            groups(&topology),
            [(
                "/aws/lambda/checkout-api",
                "the alarmed resource's own log group"
            )]
        );
        assert_eq!(topology.service.as_deref(), Some("checkout-api"));
    }

    #[test]
    fn groups_configured_for_the_service_join_once() {
        let alert = demo_alarm();
        let configured = [(
            "checkout-api".to_owned(),
            vec![
                "/aws/lambda/checkout-api".to_owned(),
                "/ecs/payment-gateway-proxy".to_owned(),
            ],
        )]
        .into_iter()
        .collect();
        let topology = of_alert_with_configured(&alert, &configured);
        assert_eq!(
            groups(&topology),
            [
                (
                    "/aws/lambda/checkout-api",
                    "the alarmed resource's own log group"
                ),
                ("/ecs/payment-gateway-proxy", "configured for checkout-api"),
            ]
        );
    }
}
