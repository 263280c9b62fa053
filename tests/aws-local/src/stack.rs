//! What the harness runs, read from the template: the functions (package,
//! environment, timeout, role policies), the state machine (definition
//! after `DefinitionSubstitutions`), the EventBridge rules, the tables,
//! buckets and secrets.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::iam::Policy;
use crate::template::Deployment;
use crate::zip;

/// One Lambda function as the template deploys it.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub arn: String,
    /// The crate of `functions/` whose package the template deploys.
    pub crate_name: String,
    pub environment: BTreeMap<String, String>,
    pub timeout_seconds: u64,
    pub memory_mb: u64,
    pub role_name: String,
    pub policies: Vec<Policy>,
    /// The group Lambda writes the function's logs to.
    pub log_group: String,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StateMachine {
    pub name: String,
    pub arn: String,
    /// The definition with `DefinitionSubstitutions` applied.
    pub definition: String,
    /// Its role: what it may invoke.
    pub role: String,
    pub policies: Vec<Policy>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub pattern: Value,
    /// The ARNs of its targets.
    pub targets: Vec<String>,
    /// Target ARN → the role EventBridge assumes to reach it, and its policies.
    pub roles: HashMap<String, (String, Vec<Policy>)>,
}

#[derive(Debug, Clone)]
pub struct Secret {
    pub logical_id: String,
    pub name: String,
    /// The value Secrets Manager would hold after creation.
    pub value: String,
}

/// The stack, every reference resolved for this machine.
#[derive(Debug)]
pub struct Stack {
    pub deployment: Deployment,
    pub functions: Vec<Function>,
    pub machine: StateMachine,
    pub rules: Vec<Rule>,
    /// Table name → `CreateTable` request.
    pub tables: Vec<Value>,
    pub buckets: Vec<String>,
}

/// The secrets of the template, to be created before anything resolves.
pub fn secrets(deployment: &Deployment) -> Result<Vec<Secret>> {
    let mut out = Vec::new();
    for id in deployment.of_kind("AWS::SecretsManager::Secret") {
        let props = deployment.properties(&id)?;
        let provisional = deployment.reference(&id)?;
        let name = match props.get("Name").and_then(Value::as_str) {
            Some(n) => n.to_owned(),
            None => provisional
                .rsplit_once(":secret:")
                .map(|(_, n)| n.trim_end_matches("-AAAAAA").to_owned())
                .ok_or_else(|| anyhow!("secret {id}: no name"))?,
        };
        let value = if let Some(s) = props.get("SecretString").and_then(Value::as_str) {
            s.to_owned()
        } else if let Some(generate) = props.get("GenerateSecretString") {
            generated_secret(&id, generate)?
        } else {
            "{}".to_owned()
        };
        out.push(Secret {
            logical_id: id,
            name,
            value,
        });
    }
    Ok(out)
}

/// `GenerateSecretString` with a template and a key: the key set to a
/// password of the asked length (letters and digits, stable per secret).
fn generated_secret(id: &str, generate: &Value) -> Result<String> {
    let length = generate
        .get("PasswordLength")
        .and_then(Value::as_u64)
        .unwrap_or(32) as usize;
    let password = crate::template::generated_id(&format!("{id}/password"), length);
    match (
        generate.get("SecretStringTemplate").and_then(Value::as_str),
        generate.get("GenerateStringKey").and_then(Value::as_str),
    ) {
        (Some(template), Some(key)) => {
            let mut object: serde_json::Map<String, Value> = serde_json::from_str(template)
                .with_context(|| format!("secret {id}: SecretStringTemplate is not JSON"))?;
            object.insert(key.to_owned(), Value::String(password));
            Ok(Value::Object(object).to_string())
        }
        _ => Ok(password),
    }
}

