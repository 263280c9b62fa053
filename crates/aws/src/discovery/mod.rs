//! Discovery: from the alarm to the resources around it and their log
//! groups, through read-only AWS APIs, one small module per service.
//!
//! Weights follow how close a group is to the alarmed resource: its own
//! groups 1.0; direct neighbours (consumers, integration and load-balancer
//! targets) 0.8; resources sharing the alarm's service tag 0.6; groups
//! found by name as `weigh_group` says. Every call is bounded (pages,
//! items), the incident has a call budget and a deadline, and a failed
//! call is recorded on the resource it was about: discovery goes on with
//! what it found (`session`). Last, the groups the workflow will read are
//! checked for existence, since Logs Insights fails a query naming a group
//! that does not exist.

mod apigateway;
mod apigatewayv2;
pub mod arn;
mod ec2;
mod ecs;
mod elb;
mod lambda;
mod logs;
mod rds;
mod session;
mod sqs;
mod tagging;

use std::time::Duration;

use responder_core::Alert;
use responder_core::context::Topology;
use responder_workflow::Result;
use tracing::info;

pub use ec2::MAX_PATTERNS as MAX_EC2_PATTERNS;
pub use session::{VERIFY_ALLOWANCE, VERIFY_CALLS};

use arn::Arn;
use session::Session;

/// Logs Insights' `SOURCE logGroups(namePrefix: [...])` takes at most 5
/// prefixes; the configuration holds to the same.
pub const MAX_PREFIXES: usize = 5;

/// The read-only clients discovery calls.
#[derive(Debug, Clone)]
pub struct Clients {
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub apigatewayv2: aws_sdk_apigatewayv2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
}

impl Clients {
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            lambda: aws_sdk_lambda::Client::new(sdk),
            apigateway: aws_sdk_apigateway::Client::new(sdk),
            apigatewayv2: aws_sdk_apigatewayv2::Client::new(sdk),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(sdk),
            ecs: aws_sdk_ecs::Client::new(sdk),
            tagging: aws_sdk_resourcegroupstagging::Client::new(sdk),
        }
    }
}

/// What discovery may do per incident (`crate::config` reads it).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `LOG_GROUP_PREFIXES`: groups every incident may read, by prefix.
    pub prefixes: Vec<String>,
    /// `EC2_LOG_GROUP_PATTERNS`: the CloudWatch agent's groups.
    pub ec2_patterns: Vec<String>,
    /// `LOG_GROUP_PATTERNS`: the groups the function may query (its role's
    /// `logs:StartQuery` resources, `*` for any characters). Logs Insights
    /// refuses a whole query naming one group outside them, so other groups
    /// are named in the topology but not read. Empty: every group.
    pub readable: Vec<String>,
    /// `DISCOVERY_MAX_CALLS`: calls per incident, the existence check's
    /// two included.
    pub max_calls: usize,
    /// `DISCOVERY_DEADLINE_SECONDS`: exploration stops then; the existence
    /// check has `VERIFY_ALLOWANCE` more.
    pub deadline: Duration,
    /// Functions around the alarmed resource whose configuration is asked.
    pub neighbour_functions: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            prefixes: Vec::new(),
            ec2_patterns: Vec::new(),
            readable: Vec::new(),
            max_calls: 30,
            deadline: Duration::from_secs(8),
            neighbour_functions: 5,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Discovery {
    clients: Clients,
    settings: Settings,
}

impl Discovery {
    pub fn new(clients: Clients, settings: Settings) -> Self {
        Self { clients, settings }
    }

