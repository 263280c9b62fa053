//! `responder serve` and `responder mcp`: the API on this machine.
//!
//! `serve` answers HTTP on a loopback address, checking SigV4 as API
//! Gateway's AWS_IAM authorization does; `mcp` speaks MCP on stdin and
//! stdout for desktop clients. Both run the local engine meanwhile, so that
//! executions, approvals and their timeouts progress, and resume after a
//! restart.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use responder_api::http::{Auth, HttpConfig, SlackSettings, router};
use responder_api::mcp::McpServer;
use responder_api::sigv4::Verifier;
use responder_api::slack::ApproverCheck;
use responder_api::tools::Caller;
use responder_local::LocalApi;
use responder_notify::slack::SlackInteractivity;
use rmcp::ServiceExt;

use crate::config::Config;
use crate::local::Workspace;

/// Serve the MCP server and the HTTP API on this machine.
///
/// Every route but `/`, `/health` and `/ready` wants a request signed with
/// AWS SigV4 for the service `execute-api` (awscurl, the AWS SDKs), with
/// the credentials from `RESPONDER_ACCESS_KEY_ID` and
/// `RESPONDER_SECRET_ACCESS_KEY` or `[[api.credentials]]`. Without any, on
/// a loopback address, a key pair is made for the run and printed with a
/// ready `awscurl` line; on any other address credentials are required.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on (default from `[api] addr`: 127.0.0.1:8080).
    #[arg(long)]
    addr: Option<String>,
}

/// Speak MCP over stdin and stdout, for desktop MCP clients.
///
/// Configure the client to run `responder mcp` (with `--config` if needed).
/// The caller recorded for writes is `stdio:` plus the user's name.
#[derive(Debug, clap::Args)]
pub struct McpArgs {}

/// How often waiting executions are looked at when nothing wakes the runner
/// (approval timeouts fire on these ticks).
const TICK: Duration = Duration::from_secs(1);

pub fn serve(args: &ServeArgs, config: &Config) -> ExitCode {
    super::finish(run_serve(args, config))
}

pub fn mcp(_args: &McpArgs, config: &Config) -> ExitCode {
    super::finish(run_mcp(config))
}

