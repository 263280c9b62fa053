//! What an AWS request asks for in IAM's terms: its actions and resources,
//! read from the request as each service's protocol puts them.

use percent_encoding::percent_decode_str;
use serde_json::Value;

/// One IAM check a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// `service:Action`, as IAM spells it.
    pub action: String,
    pub resource: String,
    /// The resource is a guess (`*`): only the action is checked.
    pub approximate: bool,
}

/// The parts of a request the classification reads.
#[derive(Debug)]
pub struct Request<'a> {
    /// The signing name of the credential scope (`dynamodb`, `s3`, `ses`).
    pub service: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub target: Option<&'a str>,
    pub body: &'a [u8],
}

/// Where names become ARNs.
#[derive(Debug, Clone)]
pub struct Arns {
    pub region: String,
    pub account: String,
}

impl Arns {
    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            self.region, self.account
        )
    }
}

/// IAM's service prefix for a signing name.
pub fn iam_prefix(signing: &str) -> &str {
    match signing {
        "monitoring" => "cloudwatch",
        "email" => "ses",
        "tagging" => "tag",
        other => other,
    }
}

pub fn need(action: String, resource: String) -> Need {
    Need {
        action,
        resource,
        approximate: false,
    }
}

/// The operation a JSON-protocol request names (`DynamoDB_20120810.PutItem` → `PutItem`).
pub fn operation(target: Option<&str>) -> Option<&str> {
    target.and_then(|t| t.rsplit_once('.')).map(|(_, op)| op)
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// The checks `request` needs. `secret_arn` maps a secret name to its ARN;
/// `athena_workgroup` the query ids Athena started to their workgroup.
pub fn classify(
    r: &Request<'_>,
    arns: &Arns,
    secret_arn: &dyn Fn(&str) -> String,
    athena_workgroup: &dyn Fn(&str) -> Option<String>,
) -> Vec<Need> {
    let body: Value = serde_json::from_slice(r.body).unwrap_or(Value::Null);
    let prefix = iam_prefix(r.service);
    let op = operation(r.target);
    match (r.service, op) {
        ("dynamodb", Some(op)) => dynamodb(op, &body, arns),
        ("secretsmanager", Some(op)) => {
            let id = body["SecretId"].as_str().unwrap_or("*");
            let arn = if id.starts_with("arn:") {
                id.to_owned()
            } else {
                secret_arn(id)
            };
            vec![need(format!("secretsmanager:{op}"), arn)]
        }
        ("logs", Some("StartQuery")) => {
            let mut groups: Vec<String> = ["logGroupNames", "logGroupIdentifiers"]
                .iter()
                .flat_map(|k| body[*k].as_array().cloned().unwrap_or_default())
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            if let Some(g) = body["logGroupName"].as_str() {
                groups.push(g.to_owned());
            }
            // `SOURCE logGroups(namePrefix: [...])` in the query itself.
            let query = body["queryString"].as_str().unwrap_or_default();
            if let Some(start) = query.find("namePrefix:") {
                let list = query.get(start..).unwrap_or_default();
                let list = list.split(']').next().unwrap_or_default();
                for prefix in list.split('\'').skip(1).step_by(2) {
                    groups.push(format!("{prefix}*"));
                }
            }
            if groups.is_empty() {
                groups.push("*".to_owned());
            }
            groups
                .into_iter()
                .map(|g| {
                    let arn = if g.starts_with("arn:") {
                        g
                    } else {
                        arns.arn("logs", &format!("log-group:{g}:*"))
                    };
                    need("logs:StartQuery".into(), arn)
                })
                .collect()
        }
        ("logs", Some(op @ ("GetQueryResults" | "StopQuery"))) => {
            vec![need(format!("logs:{op}"), "*".into())]
        }
        ("logs", Some("DescribeLogGroups")) => {
            vec![need(
                "logs:DescribeLogGroups".into(),
                arns.arn("logs", "log-group:*"),
            )]
        }
        ("athena", Some(op)) => {
            let group = body["WorkGroup"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| body["QueryExecutionId"].as_str().and_then(athena_workgroup))
                .unwrap_or_else(|| "primary".to_owned());
            vec![need(
                format!("athena:{op}"),
                arns.arn("athena", &format!("workgroup/{group}")),
            )]
        }
        ("states", Some(op)) => {
            let resource = body["stateMachineArn"]
                .as_str()
                .or_else(|| body["executionArn"].as_str())
                .unwrap_or("*");
            vec![need(format!("states:{op}"), resource.to_owned())]
        }
        ("cloudtrail", Some(op)) => vec![need(format!("cloudtrail:{op}"), "*".into())],
        ("s3", _) => s3(r),
        ("bedrock", _) => {
            let mut parts = r.path.trim_start_matches('/').split('/');
            let (kind, model, verb) = (parts.next(), parts.next(), parts.next());
            match (kind, model, verb) {
                (Some("model"), Some(model), Some(verb)) => {
                    let model = decode(model);
                    let action = if verb.starts_with("converse-stream") || verb.contains("stream") {
                        "bedrock:InvokeModelWithResponseStream"
                    } else {
                        "bedrock:InvokeModel"
                    };
                    let arn = if model.starts_with("arn:") {
                        model
                    } else {
                        format!("arn:aws:bedrock:{}::foundation-model/{model}", arns.region)
                    };
                    vec![need(action.into(), arn)]
                }
                _ => vec![unknown(prefix, r)],
            }
        }
        ("ses", _) if r.method == "POST" && r.path == "/v2/email/outbound-emails" => {
            let from = body["FromEmailAddress"].as_str().unwrap_or_default();
            let domain = from
                .rsplit('@')
                .next()
                .unwrap_or_default()
                .trim_end_matches('>');
            vec![need(
                "ses:SendEmail".into(),
                arns.arn("ses", &format!("identity/{domain}")),
            )]
        }
        ("lambda", _) => {
            let parts: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
            match parts.as_slice() {
                [_, "functions", name, "configuration"] if r.method == "GET" => vec![need(
                    "lambda:GetFunctionConfiguration".into(),
                    arns.arn("lambda", &format!("function:{}", decode(name))),
                )],
                [_, "event-source-mappings", ..] if r.method == "GET" => {
                    vec![need("lambda:ListEventSourceMappings".into(), "*".into())]
                }
                _ => vec![unknown(prefix, r)],
            }
        }
        ("apigateway", _) => vec![need(
            format!("apigateway:{}", r.method),
            format!("arn:aws:apigateway:{}::{}", arns.region, r.path),
        )],
        (_, Some(op)) => vec![Need {
            action: format!("{prefix}:{op}"),
            resource: "*".into(),
            approximate: true,
        }],
        _ => {
            // The query protocol: `Action=...` in the form body.
            let form = String::from_utf8_lossy(r.body);
            let action = form
                .split('&')
                .chain(r.query.split('&'))
                .find_map(|p| p.strip_prefix("Action="));
            match action {
                Some(a) => vec![Need {
                    action: format!("{prefix}:{a}"),
                    resource: "*".into(),
                    approximate: true,
                }],
                None => vec![unknown(prefix, r)],
            }
        }
    }
}

fn unknown(prefix: &str, r: &Request<'_>) -> Need {
    Need {
        action: format!("{prefix}:{} {}", r.method, r.path),
        resource: "*".into(),
        approximate: true,
    }
}

fn dynamodb(op: &str, body: &Value, arns: &Arns) -> Vec<Need> {
    let table = |name: &str| arns.arn("dynamodb", &format!("table/{name}"));
    match op {
        "TransactWriteItems" | "TransactGetItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                item.as_object()?
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
            })
            .map(|(kind, v)| {
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    _ => "GetItem",
                };
                need(
                    format!("dynamodb:{action}"),
                    table(v["TableName"].as_str().unwrap_or("?")),
                )
            })
            .collect(),
        "BatchGetItem" | "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
            .map(|t| need(format!("dynamodb:{op}"), table(t)))
            .collect(),
        _ => {
            let name = body["TableName"].as_str().unwrap_or("*");
            let mut arn = table(name);
            if let Some(index) = body["IndexName"].as_str() {
                arn = format!("{arn}/index/{index}");
            }
            vec![need(format!("dynamodb:{op}"), arn)]
        }
    }
}

