//! The synthesized template, read as CloudFormation would deploy it.
//!
//! Every resource gets the physical name CloudFormation would give it (its
//! own name when the template sets one, else `{stack}-{logicalId}-{suffix}`
//! with a suffix derived from the logical id, so a run is reproducible), in
//! region and account of the cloud assembly (`us-east-1` and moto's
//! `123456789012` by default). `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`,
//! `Fn::Select`, `Fn::Split`, `Fn::If` and the pseudo parameters resolve as
//! CloudFormation resolves them; anything else is an error naming where it
//! is, never a silent guess.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// moto's default account: every access key moto has not issued maps to it.
pub const ACCOUNT: &str = "123456789012";
const DEFAULT_REGION: &str = "us-east-1";

#[derive(Debug, Clone)]
struct Resource {
    kind: String,
    properties: Value,
}

/// What `Ref` and `Fn::GetAtt` give for one resource.
#[derive(Debug, Clone, Default)]
struct Physical {
    reference: String,
    attributes: BTreeMap<String, String>,
}

/// A synthesized stack, its names resolved for this machine.
#[derive(Debug)]
pub struct Deployment {
    pub stack_name: String,
    pub region: String,
    pub account: String,
    /// The cloud assembly: the template's folder, with its staged assets.
    pub assembly: PathBuf,
    pub template_file: PathBuf,
    resources: BTreeMap<String, Resource>,
    physical: BTreeMap<String, Physical>,
    parameters: BTreeMap<String, Value>,
    conditions: Map<String, Value>,
    mappings: Value,
}

