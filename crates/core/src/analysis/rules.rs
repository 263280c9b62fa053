//! The built-in analyzer: rules for common AWS failures, by metric and by
//! log pattern. It needs no network, answers in microseconds, and is the
//! fallback when the configured analyzer is down.
//!
//! Log lines and alarm text are matched as data (case-insensitive substring
//! search), quoted as evidence, and never interpreted.

use super::{
    Analysis, AnalysisInput, Category, Evidence, EvidenceKind, Remediation, Risk, RootCause, limits,
};
use crate::limits::truncate_chars;

/// What the rule analyzer calls itself in `Analysis::analyzer`.
pub const ANALYZER_NAME: &str = "rules";
/// Bumped when the rules change, so cached analyses are not reused.
pub const RULES_VERSION: &str = "rules-v1";

/// How much of a log line is quoted as evidence.
const EVIDENCE_LINE_CHARS: usize = 300;
/// Log lines quoted per cause.
const LINES_PER_CAUSE: usize = 3;

#[derive(Debug, Clone, Copy, Default)]
pub struct RuleAnalyzer;

struct MetricRule {
    namespace: &'static str,
    metrics: &'static [&'static str],
    cause: &'static str,
    impact: &'static str,
    remediation: &'static [(&'static str, Risk)],
    checks: &'static [&'static str],
    /// Log patterns that explain this metric in more detail.
    explained_by: &'static [&'static str],
}

struct LogPattern {
    id: &'static str,
    needles: &'static [&'static str],
    cause: &'static str,
    remediation: &'static [(&'static str, Risk)],
    checks: &'static [&'static str],
}

