//! Application Load Balancers (`TargetGroup`, `LoadBalancer` dimensions):
//! an ALB writes its access logs to S3, not to CloudWatch Logs, so what
//! matters is behind it. The alarmed target group (or the load balancer's
//! groups, `DescribeTargetGroups`, one page) and their targets with their
//! health (`DescribeTargetHealth`): Lambda targets bring their log groups,
//! instances and IP addresses are named with their health state.

use aws_sdk_elasticloadbalancingv2::types::TargetHealthDescription;

use super::Clients;
use super::arn::{Arn, lambda_function_of};
use super::lambda;
use super::session::{Phase, Session};

/// Target groups of a load balancer, and targets per group, looked into.
const MAX_TARGET_GROUPS: i32 = 5;
const MAX_TARGETS: usize = 10;

pub async fn targets(
    clients: &Clients,
    session: &mut Session,
    alarm: Option<&Arn<'_>>,
    target_group: Option<&str>,
    load_balancer: Option<&str>,
) {
    let Some(alarm) = alarm else {
        let (kind, name) = match (target_group, load_balancer) {
            (Some(group), _) => ("target group", group),
            (None, Some(balancer)) => ("load balancer", balancer),
            (None, None) => return,
        };
        session.note(
            kind,
            name,
            "its targets",
            &"the alarm's ARN is unknown, so is the resource's",
        );
        return;
    };
    // The dimension is the ARN's resource part: `targetgroup/NAME/ID`,
    // `app/NAME/ID` for the load balancer.
    let groups = match (target_group, load_balancer) {
        (Some(group), _) => vec![alarm.sibling("elasticloadbalancing", group)],
        (None, Some(balancer)) => groups_of(clients, session, alarm, balancer).await,
        (None, None) => return,
    };
    for group in groups {
        health(clients, session, &group).await;
    }
}

/// The target groups of a load balancer (their ARNs).
async fn groups_of(
    clients: &Clients,
    session: &mut Session,
    alarm: &Arn<'_>,
    balancer: &str,
) -> Vec<String> {
    let arn = alarm.sibling("elasticloadbalancing", &format!("loadbalancer/{balancer}"));
    let asked = session
        .call(
            Phase::Explore,
            "DescribeTargetGroups",
            clients
                .elb
                .describe_target_groups()
                .load_balancer_arn(arn)
                .page_size(MAX_TARGET_GROUPS)
                .send(),
        )
        .await;
    let name = balancer.split('/').nth(1).unwrap_or(balancer);
    match asked {
        Ok(out) => out
            .target_groups()
            .iter()
            .filter_map(|g| {
                let arn = g.target_group_arn()?;
                let group = g.target_group_name().unwrap_or(arn);
                session.add_resource("target group", group, format!("target group of {name}"));
                Some(arn.to_owned())
            })
            .collect(),
        Err(missed) => {
            session.note("load balancer", name, "its target groups", &missed);
            Vec::new()
        }
    }
}

/// The targets of one group and their health.
async fn health(clients: &Clients, session: &mut Session, group_arn: &str) {
    let group = Arn::parse(group_arn).map_or_else(|| group_arn.to_owned(), |a| a.kind_and_name().1);
    let asked = session
        .call(
            Phase::Explore,
            "DescribeTargetHealth",
            clients
                .elb
                .describe_target_health()
                .target_group_arn(group_arn)
                .send(),
        )
        .await;
    let out = match asked {
        Ok(out) => out,
        Err(missed) => {
            session.note("target group", &group, "its targets", &missed);
            return;
        }
    };
    for target in out.target_health_descriptions().iter().take(MAX_TARGETS) {
        let Some(id) = target.target().and_then(|t| t.id()) else {
            continue;
        };
        let relation = format!("target of {group} ({})", state(target));
        if let Some(function) = lambda_function_of(id) {
            session.add_resource("lambda function", &function, relation);
            lambda::neighbour(
                clients,
                session,
                &function,
                &format!("target of {group}"),
                0.8,
            )
            .await;
        } else if id.starts_with("i-") {
            session.add_resource("ec2 instance", id, relation);
        } else {
            session.add_resource("ip target", id, relation);
        }
    }
}

/// `healthy`, or `unhealthy: Target.FailedHealthChecks: Health checks failed`.
fn state(target: &TargetHealthDescription) -> String {
    let Some(health) = target.target_health() else {
        return "health unknown".to_owned();
    };
    let mut text = health
        .state()
        .map_or("health unknown", |s| s.as_str())
        .to_owned();
    if let Some(reason) = health.reason() {
        text.push_str(": ");
        text.push_str(reason.as_str());
    }
    if let Some(description) = health.description() {
        text.push_str(": ");
        text.push_str(description);
    }
    text
}
