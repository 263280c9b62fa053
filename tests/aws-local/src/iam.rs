//! IAM policy evaluation, as far as a template can say: identity policies'
//! `Allow` and `Deny` statements with `Action`/`NotAction` and
//! `Resource`/`NotResource`, wildcards `*` and `?` (actions without case,
//! resources with). Conditions cannot be evaluated without the request
//! context AWS has (source IP, TLS, tags): an `Allow` with a condition is
//! taken as allowing and a `Deny` with one as not denying, and either is
//! reported, so nothing passes silently on an unevaluated condition.

use serde_json::Value;

/// One policy document, named for reports.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub effect: Effect,
    /// `Action` (or `NotAction` when `not_action`).
    pub actions: Vec<String>,
    pub not_action: bool,
    pub resources: Vec<String>,
    pub not_resource: bool,
    pub condition: Option<Value>,
}

/// The outcome for one call.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Allowed by the statement `statement` of `policy`; `condition` when
    /// that statement's condition was not evaluated.
    Allowed {
        policy: String,
        statement: usize,
        condition: Option<String>,
    },
    /// An explicit `Deny` without a condition.
    Denied { policy: String, statement: usize },
    /// No statement allows it.
    NotAllowed,
}

impl Policy {
    /// A policy document (resolved JSON). Errors name the policy.
    pub fn parse(name: &str, document: &Value) -> Result<Self, String> {
        let statements = match document.get("Statement") {
            Some(Value::Array(list)) => list.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ => return Err(format!("the policy {name} has no Statement")),
        };
        let strings = |value: Option<&Value>| -> Vec<String> {
            match value {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let mut parsed = Vec::new();
        for (i, s) in statements.iter().enumerate() {
            let effect = match s.get("Effect").and_then(Value::as_str) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                other => {
                    return Err(format!(
                        "the policy {name}, statement {i}: Effect {other:?}"
                    ));
                }
            };
            let not_action = s.get("NotAction").is_some();
            let not_resource = s.get("NotResource").is_some();
            parsed.push(Statement {
                effect,
                actions: strings(s.get(if not_action { "NotAction" } else { "Action" })),
                not_action,
                resources: strings(s.get(if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                })),
                not_resource,
                condition: s.get("Condition").cloned(),
            });
        }
        Ok(Self {
            name: name.to_owned(),
            statements: parsed,
        })
    }
}

impl Statement {
    pub fn matches_action(&self, action: &str) -> bool {
        let hit = self
            .actions
            .iter()
            .any(|p| glob(&p.to_ascii_lowercase(), &action.to_ascii_lowercase()));
        hit != self.not_action
    }

    pub fn matches_resource(&self, resource: &str) -> bool {
        let hit = self.resources.iter().any(|p| glob(p, resource));
        hit != self.not_resource
    }
}

/// Evaluates `action` on `resource` against `policies`: an explicit deny
/// wins, then any allow; otherwise it is not allowed.
pub fn evaluate(policies: &[Policy], action: &str, resource: &str) -> Decision {
    let mut allowed = None;
    for policy in policies {
        for (i, statement) in policy.statements.iter().enumerate() {
            if !statement.matches_action(action) || !statement.matches_resource(resource) {
                continue;
            }
            match statement.effect {
                Effect::Deny if statement.condition.is_none() => {
                    return Decision::Denied {
                        policy: policy.name.clone(),
                        statement: i,
                    };
                }
                Effect::Deny => {}
                Effect::Allow => {
                    let candidate = Decision::Allowed {
                        policy: policy.name.clone(),
                        statement: i,
                        condition: statement.condition.as_ref().map(Value::to_string),
                    };
                    // An unconditional allow is the better explanation.
                    let better = matches!(
                        (&allowed, &candidate),
                        (None, _)
                            | (
                                Some(Decision::Allowed {
                                    condition: Some(_),
                                    ..
                                }),
                                Decision::Allowed {
                                    condition: None,
                                    ..
                                }
                            )
                    );
                    if better {
                        allowed = Some(candidate);
                    }
                }
            }
        }
    }
    allowed.unwrap_or(Decision::NotAllowed)
}

/// The conditional `Deny` statements that could have applied to a call: not
/// evaluated, reported.
pub fn unevaluated_denies(policies: &[Policy], action: &str, resource: &str) -> Vec<String> {
    policies
        .iter()
        .flat_map(|p| {
            p.statements
                .iter()
                .enumerate()
                .filter(move |(_, s)| {
                    s.effect == Effect::Deny
                        && s.condition.is_some()
                        && s.matches_action(action)
                        && s.matches_resource(resource)
                })
                .map(move |(i, _)| format!("{} statement {i}", p.name))
        })
        .collect()
}

/// IAM's wildcards: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Decision {
        fn is_allowed(&self) -> bool {
            matches!(self, Self::Allowed { .. })
        }
    }
    use serde_json::json;

    fn policy(statements: Value) -> Policy {
        Policy::parse("P", &json!({ "Statement": statements })).unwrap()
    }

    #[test]
    fn wildcards_match_as_iam_matches_them() {
        assert!(glob(
            "arn:aws:s3:::b/outbox/*",
            "arn:aws:s3:::b/outbox/x/y.json"
        ));
        assert!(!glob(
            "arn:aws:s3:::b/outbox/*",
            "arn:aws:s3:::b/reports/x.json"
        ));
        assert!(glob(
            "arn:aws:logs:*:*:log-group:/aws/lambda/*",
            "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f"
        ));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*", ""));
    }

    #[test]
    fn an_action_is_allowed_only_on_the_resources_its_statement_names() {
        let p = policy(
            json!([{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": "arn:t/incidents"}]),
        );
        assert!(
            evaluate(
                std::slice::from_ref(&p),
                "dynamodb:PutItem",
                "arn:t/incidents"
            )
            .is_allowed()
        );
        assert!(
            evaluate(
                std::slice::from_ref(&p),
                "DynamoDB:putitem",
                "arn:t/incidents"
            )
            .is_allowed()
        );
        assert_eq!(
            evaluate(std::slice::from_ref(&p), "dynamodb:PutItem", "arn:t/other"),
            Decision::NotAllowed
        );
        assert_eq!(
            evaluate(&[p], "dynamodb:DeleteItem", "arn:t/incidents"),
            Decision::NotAllowed
        );
    }

    #[test]
    fn an_explicit_deny_wins_and_a_conditional_one_is_reported_not_applied() {
        let p = policy(json!([
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        ]));
        let ps = std::slice::from_ref(&p);
        assert_eq!(
            evaluate(ps, "s3:DeleteObject", "arn:aws:s3:::b/k"),
            Decision::Denied {
                policy: "P".into(),
                statement: 1
            }
        );
        assert!(evaluate(ps, "s3:GetObject", "arn:aws:s3:::b/k").is_allowed());
        assert_eq!(
            unevaluated_denies(ps, "s3:GetObject", "arn:aws:s3:::b/k"),
            ["P statement 2"]
        );
    }

    #[test]
    fn not_action_and_not_resource_invert_the_match() {
        let p =
            policy(json!([{"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:secret"}]));
        let ps = std::slice::from_ref(&p);
        assert!(evaluate(ps, "s3:GetObject", "arn:other").is_allowed());
        assert!(!evaluate(ps, "iam:PassRole", "arn:other").is_allowed());
        assert!(!evaluate(ps, "s3:GetObject", "arn:secret").is_allowed());
    }
}