fn s3(r: &Request<'_>) -> Vec<Need> {
    let path = r.path.trim_start_matches('/');
    let (bucket, key) = match path.split_once('/') {
        Some((b, k)) => (b, decode(k)),
        None => (path, String::new()),
    };
    let has = |q: &str| {
        r.query
            .split('&')
            .any(|p| p == q || p.starts_with(&format!("{q}=")))
    };
    let object = format!("arn:aws:s3:::{bucket}/{key}");
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let (action, resource) = if key.is_empty() {
        match r.method {
            "GET" if has("location") => ("GetBucketLocation", bucket_arn),
            "GET" => ("ListBucket", bucket_arn),
            "HEAD" => ("ListBucket", bucket_arn),
            "POST" if has("delete") => ("DeleteObject", format!("{bucket_arn}/*")),
            "PUT" => ("CreateBucket", bucket_arn),
            _ => ("UnknownBucketOperation", bucket_arn),
        }
    } else {
        match r.method {
            "GET" | "HEAD" => ("GetObject", object),
            "PUT" | "POST" => ("PutObject", object),
            "DELETE" if has("uploadId") => ("AbortMultipartUpload", object),
            "DELETE" => ("DeleteObject", object),
            _ => ("UnknownObjectOperation", object),
        }
    };
    vec![need(format!("s3:{action}"), resource)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn arns() -> Arns {
        Arns {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }

    fn run(
        service: &str,
        method: &str,
        path: &str,
        target: Option<&str>,
        body: Value,
    ) -> Vec<Need> {
        let bytes = body.to_string().into_bytes();
        let r = Request {
            service,
            method,
            path,
            query: "",
            target,
            body: &bytes,
        };
        classify(&r, &arns(), &|n| format!("arn:secret:{n}"), &|_| None)
    }

    #[test]
    fn a_transaction_needs_each_of_its_items_actions_on_their_tables() {
        let needs = run(
            "dynamodb",
            "POST",
            "/",
            Some("DynamoDB_20120810.TransactWriteItems"),
            json!({"TransactItems": [{"Put": {"TableName": "inc"}}, {"ConditionCheck": {"TableName": "occ"}}]}),
        );
        let pairs: Vec<(&str, &str)> = needs
            .iter()
            .map(|n| (n.action.as_str(), n.resource.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                (
                    "dynamodb:PutItem",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/inc"
                ),
                (
                    "dynamodb:ConditionCheckItem",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/occ"
                ),
            ]
        );
    }

    #[test]
    fn s3_paths_and_bedrock_models_become_arns() {
        let n = run("s3", "PUT", "/archive/outbox/a%20b.json", None, Value::Null);
        assert_eq!(
            (n[0].action.as_str(), n[0].resource.as_str()),
            ("s3:PutObject", "arn:aws:s3:::archive/outbox/a b.json")
        );
        let n = run(
            "bedrock",
            "POST",
            "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",
            None,
            Value::Null,
        );
        assert_eq!(n[0].action, "bedrock:InvokeModel");
        assert_eq!(
            n[0].resource,
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"
        );
    }
}