fn run_serve(args: &ServeArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let addr = args.addr.clone().unwrap_or_else(|| config.api.addr.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        let secrets = &config.api.secrets;
        // Configured credentials win; without any, a loopback server makes a
        // key pair for this run, so that trying the console or the API needs
        // no invented AWS keys. Any other address needs configured ones.
        let (credentials, generated) = if !secrets.credentials.is_empty() {
            (secrets.credentials.clone(), None)
        } else if local.ip().is_loopback() {
            let (id, credential) = generated_key_pair();
            let secret = credential.secret_access_key.clone();
            (
                std::collections::HashMap::from([(id.clone(), credential)]),
                Some((id, secret)),
            )
        } else {
            anyhow::bail!(
                "InvalidConfig: no credentials to check signatures with on {local}: set RESPONDER_ACCESS_KEY_ID and RESPONDER_SECRET_ACCESS_KEY, or add [[api.credentials]] (on a loopback address a key pair is generated for the run)"
            );
        };
        let keys = credentials.len();
        let workspace = Workspace::open(config, true)?;
        let api = workspace.api();
        let tools = workspace.tools()?;
        let http = HttpConfig {
            auth: Auth::SigV4(
                Verifier::new("execute-api", &config.api.region, credentials)
                    .with_hosts(config.api.signed_hosts()),
            ),
            allowed_origins: config.api.allowed_origins.clone(),
            webhook_token: secrets.webhook_token.clone(),
            slack_signing_secret: secrets.slack_signing_secret.clone(),
            link_secret: secrets.link_secret.clone(),
            slack: slack_settings(config),
        };
        tokio::spawn(run_engine(api));
        eprintln!(
            "responder serve: listening on http://{local} (SigV4, service execute-api, region {}; {keys} access key(s))",
            config.api.region,
        );
        if let Some((id, secret)) = &generated {
            eprintln!(
                "responder serve: no credentials configured: a key pair for this run only (RESPONDER_ACCESS_KEY_ID and RESPONDER_SECRET_ACCESS_KEY set your own):"
            );
            eprintln!(
                "  awscurl --service execute-api --region {} --access_key {id} --secret_key {secret} http://{local}/tools",
                config.api.region
            );
        }
        let mut app = router(tools.clone(), http);
        // The console: pages for people, on loopback only, behind a token.
        if local.ip().is_loopback() {
            let token = secrets.console_token.clone().unwrap_or_else(random_token);
            let definition: serde_json::Value = serde_json::from_str(crate::local::WORKFLOW)
                .context("the state machine file is not JSON")?;
            app = app.merge(responder_console::router(tools, token.clone(), definition));
            eprintln!("responder serve: console at http://{local}/console/login?token={token}");
        } else {
            eprintln!("responder serve: no console: it is served on a loopback address only");
        }
        responder_api::http::serve(listener, app, config.api.server_limits(), shutdown())
            .await
            .context("the server stopped")?;
        eprintln!("responder serve: stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// An access key id (`AKID` and 16 hex digits, 20 characters as AWS's) and
/// a 40-character secret, from the OS's random source, for one run.
fn generated_key_pair() -> (String, responder_api::sigv4::Credential) {
    use responder_sfn::Random as _;
    let random = responder_sfn::OsRandom;
    let id = format!("AKID{:016X}", random.next_u64());
    let secret = format!("{}{:08x}", random_token(), random.next_u64() >> 32);
    let credential = responder_api::sigv4::Credential {
        name: "generated".to_owned(),
        secret_access_key: secret,
        session_token: None,
    };
    (id, credential)
}

fn run_mcp(config: &Config) -> anyhow::Result<ExitCode> {
    let workspace = Workspace::open(config, true)?;
    let api = workspace.api();
    let tools = workspace.tools()?;
    #[allow(clippy::disallowed_methods)] // Who runs the client: the audit's caller.
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    let server = McpServer::new(tools, Caller(format!("stdio:{user}")));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        tokio::spawn(run_engine(api));
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .context("the MCP session did not start")?;
        running.waiting().await.context("the MCP session failed")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Slack's buttons: the approvers, and replies and group lookups through
/// Slack's API (with the bot token of `[workflow.slack]`, if any).
fn slack_settings(config: &Config) -> SlackSettings {
    let slack = Arc::new(SlackInteractivity::of(
        config.workflow.slack_target.as_ref(),
        Duration::from_secs(config.workflow.slack.timeout_seconds),
    ));
    SlackSettings {
        approvers: ApproverCheck::new(config.api.slack_approvers.clone(), slack.members_fn()),
        reply: Some(slack.reply_fn()),
        response_url_prefix: config.api.slack_response_url_prefix.clone(),
    }
}

/// 128 random bits, hex: the console's token for this start.
fn random_token() -> String {
    use responder_sfn::Random as _;
    let random = responder_sfn::OsRandom;
    format!("{:016x}{:016x}", random.next_u64(), random.next_u64())
}

/// Moves executions on: at once when woken (a start, a decision), else on
/// every tick. Executions left running by an earlier process resume here.
async fn run_engine(api: LocalApi) {
    loop {
        if let Err(e) = api.advance().await {
            eprintln!("responder: the engine could not advance: {e}");
        }
        tokio::select! {
            () = api.wake.notified() => {}
            () = tokio::time::sleep(TICK) => {}
        }
    }
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_pair_looks_like_aws_keys_and_differs_each_time() {
        let (id, credential) = generated_key_pair();
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("AKID"));
        assert_eq!(credential.secret_access_key.len(), 40);
        assert_ne!(generated_key_pair().0, id);
    }
}
