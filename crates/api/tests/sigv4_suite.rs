//! The verifier against AWS's SigV4 test suite (the `v4` cases of
//! aws-c-auth's `aws-signing-test-suite`, as shipped in the `aws-sigv4`
//! crate's sources), under a clock pinned to each case's timestamp; then
//! every accepted request tampered with, one signed component at a time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use responder_api::sigv4::{Clock, Credential, DeniedKind, Request, Verifier};
use serde::Deserialize;

#[derive(Deserialize)]
struct Context {
    credentials: ContextCredentials,
    region: String,
    service: String,
    timestamp: DateTime<Utc>,
    #[serde(default = "yes")]
    normalize: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct ContextCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
}

struct Fixed(DateTime<Utc>);

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A request as written in the suite's `*.txt` files.
#[derive(Clone, Debug)]
struct Parsed {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Parsed {
    fn read(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let first = lines.next().unwrap();
        let (method, rest) = first.split_once(' ').unwrap();
        let target = rest.strip_suffix(" HTTP/1.1").unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                // An obsolete folded line continues the header above it.
                let last = headers.last_mut().unwrap();
                last.1.push(' ');
                last.1.push_str(line.trim());
            } else {
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn verify(&self, verifier: &Verifier) -> Result<String, responder_api::sigv4::Denied> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        verifier
            .verify(&Request {
                method: &self.method,
                path: &self.path,
                query: &self.query,
                headers: &headers,
                body: &self.body,
            })
            .map(|caller| caller.name)
    }

    fn header_mut(&mut self, name: &str) -> &mut String {
        &mut self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .unwrap()
            .1
    }

    fn signed_headers(&self) -> Vec<String> {
        let auth = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .unwrap()
            .1
            .clone();
        let signed = auth.split("SignedHeaders=").nth(1).unwrap();
        signed
            .split(',')
            .next()
            .unwrap()
            .split(';')
            .map(str::to_owned)
            .collect()
    }
}

/// The suite's folder in the `aws-sigv4` crate's sources (a dev-dependency,
/// so cargo has fetched them before this test runs). Cargo says where they
/// are; the listing is limited to the host platform, so that a cargo cache
/// holding only the host's crates (a fresh machine) is enough. If even that
/// fails offline, cargo may fetch what it lacks.
fn suite_dir() -> PathBuf {
    let host = host_triple();
    let offline = cargo_metadata(&["--offline", "--filter-platform", &host]);
    let metadata = offline.or_else(|offline_error| {
        cargo_metadata(&["--filter-platform", &host])
            .map_err(|online_error| format!("{offline_error}\n{online_error}"))
    });
    let metadata = metadata.unwrap_or_else(|e| panic!("cannot find the SigV4 test suite: {e}"));
    let manifest = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws-sigv4")
        .expect("aws-sigv4 is a dev-dependency of responder-api")["manifest_path"]
        .as_str()
        .unwrap()
        .to_owned();
    Path::new(&manifest)
        .parent()
        .unwrap()
        .join("aws-signing-test-suite/v4")
}

#[allow(clippy::disallowed_methods)] // Cargo tells tests where it is.
fn cargo_metadata(args: &[&str]) -> Result<serde_json::Value, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo metadata {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata's output: {e}"))
}

/// The host's target triple, as `rustc -vV` prints it.
fn host_triple() -> String {
    let output = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .trim()
        .to_owned()
}

struct Case {
    name: String,
    request: Parsed,
    verifier: Verifier,
    timestamp: DateTime<Utc>,
}

/// Every case with a context (credentials, clock) and a header-signed request.
fn cases() -> Vec<Case> {
    let dir = suite_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| dir.join(n).join("context.json").exists())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let case = dir.join(&name);
            let context: Context =
                serde_json::from_str(&std::fs::read_to_string(case.join("context.json")).unwrap())
                    .unwrap();
            let credentials = HashMap::from([(
                context.credentials.access_key_id.clone(),
                Credential {
                    name: "suite".into(),
                    secret_access_key: context.credentials.secret_access_key.clone(),
                    session_token: context.credentials.token.clone(),
                },
            )]);
            let verifier = Verifier::new(&context.service, &context.region, credentials)
                .with_clock(Arc::new(Fixed(context.timestamp)))
                .with_path_normalization(context.normalize);
            Case {
                request: Parsed::read(&case.join("header-signed-request.txt")),
                name,
                verifier,
                timestamp: context.timestamp,
            }
        })
        .collect()
}

#[test]
fn every_signed_request_of_the_suite_is_accepted() {
    let cases = cases();
    assert!(cases.len() >= 35, "only {} cases found", cases.len());
    let refused: Vec<String> = cases
        .iter()
        .filter_map(|case| match case.request.verify(&case.verifier) {
            Ok(name) => {
                assert_eq!(name, "suite");
                None
            }
            Err(e) => Some(format!("{}: {e}", case.name)),
        })
        .collect();
    assert!(refused.is_empty(), "refused: {refused:#?}");
}

