//! ARNs: read into their parts, and named as people know the resource
//! (`lambda function checkout-api`, not the whole ARN).

/// An ARN's parts: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// Everything after the account, `:` and `/` included.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let arn = Self {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        };
        (!arn.partition.is_empty() && !arn.service.is_empty() && !arn.resource.is_empty())
            .then_some(arn)
    }

    /// The ARN of `resource` of `service` in this ARN's partition, region
    /// and account (an alarm's ARN gives the queue's).
    pub fn sibling(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }

    /// What kind of resource this is and its name, as the topology shows
    /// them. Unknown kinds are `SERVICE TYPE` with the last part as name.
    pub fn kind_and_name(&self) -> (String, String) {
        let resource = self.resource;
        let (kind, name): (&str, &str) = match self.service {
            "lambda" => ("lambda function", nth(resource, ':', 1)),
            "sqs" => ("sqs queue", resource),
            "sns" => ("sns topic", resource),
            "s3" => ("s3 bucket", resource),
            "kinesis" => ("kinesis stream", nth(resource, '/', 1)),
            // `table/orders` and `table/orders/stream/2026-11-20T09:00:00.000`.
            "dynamodb" => ("dynamodb table", nth(resource, '/', 1)),
            "kafka" => ("msk cluster", nth(resource, '/', 1)),
            "mq" => ("mq broker", nth(resource, ':', 1)),
            "states" => ("state machine", nth(resource, ':', 1)),
            "logs" => ("log group", log_group_of(resource)),
            "rds" if resource.starts_with("cluster:") => ("rds cluster", nth(resource, ':', 1)),
            "rds" => ("rds instance", nth(resource, ':', 1)),
            "ecs" if resource.starts_with("service/") => ("ecs service", last(resource, '/')),
            "ecs" if resource.starts_with("task-definition/") => {
                ("ecs task definition", nth(resource, '/', 1))
            }
            "ecs" => ("ecs cluster", last(resource, '/')),
            "ec2" if resource.starts_with("instance/") => ("ec2 instance", nth(resource, '/', 1)),
            "elasticloadbalancing" if resource.starts_with("targetgroup/") => {
                ("target group", nth(resource, '/', 1))
            }
            "elasticloadbalancing" => ("load balancer", nth(resource, '/', 2)),
            "apigateway" => ("api gateway api", nth(resource, '/', 2)),
            "events" => ("eventbridge rule", last(resource, '/')),
            _ => {
                let kind = resource.split([':', '/']).next().unwrap_or(resource);
                return (
                    format!("{} {kind}", self.service),
                    last(resource, '/')
                        .rsplit(':')
                        .next()
                        .unwrap_or(resource)
                        .to_owned(),
                );
            }
        };
        (kind.to_owned(), name.to_owned())
    }
}

/// The `n`th part of `text` split at `sep`, or `text` when it has fewer.
fn nth(text: &str, sep: char, n: usize) -> &str {
    text.split(sep)
        .nth(n)
        .filter(|p| !p.is_empty())
        .unwrap_or(text)
}

fn last(text: &str, sep: char) -> &str {
    text.rsplit(sep).next().unwrap_or(text)
}

/// `log-group:NAME` or `log-group:NAME:*` → `NAME` (names hold no `:`).
fn log_group_of(resource: &str) -> &str {
    let name = resource.strip_prefix("log-group:").unwrap_or(resource);
    name.split(':').next().unwrap_or(name)
}

/// The log group a CloudWatch Logs ARN names; `None` for another service
/// (an access-log destination may be a Firehose stream).
pub fn log_group_name(arn: &str) -> Option<String> {
    let arn = Arn::parse(arn)?;
    (arn.service == "logs" && arn.resource.starts_with("log-group:"))
        .then(|| log_group_of(arn.resource).to_owned())
        .filter(|name| !name.is_empty())
}

