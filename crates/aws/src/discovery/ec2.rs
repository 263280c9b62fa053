//! EC2 instances (`InstanceId`): the CloudWatch agent writes where its
//! configuration says, so the groups come from configured patterns
//! (`EC2_LOG_GROUP_PATTERNS`): `{instance_id}` stands for the instance, a
//! final `*` lists the groups under the prefix, any other name is taken as
//! it is (and checked for existence with the rest). Groups whose names
//! hold the instance id are found by the name search every alarm gets.

use super::Clients;
use super::logs;
use super::session::Session;

/// The most patterns read (each may be one call).
pub const MAX_PATTERNS: usize = 5;
const PLACEHOLDER: &str = "{instance_id}";

pub async fn instance(clients: &Clients, session: &mut Session, patterns: &[String], id: &str) {
    for pattern in patterns.iter().take(MAX_PATTERNS) {
        let name = pattern.replace(PLACEHOLDER, id);
        // A group named for the instance is its own; a shared one holds
        // every instance's streams, this one's among them.
        let (weight, relation) = if pattern.contains(PLACEHOLDER) {
            (
                1.0,
                format!("the instance's agent log group (pattern {pattern})"),
            )
        } else {
            (
                0.8,
                format!("an agent log group of the instances (pattern {pattern})"),
            )
        };
        match name.strip_suffix('*') {
            Some(prefix) => match logs::under_prefix(clients, session, prefix).await {
                Ok(groups) => {
                    for group in groups {
                        session.add_group(&group, relation.clone(), weight, true);
                    }
                }
                Err(missed) => session.note(
                    "ec2 instance",
                    id,
                    &format!("the groups of {pattern}"),
                    &missed,
                ),
            },
            None => session.add_group(&name, relation, weight, false),
        }
    }
}