impl Stack {
    /// Reads the stack. `packages`: folders of `<crate>/bootstrap.zip` the
    /// synth may have staged (to tell which crate a real package is).
    pub fn read(deployment: Deployment, packages: &[PathBuf]) -> Result<Self> {
        let assets = asset_files(&deployment)?;
        let policies = role_policies(&deployment)?;
        let mut functions = Vec::new();
        for id in deployment.of_kind("AWS::Lambda::Function") {
            let props = deployment.properties(&id)?;
            let name = deployment.reference(&id)?;
            let key = props
                .pointer("/Code/S3Key")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("function {name}: Code has no S3Key (inline code?)"))?;
            let asset = assets.get(key).ok_or_else(|| {
                anyhow!("function {name}: the asset {key} is not in the assembly")
            })?;
            let crate_name = crate_of(asset, packages)
                .with_context(|| format!("function {name}: which crate is {}?", asset.display()))?;
            let role_id = props
                .pointer("/Role")
                .and_then(Value::as_str)
                .and_then(|arn| arn.rsplit_once(":role/").map(|(_, n)| n.to_owned()))
                .ok_or_else(|| anyhow!("function {name}: no Role"))?;
            let mut environment = BTreeMap::new();
            if let Some(vars) = props
                .pointer("/Environment/Variables")
                .and_then(Value::as_object)
            {
                for (k, v) in vars {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    environment.insert(k.clone(), v);
                }
            }
            let text = |p: &str| props.pointer(p).and_then(Value::as_str).map(str::to_owned);
            functions.push(Function {
                arn: deployment.attribute(&id, "Arn")?,
                crate_name,
                environment,
                timeout_seconds: props.get("Timeout").and_then(Value::as_u64).unwrap_or(3),
                memory_mb: props
                    .get("MemorySize")
                    .and_then(Value::as_u64)
                    .unwrap_or(128),
                policies: policies.get(&role_id).cloned().unwrap_or_default(),
                role_name: role_id,
                log_group: text("/LoggingConfig/LogGroup")
                    .unwrap_or_else(|| format!("/aws/lambda/{name}")),
                log_format: text("/LoggingConfig/LogFormat"),
                log_level: text("/LoggingConfig/ApplicationLogLevel"),
                name,
            });
        }
        let mut machine = state_machine(&deployment, &assets)?;
        machine.policies = policies.get(&machine.role).cloned().unwrap_or_default();
        let mut rules = Vec::new();
        for id in deployment.of_kind("AWS::Events::Rule") {
            let props = deployment.properties(&id)?;
            let Some(pattern) = props.get("EventPattern").cloned() else {
                continue; // A schedule: nothing here sends it events.
            };
            if props.get("State").and_then(Value::as_str) == Some("DISABLED") {
                continue;
            }
            let targets = props
                .get("Targets")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(|t| t.get("Arn").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let mut roles = HashMap::new();
            for t in props
                .get("Targets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(arn), Some(role)) = (
                    t.get("Arn").and_then(Value::as_str),
                    t.get("RoleArn").and_then(Value::as_str).and_then(role_name),
                ) {
                    let list = policies.get(&role).cloned().unwrap_or_default();
                    roles.insert(arn.to_owned(), (role, list));
                }
            }
            rules.push(Rule {
                name: deployment.reference(&id)?,
                pattern,
                targets,
                roles,
            });
        }
        let mut tables = Vec::new();
        for kind in ["AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"] {
            for id in deployment.of_kind(kind) {
                tables.push(create_table(
                    &deployment.reference(&id)?,
                    &deployment.properties(&id)?,
                ));
            }
        }
        let buckets = deployment
            .of_kind("AWS::S3::Bucket")
            .iter()
            .map(|id| deployment.reference(id))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            deployment,
            functions,
            machine,
            rules,
            tables,
            buckets,
        })
    }
}

/// S3 object key of each staged asset → its file in the assembly.
fn asset_files(deployment: &Deployment) -> Result<HashMap<String, PathBuf>> {
    let manifest = deployment
        .assembly
        .join(format!("{}.assets.json", deployment.stack_name));
    let mut out = HashMap::new();
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        return Ok(out);
    };
    let json: Value =
        serde_json::from_str(&text).with_context(|| format!("{}", manifest.display()))?;
    for asset in json
        .get("files")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|f| f.values())
    {
        let Some(path) = asset.pointer("/source/path").and_then(Value::as_str) else {
            continue;
        };
        for destination in asset
            .get("destinations")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|d| d.values())
        {
            if let Some(key) = destination.get("objectKey").and_then(Value::as_str) {
                out.insert(key.to_owned(), deployment.assembly.join(path));
            }
        }
    }
    Ok(out)
}

