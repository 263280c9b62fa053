//! Which resource a piece of evidence points at: the resource a log group
//! belongs to (AWS's naming conventions), a resource a line names (a job, a
//! function, a table, a host), or the resource a change touched.

/// Path parts of log group names that name no resource.
const GENERIC_PARTS: &[&str] = &[
    "aws",
    "logs",
    "log",
    "var",
    "application",
    "app",
    "apps",
    "access",
    "error",
    "errors",
    "syslog",
    "messages",
    "stdout",
    "stderr",
    "performance",
    "prod",
    "production",
    "staging",
    "stage",
    "dev",
    "failure",
    "success",
    "postgresql",
    "mysql",
    "general",
    "slowquery",
    "audit",
    "upgrade",
    "nginx",
    "httpd",
    "apache",
    "instance",
    "cluster",
    "lambda",
    "ecs",
    "rds",
    "codebuild",
    "vendedlogs",
    "states",
    "batch",
    "job",
    "containerinsights",
    "route53resolver",
    "resolver",
    "vpc",
    "flowlogs",
    "flow-logs",
    "ec2",
    "agent",
    "cwagent",
    "system",
    "default",
    "live",
    "main",
    "service",
];

/// The resource a log group belongs to, by AWS's conventions
/// (`/aws/lambda/NAME`, `/aws/rds/instance/ID/TYPE`, `/ecs/NAME`,
/// `/aws/codebuild/PROJECT`, `/aws/vendedlogs/states/NAME`,
/// `sns/REGION/ACCOUNT/TOPIC`), else its most specific part.
pub fn resource_of_group(group: &str) -> Option<String> {
    let parts: Vec<&str> = group.split('/').filter(|p| !p.is_empty()).collect();
    let lower: Vec<String> = parts.iter().map(|p| p.to_lowercase()).collect();
    let at = |i: usize| parts.get(i).map(|p| (*p).to_owned());
    match lower
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["aws", "lambda", ..] => return at(2),
        ["aws", "rds", "instance" | "cluster", ..] => return at(3),
        ["aws", "codebuild", ..] => return at(2),
        ["aws", "vendedlogs", "states", ..] => {
            return at(3).map(|n| {
                n.trim_end_matches("-Logs")
                    .trim_end_matches("-logs")
                    .to_owned()
            });
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
            p.len() >= 3
                && !GENERIC_PARTS.contains(&p.as_str())
                && !p.chars().all(|c| c.is_ascii_digit())
        })
        .map(|p| (*p).to_owned())
}

/// The resource a log stream names, for groups that name none: an AWS
/// Batch job's stream is `JOB-DEFINITION/default/TASK-ID`.
pub fn resource_of_stream(stream: &str) -> Option<String> {
    let first = stream.split('/').next()?;
    (stream.matches('/').count() >= 2 && looks_like_name(first)).then(|| first.to_owned())
}

/// Words after which a line names a resource: `job reindex-catalog`,
/// `function image-resize`, `table member-profiles`.
const NAMING_WORDS: &[&str] = &[
    "job",
    "function",
    "service",
    "task",
    "stack",
    "table",
    "queue",
    "topic",
    "cluster",
    "database",
    "instance",
    "host",
    "pipeline",
    "project",
    "bucket",
    "key",
    "parameter",
    "role",
    "rule",
    "list",
    "consumer",
    "producer",
    "worker",
    "cron",
    "schedule",
    "application",
    "app",
    "deployment",
];

