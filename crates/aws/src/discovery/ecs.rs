//! ECS services (`ClusterName` and `ServiceName` dimensions):
//! `DescribeServices` gives the task definitions of the service's
//! deployments (two during a rollout: the new and the old), and
//! `DescribeTaskDefinition` their containers' log configuration: the
//! `awslogs-group` of the `awslogs` driver, or FireLens's `log_group_name`.

use aws_sdk_ecs::types::{Deployment, LogDriver};

use super::Clients;
use super::arn::Arn;
use super::session::{Phase, Session};

const KIND: &str = "ecs service";
/// Task definitions read: the primary deployment's and one other.
const MAX_TASK_DEFINITIONS: usize = 2;

pub async fn service(clients: &Clients, session: &mut Session, cluster: &str, service: &str) {
    let asked = session
        .call(
            Phase::Explore,
            "DescribeServices",
            clients
                .ecs
                .describe_services()
                .cluster(cluster)
                .services(service)
                .send(),
        )
        .await;
    let out = match asked {
        Ok(out) => out,
        Err(missed) => {
            session.note(KIND, service, "its task definitions", &missed);
            return;
        }
    };
    for failure in out.failures() {
        let reason = failure.reason().unwrap_or("no reason given");
        session.note(
            KIND,
            service,
            "its task definitions",
            &format!("DescribeServices: {reason}"),
        );
    }
    let Some(found) = out.services().first() else {
        return;
    };
    let mut definitions: Vec<String> = Vec::new();
    for deployment in found.deployments() {
        let Some(definition) = deployment.task_definition() else {
            continue;
        };
        let family =
            Arn::parse(definition).map_or_else(|| definition.to_owned(), |a| a.kind_and_name().1);
        session.add_resource(
            "ecs task definition",
            &family,
            format!("task definition of {service}, {}", rollout(deployment)),
        );
        if !definitions.iter().any(|d| d == definition) {
            definitions.push(definition.to_owned());
        }
    }
    if definitions.is_empty() {
        definitions.extend(found.task_definition().map(str::to_owned));
    }
    for definition in definitions.iter().take(MAX_TASK_DEFINITIONS) {
        containers(clients, session, service, definition).await;
    }
}

/// The log groups the task definition's containers write to.
async fn containers(clients: &Clients, session: &mut Session, service: &str, definition: &str) {
    let asked = session
        .call(
            Phase::Explore,
            "DescribeTaskDefinition",
            clients
                .ecs
                .describe_task_definition()
                .task_definition(definition)
                .send(),
        )
        .await;
    let family =
        Arn::parse(definition).map_or_else(|| definition.to_owned(), |a| a.kind_and_name().1);
    let out = match asked {
        Ok(out) => out,
        Err(missed) => {
            session.note("ecs task definition", &family, "its log groups", &missed);
            return;
        }
    };
    let containers = out
        .task_definition()
        .map(|t| t.container_definitions())
        .unwrap_or_default();
    for container in containers {
        let Some(config) = container.log_configuration() else {
            continue;
        };
        let key = match config.log_driver() {
            LogDriver::Awslogs => "awslogs-group",
            LogDriver::Awsfirelens => "log_group_name",
            _ => continue,
        };
        if let Some(group) = config.options().and_then(|o| o.get(key)) {
            let name = container.name().unwrap_or("a container");
            session.add_group(
                group,
                format!("log group of container {name} of {service} ({family})"),
                1.0,
                false,
            );
        }
    }
}

/// `PRIMARY deployment, rollout IN_PROGRESS (reason)`.
fn rollout(deployment: &Deployment) -> String {
    let mut text = format!("{} deployment", deployment.status().unwrap_or("unknown"));
    if let Some(state) = deployment.rollout_state() {
        text.push_str(", rollout ");
        text.push_str(state.as_str());
    }
    if let Some(reason) = deployment.rollout_state_reason() {
        text.push_str(" (");
        text.push_str(reason);
        text.push(')');
    }
    text
}
