//! Lambda: a function's log group (`LoggingConfig.LogGroup`: a custom group,
//! else `/aws/lambda/NAME`), the queues and streams that feed it, and the
//! functions that consume a queue or stream (`ListEventSourceMappings`).

use aws_sdk_lambda::types::{EventSourceMappingConfiguration, LastUpdateStatus, State};

use super::Clients;
use super::arn::{Arn, lambda_function_of};
use super::session::{Phase, Session};

/// Mappings read per function or per source: one page.
const MAX_MAPPINGS: i32 = 20;
const KIND: &str = "lambda function";

/// The group a function logs to by default.
pub fn conventional_group(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// The alarmed function: its own group, its state when it is not healthy,
/// and what feeds it.
pub async fn alarmed(clients: &Clients, session: &mut Session, function: &str) {
    let group = configuration(clients, session, function, true).await;
    session.add_group(
        &group,
        "the alarmed function's log group (its logging configuration)",
        1.0,
        false,
    );
    let listed = session
        .call(
            Phase::Explore,
            "ListEventSourceMappings",
            clients
                .lambda
                .list_event_source_mappings()
                .function_name(function)
                .max_items(MAX_MAPPINGS)
                .send(),
        )
        .await;
    match listed {
        Ok(out) => {
            if out.next_marker().is_some_and(|m| !m.is_empty()) {
                session.annotate(
                    KIND,
                    function,
                    &format!("more than {MAX_MAPPINGS} event sources, the first read"),
                );
            }
            for mapping in out.event_source_mappings() {
                let Some(source) = mapping.event_source_arn().and_then(Arn::parse) else {
                    continue;
                };
                let (kind, name) = source.kind_and_name();
                let relation = format!("event source of {function} ({})", describe(mapping));
                session.add_resource(&kind, &name, relation);
                on_failure_destination(session, mapping, function);
            }
        }
        Err(missed) => session.note(KIND, function, "its event sources", &missed),
    }
}

/// The functions that consume `source_arn` (a queue or stream), each with
/// its group as a direct neighbour (0.8). `None` when the call failed.
pub async fn consumers(
    clients: &Clients,
    session: &mut Session,
    source_arn: &str,
    source: (&str, &str),
) -> Option<usize> {
    let (source_kind, source_name) = source;
    let listed = session
        .call(
            Phase::Explore,
            "ListEventSourceMappings",
            clients
                .lambda
                .list_event_source_mappings()
                .event_source_arn(source_arn)
                .max_items(MAX_MAPPINGS)
                .send(),
        )
        .await;
    let out = match listed {
        Ok(out) => out,
        Err(missed) => {
            session.note(source_kind, source_name, "its consumers", &missed);
            return None;
        }
    };
    if out.next_marker().is_some_and(|m| !m.is_empty()) {
        session.annotate(
            source_kind,
            source_name,
            &format!("more than {MAX_MAPPINGS} consumers, the first read"),
        );
    }
    let mut found = 0;
    for mapping in out.event_source_mappings() {
        let Some(function) = mapping.function_arn().and_then(lambda_function_of) else {
            continue;
        };
        found += 1;
        let relation = format!("consumer of {source_name} ({})", describe(mapping));
        session.add_resource(KIND, &function, relation);
        neighbour(
            clients,
            session,
            &function,
            &format!("consumer of {source_name}"),
            0.8,
        )
        .await;
    }
    Some(found)
}

/// A function next to the alarmed resource: its group, weighed `weight`.
/// Its configuration is asked while neighbour calls remain; past that its
/// group is the conventional one (checked for existence later).
pub async fn neighbour(
    clients: &Clients,
    session: &mut Session,
    function: &str,
    why: &str,
    weight: f64,
) {
    let group = match session.cached_function(function) {
        Some(group) => group.unwrap_or_else(|| conventional_group(function)),
        None if session.take_neighbour() => configuration(clients, session, function, false).await,
        None => conventional_group(function),
    };
    session.add_group(
        &group,
        format!("log group of {function}, {why}"),
        weight,
        false,
    );
}

/// `GetFunctionConfiguration`: the function's log group (cached per
/// incident); for the alarmed function, its state too when it is not
/// Active or its last update failed. A failed call gives the conventional
/// group and a note.
async fn configuration(
    clients: &Clients,
    session: &mut Session,
    function: &str,
    alarmed: bool,
) -> String {
    if let Some(group) = session.cached_function(function) {
        return group.unwrap_or_else(|| conventional_group(function));
    }
    let asked = session
        .call(
            Phase::Explore,
            "GetFunctionConfiguration",
            clients
                .lambda
                .get_function_configuration()
                .function_name(function)
                .send(),
        )
        .await;
    match asked {
        Ok(out) => {
            let group = out
                .logging_config()
                .and_then(|l| l.log_group())
                .filter(|g| !g.is_empty())
                .map_or_else(|| conventional_group(function), str::to_owned);
            session.cache_function(function, Some(group.clone()));
            if alarmed {
                if let Some(trouble) = unhealthy(
                    out.state(),
                    out.state_reason(),
                    out.last_update_status(),
                    out.last_update_status_reason(),
                ) {
                    session.add_resource(KIND, function, "alarmed");
                    session.annotate(KIND, function, &trouble);
                }
                if let Some(dlq) = out
                    .dead_letter_config()
                    .and_then(|d| d.target_arn())
                    .and_then(Arn::parse)
                {
                    let (kind, name) = dlq.kind_and_name();
                    session.add_resource(&kind, &name, format!("dead-letter target of {function}"));
                }
            }
            group
        }
        Err(missed) => {
            session.cache_function(function, None);
            session.note(KIND, function, "its logging configuration", &missed);
            conventional_group(function)
        }
    }
}

/// What is wrong with a function, if anything: a state other than Active,
/// or a failed last update, with AWS's reason.
fn unhealthy(
    state: Option<&State>,
    state_reason: Option<&str>,
    update: Option<&LastUpdateStatus>,
    update_reason: Option<&str>,
) -> Option<String> {
    let mut trouble = Vec::new();
    if let Some(state) = state.filter(|s| **s != State::Active) {
        trouble.push(format!(
            "state {}: {}",
            state.as_str(),
            state_reason.unwrap_or("no reason given")
        ));
    }
    if let Some(update) = update.filter(|u| **u == LastUpdateStatus::Failed) {
        trouble.push(format!(
            "last update {}: {}",
            update.as_str(),
            update_reason.unwrap_or("no reason given")
        ));
    }
    (!trouble.is_empty()).then(|| trouble.join("; "))
}

/// A mapping's state, and its last result when it is not plain `OK`.
fn describe(mapping: &EventSourceMappingConfiguration) -> String {
    let state = mapping.state().unwrap_or("state unknown");
    match mapping.last_processing_result() {
        Some(result) if result != "OK" && result != "No records processed" => {
            format!("mapping {state}, last result: {result}")
        }
        _ => format!("mapping {state}"),
    }
}

/// Where failed batches go: a queue or topic worth knowing about.
fn on_failure_destination(
    session: &mut Session,
    mapping: &EventSourceMappingConfiguration,
    function: &str,
) {
    let destination = mapping
        .destination_config()
        .and_then(|d| d.on_failure())
        .and_then(|f| f.destination())
        .and_then(Arn::parse);
    if let Some(destination) = destination {
        let (kind, name) = destination.kind_and_name();
        session.add_resource(
            &kind,
            &name,
            format!("on-failure destination of {function}'s mapping"),
        );
    }
}
