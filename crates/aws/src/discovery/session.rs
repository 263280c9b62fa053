//! One incident's discovery: the topology being built, the calls it may
//! still make, its deadline, what it already asked (a function's log group
//! is asked once however many paths lead to it), and which groups are known
//! to exist.
//!
//! A call that fails, runs out of time or finds the budget spent is not an
//! error of the incident: the resource it was about says so in its relation,
//! and discovery goes on. Only when every call made was throttled does the
//! whole discovery fail (`Logs.Transient`, which the state machine retries).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use responder_core::context::topology::{RelatedGroup, RelatedResource, Topology};
use responder_workflow::error::names;
use responder_workflow::{Error, Result};
use tokio::time::Instant;
use tracing::warn;

use crate::error::{Failure, Kind};

/// Calls kept back for checking that the chosen groups exist.
pub const VERIFY_CALLS: usize = 2;
/// How long the existence check may run after the exploration's deadline.
pub const VERIFY_ALLOWANCE: Duration = Duration::from_secs(4);
/// The most resources and log groups one topology holds: it travels in the
/// state machine's payload (256 KiB), and the workflow reads 50 groups.
pub const MAX_RESOURCES: usize = 40;
pub const MAX_GROUPS: usize = 100;

/// Exploring finds resources and groups; verifying keeps the groups that
/// exist. Verifying has calls and time of its own, so that a spent budget
/// never sends a missing group to Logs Insights (which fails the query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Explore,
    Verify,
}

/// Why a call gave nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missed {
    /// The incident's calls were all spent (how many it had).
    OverBudget(usize),
    PastDeadline,
    Failed(Failure),
}

/// Whether `name` matches `pattern`, where `*` stands for any characters
/// (IAM's resource patterns, as `LOG_GROUP_PATTERNS` holds them).
pub fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return true;
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole name.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = rest.get(at + part.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.ends_with(last)
}

impl fmt::Display for Missed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OverBudget(max) => write!(f, "not asked, the {max} discovery calls were spent"),
            Self::PastDeadline => f.write_str("not asked, discovery ran out of time"),
            Self::Failed(failure) => f.write_str(&failure.message),
        }
    }
}

#[derive(Debug)]
pub struct Session {
    topology: Topology,
    max_calls: usize,
    explore_left: usize,
    verify_left: usize,
    explore_until: Instant,
    verify_until: Instant,
    made: usize,
    throttled: usize,
    last_throttled: Option<String>,
    existing: HashSet<String>,
    /// Function name → its log group (`None`: the call failed): the cache.
    function_groups: HashMap<String, Option<String>>,
    /// Functions around the alarmed resource whose configuration may still
    /// be asked; past it, their groups follow the naming convention.
    neighbours_left: usize,
}

