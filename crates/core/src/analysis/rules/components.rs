//! Which resource a piece of evidence points at: the resource a log group
//! belongs to (AWS's naming conventions), a resource a line names (a job, a
//! function, a table, a host), or the resource a change touched.

/// Path parts of log group names that name no resource.
const GENERIC_PARTS: &[&str] = &[
    "aws", "logs", "log", "var", "application", "app", "apps", "access", "error", "errors", "syslog",
    "messages", "stdout", "stderr", "performance", "prod", "production", "staging", "stage", "dev",
    "failure", "success", "postgresql", "mysql", "general", "slowquery", "audit", "upgrade", "nginx",
    "httpd", "apache", "instance", "cluster", "lambda", "ecs", "rds", "codebuild", "vendedlogs",
    "states", "batch", "job", "containerinsights", "route53resolver", "resolver", "vpc", "flowlogs",
    "flow-logs", "ec2", "agent", "cwagent", "system", "default", "live", "main", "service",
];

/// The resource a log group belongs to, by AWS's conventions
/// (`/aws/lambda/NAME`, `/aws/rds/instance/ID/TYPE`, `/ecs/NAME`,
/// `/aws/codebuild/PROJECT`, `/aws/vendedlogs/states/NAME`,
/// `sns/REGION/ACCOUNT/TOPIC`), else its most specific part.
pub fn resource_of_group(group: &str) -> Option<String> {
    let parts: Vec<&str> = group.split('/').filter(|p| !p.is_empty()).collect();
    let lower: Vec<String> = parts.iter().map(|p| p.to_lowercase()).collect();
    let at = |i: usize| parts.get(i).map(|p| (*p).to_owned());
    match lower.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["aws", "lambda", ..] => return at(2),
        ["aws", "rds", "instance" | "cluster", ..] => return at(3),
        ["aws", "codebuild", ..] => return at(2),
        ["aws", "vendedlogs", "states", ..] => {
            return at(3).map(|n| n.trim_end_matches("-Logs").trim_end_matches("-logs").to_owned());
        }
        ["aws", "ecs", "containerinsights", ..] => return at(3),
        ["sns", _, _, ..] => return at(3),
        [first, ..] if first.starts_with("api-gateway-execution-logs_") => return None,
        _ => {}
    }
    parts
        .iter()
        .rev()
        .find(|p| {
            let p = p.to_lowercase();
            p.len() >= 3 && !GENERIC_PARTS.contains(&p.as_str()) && !p.chars().all(|c| c.is_ascii_digit())
        })
        .map(|p| (*p).to_owned())
}

/// Words after which a line names a resource: `job reindex-catalog`,
/// `function image-resize`, `table member-profiles`.
const NAMING_WORDS: &[&str] = &[
    "job", "function", "service", "task", "stack", "table", "queue", "topic", "cluster", "database",
    "instance", "host", "pipeline", "project", "bucket", "key", "parameter", "role", "rule", "list",
    "consumer", "producer", "worker", "cron", "schedule", "application", "app", "deployment",
];

/// The resource names a line spells out: words that look like resource
/// names (`reindex-catalog`, `price_overrides`, `api.vendor.example`),
/// preferring those after a naming word. Common protocol words are not
/// resource names.
pub fn names_in(line: &str) -> Vec<String> {
    let mut named = Vec::new();
    let mut plain = Vec::new();
    let mut previous = String::new();
    for word in line.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))) {
        let word = word.trim_matches(|c: char| matches!(c, '.' | '/' | '-' | '_'));
        if looks_like_name(word) {
            if NAMING_WORDS.contains(&previous.as_str()) {
                named.push(word.to_owned());
            } else {
                plain.push(word.to_owned());
            }
        }
        if !word.is_empty() {
            previous = word.to_lowercase();
        }
    }
    named.extend(plain);
    named.dedup();
    named
}

/// Kebab, snake or dotted names of two parts or more, not all digits, not
/// a date, a region, an id or a protocol word.
fn looks_like_name(word: &str) -> bool {
    if word.len() < 5 || word.len() > 80 {
        return false;
    }
    let lower = word.to_lowercase();
    const NOT_NAMES: &[&str] = &[
        "content-type", "x-amz-request-id", "keep-alive", "request-id", "x-request-id", "user-agent",
        "content-length", "x-amzn-requestid", "x-amzn-trace-id", "application/json", "text/html",
        "non-heap", "read-only", "e-mail", "time-out", "built-in", "java.lang", "java.util",
    ];
    if NOT_NAMES.contains(&lower.as_str()) || lower.starts_with("x-") {
        return false;
    }
    let parts: Vec<&str> = lower.split(['-', '_', '.']).filter(|p| !p.is_empty()).collect();
    if parts.len() < 2 {
        return false;
    }
    let letters = |p: &&str| p.chars().any(|c| c.is_ascii_alphabetic());
    // Mostly words: ids and versions (`i-0abc123`, `2.14.0`, UUIDs) are not names.
    let wordy = parts.iter().filter(|p| letters(p) && p.chars().filter(char::is_ascii_digit).count() <= 2).count();
    if wordy * 2 < parts.len() + 1 {
        return false;
    }
    // A region (`us-east-1`) or a date is not a resource of its own.
    !(parts.len() == 3 && parts[2].chars().all(|c| c.is_ascii_digit()) && parts[0].len() == 2)
}

/// A change's resource: the first name it touched (the last part of an
/// ARN), else one its request names.
pub fn resource_of_change(resources: &[String], detail: &str) -> Option<String> {
    resources
        .iter()
        .map(|r| {
            if r.starts_with("arn:") {
                r.rsplit([':']).next().unwrap_or(r).to_owned()
            } else {
                r.clone()
            }
        })
        .find(|r| !r.is_empty())
        .or_else(|| names_in(detail).into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_name_their_resources() {
        assert_eq!(resource_of_group("/aws/lambda/ledger-worker").as_deref(), Some("ledger-worker"));
        assert_eq!(resource_of_group("/aws/rds/instance/pricing-db/postgresql").as_deref(), Some("pricing-db"));
        assert_eq!(resource_of_group("/aws/codebuild/partner-gateway-deploy").as_deref(), Some("partner-gateway-deploy"));
        assert_eq!(resource_of_group("/ecs/fulfillment-api").as_deref(), Some("fulfillment-api"));
        assert_eq!(resource_of_group("/aws/vendedlogs/states/order-pipeline-Logs").as_deref(), Some("order-pipeline"));
        assert_eq!(resource_of_group("/storefront/prod/nginx/error").as_deref(), Some("storefront"));
        assert_eq!(resource_of_group("API-Gateway-Execution-Logs_a1b2c3/prod"), None);
    }

    #[test]
    fn lines_name_resources_and_ids_are_no_names() {
        assert_eq!(
            names_in("INFO job media-reingest-backfill started with 4,012,873 keys (req 7f3a9c1e-aa11)")[0],
            "media-reingest-backfill"
        );
        assert!(names_in("GET /health from 10.0.3.7 us-east-1 i-0abc123def 2.14.0").is_empty());
    }
}