const METRIC_RULES: &[MetricRule] = &[
    MetricRule {
        namespace: "AWS/Lambda",
        metrics: &["Errors"],
        cause: "The function is failing: invocations end in an error",
        impact: "Requests or events handled by the function fail or are retried",
        remediation: &[
            (
                "Read the function's error lines and fix or roll back the failing change",
                Risk::Low,
            ),
            (
                "Roll back to the previous function version or alias if a deploy preceded the errors",
                Risk::Medium,
            ),
        ],
        checks: &[
            "Recent deployments of the function",
            "Errors and Invocations side by side",
        ],
        explained_by: &[
            "timeout",
            "memory",
            "throttling",
            "connection",
            "access",
            "dns",
            "tls",
            "disk",
        ],
    },
    MetricRule {
        namespace: "AWS/Lambda",
        metrics: &["Throttles", "ConcurrentExecutions"],
        cause: "The function hits its concurrency limit and invocations are throttled",
        impact: "Throttled invocations are rejected (synchronous) or delayed and retried (asynchronous)",
        remediation: &[
            (
                "Raise the function's reserved concurrency or the account's concurrency quota",
                Risk::Low,
            ),
            (
                "Smooth the traffic source (batch size, queue, API throttling)",
                Risk::Medium,
            ),
        ],
        checks: &[
            "ConcurrentExecutions against the limit",
            "Which callers sent the burst",
        ],
        explained_by: &["throttling"],
    },
    MetricRule {
        namespace: "AWS/Lambda",
        metrics: &["Duration"],
        cause: "The function runs long and approaches its timeout",
        impact: "Slow responses; invocations that reach the timeout fail",
        remediation: &[
            (
                "Find the slow dependency (database, HTTP call) and add a timeout shorter than the function's",
                Risk::Low,
            ),
            (
                "Raise the function timeout or memory (more memory also means more CPU)",
                Risk::Low,
            ),
        ],
        checks: &[
            "Duration p99 against the configured timeout",
            "Latency of downstream calls",
        ],
        explained_by: &["timeout", "connection", "dns"],
    },
    MetricRule {
        namespace: "AWS/ApiGateway",
        metrics: &["5XXError", "5xx"],
        cause: "The API returns server errors: its backend integration fails",
        impact: "Clients get 5XX responses",
        remediation: &[(
            "Check the integration (Lambda, HTTP backend) behind the failing routes",
            Risk::Low,
        )],
        checks: &[
            "5XXError by resource and method",
            "IntegrationLatency",
            "The backend's own errors",
        ],
        explained_by: &["timeout", "connection", "throttling", "access", "memory"],
    },
    MetricRule {
        namespace: "AWS/ApiGateway",
        metrics: &["Latency", "IntegrationLatency"],
        cause: "The API is slow: most of the time is spent in its backend",
        impact: "Clients wait longer and may time out (API Gateway stops at 29 seconds)",
        remediation: &[(
            "Profile the backend; add caching or raise the backend's capacity",
            Risk::Medium,
        )],
        checks: &["IntegrationLatency against Latency", "Backend duration"],
        explained_by: &["timeout", "connection"],
    },
    MetricRule {
        namespace: "AWS/RDS",
        metrics: &["CPUUtilization"],
        cause: "The database instance is CPU-bound: an expensive query or more load",
        impact: "Queries slow down; applications time out waiting for the database",
        remediation: &[
            (
                "Find the top queries in Performance Insights and add the missing index",
                Risk::Low,
            ),
            ("Scale the instance class up", Risk::Medium),
        ],
        checks: &[
            "Performance Insights top SQL",
            "DatabaseConnections",
            "ReadIOPS and WriteIOPS",
        ],
        explained_by: &["timeout"],
    },
    MetricRule {
        namespace: "AWS/RDS",
        metrics: &["FreeStorageSpace"],
        cause: "The database is running out of storage",
        impact: "Writes fail once storage is full; the instance may become unavailable",
        remediation: &[
            (
                "Increase allocated storage or enable storage autoscaling",
                Risk::Low,
            ),
            ("Remove old data or logs that fill the volume", Risk::Medium),
        ],
        checks: &[
            "Storage growth over the last days",
            "Binary log or WAL retention",
        ],
        explained_by: &["disk"],
    },
    MetricRule {
        namespace: "AWS/RDS",
        metrics: &["DatabaseConnections"],
        cause: "The database is near its connection limit: a connection leak or a burst of clients",
        impact: "New connections are refused; requests fail",
        remediation: &[
            (
                "Use a connection pool or RDS Proxy in front of the database",
                Risk::Medium,
            ),
            (
                "Find and restart the client that leaks connections",
                Risk::Low,
            ),
        ],
        checks: &[
            "Connections by client host",
            "max_connections of the parameter group",
        ],
        explained_by: &["connection", "timeout"],
    },
    MetricRule {
        namespace: "AWS/SQS",
        metrics: &[
            "ApproximateAgeOfOldestMessage",
            "ApproximateNumberOfMessagesVisible",
        ],
        cause: "Consumers fall behind: messages wait in the queue",
        impact: "Work is delayed; messages past the retention period are lost",
        remediation: &[
            (
                "Scale the consumers out, or raise the Lambda event source's concurrency",
                Risk::Low,
            ),
            (
                "Check whether the consumer fails and returns messages to the queue",
                Risk::Low,
            ),
        ],
        checks: &[
            "NumberOfMessagesReceived against NumberOfMessagesDeleted",
            "Consumer errors",
            "Dead-letter queue depth",
        ],
        explained_by: &["throttling", "timeout", "memory"],
    },
    MetricRule {
        namespace: "AWS/ECS",
        metrics: &["CPUUtilization"],
        cause: "The service's tasks are CPU-bound",
        impact: "Slow responses; health checks may fail and tasks restart",
        remediation: &[("Scale the service out or raise the task CPU", Risk::Low)],
        checks: &["CPU by task", "Request rate"],
        explained_by: &[],
    },
    MetricRule {
        namespace: "AWS/ECS",
        metrics: &["MemoryUtilization"],
        cause: "The service's tasks run out of memory",
        impact: "Tasks are killed (OutOfMemoryError, exit code 137) and restarted",
        remediation: &[("Raise the task memory, or find the leak", Risk::Low)],
        checks: &["Stopped task reasons", "Memory growth over time"],
        explained_by: &["memory"],
    },
    MetricRule {
        namespace: "AWS/EC2",
        metrics: &["CPUUtilization"],
        cause: "The instance is CPU-bound",
        impact: "Everything on the instance slows down",
        remediation: &[(
            "Find the process using the CPU; scale the instance or the group",
            Risk::Medium,
        )],
        checks: &[
            "Top processes on the instance",
            "CPU credit balance for burstable instances",
        ],
        explained_by: &[],
    },
    MetricRule {
        namespace: "AWS/EC2",
        metrics: &[
            "StatusCheckFailed",
            "StatusCheckFailed_System",
            "StatusCheckFailed_Instance",
        ],
        cause: "The instance fails its status checks: a host problem or an unresponsive operating system",
        impact: "The instance is unreachable",
        remediation: &[(
            "Reboot the instance (instance check) or stop and start it to move hosts (system check)",
            Risk::Medium,
        )],
        checks: &["The system log of the instance", "AWS Health events"],
        explained_by: &["disk", "memory"],
    },
    MetricRule {
        namespace: "AWS/DynamoDB",
        metrics: &[
            "ThrottledRequests",
            "ReadThrottleEvents",
            "WriteThrottleEvents",
            "WriteThrottledRequests",
            "ReadThrottledRequests",
        ],
        cause: "The table throttles requests: more traffic than its capacity, or a hot partition",
        impact: "Reads or writes fail with ProvisionedThroughputExceededException and are retried",
        remediation: &[
            (
                "Raise the provisioned capacity or switch the table to on-demand",
                Risk::Low,
            ),
            ("Spread a hot partition key", Risk::High),
        ],
        checks: &[
            "ConsumedReadCapacityUnits and ConsumedWriteCapacityUnits",
            "Contributor Insights for hot keys",
        ],
        explained_by: &["throttling"],
    },
];

