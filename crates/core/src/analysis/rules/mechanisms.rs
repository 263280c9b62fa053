//! What a line says of the mechanism of a failure: for each category, the
//! words that show it and how strongly. Matched as data, lower case, never
//! interpreted. A word must stand as a word where it could be part of
//! another (`429` in a timestamp's microseconds is no HTTP 429).

use super::super::Category;

type Family = (Category, &'static [(&'static str, f64)]);

const FAMILIES: &[Family] = &[
    (
        Category::OutOfMemory,
        &[
            ("outofmemory", 3.0),
            ("out of memory", 3.0),
            ("java heap space", 3.0),
            ("heap out of memory", 3.0),
            ("memoryerror", 3.0),
            ("oomkilled", 3.0),
            ("oom-kill", 3.0),
            ("oom killer", 3.0),
            ("exit code 137", 3.0),
            ("exitcode 137", 3.0),
            ("cannot allocate memory", 3.0),
            ("memory limit", 1.5),
            ("killed process", 2.0),
            ("gc overhead limit", 3.0),
        ],
    ),
    (
        Category::Timeout,
        &[
            ("task timed out", 3.0),
            ("timed out", 2.0),
            ("timeout", 1.5),
            ("deadline exceeded", 2.5),
            ("etimedout", 2.0),
            ("gateway timeout", 2.0),
            ("read timeout", 2.0),
            ("upstream request timeout", 2.5),
            ("took too long", 1.5),
        ],
    ),
    (
        Category::Throttling,
        &[
            ("throttl", 3.0),
            ("rate exceeded", 3.0),
            ("toomanyrequests", 3.0),
            ("too many requests", 3.0),
            ("provisionedthroughputexceeded", 3.0),
            ("slowdown", 2.0),
            ("requestlimitexceeded", 3.0),
            ("concurrency limit", 2.5),
            ("reserved concurrency", 2.0),
            ("429", 2.0),
        ],
    ),
    (
        Category::DependencyFailure,
        &[
            ("service unavailable", 2.5),
            ("503", 2.0),
            ("bad gateway", 2.0),
            ("502", 1.5),
            ("upstream", 1.5),
            ("circuit breaker", 2.5),
            ("circuit open", 2.5),
            ("connection refused", 2.0),
            ("connect etimedout", 2.5),
            ("connect timed out", 2.5),
            ("connection timed out", 2.0),
            ("econnrefused", 2.0),
            ("connection reset", 1.5),
            ("unavailable", 1.5),
            ("maintenance", 1.0),
        ],
    ),
    (
        Category::BadDeployOrConfig,
        &[
            ("configuration error", 3.0),
            ("misconfigur", 3.0),
            ("invalid endpoint", 2.0),
            ("stage variable", 2.0),
            ("health check path", 2.5),
            ("healthcheckpath", 2.5),
            ("feature flag", 2.0),
            ("set to false", 2.0),
            ("disabled", 1.0),
            ("parameter", 1.0),
            ("config", 1.0),
            ("update_complete", 1.5),
            ("deploy", 1.5),
            ("rollout", 1.5),
            ("rolled out", 1.5),
        ],
    ),
    (
        Category::CapacityExhaustion,
        &[
            ("too many connections", 3.0),
            ("remaining connection slots", 3.0),
            ("er_con_count_error", 3.0),
            ("connection pool", 2.5),
            ("pool exhausted", 3.0),
            ("pool is exhausted", 3.0),
            ("connection is not available", 3.0),
            ("no available connection", 3.0),
            ("worker_connections are not enough", 3.0),
            ("max_connections", 2.0),
            ("maxclients", 2.0),
            ("insufficient capacity", 3.0),
            ("resource exhausted", 2.5),
            ("queue full", 2.0),
            ("capacity", 1.0),
        ],
    ),
    (
        Category::PermissionDenied,
        &[
            ("accessdenied", 3.0),
            ("access denied", 3.0),
            ("access to kms is not allowed", 3.0),
            ("not authorized", 3.0),
            ("unauthorizedoperation", 3.0),
            ("no resource-based policy allows", 3.0),
            ("permission denied", 2.5),
            ("forbidden", 2.0),
            ("kms:decrypt", 2.0),
            ("invalidclienttokenid", 3.0),
            ("expiredtoken", 2.5),
            ("authorizationerror", 3.0),
        ],
    ),
    (
        Category::NetworkDnsTls,
        &[
            ("nxdomain", 3.0),
            ("no such host", 3.0),
            ("name or service not known", 3.0),
            ("getaddrinfo", 2.5),
            ("could not resolve", 3.0),
            ("temporary failure in name resolution", 3.0),
            ("unknownhostexception", 3.0),
            ("unknown host", 3.0),
            ("certificate has expired", 3.0),
            // Alone, these words name a setting (`ssl=REQUIRED`), not a failure.
            ("certificate", 0.8),
            ("x509", 3.0),
            ("pkix", 3.0),
            // `Handshake` alone is also a database driver's login step.
            ("handshake", 0.8),
            ("handshake failed", 3.0),
            ("handshake failure", 3.0),
            ("tls handshake", 3.0),
            ("ssl handshake", 3.0),
            ("sslhandshakeexception", 3.0),
            ("certificate verify failed", 3.0),
            ("ssl", 0.5),
            ("tls", 0.5),
            ("\"firewall_rule_action\":\"block\"", 3.0),
            ("dns", 0.5),
        ],
    ),
    (
        Category::DatabaseContention,
        &[
            ("deadlock", 3.0),
            ("lock wait", 3.0),
            ("waiting for sharelock", 3.0),
            ("waiting for exclusivelock", 3.0),
            ("still waiting for", 2.5),
            ("lock timeout", 2.5),
            ("could not obtain lock", 3.0),
            ("serialization failure", 2.5),
            ("could not serialize", 2.5),
            ("blocked by process", 2.5),
            ("try restarting transaction", 2.5),
            ("row lock", 2.0),
            ("lock_wait", 3.0),
        ],
    ),
    (
        Category::DiskFull,
        &[
            ("no space left on device", 3.0),
            ("enospc", 3.0),
            ("disk full", 3.0),
            ("disk quota", 2.5),
            ("filesystem full", 3.0),
            ("could not extend file", 2.5),
            ("could not write to file", 2.0),
            ("disk usage", 1.0),
        ],
    ),
    (
        Category::CodeException,
        &[
            ("keyerror", 3.0),
            ("typeerror", 3.0),
            ("attributeerror", 3.0),
            ("nullpointer", 3.0),
            ("undefined is not", 3.0),
            ("cannot read propert", 3.0),
            ("classcastexception", 3.0),
            ("jsondecodeerror", 2.5),
            ("valueerror", 2.5),
            ("indexerror", 2.5),
            ("illegalargumentexception", 2.5),
            ("illegalstateexception", 2.5),
            ("panic:", 2.5),
            ("traceback", 2.5),
            ("deserializ", 2.0),
            ("unmarshal", 2.0),
            ("exception", 1.5),
            ("unhandled", 2.0),
            ("stack trace", 1.5),
        ],
    ),
    (
        Category::QueueBacklog,
        &[
            ("backlog", 2.5),
            ("queue depth", 2.5),
            ("enqueued", 2.0),
            ("sendmessagebatch", 2.0),
            ("messages visible", 2.0),
            ("backfill", 1.5),
            ("reingest", 1.5),
            ("re-ingest", 1.5),
            ("queued", 1.5),
            ("published", 1.0),
            ("lag", 1.0),
        ],
    ),
    (
        Category::ColdStartOrInit,
        &[
            ("init_report", 3.0),
            ("importmoduleerror", 3.0),
            ("cold start", 3.0),
            ("init duration", 2.0),
            ("runtime.unknown", 2.0),
            ("initialization", 2.0),
            ("health check grace", 2.5),
            ("failed elb health checks", 2.0),
            ("warm-up", 2.0),
            ("warmup", 2.0),
            ("startup", 1.5),
            ("init_start", 1.5),
            ("flyway", 1.5),
            ("liquibase", 1.5),
        ],
    ),
];