impl Session {
    pub fn new(
        topology: Topology,
        max_calls: usize,
        deadline: Duration,
        neighbours: usize,
    ) -> Self {
        let now = Instant::now();
        Self {
            topology,
            max_calls,
            explore_left: max_calls.saturating_sub(VERIFY_CALLS),
            verify_left: VERIFY_CALLS.min(max_calls),
            explore_until: now + deadline,
            verify_until: now + deadline + VERIFY_ALLOWANCE,
            made: 0,
            throttled: 0,
            last_throttled: None,
            existing: HashSet::new(),
            function_groups: HashMap::new(),
            neighbours_left: neighbours,
        }
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Calls made so far (for the logs and the tests).
    pub fn calls_made(&self) -> usize {
        self.made
    }

    /// Sends `request` if the budget and the deadline allow, within what is
    /// left of the deadline. `request` is a future not yet polled: nothing
    /// is sent unless it is awaited here.
    pub async fn call<T, E, R>(
        &mut self,
        phase: Phase,
        operation: &'static str,
        request: impl Future<Output = std::result::Result<T, SdkError<E, R>>>,
    ) -> std::result::Result<T, Missed>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        let (left, until) = match phase {
            Phase::Explore => (&mut self.explore_left, self.explore_until),
            Phase::Verify => (&mut self.verify_left, self.verify_until),
        };
        if *left == 0 {
            return Err(Missed::OverBudget(self.max_calls));
        }
        let now = Instant::now();
        if now >= until {
            return Err(Missed::PastDeadline);
        }
        *left -= 1;
        self.made += 1;
        match tokio::time::timeout(until - now, request).await {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(error)) => {
                let failure = Failure::of(operation, &error);
                warn!(operation, error = %failure.message, "A discovery call failed; going on without it.");
                if failure.kind == Kind::Throttled {
                    self.throttled += 1;
                    self.last_throttled = Some(failure.message.clone());
                }
                Err(Missed::Failed(failure))
            }
            Err(_) => {
                warn!(
                    operation,
                    "A discovery call ran past the deadline; going on without it."
                );
                Err(Missed::PastDeadline)
            }
        }
    }

    /// Adds a group, or raises a known one to `weight` with its relation.
    /// `exists`: an API listed it (no need to check it).
    pub fn add_group(
        &mut self,
        name: &str,
        relation: impl Into<String>,
        weight: f64,
        exists: bool,
    ) {
        if name.is_empty() {
            return;
        }
        if exists {
            self.existing.insert(name.to_owned());
        }
        let full = self.topology.log_groups.len() >= MAX_GROUPS;
        match self.topology.log_groups.iter_mut().find(|g| g.name == name) {
            Some(known) if known.weight >= weight => {}
            Some(known) => {
                known.weight = weight;
                known.relation = relation.into();
            }
            None if full => {}
            None => self.topology.log_groups.push(RelatedGroup {
                name: name.to_owned(),
                relation: relation.into(),
                weight,
            }),
        }
    }

    /// Adds a resource unless one of that kind and name is known.
    pub fn add_resource(&mut self, kind: &str, name: &str, relation: impl Into<String>) {
        let known = self
            .topology
            .resources
            .iter()
            .any(|r| r.kind == kind && r.name == name);
        if !known && !name.is_empty() && self.topology.resources.len() < MAX_RESOURCES {
            self.topology.resources.push(RelatedResource {
                kind: kind.to_owned(),
                name: name.to_owned(),
                relation: relation.into(),
            });
        }
    }

    /// Records on a resource what could not be learned about it, and why.
    pub fn note(&mut self, kind: &str, name: &str, what: &str, missed: &impl fmt::Display) {
        self.annotate(kind, name, &format!("{what} unknown ({missed})"));
    }

    /// Adds `text` to a resource's relation (the resource is added if new).
    pub fn annotate(&mut self, kind: &str, name: &str, text: &str) {
        match self
            .topology
            .resources
            .iter_mut()
            .find(|r| r.kind == kind && r.name == name)
        {
            Some(resource) => {
                resource.relation.push_str("; ");
                resource.relation.push_str(text);
            }
            None => self.add_resource(kind, name, text),
        }
    }

    /// The group of a function already asked for, if it was.
    pub fn cached_function(&self, function: &str) -> Option<Option<String>> {
        self.function_groups.get(function).cloned()
    }

    pub fn cache_function(&mut self, function: &str, group: Option<String>) {
        self.function_groups.insert(function.to_owned(), group);
    }

    /// Takes one of the neighbour functions that may still be asked about.
    pub fn take_neighbour(&mut self) -> bool {
        let allowed = self.neighbours_left > 0;
        self.neighbours_left = self.neighbours_left.saturating_sub(1);
        allowed
    }

    pub fn exists(&self, group: &str) -> bool {
        self.existing.contains(group)
    }

    pub fn mark_existing(&mut self, group: &str) {
        self.existing.insert(group.to_owned());
    }

    /// Drops groups found not to exist.
    pub fn drop_groups(&mut self, missing: &HashSet<String>) {
        self.topology
            .log_groups
            .retain(|g| !missing.contains(&g.name));
    }

    /// Moves the groups no pattern of `readable` matches to the resources:
    /// named, not read (an empty list allows every group).
    pub fn keep_readable(&mut self, readable: &[String]) {
        if readable.is_empty() {
            return;
        }
        let (kept, unreadable): (Vec<RelatedGroup>, Vec<RelatedGroup>) =
            std::mem::take(&mut self.topology.log_groups)
                .into_iter()
                .partition(|g| readable.iter().any(|p| glob(p, &g.name)));
        self.topology.log_groups = kept;
        for group in unreadable {
            let relation = format!("{}; not read: outside LOG_GROUP_PATTERNS", group.relation);
            self.add_resource("log group", &group.name, relation);
        }
    }

    /// The groups best related first, as the workflow will read them.
    pub fn sort_groups(&mut self) {
        self.topology
            .log_groups
            .sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.name.cmp(&b.name)));
    }

    /// The topology found, unless every call made was throttled: then the
    /// account is being slowed down and a retry a little later finds more.
    pub fn finish(self) -> Result<Topology> {
        if self.made > 0 && self.throttled == self.made {
            return Err(Error::new(
                names::LOGS_TRANSIENT,
                format!(
                    "discovery was throttled on each of its {} calls (last: {})",
                    self.made,
                    self.last_throttled.unwrap_or_default()
                ),
            ));
        }
        Ok(self.topology)
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn patterns_match_as_iam_resources_do() {
        assert!(glob("/aws/lambda/*", "/aws/lambda/checkout-api"));
        assert!(glob(
            "API-Gateway-Execution-Logs_*",
            "API-Gateway-Execution-Logs_a1b2c3d4e5/prod"
        ));
        assert!(glob("/ec2/*/messages", "/ec2/i-0abc1234def567890/messages"));
        assert!(glob("/shop/checkout-api", "/shop/checkout-api"));
        assert!(glob("*", "anything"));
        assert!(!glob("/aws/lambda/*", "/shop/checkout-api"));
        assert!(!glob("/shop/checkout-api", "/shop/checkout-api-v2"));
        assert!(!glob("/ec2/*/messages", "/ec2/i-0abc/syslog"));
        // The last part must end the name, not merely appear in it.
        assert!(!glob("/a/*/x", "/a/b/x/y"));
    }
}
