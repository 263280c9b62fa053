//! What kind of failure a cause is. The rules for choosing one, which the
//! prompt and the built-in rules both follow:
//!
//! - The category names the root cause, not the symptom the alarm measures:
//!   a latency alarm caused by a configuration change that switched off a
//!   cache is `bad_deploy_or_config`, not `timeout`.
//! - `permission_denied` and `network_dns_tls` win when the decisive evidence
//!   is an explicit denial (AccessDenied, a key policy, a 403 from IAM) or a
//!   DNS or TLS failure (NXDOMAIN, a resolver or DNS-firewall block, an
//!   expired or untrusted certificate), even when a change caused it.
//! - A code defect shipped in a release keeps its mechanism: a release with a
//!   null-pointer bug is `code_exception`; a release that leaks memory is
//!   `out_of_memory`.
//! - A deploy or configuration change whose effect is none of those
//!   mechanisms (a disabled cache, a wrong stage variable or health-check
//!   path, a reserved concurrency set too low) is `bad_deploy_or_config`.
//! - `unknown` when the evidence does not show the cause.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Timeout,
    OutOfMemory,
    Throttling,
    DependencyFailure,
    BadDeployOrConfig,
    CapacityExhaustion,
    PermissionDenied,
    NetworkDnsTls,
    DatabaseContention,
    DiskFull,
    CodeException,
    QueueBacklog,
    ColdStartOrInit,
    #[default]
    Unknown,
}

impl Category {
    pub const ALL: [Self; 14] = [
        Self::Timeout,
        Self::OutOfMemory,
        Self::Throttling,
        Self::DependencyFailure,
        Self::BadDeployOrConfig,
        Self::CapacityExhaustion,
        Self::PermissionDenied,
        Self::NetworkDnsTls,
        Self::DatabaseContention,
        Self::DiskFull,
        Self::CodeException,
        Self::QueueBacklog,
        Self::ColdStartOrInit,
        Self::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::OutOfMemory => "out_of_memory",
            Self::Throttling => "throttling",
            Self::DependencyFailure => "dependency_failure",
            Self::BadDeployOrConfig => "bad_deploy_or_config",
            Self::CapacityExhaustion => "capacity_exhaustion",
            Self::PermissionDenied => "permission_denied",
            Self::NetworkDnsTls => "network_dns_tls",
            Self::DatabaseContention => "database_contention",
            Self::DiskFull => "disk_full",
            Self::CodeException => "code_exception",
            Self::QueueBacklog => "queue_backlog",
            Self::ColdStartOrInit => "cold_start_or_init",
            Self::Unknown => "unknown",
        }
    }

    /// How people read it: `out of memory`, `bad deploy or config`.
    pub fn label(self) -> String {
        self.as_str().replace('_', " ")
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rules above, as the prompt states them.
pub const RULES: &str = "The category names the root cause, not the symptom the alarm measures \
(a latency alarm caused by a configuration change that switched off a cache is bad_deploy_or_config, \
not timeout). permission_denied and network_dns_tls win when the decisive evidence is an explicit \
denial or a DNS/TLS failure. A code defect shipped in a release keeps its mechanism (code_exception, \
out_of_memory). A deploy or configuration change whose effect is none of these mechanisms is \
bad_deploy_or_config. Use unknown when the evidence does not show the cause.";
