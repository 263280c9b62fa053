//! The moto server behind the AWS calls, and the resources the template
//! creates, made in it as CloudFormation would (tables, buckets, secrets).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::stack::Secret;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A running moto server, stopped when dropped.
#[derive(Debug)]
pub struct Moto {
    pub url: String,
    child: Child,
    region: String,
    http: HttpClient,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `MOTO_SERVER`, else the pinned one of `make tools`, else `moto_server`.
pub fn server_binary(root: &Path, configured: Option<PathBuf>) -> PathBuf {
    configured.unwrap_or_else(|| {
        let pinned = root.join(".venv-tools/bin/moto_server");
        if pinned.exists() {
            pinned
        } else {
            PathBuf::from("moto_server")
        }
    })
}

impl Moto {
    pub async fn start(binary: &Path, log: &Path, region: &str) -> Result<Self> {
        let port = free_port()?;
        let log = std::fs::File::create(log)?;
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {} (run `make tools`)", binary.display()))?;
        let moto = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
            region: region.to_owned(),
            http: client(),
        };
        let started = Instant::now();
        loop {
            let ready = moto
                .http
                .get(format!("{}/moto-api/", moto.url).parse()?)
                .await
                .is_ok();
            if ready {
                return Ok(moto);
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("moto_server did not listen within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A request as the harness itself (credentials moto maps to its
    /// default account).
    pub async fn call(
        &self,
        service: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>)> {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAAWSLOCALHARNESS/20260101/{}/{service}/aws4_request, SignedHeaders=host, Signature=0",
            self.region
        );
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.url))
            .header("authorization", authorization);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = self
            .http
            .request(request.body(Full::new(Bytes::from(body)))?)
            .await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes().to_vec();
        Ok((status, body))
    }

    async fn json(&self, service: &str, target: &str, version: &str, body: Value) -> Result<Value> {
        let (status, bytes) = self
            .call(
                service,
                "POST",
                "/",
                &[
                    ("x-amz-target", target),
                    ("content-type", &format!("application/x-amz-json-{version}")),
                ],
                body.to_string().into_bytes(),
            )
            .await?;
        if status != 200 {
            bail!(
                "{target}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    pub async fn create_table(&self, request: &Value) -> Result<()> {
        self.json(
            "dynamodb",
            "DynamoDB_20120810.CreateTable",
            "1.0",
            request.clone(),
        )
        .await
        .with_context(|| format!("creating the table {}", request["TableName"]))?;
        Ok(())
    }

    pub async fn create_bucket(&self, name: &str) -> Result<()> {
        let body = if self.region == "us-east-1" {
            Vec::new()
        } else {
            format!(
                "<CreateBucketConfiguration><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.region
            )
            .into_bytes()
        };
        let (status, bytes) = self
            .call("s3", "PUT", &format!("/{name}"), &[], body)
            .await?;
        if status != 200 {
            bail!(
                "creating the bucket {name}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(())
    }

    /// Creates the secret; returns the ARN Secrets Manager chose.
    pub async fn create_secret(&self, secret: &Secret) -> Result<String> {
        let out = self
            .json(
                "secretsmanager",
                "secretsmanager.CreateSecret",
                "1.1",
                json!({"Name": secret.name, "SecretString": secret.value}),
            )
            .await?;
        out.get("ARN")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("CreateSecret answered no ARN"))
    }

    pub async fn create_email_identity(&self, identity: &str) -> Result<()> {
        let (status, bytes) = self
            .call(
                "ses",
                "POST",
                "/v2/email/identities",
                &[("content-type", "application/json")],
                json!({"EmailIdentity": identity}).to_string().into_bytes(),
            )
            .await?;
        if status != 200 {
            bail!(
                "CreateEmailIdentity {identity}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(())
    }

    pub async fn create_log_group(&self, name: &str) -> Result<()> {
        self.json(
            "logs",
            "Logs_20140328.CreateLogGroup",
            "1.1",
            json!({"logGroupName": name}),
        )
        .await
        .with_context(|| format!("creating the log group {name}"))?;
        Ok(())
    }

    /// Every item of a table (a Scan).
    pub async fn items(&self, table: &str) -> Result<Vec<Value>> {
        let out = self
            .json(
                "dynamodb",
                "DynamoDB_20120810.Scan",
                "1.0",
                json!({"TableName": table}),
            )
            .await?;
        Ok(out
            .get("Items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// Object keys of a bucket.
    pub async fn keys(&self, bucket: &str) -> Result<Vec<String>> {
        let (status, bytes) = self
            .call(
                "s3",
                "GET",
                &format!("/{bucket}?list-type=2"),
                &[],
                Vec::new(),
            )
            .await?;
        if status != 200 {
            bail!("listing {bucket}: HTTP {status}");
        }
        let text = String::from_utf8_lossy(&bytes);
        Ok(text
            .split("<Key>")
            .skip(1)
            .filter_map(|s| s.split_once("</Key>").map(|(k, _)| k.to_owned()))
            .collect())
    }

    /// Messages SES v2 sent (moto's own record of them).
    pub async fn sent_emails(&self) -> Result<usize> {
        let (_, bytes) = self
            .call("ses", "GET", "/moto-api/data.json", &[], Vec::new())
            .await?;
        let data: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        // moto lists its models by service: SES's sent mail is `Message`
        // (simple), `RawMessage` and `TemplateMessage`.
        let count = ["Message", "RawMessage", "TemplateMessage"]
            .iter()
            .filter_map(|m| data.pointer(&format!("/ses/{m}")).and_then(Value::as_array))
            .map(Vec::len)
            .sum();
        Ok(count)
    }
}

pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