    /// `topology` (the alert's own, from its namespace and tags) extended
    /// with what is around the alarmed resource. Fails only when every
    /// call was throttled (`Logs.Transient`).
    pub async fn extend(&self, alert: &Alert, topology: Topology) -> Result<Topology> {
        let settings = &self.settings;
        let mut session = Session::new(
            topology,
            settings.max_calls,
            settings.deadline,
            settings.neighbour_functions,
        );
        let namespace = alert
            .metric
            .as_ref()
            .and_then(|m| m.namespace.as_deref())
            .unwrap_or_default();
        self.around(alert, namespace, &mut session).await;
        if let Some((key, value)) = service_tag(alert) {
            tagging::same_service(&self.clients, &mut session, key, value).await;
        }
        logs::configured_prefixes(&self.clients, &mut session, &settings.prefixes, namespace).await;
        logs::named_like(&self.clients, &mut session, alert, namespace).await;
        session.keep_readable(&settings.readable);
        logs::keep_existing(&self.clients, &mut session).await;
        info!(
            calls = session.calls_made(),
            resources = session.topology().resources.len(),
            log_groups = session.topology().log_groups.len(),
            "Discovery completed."
        );
        session.finish()
    }

    /// What the alarmed resource's kind leads to.
    async fn around(&self, alert: &Alert, namespace: &str, session: &mut Session) {
        let clients = &self.clients;
        let dimension = |key: &str| {
            alert
                .metric
                .as_ref()
                .and_then(|m| m.dimensions.get(key))
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let alarm_arn = alarm_arn(alert);
        match namespace {
            "AWS/Lambda" => {
                if let Some(function) = dimension("FunctionName") {
                    lambda::alarmed(clients, session, function).await;
                }
            }
            "AWS/SQS" => {
                if let Some(queue) = dimension("QueueName") {
                    sqs::queue(clients, session, alarm_arn.as_ref(), queue).await;
                }
            }
            "AWS/ApiGateway" => match (dimension("ApiName"), dimension("ApiId")) {
                (Some(name), _) => {
                    apigateway::rest_api(clients, session, name, dimension("Stage")).await
                }
                (None, Some(id)) => {
                    apigatewayv2::http_api(clients, session, id, dimension("Stage")).await
                }
                (None, None) => {}
            },
            "AWS/ApplicationELB" => {
                elb::targets(
                    clients,
                    session,
                    alarm_arn.as_ref(),
                    dimension("TargetGroup"),
                    dimension("LoadBalancer"),
                )
                .await;
            }
            "AWS/RDS" => {
                rds::exported(
                    clients,
                    session,
                    dimension("DBInstanceIdentifier"),
                    dimension("DBClusterIdentifier"),
                )
                .await;
            }
            "AWS/ECS" | "ECS/ContainerInsights" => {
                if let (Some(cluster), Some(service)) =
                    (dimension("ClusterName"), dimension("ServiceName"))
                {
                    ecs::service(clients, session, cluster, service).await;
                }
            }
            "AWS/EC2" | "CWAgent" => {
                if let Some(instance) = dimension("InstanceId") {
                    ec2::instance(clients, session, &self.settings.ec2_patterns, instance).await;
                }
            }
            _ => {}
        }
    }
}

/// The alarm's ARN (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`): its
/// partition, region and account make the ARNs of what its metric names.
fn alarm_arn(alert: &Alert) -> Option<Arn<'_>> {
    alert
        .alarm
        .as_ref()
        .map(|a| a.arn.as_str())
        .into_iter()
        .chain([alert.resource.as_str()])
        .filter_map(Arn::parse)
        .find(|arn| {
            arn.service == "cloudwatch" && !arn.account.is_empty() && !arn.region.is_empty()
        })
}

/// The alarm's service tag as it was written (`service`, `Service`, `app`,
/// `application`), and its value.
fn service_tag(alert: &Alert) -> Option<(&str, &str)> {
    alert
        .labels
        .iter()
        .find(|(key, value)| {
            let key: String = key
                .chars()
                .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
                .map(|c| c.to_ascii_lowercase())
                .collect();
            matches!(key.as_str(), "service" | "app" | "application") && !value.trim().is_empty()
        })
        .map(|(key, value)| (key.as_str(), value.trim()))
}