impl Deployment {
    /// Reads `template` (a `*.template.json` in a cloud assembly).
    pub fn load(template: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(template)
            .with_context(|| format!("cannot read the template {}", template.display()))?;
        let json: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", template.display()))?;
        let assembly = template
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let stack_name = template
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".template.json"))
            .ok_or_else(|| anyhow!("{} is not named STACK.template.json", template.display()))?
            .to_owned();
        let region = assembly_region(&assembly, &stack_name).unwrap_or(DEFAULT_REGION.to_owned());
        let mut resources = BTreeMap::new();
        for (id, resource) in json
            .get("Resources")
            .and_then(Value::as_object)
            .ok_or_else(|| anyhow!("{} has no Resources", template.display()))?
        {
            let kind = resource
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("resource {id} has no Type"))?;
            resources.insert(
                id.clone(),
                Resource {
                    kind: kind.to_owned(),
                    properties: resource.get("Properties").cloned().unwrap_or(Value::Null),
                },
            );
        }
        let parameters = json
            .get("Parameters")
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .map(|(k, v)| (k.clone(), v.get("Default").cloned().unwrap_or(Value::Null)))
                    .collect()
            })
            .unwrap_or_default();
        let object = |key: &str| {
            json.get(key)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let mut deployment = Self {
            stack_name,
            region,
            account: ACCOUNT.to_owned(),
            assembly,
            template_file: template.to_path_buf(),
            resources,
            physical: BTreeMap::new(),
            parameters,
            conditions: object("Conditions"),
            mappings: json.get("Mappings").cloned().unwrap_or(Value::Null),
        };
        deployment.name_resources()?;
        Ok(deployment)
    }

    /// Logical ids of the resources of `kind`, in template order (sorted).
    pub fn of_kind(&self, kind: &str) -> Vec<String> {
        self.resources
            .iter()
            .filter(|(_, r)| r.kind == kind)
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub fn kind(&self, id: &str) -> Option<&str> {
        self.resources.get(id).map(|r| r.kind.as_str())
    }

    /// The resource's properties with every intrinsic function resolved.
    pub fn properties(&self, id: &str) -> Result<Value> {
        let resource = self
            .resources
            .get(id)
            .ok_or_else(|| anyhow!("the template has no resource {id}"))?;
        self.resolve(&resource.properties, id)
    }

    /// `Ref` of a resource.
    pub fn reference(&self, id: &str) -> Result<String> {
        self.physical
            .get(id)
            .map(|p| p.reference.clone())
            .ok_or_else(|| anyhow!("the template has no resource {id}"))
    }

    /// `Fn::GetAtt` of a resource.
    pub fn attribute(&self, id: &str, name: &str) -> Result<String> {
        let physical = self
            .physical
            .get(id)
            .ok_or_else(|| anyhow!("Fn::GetAtt names {id}, which the template does not have"))?;
        physical.attributes.get(name).cloned().ok_or_else(|| {
            anyhow!(
                "Fn::GetAtt {id}.{name}: aws-local does not know the attribute {name} of a {}",
                self.kind(id).unwrap_or("resource")
            )
        })
    }

    /// A secret's ARN is chosen by Secrets Manager (moto) when it is made.
    pub fn set_secret_arn(&mut self, id: &str, arn: &str) {
        if let Some(p) = self.physical.get_mut(id) {
            p.reference = arn.to_owned();
            p.attributes.insert("Id".into(), arn.to_owned());
        }
    }

    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            self.region, self.account
        )
    }

    /// Gives every resource the name and attributes CloudFormation would.
    fn name_resources(&mut self) -> Result<()> {
        let ids: Vec<String> = self.resources.keys().cloned().collect();
        for id in ids {
            let physical = self.name_of(&id)?;
            self.physical.insert(id, physical);
        }
        // Attributes that depend on another resource's name.
        let rest_apis = self.of_kind("AWS::ApiGateway::RestApi");
        for id in rest_apis {
            let root = generated_id(&format!("{id}/root"), 10);
            if let Some(p) = self.physical.get_mut(&id) {
                p.attributes.insert("RootResourceId".into(), root);
            }
        }
        Ok(())
    }

    /// A literal string property, before resolution (names are literals in
    /// CDK output; a name computed from another resource is resolved later).
    fn literal(&self, id: &str, path: &[&str]) -> Option<String> {
        let mut value = &self.resources.get(id)?.properties;
        for key in path {
            value = value.get(key)?;
        }
        value.as_str().map(str::to_owned)
    }

    fn name_of(&self, id: &str) -> Result<Physical> {
        let kind = self
            .resources
            .get(id)
            .map(|r| r.kind.clone())
            .unwrap_or_default();
        let generated = |max: usize| generated_name(&self.stack_name, id, max);
        let mut attributes = BTreeMap::new();
        let reference = match kind.as_str() {
            "AWS::Lambda::Function" => {
                let name = self
                    .literal(id, &["FunctionName"])
                    .unwrap_or_else(|| generated(64));
                attributes.insert(
                    "Arn".into(),
                    self.arn("lambda", &format!("function:{name}")),
                );
                name
            }
            "AWS::IAM::Role" => {
                let name = self
                    .literal(id, &["RoleName"])
                    .unwrap_or_else(|| generated(64));
                attributes.insert(
                    "Arn".into(),
                    format!("arn:aws:iam::{}:role/{name}", self.account),
                );
                attributes.insert("RoleId".into(), format!("AROA{}", generated_id(id, 17)));
                name
            }
            "AWS::IAM::ManagedPolicy" => {
                let name = self
                    .literal(id, &["ManagedPolicyName"])
                    .unwrap_or_else(|| generated(128));
                let arn = format!("arn:aws:iam::{}:policy/{name}", self.account);
                attributes.insert("PolicyArn".into(), arn.clone());
                arn
            }
            "AWS::DynamoDB::GlobalTable" | "AWS::DynamoDB::Table" => {
                let name = self
                    .literal(id, &["TableName"])
                    .unwrap_or_else(|| generated(255));
                let arn = self.arn("dynamodb", &format!("table/{name}"));
                attributes.insert(
                    "StreamArn".into(),
                    format!("{arn}/stream/1970-01-01T00:00:00.000"),
                );
                attributes.insert("Arn".into(), arn);
                name
            }
            "AWS::S3::Bucket" => {
                let name = self
                    .literal(id, &["BucketName"])
                    .unwrap_or_else(|| generated(63).to_ascii_lowercase());
                attributes.insert("Arn".into(), format!("arn:aws:s3:::{name}"));
                attributes.insert("DomainName".into(), format!("{name}.s3.amazonaws.com"));
                attributes.insert(
                    "RegionalDomainName".into(),
                    format!("{name}.s3.{}.amazonaws.com", self.region),
                );
                name
            }
            "AWS::Logs::LogGroup" => {
                let name = self
                    .literal(id, &["LogGroupName"])
                    .unwrap_or_else(|| generated(512));
                attributes.insert(
                    "Arn".into(),
                    self.arn("logs", &format!("log-group:{name}:*")),
                );
                name
            }
            "AWS::SQS::Queue" => {
                let name = self
                    .literal(id, &["QueueName"])
                    .unwrap_or_else(|| generated(80));
                attributes.insert("Arn".into(), self.arn("sqs", &name));
                attributes.insert("QueueName".into(), name.clone());
                let url = format!(
                    "https://sqs.{}.amazonaws.com/{}/{name}",
                    self.region, self.account
                );
                attributes.insert("QueueUrl".into(), url.clone());
                url
            }
            "AWS::StepFunctions::StateMachine" => {
                let name = self
                    .literal(id, &["StateMachineName"])
                    .unwrap_or_else(|| generated(80));
                let arn = self.arn("states", &format!("stateMachine:{name}"));
                attributes.insert("Arn".into(), arn.clone());
                attributes.insert("Name".into(), name);
                arn
            }
            "AWS::Events::Rule" => {
                let name = self.literal(id, &["Name"]).unwrap_or_else(|| generated(64));
                attributes.insert("Arn".into(), self.arn("events", &format!("rule/{name}")));
                name
            }
            "AWS::SecretsManager::Secret" => {
                // Provisional: Secrets Manager adds its own suffix at creation.
                let name = self
                    .literal(id, &["Name"])
                    .unwrap_or_else(|| generated(256));
                let arn = self.arn("secretsmanager", &format!("secret:{name}-AAAAAA"));
                attributes.insert("Id".into(), arn.clone());
                arn
            }
            "AWS::CloudWatch::Alarm" => {
                let name = self
                    .literal(id, &["AlarmName"])
                    .unwrap_or_else(|| generated(255));
                attributes.insert(
                    "Arn".into(),
                    self.arn("cloudwatch", &format!("alarm:{name}")),
                );
                name
            }
            "AWS::Glue::Database" => self
                .literal(id, &["DatabaseInput", "Name"])
                .unwrap_or_else(|| generated(255).to_ascii_lowercase()),
            "AWS::Glue::Table" => self
                .literal(id, &["TableInput", "Name"])
                .unwrap_or_else(|| generated(255).to_ascii_lowercase()),
            "AWS::Athena::WorkGroup" => self
                .literal(id, &["Name"])
                .unwrap_or_else(|| generated(128)),
            "AWS::ApiGateway::RestApi" => {
                let api_id = generated_id(id, 10);
                attributes.insert("RestApiId".into(), api_id.clone());
                api_id
            }
            "AWS::ApiGateway::Resource" => {
                let resource_id = generated_id(id, 6);
                attributes.insert("ResourceId".into(), resource_id.clone());
                resource_id
            }
            "AWS::ApiGateway::Stage" => self
                .literal(id, &["StageName"])
                .unwrap_or_else(|| generated(128)),
            "AWS::ApiGateway::Deployment" => {
                let deployment_id = generated_id(id, 6);
                attributes.insert("DeploymentId".into(), deployment_id.clone());
                deployment_id
            }
            _ => generated(128),
        };
        Ok(Physical {
            reference,
            attributes,
        })
    }

    /// Resolves every intrinsic function in `value`; `at` says where, for errors.
    pub fn resolve(&self, value: &Value, at: &str) -> Result<Value> {
        Ok(self.resolve_opt(value, at)?.unwrap_or(Value::Null))
    }

    /// `None` is `AWS::NoValue`: the property is left out.
    fn resolve_opt(&self, value: &Value, at: &str) -> Result<Option<Value>> {
        match value {
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map.iter().next().ok_or_else(|| anyhow!("empty"))?;
                // `{"Condition": "Name"}` appears inside condition functions;
                // an IAM statement's `Condition` is an object, never a name.
                if key == "Ref"
                    || key.starts_with("Fn::")
                    || (key == "Condition" && arg.is_string())
                {
                    return self.intrinsic(key, arg, at);
                }
                let mut out = Map::new();
                if let Some(v) = self.resolve_opt(arg, &format!("{at}.{key}"))? {
                    out.insert(key.clone(), v);
                }
                Ok(Some(Value::Object(out)))
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    if let Some(v) = self.resolve_opt(v, &format!("{at}.{k}"))? {
                        out.insert(k.clone(), v);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    if let Some(v) = self.resolve_opt(v, &format!("{at}[{i}]"))? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    fn string(&self, value: &Value, at: &str) -> Result<String> {
        match self.resolve(value, at)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => bail!("{at}: expected a string, found {other}"),
        }
    }

    fn intrinsic(&self, key: &str, arg: &Value, at: &str) -> Result<Option<Value>> {
        let list = |n: usize| -> Result<&Vec<Value>> {
            arg.as_array()
                .filter(|a| a.len() == n)
                .ok_or_else(|| anyhow!("{at}: {key} takes a list of {n}"))
        };
        let value = match key {
            "Ref" => {
                let name = arg
                    .as_str()
                    .ok_or_else(|| anyhow!("{at}: Ref takes a name"))?;
                return self.reference_of(name, at);
            }
            "Fn::GetAtt" => {
                let (id, attribute) = match arg {
                    Value::String(s) => s
                        .split_once('.')
                        .map(|(a, b)| (a.to_owned(), b.to_owned()))
                        .ok_or_else(|| anyhow!("{at}: Fn::GetAtt {s} has no attribute"))?,
                    Value::Array(a) => {
                        let part = |i: usize| {
                            a.get(i)
                                .map(|v| self.string(v, at))
                                .unwrap_or_else(|| bail!("{at}: Fn::GetAtt takes two parts"))
                        };
                        (part(0)?, part(1)?)
                    }
                    _ => bail!("{at}: Fn::GetAtt takes a name and an attribute"),
                };
                Value::String(
                    self.attribute(&id, &attribute)
                        .with_context(|| at.to_owned())?,
                )
            }
            "Fn::Join" => {
                let args = list(2)?;
                let separator = args.first().and_then(Value::as_str).unwrap_or_default();
                let parts = self.resolve(args.get(1).unwrap_or(&Value::Null), at)?;
                let parts = parts
                    .as_array()
                    .ok_or_else(|| anyhow!("{at}: Fn::Join takes a list of parts"))?
                    .iter()
                    .map(|p| self.string(p, at))
                    .collect::<Result<Vec<_>>>()?;
                Value::String(parts.join(separator))
            }
            "Fn::Select" => {
                let args = list(2)?;
                let index: usize = self
                    .string(args.first().unwrap_or(&Value::Null), at)?
                    .parse()
                    .with_context(|| format!("{at}: Fn::Select's index is not a number"))?;
                let items = self.resolve(args.get(1).unwrap_or(&Value::Null), at)?;
                items
                    .as_array()
                    .and_then(|a| a.get(index))
                    .cloned()
                    .ok_or_else(|| anyhow!("{at}: Fn::Select index {index} is out of range"))?
            }
            "Fn::Split" => {
                let args = list(2)?;
                let separator = self.string(args.first().unwrap_or(&Value::Null), at)?;
                let text = self.string(args.get(1).unwrap_or(&Value::Null), at)?;
                Value::Array(
                    text.split(separator.as_str())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                )
            }
            "Fn::Sub" => {
                let (text, vars) = match arg {
                    Value::String(s) => (s.clone(), Map::new()),
                    Value::Array(a) => (
                        a.first()
                            .and_then(Value::as_str)
                            .ok_or_else(|| anyhow!("{at}: Fn::Sub takes a string"))?
                            .to_owned(),
                        a.get(1)
                            .and_then(Value::as_object)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    _ => bail!("{at}: Fn::Sub takes a string"),
                };
                Value::String(self.substitute(&text, &vars, at)?)
            }
            "Fn::If" => {
                let args = list(3)?;
                let name = args
                    .first()
                    .and_then(Value::as_str)
                    .ok_or_else(|| anyhow!("{at}: Fn::If takes a condition name"))?;
                let branch = if self.condition(name, at)? { 1 } else { 2 };
                return self.resolve_opt(args.get(branch).unwrap_or(&Value::Null), at);
            }
            "Fn::FindInMap" => {
                let args = list(3)?;
                let keys = args
                    .iter()
                    .map(|k| self.string(k, at))
                    .collect::<Result<Vec<_>>>()?;
                let mut value = &self.mappings;
                for key in &keys {
                    value = value
                        .get(key)
                        .ok_or_else(|| anyhow!("{at}: Fn::FindInMap has no {}", keys.join(".")))?;
                }
                value.clone()
            }
            "Fn::Base64" => {
                use base64::Engine as _;
                Value::String(
                    base64::engine::general_purpose::STANDARD.encode(self.string(arg, at)?),
                )
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" | "Condition" => {
                Value::Bool(self.truth(key, arg, at)?)
            }
            other => bail!("{at}: aws-local cannot resolve {other}"),
        };
        Ok(Some(value))
    }

    fn reference_of(&self, name: &str, at: &str) -> Result<Option<Value>> {
        let pseudo = match name {
            "AWS::Region" => Some(self.region.clone()),
            "AWS::AccountId" => Some(self.account.clone()),
            "AWS::Partition" => Some("aws".to_owned()),
            "AWS::URLSuffix" => Some("amazonaws.com".to_owned()),
            "AWS::StackName" => Some(self.stack_name.clone()),
            "AWS::StackId" => Some(self.arn(
                "cloudformation",
                &format!(
                    "stack/{}/{}",
                    self.stack_name,
                    generated_id(&self.stack_name, 36)
                ),
            )),
            "AWS::NoValue" => return Ok(None),
            _ => None,
        };
        if let Some(value) = pseudo {
            return Ok(Some(Value::String(value)));
        }
        if let Some(physical) = self.physical.get(name) {
            return Ok(Some(Value::String(physical.reference.clone())));
        }
        if let Some(default) = self.parameters.get(name) {
            return Ok(Some(default.clone()));
        }
        bail!("{at}: Ref {name} names no resource, parameter or pseudo parameter")
    }

    fn substitute(&self, text: &str, vars: &Map<String, Value>, at: &str) -> Result<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(rest.get(..start).unwrap_or_default());
            let after = rest.get(start + 2..).unwrap_or_default();
            let end = after
                .find('}')
                .ok_or_else(|| anyhow!("{at}: Fn::Sub has an unclosed ${{"))?;
            let name = after.get(..end).unwrap_or_default();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.get(name) {
                out.push_str(&self.string(v, at)?);
            } else if let Some((id, attribute)) = name.split_once('.') {
                out.push_str(
                    &self
                        .attribute(id, attribute)
                        .with_context(|| at.to_owned())?,
                );
            } else {
                let value = self
                    .reference_of(name, at)?
                    .ok_or_else(|| anyhow!("{at}: Fn::Sub of AWS::NoValue"))?;
                out.push_str(&self.string(&value, at)?);
            }
            rest = after.get(end + 1..).unwrap_or_default();
        }
        out.push_str(rest);
        Ok(out)
    }

    fn condition(&self, name: &str, at: &str) -> Result<bool> {
        let body = self
            .conditions
            .get(name)
            .ok_or_else(|| anyhow!("{at}: no condition {name}"))?;
        let (key, arg) = body
            .as_object()
            .and_then(|m| m.iter().next())
            .ok_or_else(|| anyhow!("{at}: condition {name} is not a function"))?;
        self.truth(key, arg, at)
    }

    fn truth(&self, key: &str, arg: &Value, at: &str) -> Result<bool> {
        let all = |f: &dyn Fn(&Value) -> Result<bool>| -> Result<Vec<bool>> {
            arg.as_array()
                .ok_or_else(|| anyhow!("{at}: {key} takes a list"))?
                .iter()
                .map(f)
                .collect()
        };
        let nested = |v: &Value| -> Result<bool> {
            match self.resolve(v, at)? {
                Value::Bool(b) => Ok(b),
                other => bail!("{at}: {key} of {other}, which is not a condition"),
            }
        };
        match key {
            "Condition" => self.condition(
                arg.as_str()
                    .ok_or_else(|| anyhow!("{at}: Condition takes a name"))?,
                at,
            ),
            "Fn::Equals" => {
                let values = arg
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| anyhow!("{at}: Fn::Equals takes two values"))?;
                let resolved = values
                    .iter()
                    .map(|v| self.resolve(v, at))
                    .collect::<Result<Vec<_>>>()?;
                Ok(resolved.first() == resolved.get(1))
            }
            "Fn::Not" => Ok(!all(&nested)?.first().copied().unwrap_or(false)),
            "Fn::And" => Ok(all(&nested)?.iter().all(|b| *b)),
            "Fn::Or" => Ok(all(&nested)?.iter().any(|b| *b)),
            other => bail!("{at}: {other} is not a condition function"),
        }
    }
}