/// Categories whose evidence names the mechanism itself: a release or a
/// change that caused one keeps it. The others (a timeout, a failing
/// dependency) are what a bad change looks like from outside.
pub fn is_mechanism(category: Category) -> bool {
    !matches!(
        category,
        Category::Timeout
            | Category::DependencyFailure
            | Category::BadDeployOrConfig
            | Category::Unknown
    )
}

/// The categories a line shows, each with its strongest word's weight.
pub fn categories(lower: &str) -> Vec<(Category, f64, &'static str)> {
    let mut found = Vec::new();
    for (category, words) in FAMILIES {
        let best = words
            .iter()
            .filter(|(word, _)| contains_word(lower, word))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((word, weight)) = best {
            found.push((*category, *weight, *word));
        }
    }
    found
}

/// `needle` in `haystack`; a needle that starts or ends with a letter or
/// digit must not continue a longer word or number there (`429` is not in
/// `.429301`, `tls` not in `settlement`).
fn contains_word(haystack: &str, needle: &str) -> bool {
    let bytes = haystack.as_bytes();
    let first = needle.as_bytes().first().copied().unwrap_or(b' ');
    let last = needle.as_bytes().last().copied().unwrap_or(b' ');
    let short = needle.len() <= 4;
    haystack.match_indices(needle).any(|(at, _)| {
        let before = at.checked_sub(1).and_then(|i| bytes.get(i)).copied();
        let after = bytes.get(at + needle.len()).copied();
        let glued = |b: Option<u8>, edge: u8| {
            edge.is_ascii_alphanumeric()
                && b.is_some_and(|b| {
                    b.is_ascii_alphanumeric() || (b == b'.' && edge.is_ascii_digit())
                })
        };
        // Short needles (`tls`, `dns`, `lag`, `429`) must stand alone; long
        // ones may start a longer word (`throttl` in `throttled`).
        !(glued(before, first) || (short && glued(after, last)))
    })
}