/// The crate a function package was built from: a stand-in names it; a
/// real `bootstrap.zip` is the one of `make package` with the same bytes.
fn crate_of(asset: &Path, packages: &[PathBuf]) -> Result<String> {
    let bytes = std::fs::read(asset).with_context(|| format!("{}", asset.display()))?;
    if let Some(bootstrap) = zip::read_entry(&bytes, "bootstrap")?
        && let Some(name) = bootstrap.strip_prefix(STAND_IN)
    {
        return Ok(String::from_utf8_lossy(name).trim().to_owned());
    }
    for folder in packages {
        for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let zip = entry.path().join("bootstrap.zip");
            if std::fs::read(&zip).is_ok_and(|b| b == bytes) {
                return Ok(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    bail!("it is neither a stand-in nor a package of `make package`")
}

/// What a stand-in package's `bootstrap` starts with, then the crate name.
pub const STAND_IN: &[u8] = b"aws-local stand-in for ";

/// Policies by role name: inline `Policies` of the role, `AWS::IAM::Policy`
/// resources attached to it, and customer managed policies it names.
fn role_policies(deployment: &Deployment) -> Result<HashMap<String, Vec<Policy>>> {
    let mut out: HashMap<String, Vec<Policy>> = HashMap::new();
    let managed: HashMap<String, Value> = deployment
        .of_kind("AWS::IAM::ManagedPolicy")
        .iter()
        .map(|id| Ok((deployment.reference(id)?, deployment.properties(id)?)))
        .collect::<Result<_>>()?;
    for id in deployment.of_kind("AWS::IAM::Role") {
        let role = deployment.reference(&id)?;
        let props = deployment.properties(&id)?;
        let list = out.entry(role.clone()).or_default();
        for p in props
            .get("Policies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = p
                .get("PolicyName")
                .and_then(Value::as_str)
                .unwrap_or("inline");
            let doc = p.get("PolicyDocument").unwrap_or(&Value::Null);
            list.push(Policy::parse(&format!("{id}/{name}"), doc).map_err(|e| anyhow!(e))?);
        }
        for arn in props
            .get("ManagedPolicyArns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            match managed.get(arn) {
                Some(m) => list.push(
                    Policy::parse(arn, m.get("PolicyDocument").unwrap_or(&Value::Null))
                        .map_err(|e| anyhow!(e))?,
                ),
                // An AWS managed policy is not in the template: its
                // statements are unknown here (README: what aws-local
                // cannot honour); a function role with one is refused.
                None => list.push(Policy {
                    name: arn.to_owned(),
                    statements: Vec::new(),
                }),
            }
        }
    }
    for id in deployment.of_kind("AWS::IAM::Policy") {
        let props = deployment.properties(&id)?;
        let doc = props.get("PolicyDocument").unwrap_or(&Value::Null);
        let policy = Policy::parse(&id, doc).map_err(|e| anyhow!(e))?;
        for role in props
            .get("Roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(role) = role.as_str() {
                out.entry(role.to_owned()).or_default().push(policy.clone());
            }
        }
    }
    Ok(out)
}

fn state_machine(
    deployment: &Deployment,
    assets: &HashMap<String, PathBuf>,
) -> Result<StateMachine> {
    let ids = deployment.of_kind("AWS::StepFunctions::StateMachine");
    let [id] = ids.as_slice() else {
        bail!(
            "the template has {} state machines; aws-local runs exactly one",
            ids.len()
        );
    };
    let props = deployment.properties(id)?;
    let mut definition = if let Some(text) = props.get("DefinitionString").and_then(Value::as_str) {
        text.to_owned()
    } else if let Some(definition) = props.get("Definition") {
        definition.to_string()
    } else if let Some(key) = props
        .pointer("/DefinitionS3Location/Key")
        .and_then(Value::as_str)
    {
        let file = assets.get(key).ok_or_else(|| {
            anyhow!("the state machine's definition {key} is not in the assembly")
        })?;
        std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?
    } else {
        bail!("the state machine {id} has no definition");
    };
    if let Some(subs) = props
        .get("DefinitionSubstitutions")
        .and_then(Value::as_object)
    {
        for (name, value) in subs {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            definition = definition.replace(&format!("${{{name}}}"), &value);
        }
    }
    if let Some(name) = placeholder(&definition) {
        bail!(
            "the state machine's definition keeps the placeholder ${{{name}}}: no DefinitionSubstitutions entry"
        );
    }
    Ok(StateMachine {
        name: deployment.attribute(id, "Name")?,
        arn: deployment.attribute(id, "Arn")?,
        definition,
        role: props
            .get("RoleArn")
            .and_then(Value::as_str)
            .and_then(role_name)
            .unwrap_or_default(),
        policies: Vec::new(),
    })
}

/// The role name of a role ARN.
fn role_name(arn: &str) -> Option<String> {
    arn.rsplit_once(":role/").map(|(_, n)| n.to_owned())
}

/// The first `${Name}` left in a definition (a name, not prose).
fn placeholder(text: &str) -> Option<&str> {
    text.match_indices("${").find_map(|(at, _)| {
        let rest = text.get(at + 2..)?;
        let end = rest.find('}')?;
        let name = rest.get(..end)?;
        (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .then_some(name)
    })
}

/// The `CreateTable` request of a table resource.
fn create_table(name: &str, props: &Value) -> Value {
    let mut request = serde_json::json!({
        "TableName": name,
        "KeySchema": props.get("KeySchema").cloned().unwrap_or(Value::Null),
        "AttributeDefinitions": props.get("AttributeDefinitions").cloned().unwrap_or(Value::Null),
        "BillingMode": "PAY_PER_REQUEST",
    });
    if let Some(indexes) = props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_array)
    {
        let indexes: Vec<Value> = indexes
            .iter()
            .map(|i| {
                serde_json::json!({
                    "IndexName": i.get("IndexName"),
                    "KeySchema": i.get("KeySchema"),
                    "Projection": i.get("Projection"),
                })
            })
            .collect();
        request["GlobalSecondaryIndexes"] = Value::Array(indexes);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("aws-local-stack-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_real_package_is_the_crate_whose_zip_has_the_same_bytes() {
        // GIVEN `make package`'s zips, and the assembly's copy of one of them
        let packages = folder("packages");
        for (name, body) in [
            ("register-alert", b"\x7fELF register" as &[u8]),
            ("deliver", b"\x7fELF deliver"),
        ] {
            std::fs::create_dir_all(packages.join(name)).unwrap();
            std::fs::write(
                packages.join(name).join("bootstrap.zip"),
                zip::single_entry("bootstrap", body),
            )
            .unwrap();
        }
        let asset = folder("assembly").join("asset.0123.zip");
        std::fs::copy(packages.join("deliver/bootstrap.zip"), &asset).unwrap();
        // WHEN the harness asks which crate it is
        // THEN it is deliver's
        assert_eq!(crate_of(&asset, &[packages]).unwrap(), "deliver");
    }

    #[test]
    fn a_stand_in_names_its_crate() {
        let mut content = STAND_IN.to_vec();
        content.extend_from_slice(b"query-logs");
        let asset = folder("stand-in").join("asset.4567.zip");
        std::fs::write(&asset, zip::single_entry("bootstrap", &content)).unwrap();
        assert_eq!(crate_of(&asset, &[]).unwrap(), "query-logs");
    }

    #[test]
    fn a_placeholder_is_a_name_in_braces_not_prose() {
        assert_eq!(
            placeholder(
                r#"{"Comment": "${...} are filled by CDK", "Resource": "${AnalyzeFunctionArn}"}"#
            ),
            Some("AnalyzeFunctionArn")
        );
        assert_eq!(placeholder(r#"{"Comment": "${...} only"}"#), None);
    }
}