const LOG_PATTERNS: &[LogPattern] = &[
    LogPattern {
        id: "timeout",
        needles: &[
            "task timed out",
            "timed out",
            "timeout",
            "etimedout",
            "deadline exceeded",
        ],
        cause: "Calls time out",
        remediation: &[(
            "Find the slow call in the lines quoted and give it a shorter timeout with retries",
            Risk::Low,
        )],
        checks: &["Latency of the dependency named in the timeouts"],
    },
    LogPattern {
        id: "connection",
        needles: &[
            "connection refused",
            "econnrefused",
            "connection reset",
            "econnreset",
            "broken pipe",
        ],
        cause: "A dependency refuses or drops connections",
        remediation: &[(
            "Check that the dependency is up and its security groups allow the caller",
            Risk::Low,
        )],
        checks: &[
            "Health of the dependency",
            "Recent security group or network changes",
        ],
    },
    LogPattern {
        id: "memory",
        needles: &[
            "out of memory",
            "outofmemory",
            "memoryerror",
            "signal: killed",
            "cannot allocate memory",
            "javascript heap out of memory",
        ],
        cause: "The process runs out of memory",
        remediation: &[(
            "Raise the memory setting, then look for the leak or the oversized batch",
            Risk::Low,
        )],
        checks: &["Max memory used against the configured memory"],
    },
    LogPattern {
        id: "throttling",
        needles: &[
            "throttl",
            "rate exceeded",
            "toomanyrequests",
            "too many requests",
            "provisionedthroughputexceeded",
            "slowdown",
        ],
        cause: "Calls are throttled by a downstream service",
        remediation: &[(
            "Add backoff with jitter, and raise the quota or capacity of the throttling service",
            Risk::Low,
        )],
        checks: &["Which service throttles (the exception name in the lines quoted)"],
    },
    LogPattern {
        id: "access",
        needles: &[
            "accessdenied",
            "access denied",
            "not authorized",
            "unauthorizedoperation",
            "forbidden",
            "403",
        ],
        cause: "A call is denied: missing permission or expired credentials",
        remediation: &[(
            "Compare the role's policy with the denied action; check for a recent policy change",
            Risk::Medium,
        )],
        checks: &["CloudTrail events with errorCode AccessDenied for the role"],
    },
    LogPattern {
        id: "disk",
        needles: &[
            "no space left on device",
            "disk full",
            "enospc",
            "disk quota exceeded",
        ],
        cause: "A disk or volume is full",
        remediation: &[(
            "Free space (logs, temp files) and grow the volume",
            Risk::Low,
        )],
        checks: &["Volume usage and what grew"],
    },
    LogPattern {
        id: "dns",
        needles: &[
            "getaddrinfo",
            "name or service not known",
            "nxdomain",
            "could not resolve host",
            "temporary failure in name resolution",
            "no such host",
        ],
        cause: "Name resolution fails",
        remediation: &[(
            "Check the DNS record and the VPC resolver of the caller",
            Risk::Low,
        )],
        checks: &["The host name in the lines quoted", "Route 53 changes"],
    },
    LogPattern {
        id: "tls",
        needles: &[
            "certificate",
            "tls handshake",
            "ssl",
            "x509",
            "handshake failure",
        ],
        cause: "TLS fails: an expired or untrusted certificate, or a protocol mismatch",
        remediation: &[(
            "Check the certificate's expiry and chain on the endpoint named in the lines quoted",
            Risk::Low,
        )],
        checks: &["Certificate expiry dates (ACM, the endpoint)"],
    },
];