/// The function an integration or target names: a Lambda function's ARN,
/// or API Gateway's `arn:…:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations`.
pub fn lambda_function_of(uri: &str) -> Option<String> {
    let arn = match uri.find("/functions/") {
        Some(at) => {
            let rest = uri.get(at + "/functions/".len()..)?;
            rest.strip_suffix("/invocations").unwrap_or(rest)
        }
        None => uri,
    };
    let parsed = Arn::parse(arn)?;
    (parsed.service == "lambda" && parsed.resource.starts_with("function:"))
        .then(|| nth(parsed.resource, ':', 1).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(arn: &str) -> (String, String) {
        Arn::parse(arn)
            .map(|a| a.kind_and_name())
            .unwrap_or_default()
    }

    #[test]
    fn resources_are_named_as_people_know_them() {
        let cases = [
            (
                "arn:aws:lambda:eu-west-1:111122223333:function:checkout-api",
                "lambda function",
                "checkout-api",
            ),
            (
                "arn:aws:lambda:eu-west-1:111122223333:function:checkout-api:live",
                "lambda function",
                "checkout-api",
            ),
            (
                "arn:aws:sqs:eu-west-1:111122223333:orders-queue",
                "sqs queue",
                "orders-queue",
            ),
            (
                "arn:aws:kinesis:eu-west-1:111122223333:stream/clicks",
                "kinesis stream",
                "clicks",
            ),
            (
                "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2026-11-20T09:00:00.000",
                "dynamodb table",
                "orders",
            ),
            (
                "arn:aws:states:eu-west-1:111122223333:stateMachine:fulfil",
                "state machine",
                "fulfil",
            ),
            (
                "arn:aws:logs:eu-west-1:111122223333:log-group:/app/checkout:*",
                "log group",
                "/app/checkout",
            ),
            (
                "arn:aws:rds:eu-west-1:111122223333:db:orders-db-1",
                "rds instance",
                "orders-db-1",
            ),
            (
                "arn:aws:rds:eu-west-1:111122223333:cluster:orders",
                "rds cluster",
                "orders",
            ),
            (
                "arn:aws:ecs:eu-west-1:111122223333:service/prod/checkout-web",
                "ecs service",
                "checkout-web",
            ),
            (
                "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc1234def567890",
                "ec2 instance",
                "i-0abc1234def567890",
            ),
            (
                "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/checkout-tg/73e2d6bc24d8a067",
                "target group",
                "checkout-tg",
            ),
            (
                "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/checkout-alb/50dc6c495c0c9188",
                "load balancer",
                "checkout-alb",
            ),
            (
                "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5",
                "api gateway api",
                "a1b2c3d4e5",
            ),
            (
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-pass-AbCdEf",
                "secretsmanager secret",
                "db-pass-AbCdEf",
            ),
        ];
        for (arn, want_kind, want_name) in cases {
            assert_eq!(
                kind(arn),
                (want_kind.to_owned(), want_name.to_owned()),
                "{arn}"
            );
        }
    }

    #[test]
    fn a_sibling_arn_takes_the_partition_region_and_account() {
        let alarm =
            Arn::parse("arn:aws-cn:cloudwatch:cn-north-1:111122223333:alarm:orders-backlog")
                .unwrap();
        assert_eq!(
            alarm.sibling("sqs", "orders-queue"),
            "arn:aws-cn:sqs:cn-north-1:111122223333:orders-queue"
        );
    }

    #[test]
    fn log_groups_and_functions_are_read_from_their_arns() {
        assert_eq!(
            log_group_name(
                "arn:aws:logs:eu-west-1:111122223333:log-group:API-Gateway-Access-Logs_checkout/prod"
            ),
            Some("API-Gateway-Access-Logs_checkout/prod".to_owned())
        );
        assert_eq!(
            log_group_name(
                "arn:aws:firehose:eu-west-1:111122223333:deliverystream/amazon-apigateway-x"
            ),
            None
        );
        assert_eq!(
            lambda_function_of(
                "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111122223333:function:checkout-api/invocations"
            ),
            Some("checkout-api".to_owned())
        );
        assert_eq!(
            lambda_function_of("arn:aws:lambda:eu-west-1:111122223333:function:checkout-api"),
            Some("checkout-api".to_owned())
        );
        assert_eq!(lambda_function_of("http://orders.internal/v1"), None);
        assert_eq!(Arn::parse("not-an-arn"), None);
    }
}