#[test]
fn the_canonical_request_encodes_the_path_twice() {
    let dir = suite_dir().join("double-url-encode");
    let request = Parsed::read(&dir.join("request.txt"));
    let expected = std::fs::read_to_string(dir.join("header-canonical-request.txt")).unwrap();
    let signed: Vec<String> = expected
        .lines()
        .rev()
        .nth(1)
        .unwrap()
        .split(';')
        .map(str::to_owned)
        .collect();
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let verifier = Verifier::new("service", "us-east-1", HashMap::new());
    let canonical = verifier.canonical_request(
        &Request {
            method: &request.method,
            path: &request.path,
            query: &request.query,
            headers: &headers,
            body: &request.body,
        },
        &signed,
    );
    assert_eq!(canonical, expected);
}

/// One way of changing a signed request, and the refusal it must get.
type Tamper = (&'static str, fn(&mut Parsed), DeniedKind);

fn tampers() -> Vec<Tamper> {
    vec![
        (
            "method",
            |r| {
                r.method = if r.method == "GET" {
                    "POST".into()
                } else {
                    "GET".into()
                }
            },
            DeniedKind::InvalidSignature,
        ),
        ("path", |r| r.path.push('x'), DeniedKind::InvalidSignature),
        (
            "query",
            |r| {
                r.query.push_str(if r.query.is_empty() {
                    "extra=1"
                } else {
                    "&extra=1"
                })
            },
            DeniedKind::InvalidSignature,
        ),
        (
            "body",
            |r| r.body.extend_from_slice(b"!"),
            DeniedKind::InvalidSignature,
        ),
        (
            "date by one second",
            |r| {
                let date = r.header_mut("x-amz-date");
                *date = date.replace("00Z", "01Z");
            },
            DeniedKind::InvalidSignature,
        ),
        (
            "signature",
            |r| {
                let auth = r.header_mut("authorization");
                let last = auth.pop().unwrap();
                auth.push(if last == '0' { '1' } else { '0' });
            },
            DeniedKind::InvalidSignature,
        ),
        (
            "access key",
            |r| {
                let auth = r.header_mut("authorization");
                *auth = auth.replace("Credential=AKIDEXAMPLE", "Credential=AKIDOTHER00");
            },
            DeniedKind::UnrecognizedClient,
        ),
        (
            "scope region",
            |r| {
                let auth = r.header_mut("authorization");
                *auth = auth.replace("/us-east-1/", "/eu-west-1/");
            },
            DeniedKind::InvalidSignature,
        ),
        (
            "scope service",
            |r| {
                let auth = r.header_mut("authorization");
                *auth = auth.replace("/service/", "/execute-api/");
            },
            DeniedKind::InvalidSignature,
        ),
        (
            "authorization removed",
            |r| {
                r.headers
                    .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
            },
            DeniedKind::MissingAuthenticationToken,
        ),
    ]
}

#[test]
fn each_signed_component_changed_in_turn_is_refused() {
    let mut checked = 0;
    for case in cases() {
        if case.request.verify(&case.verifier).is_err() {
            continue;
        }
        for (what, tamper, kind) in tampers() {
            let mut request = case.request.clone();
            tamper(&mut request);
            let error = request
                .verify(&case.verifier)
                .expect_err(&format!("{}: {what} changed, still accepted", case.name));
            assert_eq!(error.kind, kind, "{}: {what}: {error}", case.name);
            checked += 1;
        }
        // Every signed header's value changed in turn.
        for name in case.request.signed_headers() {
            if name == "x-amz-date" {
                continue; // Covered above: a new date is a new scope.
            }
            let mut request = case.request.clone();
            let value = request.header_mut(&name);
            value.push_str("-changed");
            let error = request.verify(&case.verifier).expect_err(&format!(
                "{}: header {name} changed, still accepted",
                case.name
            ));
            // A changed token is an unknown token before it is a bad signature.
            let kind = if name == "x-amz-security-token" {
                DeniedKind::UnrecognizedClient
            } else {
                DeniedKind::InvalidSignature
            };
            assert_eq!(error.kind, kind, "{}: {name}", case.name);
            checked += 1;
        }
    }
    assert!(checked > 400, "only {checked} tampered requests");
}

#[test]
fn stale_and_future_dates_get_api_gateways_messages() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "get-vanilla")
        .unwrap();
    let at = |seconds: i64| {
        case.verifier.clone().with_clock(Arc::new(Fixed(
            case.timestamp + chrono::Duration::seconds(seconds),
        )))
    };
    // Five minutes either way is still accepted.
    assert!(case.request.verify(&at(300)).is_ok());
    assert!(case.request.verify(&at(-300)).is_ok());
    let late = case.request.verify(&at(301)).unwrap_err();
    assert_eq!(
        late.message,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)"
    );
    let early = case.request.verify(&at(-301)).unwrap_err();
    assert_eq!(
        early.message,
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123059Z + 5 min.)"
    );
}