/// What the alarm's metric suggests before any line is read, and how
/// strongly: a queue's age, a table's throttles, a volume's free space.
pub fn metric_prior(namespace: &str, metric: &str) -> Option<(Category, f64)> {
    let m = metric.to_ascii_lowercase();
    Some(match (namespace, m.as_str()) {
        ("AWS/SQS", "approximateageofoldestmessage" | "approximatenumberofmessagesvisible") => {
            (Category::QueueBacklog, 1.0)
        }
        (_, m) if m.contains("throttl") => (Category::Throttling, 1.5),
        (_, m)
            if m.contains("freestorage") || m.contains("disk_used") || m.contains("disk_free") =>
        {
            (Category::DiskFull, 1.5)
        }
        (_, m) if m.contains("memoryutilization") || m.contains("mem_used") => {
            (Category::OutOfMemory, 1.0)
        }
        (_, m) if m.contains("deadlock") || m.contains("rowlock") || m.contains("lockwait") => {
            (Category::DatabaseContention, 1.5)
        }
        (_, "databaseconnections") => (Category::CapacityExhaustion, 1.0),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_stand_as_words() {
        assert!(
            categories("2026-11-20 09:13:02.429301 get /x")
                .iter()
                .all(|c| c.0 != Category::Throttling)
        );
        assert!(
            categories("status 429 too many requests")
                .iter()
                .any(|c| c.0 == Category::Throttling)
        );
        assert!(
            categories("settlement batch done")
                .iter()
                .all(|c| c.0 != Category::NetworkDnsTls)
        );
        assert!(
            categories("request throttled by dynamodb")
                .iter()
                .any(|c| c.0 == Category::Throttling)
        );
        assert!(
            categories("error: deadlock detected")
                .iter()
                .any(|c| c.0 == Category::DatabaseContention)
        );
    }
}
