//! What to do about each category of cause, and what to check first: the
//! built-in analyzer's remediation. `{component}` is replaced by the
//! component named.

use super::super::{Category, Risk};

pub struct Advice {
    pub impact: &'static str,
    pub steps: &'static [(&'static str, Risk)],
    pub checks: &'static [&'static str],
}

pub fn of(category: Category) -> Advice {
    match category {
        Category::Timeout => Advice {
            impact: "Requests wait on a slow call and fail when it times out",
            steps: &[
                (
                    "Find what makes {component} slow (the lines quoted) and relieve it",
                    Risk::Low,
                ),
                (
                    "Give the callers a timeout shorter than their own, with retries and backoff",
                    Risk::Low,
                ),
            ],
            checks: &[
                "Latency of {component} over the incident window",
                "What else changed on {component}",
            ],
        },
        Category::OutOfMemory => Advice {
            impact: "Work is lost when the process is killed at its memory limit, then retried",
            steps: &[
                (
                    "Roll back {component} to the version before the memory grew, if a release preceded it",
                    Risk::Medium,
                ),
                (
                    "Raise {component}'s memory to stop the kills while the cause is fixed",
                    Risk::Low,
                ),
                (
                    "Stream or batch the input that is read whole into memory",
                    Risk::Medium,
                ),
            ],
            checks: &["Max memory used against the limit, before and after the last release"],
        },
        Category::Throttling => Advice {
            impact: "Calls are refused or delayed and retried; work piles up",
            steps: &[
                (
                    "Find who consumes {component}'s capacity or concurrency and limit them",
                    Risk::Low,
                ),
                (
                    "Raise the quota, reserved concurrency or provisioned capacity",
                    Risk::Low,
                ),
                (
                    "Spread a hot key or smooth the burst (batching, a queue)",
                    Risk::Medium,
                ),
            ],
            checks: &["Consumption against the limit, by caller or key"],
        },
        Category::DependencyFailure => Advice {
            impact: "Requests that need {component} fail",
            steps: &[
                (
                    "Check {component}'s status and fail over or degrade gracefully while it is down",
                    Risk::Medium,
                ),
                (
                    "Open a case with the provider of {component} if it is a third party",
                    Risk::Low,
                ),
            ],
            checks: &[
                "{component}'s own health and status page",
                "Error rate by dependency",
            ],
        },
        Category::BadDeployOrConfig => Advice {
            impact: "The change broke what depends on it until it is undone",
            steps: &[
                (
                    "Roll back the change to {component} (the change quoted)",
                    Risk::Medium,
                ),
                (
                    "Add a check to the pipeline that would have caught it",
                    Risk::Low,
                ),
            ],
            checks: &["What the change to {component} altered, and who made it"],
        },
        Category::CapacityExhaustion => Advice {
            impact: "New work is refused while {component} is at its limit",
            steps: &[
                (
                    "Relieve {component}: stop or throttle the consumer that took its capacity",
                    Risk::Medium,
                ),
                (
                    "Raise the limit (connections, pool size, workers, instances)",
                    Risk::Low,
                ),
            ],
            checks: &["Who holds {component}'s connections or capacity"],
        },
        Category::PermissionDenied => Advice {
            impact: "Calls are denied until the permission is restored",
            steps: &[(
                "Restore the permission {component} lacks (the denied action quoted); revert the policy change if one preceded it",
                Risk::Medium,
            )],
            checks: &[
                "CloudTrail errorCode AccessDenied for the caller",
                "Recent policy, role and key-policy changes",
            ],
        },
        Category::NetworkDnsTls => Advice {
            impact: "Connections to the host named fail before any request is sent",
            steps: &[(
                "Fix {component}: the DNS record, the resolver or DNS-firewall rule, or the certificate chain",
                Risk::Medium,
            )],
            checks: &[
                "Resolve the host from the caller's network",
                "The certificate's expiry and chain",
            ],
        },
        Category::DatabaseContention => Advice {
            impact: "Transactions wait on locks, time out or are rolled back",
            steps: &[
                (
                    "Stop or reschedule the session that holds the locks ({component})",
                    Risk::Medium,
                ),
                (
                    "Shorten its transactions and order updates consistently",
                    Risk::Medium,
                ),
            ],
            checks: &[
                "Blocking sessions and lock waits on the database",
                "Long-running transactions",
            ],
        },
        Category::DiskFull => Advice {
            impact: "Writes fail until space is freed",
            steps: &[(
                "Free space on {component} (what grew: logs, temporary files, caches) and grow the volume",
                Risk::Low,
            )],
            checks: &["Volume usage over time and what grew"],
        },
        Category::CodeException => Advice {
            impact: "The failing requests or messages keep failing until the code is fixed",
            steps: &[
                (
                    "Roll back {component} to the last good release if a release preceded the errors",
                    Risk::Medium,
                ),
                (
                    "Fix the exception quoted and add a test for the input that raised it",
                    Risk::Low,
                ),
            ],
            checks: &["When the exception first appeared against the release history"],
        },
        Category::QueueBacklog => Advice {
            impact: "Messages wait longer than usual; their work is delayed",
            steps: &[
                (
                    "Slow down or pause {component}, which floods the queue",
                    Risk::Low,
                ),
                (
                    "Scale the consumers out while the backlog drains",
                    Risk::Low,
                ),
            ],
            checks: &[
                "Messages sent and received per minute",
                "Who sent the burst",
            ],
        },
        Category::ColdStartOrInit => Advice {
            impact: "Instances take too long to start, and requests fail or wait meanwhile",
            steps: &[
                (
                    "Trim {component}'s start-up (package size, warm-up, migrations at boot)",
                    Risk::Medium,
                ),
                (
                    "Give it more time to start (health-check grace, init), or keep instances warm",
                    Risk::Low,
                ),
            ],
            checks: &["Start-up or init duration before and after the last release"],
        },
        Category::Unknown => Advice {
            impact: "The alarmed resource is affected",
            steps: &[(
                "Look at {component}'s recent changes and its logs around the state change",
                Risk::Low,
            )],
            checks: &["Recent deployments and configuration changes"],
        },
    }
}
