//! API Gateway REST APIs (`ApiName` and `Stage` dimensions). The metric
//! names the API, its log groups name its id: `GetRestApis` (paged) maps
//! one to the other. Then the stage's execution logs
//! (`API-Gateway-Execution-Logs_{id}/{stage}`), its access-log destination
//! (`GetStage`, or `GetStages` when the alarm names no stage), and the
//! Lambda functions behind its methods: `GetResources?embed=methods` gives
//! every method's integration in one call, where `GetIntegration` would
//! take one call per method.

use std::collections::BTreeSet;

use aws_sdk_apigateway::types::AccessLogSettings;

use super::Clients;
use super::arn::{lambda_function_of, log_group_name};
use super::lambda;
use super::session::{Phase, Session};

const KIND: &str = "api gateway api";
/// `GetRestApis` pages read at most, and APIs per page (the most AWS allows).
const MAX_PAGES: usize = 3;
const PAGE_SIZE: i32 = 500;
/// APIs of the same name looked into (names are not unique).
const MAX_APIS: usize = 2;
/// Stages looked into when the alarm names none.
const MAX_STAGES: usize = 5;
/// Functions behind the API looked into.
const MAX_TARGETS: usize = 5;

pub async fn rest_api(clients: &Clients, session: &mut Session, name: &str, stage: Option<&str>) {
    let Some(ids) = ids_named(clients, session, name).await else {
        return;
    };
    if ids.is_empty() {
        session.note(
            KIND,
            name,
            "its id",
            &format!(
                "no REST API of that name among the first {} APIs",
                MAX_PAGES * PAGE_SIZE as usize
            ),
        );
    }
    for id in ids.iter().take(MAX_APIS) {
        session.annotate(KIND, name, &format!("REST API {id}"));
        match stage {
            Some(stage) => {
                add_execution_logs(session, name, id, stage);
                let asked = session
                    .call(
                        Phase::Explore,
                        "GetStage",
                        clients
                            .apigateway
                            .get_stage()
                            .rest_api_id(id)
                            .stage_name(stage)
                            .send(),
                    )
                    .await;
                match asked {
                    Ok(out) => add_access_logs(session, name, stage, out.access_log_settings()),
                    Err(missed) => session.note(
                        KIND,
                        name,
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
                        clients.apigateway.get_stages().rest_api_id(id).send(),
                    )
                    .await;
                match asked {
                    Ok(out) => {
                        for found in out.item().iter().take(MAX_STAGES) {
                            let Some(stage) = found.stage_name() else {
                                continue;
                            };
                            add_execution_logs(session, name, id, stage);
                            add_access_logs(session, name, stage, found.access_log_settings());
                        }
                    }
                    Err(missed) => session.note(KIND, name, "its stages", &missed),
                }
            }
        }
        integrations(clients, session, name, id).await;
    }
}

/// The ids of the REST APIs called `name`; `None` when the listing failed.
async fn ids_named(clients: &Clients, session: &mut Session, name: &str) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    let mut position: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let listed = session
            .call(
                Phase::Explore,
                "GetRestApis",
                clients
                    .apigateway
                    .get_rest_apis()
                    .limit(PAGE_SIZE)
                    .set_position(position.take())
                    .send(),
            )
            .await;
        let out = match listed {
            Ok(out) => out,
            Err(missed) => {
                session.note(KIND, name, "its id", &missed);
                return (!ids.is_empty()).then_some(ids);
            }
        };
        ids.extend(
            out.items()
                .iter()
                .filter(|api| api.name() == Some(name))
                .filter_map(|api| api.id().map(str::to_owned)),
        );
        match out.position() {
            Some(next) if !next.is_empty() => position = Some(next.to_owned()),
            _ => break,
        }
    }
    Some(ids)
}

fn add_execution_logs(session: &mut Session, name: &str, id: &str, stage: &str) {
    session.add_group(
        &format!("API-Gateway-Execution-Logs_{id}/{stage}"),
        format!("execution logs of {name}, stage {stage}"),
        1.0,
        false,
    );
}

fn add_access_logs(
    session: &mut Session,
    name: &str,
    stage: &str,
    settings: Option<&AccessLogSettings>,
) {
    if let Some(group) = settings
        .and_then(|s| s.destination_arn())
        .and_then(log_group_name)
    {
        session.add_group(
            &group,
            format!("access logs of {name}, stage {stage}"),
            1.0,
            false,
        );
    }
}

/// The Lambda functions the API's methods integrate with, at most a few,
/// each as a direct neighbour (0.8).
async fn integrations(clients: &Clients, session: &mut Session, name: &str, id: &str) {
    let asked = session
        .call(
            Phase::Explore,
            "GetResources",
            clients
                .apigateway
                .get_resources()
                .rest_api_id(id)
                .embed("methods")
                .limit(PAGE_SIZE)
                .send(),
        )
        .await;
    let out = match asked {
        Ok(out) => out,
        Err(missed) => {
            session.note(KIND, name, "its integrations", &missed);
            return;
        }
    };
    let mut functions = BTreeSet::new();
    for resource in out.items() {
        let path = resource.path().unwrap_or("/");
        // A map: sorted, so that the same API always reads the same.
        let mut methods: Vec<_> = resource.resource_methods().into_iter().flatten().collect();
        methods.sort_by_key(|(method, _)| *method);
        for (method, definition) in methods {
            let target = definition
                .method_integration()
                .and_then(|i| i.uri())
                .and_then(lambda_function_of);
            let Some(function) = target else { continue };
            if functions.len() < MAX_TARGETS || functions.contains(&function) {
                session.add_resource(
                    "lambda function",
                    &function,
                    format!("integration of {name} {method} {path}"),
                );
                functions.insert(function);
            }
        }
    }
    for function in functions {
        lambda::neighbour(clients, session, &function, &format!("behind {name}"), 0.8).await;
    }
}
