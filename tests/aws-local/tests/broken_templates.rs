//! A template broken the way deployments break fails `aws-local`, and the
//! failure names what broke: one action removed from a role names the
//! function, the action and the resource; one environment variable renamed
//! names the function and the variable it lacks.
//!
//! They synthesize the dev stack (node, `cdk/node_modules`), start moto
//! and run the functions' host builds: `make aws-local-test` runs them.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

fn work() -> PathBuf {
    std::env::temp_dir().join(format!("aws-local-broken-{}", std::process::id()))
}

/// The dev stack's cloud assembly, synthesized once per test binary.
fn assembly() -> &'static Path {
    static ASSEMBLY: OnceLock<PathBuf> = OnceLock::new();
    ASSEMBLY.get_or_init(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_aws-local"))
            .args(["--env", "dev", "--synth-only", "--work-dir"])
            .arg(work().join("synth"))
            // As CI runs it: the CDK CLI then writes its messages to stdout,
            // which must not mix with the path printed there.
            .env("CI", "true")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let template = PathBuf::from(stdout.trim());
        assert!(
            template.is_file(),
            "--synth-only printed more than a template's path: {stdout:?}"
        );
        template.parent().unwrap().to_path_buf()
    })
}

/// A copy of the assembly whose template `edit` changed; returns the template.
fn broken(name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let source = assembly();
    let copy = work().join(name);
    std::fs::create_dir_all(&copy).unwrap();
    let mut template = None;
    for entry in std::fs::read_dir(source).unwrap().flatten() {
        let path = entry.path();
        if path.is_file() {
            std::fs::copy(&path, copy.join(entry.file_name())).unwrap();
            if path.to_string_lossy().ends_with(".template.json") {
                template = Some(copy.join(entry.file_name()));
            }
        }
    }
    let template = template.unwrap();
    let mut json: Value =
        serde_json::from_str(&std::fs::read_to_string(&template).unwrap()).unwrap();
    edit(&mut json);
    std::fs::write(&template, json.to_string()).unwrap();
    template
}

/// Runs the harness on `template`: whether it passed, and what it printed.
fn run(template: &Path, name: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aws-local"))
        .arg("--template")
        .arg(template)
        .arg("--work-dir")
        .arg(work().join(format!("{name}-run")))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The logical id of the function whose name ends with `-{suffix}`.
fn function_id(template: &Value, suffix: &str) -> String {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| {
            r["Type"] == "AWS::Lambda::Function"
                && r["Properties"]["FunctionName"]
                    .as_str()
                    .is_some_and(|n| n.ends_with(&format!("-{suffix}")))
        })
        .map(|(id, _)| id.clone())
        .unwrap()
}

#[test]
#[ignore = "needs node and cdk/node_modules, moto and the functions' host builds: make aws-local-test"]
fn a_role_without_an_action_its_function_calls_fails_naming_function_action_and_resource() {
    // GIVEN the dev template, RegisterAlert's role without dynamodb:PutItem on the incidents table
    let template = broken("no-putitem", |t| {
        let function = function_id(t, "register-alert");
        let role = t["Resources"][&function]["Properties"]["Role"]["Fn::GetAtt"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let resources = t["Resources"].as_object_mut().unwrap();
        let policy = resources
            .values_mut()
            .find(|r| {
                r["Type"] == "AWS::IAM::Policy"
                    && r["Properties"]["Roles"]
                        .as_array()
                        .is_some_and(|roles| roles.iter().any(|x| x["Ref"] == role.as_str()))
            })
            .unwrap();
        let statements = policy["Properties"]["PolicyDocument"]["Statement"]
            .as_array_mut()
            .unwrap();
        let statement = statements
            .iter_mut()
            .find(|s| s["Resource"].to_string().contains("StorageIncidentsTable"))
            .unwrap();
        statement["Action"]
            .as_array_mut()
            .unwrap()
            .retain(|a| a != "dynamodb:PutItem");
    });
    // WHEN the harness runs it
    let (passed, output) = run(&template, "no-putitem");
    // THEN it fails, naming the function, the action and the table
    assert!(!passed, "{output}");
    let line = output
        .lines()
        .find(|l| l.contains("FAIL: incident-responder-dev-register-alert called dynamodb:PutItem on arn:aws:dynamodb:"))
        .unwrap_or_else(|| panic!("no IAM finding in:\n{output}"));
    assert!(line.contains("StorageIncidentsTable"), "{line}");
}

#[test]
#[ignore = "needs node and cdk/node_modules, moto and the functions' host builds: make aws-local-test"]
fn a_renamed_environment_variable_fails_naming_the_function_and_the_variable() {
    // GIVEN the dev template, RegisterAlert's INCIDENTS_TABLE renamed INCIDENT_TABLE
    let template = broken("renamed-variable", |t| {
        let function = function_id(t, "register-alert");
        let variables = t["Resources"][&function]["Properties"]["Environment"]["Variables"]
            .as_object_mut()
            .unwrap();
        let value = variables.remove("INCIDENTS_TABLE").unwrap();
        variables.insert("INCIDENT_TABLE".into(), value);
    });
    // WHEN the harness runs it
    let (passed, output) = run(&template, "renamed-variable");
    // THEN it fails: the function cannot start, for want of the variable
    assert!(!passed, "{output}");
    let line = output
        .lines()
        .find(|l| l.contains("incident-responder-dev-register-alert: Runtime.ExitError"))
        .unwrap_or_else(|| panic!("no start-up failure in:\n{output}"));
    assert!(line.contains("INCIDENTS_TABLE is not set"), "{line}");
}

#[test]
#[ignore = "needs node and cdk/node_modules, moto and the functions' host builds: make aws-local-test"]
fn a_state_machine_role_that_may_not_invoke_a_function_fails_naming_it() {
    // GIVEN the dev template, the state machine's role without RegisterAlert
    let template = broken("no-invoke", |t| {
        let function = function_id(t, "register-alert");
        let resources = t["Resources"].as_object_mut().unwrap();
        for r in resources.values_mut() {
            if r["Type"] != "AWS::IAM::Policy" {
                continue;
            }
            let statements = r["Properties"]["PolicyDocument"]["Statement"]
                .as_array_mut()
                .unwrap();
            statements.retain(|s| {
                !(s["Action"] == "lambda:InvokeFunction"
                    && s["Resource"].to_string().contains(&function))
            });
        }
    });
    // WHEN the harness runs it
    let (passed, output) = run(&template, "no-invoke");
    // THEN it fails, naming the state machine, the action and the function
    assert!(!passed, "{output}");
    assert!(
        output.lines().any(|l| l.contains("FAIL: state machine incident-response-dev called lambda:InvokeFunction on arn:aws:lambda:")
            && l.contains("function:incident-responder-dev-register-alert")),
        "no IAM finding in:\n{output}"
    );
}