/// The region the cloud assembly's manifest gives the stack, if it knows it.
fn assembly_region(assembly: &Path, stack: &str) -> Option<String> {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(assembly.join("manifest.json")).ok()?)
            .ok()?;
    let environment = manifest
        .get("artifacts")?
        .get(stack)?
        .get("environment")?
        .as_str()?;
    let region = environment.rsplit('/').next()?;
    (region != "unknown-region" && !region.is_empty()).then(|| region.to_owned())
}

/// `{stack}-{id}-{SUFFIX}` cut to `max` characters, as CloudFormation names
/// what the template leaves unnamed.
fn generated_name(stack: &str, id: &str, max: usize) -> String {
    let suffix = generated_id(id, 12);
    let room = max.saturating_sub(suffix.len() + 2);
    let head: String = format!("{stack}-{id}").chars().take(room).collect();
    format!("{head}-{suffix}")
}

/// A stable upper-case id of `len` characters derived from `seed`.
pub fn generated_id(seed: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let digest = Sha256::digest(seed.as_bytes());
    digest
        .iter()
        .cycle()
        .take(len)
        .map(|b| {
            char::from(
                ALPHABET
                    .get(usize::from(*b) % ALPHABET.len())
                    .copied()
                    .unwrap_or(b'A'),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(template: Value) -> Deployment {
        let dir = std::env::temp_dir().join(format!("aws-local-template-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!(
            "S{}.template.json",
            generated_id(&template.to_string(), 6)
        ));
        std::fs::write(&file, template.to_string()).unwrap();
        Deployment::load(&file).unwrap()
    }

    #[test]
    fn refs_and_attributes_resolve_as_cloudformation_names_resources() {
        let d = deployment(json!({"Resources": {
            "Table": {"Type": "AWS::DynamoDB::GlobalTable", "Properties": {}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": "f",
                "Environment": {"Variables": {
                    "TABLE": {"Ref": "Table"},
                    "ARN": {"Fn::Join": ["", [{"Fn::GetAtt": ["Table", "Arn"]}, "/index/*"]]},
                    "SUB": {"Fn::Sub": "${AWS::Region}:${Fn.Arn}:${!Literal}"},
                    "GONE": {"Ref": "AWS::NoValue"}
                }}
            }}
        }}));
        let props = d.properties("Fn").unwrap();
        let vars = &props["Environment"]["Variables"];
        let table = vars["TABLE"].as_str().unwrap();
        assert!(table.contains("-Table-"), "{table}");
        assert_eq!(
            vars["ARN"],
            format!("arn:aws:dynamodb:us-east-1:123456789012:table/{table}/index/*")
        );
        assert_eq!(
            vars["SUB"],
            "us-east-1:arn:aws:lambda:us-east-1:123456789012:function:f:${Literal}"
        );
        assert!(vars.get("GONE").is_none());
    }

    #[test]
    fn an_unknown_function_or_attribute_is_an_error_naming_where() {
        let d = deployment(json!({"Resources": {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"X": {"Fn::ImportValue": "shared"}}},
            "R": {"Type": "AWS::SQS::Queue", "Properties": {"X": {"Fn::GetAtt": ["Q", "Nope"]}}}
        }}));
        let error = d.properties("Q").unwrap_err().to_string();
        assert!(
            error.contains("Q.X: aws-local cannot resolve Fn::ImportValue"),
            "{error}"
        );
        let error = format!("{:#}", d.properties("R").unwrap_err());
        assert!(
            error.contains("attribute Nope of a AWS::SQS::Queue"),
            "{error}"
        );
    }

    #[test]
    fn conditions_choose_a_branch() {
        let d = deployment(json!({
            "Conditions": {"Prod": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}},
            "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {
                "X": {"Fn::If": ["Prod", "yes", "no"]}
            }}}
        }));
        assert_eq!(d.properties("Q").unwrap()["X"], "yes");
    }
}
