//! API Gateway HTTP and WebSocket APIs (`ApiId` and `Stage` dimensions):
//! they write no execution logs, only access logs where the stage says
//! (`GetStage`, or `GetStages` when the alarm names no stage), and the
//! functions behind their routes come from `GetIntegrations` (one page).

use std::collections::BTreeSet;

use aws_sdk_apigatewayv2::types::AccessLogSettings;

use super::Clients;
use super::arn::{lambda_function_of, log_group_name};
use super::lambda;
use super::session::{Phase, Session};

const KIND: &str = "api gateway api";
/// Stages, integrations and functions looked into.
const MAX_STAGES: usize = 5;
const PAGE_SIZE: &str = "50";
const MAX_TARGETS: usize = 5;

pub async fn http_api(clients: &Clients, session: &mut Session, id: &str, stage: Option<&str>) {
    match stage {
        Some(stage) => {
            let asked = session
                .call(
                    Phase::Explore,
                    "GetStage",
                    clients
                        .apigatewayv2
                        .get_stage()
                        .api_id(id)
                        .stage_name(stage)
                        .send(),
                )
                .await;
            match asked {
                Ok(out) => add_access_logs(session, id, stage, out.access_log_settings()),
                Err(missed) => session.note(
                    KIND,
                    id,
                    &format!("the access logs of stage {stage}"),
                    &missed,
                ),
            }
        }
        None => {
            let asked = session
                .call(
                    Phase::Explore,
                    "GetStages",
                    clients
                        .apigatewayv2
                        .get_stages()
                        .api_id(id)
                        .max_results(PAGE_SIZE)
                        .send(),
                )
                .await;
            match asked {
                Ok(out) => {
                    for found in out.items().iter().take(MAX_STAGES) {
                        if let Some(stage) = found.stage_name() {
                            add_access_logs(session, id, stage, found.access_log_settings());
                        }
                    }
                }
                Err(missed) => session.note(KIND, id, "its stages", &missed),
            }
        }
    }
    integrations(clients, session, id).await;
}

fn add_access_logs(
    session: &mut Session,
    id: &str,
    stage: &str,
    settings: Option<&AccessLogSettings>,
) {
    if let Some(group) = settings
        .and_then(|s| s.destination_arn())
        .and_then(log_group_name)
    {
        session.add_group(
            &group,
            format!("access logs of API {id}, stage {stage}"),
            1.0,
            false,
        );
    }
}

async fn integrations(clients: &Clients, session: &mut Session, id: &str) {
    let asked = session
        .call(
            Phase::Explore,
            "GetIntegrations",
            clients
                .apigatewayv2
                .get_integrations()
                .api_id(id)
                .max_results(PAGE_SIZE)
                .send(),
        )
        .await;
    let out = match asked {
        Ok(out) => out,
        Err(missed) => {
            session.note(KIND, id, "its integrations", &missed);
            return;
        }
    };
    let functions: BTreeSet<String> = out
        .items()
        .iter()
        .filter_map(|i| i.integration_uri().and_then(lambda_function_of))
        .take(MAX_TARGETS)
        .collect();
    for function in functions {
        session.add_resource(
            "lambda function",
            &function,
            format!("integration of API {id}"),
        );
        lambda::neighbour(
            clients,
            session,
            &function,
            &format!("behind API {id}"),
            0.8,
        )
        .await;
    }
}