/// The resource names a line spells out: words that look like resource
/// names (`reindex-catalog`, `price_overrides`, `api.vendor.example`),
/// preferring those after a naming word. Not names: JSON keys and `key=`
/// keys, error codes (`ER_CON_COUNT_ERROR`), ids, file paths, code (a
/// class `c.f.billing.UsageAggregator`, a file `handler.py`).
pub fn names_in(line: &str) -> Vec<String> {
    let mut named = Vec::new();
    let mut plain = Vec::new();
    let mut previous = String::new();
    let is_part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
    let mut rest = line;
    while !rest.is_empty() {
        let start = rest.find(is_part).unwrap_or(rest.len());
        rest = &rest[start..];
        let end = rest.find(|c: char| !is_part(c)).unwrap_or(rest.len());
        let (raw, after) = rest.split_at(end);
        rest = after;
        let word = raw.trim_matches(|c: char| matches!(c, '.' | '/' | '-' | '_'));
        // A key, not a value: `"account_id":`, `user=`.
        let is_key = after.starts_with("\":")
            || after.starts_with("\" :")
            || after.starts_with('=')
            || after.starts_with(':');
        if !is_key && looks_like_name(word) && !is_code(word) {
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

/// Code, not a resource: a file path, a source file, a class name, an
/// error code in capitals.
fn is_code(word: &str) -> bool {
    const SOURCE_FILES: &[&str] = &[
        ".py", ".js", ".ts", ".java", ".go", ".rb", ".rs", ".kt", ".cs", ".php", ".jar", ".class",
        ".so",
    ];
    let lower = word.to_lowercase();
    if word.contains('/') || SOURCE_FILES.iter().any(|e| lower.ends_with(e)) {
        return true;
    }
    if word
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return true;
    }
    let dotted: Vec<&str> = word.split('.').collect();
    dotted.len() >= 3
        && dotted
            .last()
            .is_some_and(|last| last.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
}

/// Kebab, snake or dotted names of two parts or more, not all digits, not
/// a date, a region, an id or a protocol word.
fn looks_like_name(word: &str) -> bool {
    if word.len() < 5 || word.len() > 80 {
        return false;
    }
    let lower = word.to_lowercase();
    const NOT_NAMES: &[&str] = &[
        "content-type",
        "x-amz-request-id",
        "keep-alive",
        "request-id",
        "x-request-id",
        "user-agent",
        "content-length",
        "x-amzn-requestid",
        "x-amzn-trace-id",
        "application/json",
        "text/html",
        "non-heap",
        "read-only",
        "e-mail",
        "time-out",
        "built-in",
        "java.lang",
        "java.util",
    ];
    if NOT_NAMES.contains(&lower.as_str()) || lower.starts_with("x-") {
        return false;
    }
    let parts: Vec<&str> = lower
        .split(['-', '_', '.'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return false;
    }
    // A UUID or a hex id: every part hex, some with digits.
    if parts
        .iter()
        .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
        && lower.chars().any(|c| c.is_ascii_digit())
    {
        return false;
    }
    let letters = |p: &&str| p.chars().any(|c| c.is_ascii_alphabetic());
    // Mostly words: ids and versions (`i-0abc123`, `2.14.0`, UUIDs) are not names.
    let wordy = parts
        .iter()
        .filter(|p| letters(p) && p.chars().filter(char::is_ascii_digit).count() <= 2)
        .count();
    if wordy * 2 < parts.len() + 1 {
        return false;
    }
    // A region (`us-east-1`) or a date is not a resource of its own.
    !matches!(parts.as_slice(), [first, _, last] if first.len() == 2 && last.chars().all(|c| c.is_ascii_digit()))
}

/// The last part of an ARN or a URL: `arn:…:key/3c9f…` → `3c9f…`,
/// `https://sqs…/123/orders-queue` → `orders-queue`, `secret:name-AbCdEf` →
/// `name-AbCdEf`.
pub fn short_name(resource: &str) -> String {
    resource
        .trim_end_matches(['/', '.', ','])
        .rsplit(['/', ':'])
        .find(|p| !p.is_empty())
        .unwrap_or(resource)
        .to_owned()
}

/// What an AWS denial is about, by its reason: the principal when its own
/// (identity-based) policy lacks the permission, else the resource whose
/// policy refused (`no resource-based policy allows`, `Access to the
/// resource … is denied`, a key policy).
pub fn denial_target(line: &str) -> Option<String> {
    let lower = line.to_lowercase();
    if let Some(at) = lower.find("access to the resource ") {
        let rest = line.get(at + "access to the resource ".len()..)?;
        let resource = rest.split_whitespace().next()?;
        return Some(short_name(resource));
    }
    let not_authorized = lower.find(" is not authorized to perform")?;
    let identity = lower.contains("identity-based policy");
    if identity || !lower.contains(" on resource") {
        // `User: arn:aws:sts::1:assumed-role/ROLE/SESSION is not authorized`.
        let before = line.get(..not_authorized)?;
        let principal = before.split_whitespace().last()?;
        let parts: Vec<&str> = principal.split('/').collect();
        return match parts.as_slice() {
            [kind, role, ..] if kind.ends_with("assumed-role") || kind.ends_with(":role") => {
                Some((*role).to_owned())
            }
            [kind, name] if kind.ends_with(":user") => Some((*name).to_owned()),
            _ => Some(short_name(principal)),
        };
    }
    let at = lower.find(" on resource")?;
    let rest = line
        .get(at + " on resource".len()..)?
        .trim_start_matches([':', ' ']);
    let resource = rest.split_whitespace().next()?;
    Some(short_name(resource.trim_end_matches([',', '.', ';'])))
}

/// What a DNS failure names: the DNS Firewall list or rule group that
/// blocked, else the name that did not resolve.
pub fn dns_target(line: &str) -> Option<String> {
    for key in [
        "\"firewall_domain_list_id\":\"",
        "\"firewall_rule_group_id\":\"",
    ] {
        if let Some(at) = line.find(key) {
            let rest = line.get(at + key.len()..)?;
            return rest.split('"').next().map(str::to_owned);
        }
    }
    let lower = line.to_lowercase();
    for marker in [
        "enotfound ",
        "unknownhostexception: ",
        "no such host",
        "could not resolve host: ",
    ] {
        if let Some(at) = lower.find(marker) {
            let rest = line.get(at + marker.len()..).unwrap_or_default();
            if let Some(host) = hosts_in(rest).into_iter().next() {
                return Some(host);
            }
            // `lookup api.x.example on 10.0.0.2:53: no such host`.
            return hosts_in(line.get(..at).unwrap_or_default())
                .into_iter()
                .last();
        }
    }
    None
}

/// Host names a line spells out (`api.paymentia.example`), not AWS's own
/// endpoints, not IP addresses, not dotted code.
pub fn hosts_in(line: &str) -> Vec<String> {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.')))
        .map(|w| w.trim_matches('.'))
        .filter(|w| {
            let labels: Vec<&str> = w.split('.').collect();
            labels.len() >= 3
                && labels.iter().all(|l| !l.is_empty() && !l.starts_with('-'))
                && labels.last().is_some_and(|tld| {
                    (2..=12).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_lowercase())
                })
                && !w.chars().any(|c| c.is_ascii_uppercase())
                && !w.ends_with("amazonaws.com")
                && !w.ends_with(".internal")
                && !w.ends_with(".local")
        })
        .map(str::to_owned)
        .collect()
}

/// Network endpoints a line names by address and port (`10.20.4.17:443`):
/// an IPv4 address whose four parts are bytes, then a port.
pub fn endpoints_in(line: &str) -> Vec<String> {
    line.split(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ':')))
        .map(|w| w.trim_matches(['.', ':']))
        .filter(|w| {
            let Some((address, port)) = w.split_once(':') else {
                return false;
            };
            let parts: Vec<&str> = address.split('.').collect();
            parts.len() == 4
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        })
        .map(str::to_owned)
        .collect()
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
    fn endpoints_are_addresses_with_a_port() {
        assert_eq!(
            endpoints_in("PaymentGatewayError: connect ETIMEDOUT 10.20.4.17:443"),
            vec!["10.20.4.17:443"]
        );
        // A time of day, a version, an address without a port: none.
        assert!(endpoints_in("at 09:13:58.016 v1.2.3.4 from 10.0.0.1").is_empty());
        assert!(endpoints_in("999.1.1.1:80 1.2.3.4:99999").is_empty());
    }

    #[test]
    fn groups_name_their_resources() {
        assert_eq!(
            resource_of_group("/aws/lambda/ledger-worker").as_deref(),
            Some("ledger-worker")
        );
        assert_eq!(
            resource_of_group("/aws/rds/instance/pricing-db/postgresql").as_deref(),
            Some("pricing-db")
        );
        assert_eq!(
            resource_of_group("/aws/codebuild/partner-gateway-deploy").as_deref(),
            Some("partner-gateway-deploy")
        );
        assert_eq!(
            resource_of_group("/ecs/fulfillment-api").as_deref(),
            Some("fulfillment-api")
        );
        assert_eq!(
            resource_of_group("/aws/vendedlogs/states/order-pipeline-Logs").as_deref(),
            Some("order-pipeline")
        );
        assert_eq!(
            resource_of_group("/storefront/prod/nginx/error").as_deref(),
            Some("storefront")
        );
        assert_eq!(
            resource_of_group("API-Gateway-Execution-Logs_a1b2c3/prod"),
            None
        );
    }

    #[test]
    fn lines_name_resources_and_ids_are_no_names() {
        assert_eq!(
            names_in(
                "INFO job media-reingest-backfill started with 4,012,873 keys (req 7f3a9c1e-aa11)"
            )[0],
            "media-reingest-backfill"
        );
        assert!(names_in("GET /health from 10.0.3.7 us-east-1 i-0abc123def 2.14.0").is_empty());
        let json = r#"{"account_id":"123","exception":"psycopg.errors.DiskFull","file":"/var/task/payments/handler.py","code":"ER_CON_COUNT_ERROR","id":"bceedb81-3794-4ffd-8dbe-2192c272ed8e","job":"month-end-export"}"#;
        assert_eq!(names_in(json), ["month-end-export"]);
        assert!(names_in("[main] c.f.billing.batch.usage.UsageAggregator : done").is_empty());
    }

    #[test]
    fn a_denial_names_the_policy_that_refused() {
        let identity = "User: arn:aws:sts::357018264490:assumed-role/payroll-export-role/payroll-export is not authorized to perform: secretsmanager:GetSecretValue on resource: payroll/sftp-credentials because no identity-based policy allows the secretsmanager:GetSecretValue action";
        assert_eq!(
            denial_target(identity).as_deref(),
            Some("payroll-export-role")
        );
        let resource = "AccessDeniedException: User: arn:aws:sts::1:assumed-role/exec/abc is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:ca-central-1:1:key/3c9f0a6e-8b21 because no resource-based policy allows the kms:Decrypt action";
        assert_eq!(denial_target(resource).as_deref(), Some("3c9f0a6e-8b21"));
        let queue = r#"{\"ErrorCode\":\"AccessDenied\",\"ErrorMessage\":\"Access to the resource https://sqs.ca-central-1.amazonaws.com/1/dispatch-alerts-queue is denied.\"}"#;
        assert_eq!(
            denial_target(queue).as_deref(),
            Some("dispatch-alerts-queue")
        );
    }

    #[test]
    fn dns_failures_and_hosts_are_named() {
        let blocked = r#"{"query_name":"tiles.nimbusedge.net.","firewall_rule_action":"BLOCK","firewall_rule_group_id":"rslvr-frg-5e8a","firewall_domain_list_id":"rslvr-fdl-0c2b"}"#;
        assert_eq!(dns_target(blocked).as_deref(), Some("rslvr-fdl-0c2b"));
        assert_eq!(
            dns_target("Error: getaddrinfo ENOTFOUND api.ratesource.example.net").as_deref(),
            Some("api.ratesource.example.net")
        );
        assert_eq!(
            hosts_in(
                "POST https://api.paymentia.example/v2/authorize via vpce-1.sqs.eu-west-1.vpce.amazonaws.com 10.0.0.1"
            ),
            ["api.paymentia.example"]
        );
    }
}
