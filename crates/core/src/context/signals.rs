//! What a log line's words say about it: how bad it looks, and whether it
//! tells of a change (a deploy, a configuration or parameter change, a
//! migration, a rotation, scaling, a restart). Matched as data, lower case.
//! Used to rank templates; the decisive lines of an incident are often a
//! change that says nothing of an error.

/// A keyword and its weight.
type Weighted = (&'static str, f64);

/// Words of trouble, strongest first. A line scores its strongest match.
const SEVERITY: &[Weighted] = &[
    ("panic", 2.5),
    ("fatal", 2.5),
    ("traceback", 2.5),
    ("exception", 2.5),
    ("outofmemory", 2.5),
    ("out of memory", 2.5),
    ("oomkill", 2.5),
    ("exit code 137", 2.5),
    ("task timed out", 2.5),
    ("no space left", 2.5),
    ("deadlock", 2.5),
    ("segfault", 2.5),
    ("core dumped", 2.5),
    ("status: error", 2.2),
    ("error", 2.0),
    ("failed", 2.0),
    ("failure", 2.0),
    ("denied", 2.0),
    ("not authorized", 2.0),
    ("forbidden", 2.0),
    ("refused", 2.0),
    ("unavailable", 2.0),
    ("timed out", 2.0),
    ("timeout", 2.0),
    ("unreachable", 2.0),
    ("cannot ", 1.8),
    ("could not", 1.8),
    ("unable to", 1.8),
    ("rejected", 1.8),
    ("throttl", 1.8),
    ("exceeded", 1.8),
    ("too many", 1.8),
    ("invalid", 1.5),
    ("critical", 2.0),
    ("killed", 2.0),
    ("nxdomain", 2.0),
    ("\"block\"", 2.0),
    ("lock wait", 2.0),
    ("waiting for", 1.2),
    ("unhealthy", 1.5),
    ("warn", 1.0),
    ("retry", 1.0),
    ("retrying", 1.0),
    ("slow", 1.0),
    ("backoff", 1.0),
    ("degraded", 1.0),
    ("draining", 1.0),
    ("stopped", 1.0),
    ("terminat", 1.0),
];

/// Server errors as HTTP statuses: ` 500 `, `"status":503`, `status=502`.
const SERVER_STATUSES: &[&str] = &["500", "502", "503", "504"];

/// Words that tell of a change.
const CHANGES: &[&str] = &[
    "deploy",
    "release",
    "rollout",
    "rolled out",
    "roll back",
    "rollback",
    "upgrade",
    "version",
    "updatefunctioncode",
    "update_complete",
    "update_in_progress",
    "create_complete",
    "changeset",
    "change set",
    "stack ",
    "migration",
    "migrat",
    "rotat",
    "scaling",
    "scaled",
    "scale out",
    "scale in",
    "restart",
    "config",
    "parameter",
    "feature flag",
    "flag ",
    "toggle",
    "enabled",
    "disabled",
    "set to",
    "modified",
    "changed",
    "policy",
    "applied",
    "terraform",
    "cdk ",
    "cloudformation",
    "task definition",
    "taskdefinition",
    "registered",
    "health check path",
    "alter ",
    "max_connections",
    "build succeeded",
    "phase complete",
    "init_start",
    "starting",
    "started",
    "batch",
    "job ",
    "cron",
    "schedule",
    "import",
    "export",
    "backfill",
    "reindex",
];

/// How bad the line looks, from 0, and the word that says so.
pub fn severity(lower: &str) -> (f64, Option<&'static str>) {
    let mut best: (f64, Option<&'static str>) = (0.0, None);
    for (word, weight) in SEVERITY {
        if *weight > best.0 && lower.contains(word) {
            best = (*weight, Some(word));
        }
    }
    if best.0 < 2.0 && has_server_status(lower) {
        best = (2.0, Some("5xx"));
    }
    best
}

fn has_server_status(lower: &str) -> bool {
    let bytes = lower.as_bytes();
    SERVER_STATUSES.iter().any(|status| {
        lower.match_indices(status).any(|(at, _)| {
            let before = at.checked_sub(1).and_then(|i| bytes.get(i)).copied();
            let after = bytes.get(at + status.len()).copied();
            let boundary =
                |b: Option<u8>| b.is_none_or(|b| !b.is_ascii_alphanumeric() && b != b'.');
            boundary(before) && boundary(after)
        })
    })
}

/// Every word that makes a line worth keeping (trouble, a server status, a
/// change): what a source that must sample filters on first.
pub fn keep_words() -> impl Iterator<Item = &'static str> {
    SEVERITY
        .iter()
        .map(|(word, _)| *word)
        .chain(SERVER_STATUSES.iter().copied())
        .chain(CHANGES.iter().copied())
}

/// The word that tells of a change, if one does. The Lambda runtime's own
/// lines (`START RequestId: … Version: $LATEST`, `INIT_START Runtime
/// Version: …`) name a version on every invocation: they tell of none.
pub fn change(lower: &str) -> Option<&'static str> {
    if is_lambda_platform_line(lower) {
        return None;
    }
    CHANGES.iter().copied().find(|word| lower.contains(word))
}

/// `START RequestId:`, `END RequestId:`, `REPORT RequestId:`,
/// `INIT_START`, `INIT_REPORT`: what the Lambda service writes around each
/// invocation.
fn is_lambda_platform_line(lower: &str) -> bool {
    [
        "start requestid:",
        "end requestid:",
        "report requestid:",
        "init_start",
        "init_report",
    ]
    .iter()
    .any(|prefix| lower.trim_start().starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trouble_and_changes_are_told_apart() {
        assert_eq!(severity("runtime.outofmemory").1, Some("outofmemory"));
        assert_eq!(severity("get /health 200 0.003").0, 0.0);
        assert_eq!(
            severity("\"status\":503,\"path\":\"/v1/quotes\"").1,
            Some("5xx")
        );
        assert_eq!(severity("took 1503 ms").0, 0.0);
        assert_eq!(
            change("ledger-worker 2.14.0 (git 9c1e4ab) starting"),
            Some("starting")
        );
        assert_eq!(
            change("update_complete aws::cloudformation::stack partnergatewaystack"),
            Some("update_complete")
        );
        assert_eq!(change("get /health 200"), None);
        assert_eq!(
            change("start requestid: 0c7e5d1a-3b2f-4e8a-9c6d-5f4e3d2c1b0a version: $latest"),
            None,
            "a Lambda invocation names its version and changes nothing"
        );
    }
}
