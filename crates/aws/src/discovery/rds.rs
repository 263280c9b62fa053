//! RDS and Aurora (`DBInstanceIdentifier`, `DBClusterIdentifier`): the
//! database's exported logs, one group per log type under
//! `/aws/rds/instance/ID/` or `/aws/rds/cluster/ID/` (`error`, `slowquery`,
//! `postgresql`, ...), listed by prefix: no RDS call is needed.

use super::Clients;
use super::logs;
use super::session::Session;

pub async fn exported(
    clients: &Clients,
    session: &mut Session,
    instance: Option<&str>,
    cluster: Option<&str>,
) {
    let scopes = [
        ("rds instance", "instance", instance),
        ("rds cluster", "cluster", cluster),
    ];
    for (kind, scope, id) in scopes {
        let Some(id) = id else { continue };
        match logs::under_prefix(clients, session, &format!("/aws/rds/{scope}/{id}/")).await {
            Ok(groups) => {
                for group in groups {
                    let log_type = group.rsplit('/').next().unwrap_or(&group).to_owned();
                    session.add_group(
                        &group,
                        format!("the {log_type} log of {kind} {id}"),
                        1.0,
                        true,
                    );
                }
            }
            Err(missed) => session.note(kind, id, "its exported logs", &missed),
        }
    }
}