struct Candidate {
    category: Category,
    cause: String,
    confidence: f64,
    evidence: Vec<Evidence>,
    remediation: Vec<Remediation>,
    checks: Vec<String>,
}

impl RuleAnalyzer {
    pub fn analyze(&self, input: &AnalysisInput) -> Analysis {
        let alert = &input.alert;
        let metric = alert.metric.as_ref();
        let rule = metric.and_then(|m| {
            let (namespace, name) = (m.namespace.as_deref()?, m.name.as_deref()?);
            METRIC_RULES
                .iter()
                .find(|r| r.namespace == namespace && r.metrics.contains(&name))
        });
        let lines = log_lines(input);
        let mut candidates = Vec::new();
        for pattern in LOG_PATTERNS {
            let matching: Vec<&str> = lines
                .iter()
                .filter(|line| {
                    let lower = line.to_lowercase();
                    pattern.needles.iter().any(|n| lower.contains(n))
                })
                .map(String::as_str)
                .collect();
            if matching.is_empty() {
                continue;
            }
            let explains_metric = rule.is_some_and(|r| r.explained_by.contains(&pattern.id));
            let confidence = 0.45
                + 0.1 * (matching.len().min(3) as f64)
                + if explains_metric { 0.15 } else { 0.0 };
            candidates.push(Candidate {
                category: pattern_category(pattern.id),
                cause: pattern.cause.to_owned(),
                confidence: confidence.min(0.9),
                evidence: matching
                    .iter()
                    .take(LINES_PER_CAUSE)
                    .map(|l| Evidence {
                        kind: EvidenceKind::Log,
                        detail: truncate_chars(l, EVIDENCE_LINE_CHARS),
                        source: None,
                    })
                    .collect(),
                remediation: to_steps(pattern.remediation),
                checks: pattern.checks.iter().map(|c| (*c).to_owned()).collect(),
            });
        }
        if let Some(rule) = rule {
            // A generic metric rule ranks below the specific log evidence.
            let explained = !candidates.is_empty() && !rule.explained_by.is_empty();
            candidates.push(Candidate {
                category: metric_category(rule.metrics),
                cause: rule.cause.to_owned(),
                confidence: if explained { 0.4 } else { 0.6 },
                evidence: metric.map(metric_evidence).into_iter().collect(),
                remediation: to_steps(rule.remediation),
                checks: rule.checks.iter().map(|c| (*c).to_owned()).collect(),
            });
        }
        if candidates.is_empty() {
            candidates.push(Candidate {
                category: Category::Unknown,
                cause: format!(
                    "No known failure pattern matches; the alarm on {} crossed its threshold",
                    describe_metric(alert)
                ),
                confidence: 0.2,
                evidence: vec![Evidence {
                    kind: EvidenceKind::Alarm,
                    detail: truncate_chars(&alert.message, EVIDENCE_LINE_CHARS),
                    source: None,
                }],
                remediation: vec![Remediation {
                    step:
                        "Look at the resource's recent changes and its logs around the state change"
                            .to_owned(),
                    risk: Risk::Low,
                }],
                checks: vec!["Recent deployments and configuration changes".to_owned()],
            });
        }
        candidates.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        candidates.truncate(limits::MAX_ROOT_CAUSES);
        if let (Some(history), Some(top)) = (&input.history, candidates.first_mut())
            && history.count > 0
        {
            let mut detail = format!("Seen {} times in the last 30 days", history.count);
            if let Some(cause) = history.previous_root_causes.first() {
                detail.push_str(&format!("; previous root cause: {cause}"));
            }
            if let Some(fix) = history.previous_resolutions.first() {
                detail.push_str(&format!("; resolved before by: {fix}"));
            }
            top.evidence.push(Evidence {
                kind: EvidenceKind::History,
                detail: truncate_chars(&detail, EVIDENCE_LINE_CHARS),
                source: None,
            });
        }
        let mut remediation: Vec<Remediation> = Vec::new();
        let mut next_checks: Vec<String> = Vec::new();
        for candidate in &candidates {
            for step in &candidate.remediation {
                if !remediation.iter().any(|r| r.step == step.step) {
                    remediation.push(step.clone());
                }
            }
            for check in &candidate.checks {
                if !next_checks.contains(check) {
                    next_checks.push(check.clone());
                }
            }
        }
        remediation.truncate(limits::MAX_REMEDIATION_STEPS);
        next_checks.truncate(limits::MAX_NEXT_CHECKS);
        let top = candidates.first();
        let summary = match top {
            Some(c) => format!(
                "{}: {} (confidence {:.0}%).",
                alert.title,
                lower_first(&c.cause),
                c.confidence * 100.0
            ),
            None => alert.title.clone(),
        };
        let mut context_unavailable = Vec::new();
        if input.history.is_none() {
            context_unavailable.push("history".to_owned());
        }
        if input.logs.is_none() {
            context_unavailable.push("logs".to_owned());
        }
        Analysis {
            summary: truncate_chars(&summary, limits::MAX_SUMMARY_CHARS),
            root_causes: candidates
                .into_iter()
                .map(|c| RootCause {
                    component: alarmed_component(alert),
                    category: c.category,
                    explanation: c.cause,
                    confidence: (c.confidence * 100.0).round() / 100.0,
                    evidence: c.evidence,
                })
                .collect(),
            impact: rule.map_or_else(
                || {
                    format!(
                        "{} is affected",
                        alert.service.as_deref().unwrap_or(&alert.resource)
                    )
                },
                |r| r.impact.to_owned(),
            ),
            remediation,
            next_checks,
            analyzer: ANALYZER_NAME.to_owned(),
            prompt_version: RULES_VERSION.to_owned(),
            degraded: false,
            degraded_reason: None,
            context_cut: Vec::new(),
            context_unavailable,
            ungrounded_quotes: 0,
            schema_version: super::SCHEMA_VERSION,
        }
    }
}