#[test]
fn a_session_token_must_match_the_credential() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "get-vanilla-with-session-token")
        .unwrap();
    assert!(case.request.verify(&case.verifier).is_ok());
    let mut wrong = case.request.clone();
    wrong.header_mut("x-amz-security-token").push('x');
    assert_eq!(
        wrong.verify(&case.verifier).unwrap_err().kind,
        DeniedKind::UnrecognizedClient
    );
    let mut missing = case.request.clone();
    missing
        .headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("x-amz-security-token"));
    assert!(missing.verify(&case.verifier).is_err());
}

#[test]
fn host_must_be_signed() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "get-vanilla")
        .unwrap();
    let mut request = case.request.clone();
    let auth = request.header_mut("authorization");
    *auth = auth.replace("SignedHeaders=host;x-amz-date", "SignedHeaders=x-amz-date");
    let error = request.verify(&case.verifier).unwrap_err();
    assert_eq!(error.kind, DeniedKind::IncompleteSignature);
    assert!(error.message.contains("'Host'"), "{}", error.message);
}

#[test]
fn a_malformed_authorization_header_names_what_is_missing() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "get-vanilla")
        .unwrap();
    let mut request = case.request.clone();
    *request.header_mut("authorization") =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request".into();
    let error = request.verify(&case.verifier).unwrap_err();
    assert_eq!(error.kind, DeniedKind::IncompleteSignature);
    assert!(
        error.message.starts_with("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."),
        "{}",
        error.message
    );
}

#[test]
fn our_signer_and_verifier_agree() {
    let credential = Credential {
        name: "alice".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
    };
    let now = DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let verifier = Verifier::new(
        "execute-api",
        "us-east-1",
        HashMap::from([("AKIDALICE".to_owned(), credential.clone())]),
    )
    .with_clock(Arc::new(Fixed(now)));
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#;
    let base = [
        ("host", "127.0.0.1:8080"),
        ("content-type", "application/json"),
    ];
    let request = Request {
        method: "POST",
        path: "/mcp",
        query: "",
        headers: &base,
        body,
    };
    let added = responder_api::sigv4::sign(&verifier, &request, "AKIDALICE", &credential, now);
    let mut headers: Vec<(&str, &str)> = base.to_vec();
    headers.extend(added.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let caller = verifier
        .verify(&Request {
            headers: &headers,
            ..request
        })
        .unwrap();
    assert_eq!(caller.name, "alice");
}

#[test]
fn an_upper_case_signature_is_not_the_signature() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "get-vanilla")
        .unwrap();
    case.request.verify(&case.verifier).unwrap();
    let mut request = case.request.clone();
    let auth = request.header_mut("authorization");
    let (head, signature) = auth.split_once("Signature=").unwrap();
    *auth = format!("{head}Signature={}", signature.to_ascii_uppercase());
    let error = request.verify(&case.verifier).unwrap_err();
    assert_eq!(error.kind, DeniedKind::InvalidSignature);
}

#[test]
fn a_request_signed_for_another_host_is_refused_when_the_hosts_are_known() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "get-vanilla")
        .unwrap();
    // The suite's requests are signed for example.amazonaws.com.
    let ours = case
        .verifier
        .clone()
        .with_hosts(vec!["Example.AmazonAWS.com".to_owned()]);
    case.request.verify(&ours).unwrap();
    let elsewhere = case
        .verifier
        .clone()
        .with_hosts(vec!["responder.example.org".to_owned()]);
    let error = case.request.verify(&elsewhere).unwrap_err();
    assert_eq!(error.kind, DeniedKind::InvalidSignature);
    assert!(
        error.message.contains("example.amazonaws.com"),
        "{}",
        error.message
    );
}

/// botocore (through awscurl 0.44) signed `GET /tools?filter=%FF%FEx&b=2`:
/// bytes that are not UTF-8 keep their escapes in the canonical query.
#[test]
fn a_botocore_signature_over_bytes_that_are_not_utf_8_is_accepted() {
    let now = DateTime::parse_from_rfc3339("2026-12-02T13:34:53Z")
        .unwrap()
        .with_timezone(&Utc);
    let verifier = Verifier::new(
        "execute-api",
        "us-east-1",
        HashMap::from([(
            "AKIDEXAMPLE".to_owned(),
            Credential {
                name: "alice".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                session_token: None,
            },
        )]),
    )
    .with_clock(Arc::new(Fixed(now)));
    let headers = [
        ("host", "127.0.0.1:8080"),
        ("x-amz-date", "20261202T133453Z"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=aec5dd3d65842775b35f9fead19049b171d02744eade3b2ea2b3f55d0932d541",
        ),
    ];
    let caller = verifier
        .verify(&Request {
            method: "GET",
            path: "/tools",
            query: "filter=%FF%FEx&b=2",
            headers: &headers,
            body: b"",
        })
        .unwrap();
    assert_eq!(caller.name, "alice");
}