/// The category of a log pattern.
fn pattern_category(id: &str) -> Category {
    match id {
        "timeout" => Category::Timeout,
        "connection" => Category::DependencyFailure,
        "memory" => Category::OutOfMemory,
        "throttling" => Category::Throttling,
        "access" => Category::PermissionDenied,
        "disk" => Category::DiskFull,
        "dns" | "tls" => Category::NetworkDnsTls,
        _ => Category::Unknown,
    }
}

/// The category a metric rule stands for.
fn metric_category(metrics: &[&str]) -> Category {
    match metrics.first().copied().unwrap_or_default() {
        "Throttles" | "ThrottledRequests" => Category::Throttling,
        "Duration" | "Latency" => Category::Timeout,
        "5XXError" => Category::DependencyFailure,
        "Errors" => Category::CodeException,
        _ => Category::Unknown,
    }
}

/// The alarmed resource by its name: the first dimension's value, else the
/// alarm's name.
fn alarmed_component(alert: &crate::alert::Alert) -> String {
    alert
        .metric
        .as_ref()
        .and_then(|m| m.dimensions.values().next().cloned())
        .or_else(|| alert.alarm.as_ref().map(|a| a.name.clone()))
        .unwrap_or_else(|| alert.resource.clone())
}

/// The alert's own log events (a Logs subscription) and the gathered lines.
fn log_lines(input: &AnalysisInput) -> Vec<String> {
    let mut lines: Vec<String> = input
        .alert
        .logs
        .iter()
        .flat_map(|l| l.events.iter().map(|e| e.message.clone()))
        .collect();
    if let Some(logs) = &input.logs {
        lines.extend(logs.lines.iter().map(|l| l.message.clone()));
    }
    lines
}

fn to_steps(steps: &[(&str, Risk)]) -> Vec<Remediation> {
    steps
        .iter()
        .map(|(step, risk)| Remediation {
            step: (*step).to_owned(),
            risk: *risk,
        })
        .collect()
}

fn metric_evidence(metric: &crate::alert::MetricDetails) -> Evidence {
    let mut detail = format!(
        "{} {}",
        metric.name.as_deref().unwrap_or("metric"),
        metric.statistic.as_deref().unwrap_or_default()
    )
    .trim_end()
    .to_owned();
    if !metric.recent_datapoints.is_empty() {
        let points: Vec<String> = metric
            .recent_datapoints
            .iter()
            .map(|p| format!("{p}"))
            .collect();
        detail.push_str(&format!(" was {}", points.join(", ")));
    }
    if let Some(threshold) = metric.threshold {
        detail.push_str(&format!(
            " against a threshold of {threshold}{}",
            metric
                .comparison
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ));
    }
    Evidence {
        kind: EvidenceKind::Metric,
        detail,
        source: None,
    }
}

fn describe_metric(alert: &crate::alert::Alert) -> String {
    match alert
        .metric
        .as_ref()
        .and_then(|m| Some((m.namespace.as_deref()?, m.name.as_deref()?)))
    {
        Some((namespace, name)) => format!("{namespace} {name}"),
        None => alert.resource.clone(),
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
