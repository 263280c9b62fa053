//! The summary: scenarios, executions, invocations, AWS calls per function
//! and service, the IAM findings and the least-privilege candidates, what
//! the run left in DynamoDB, S3 and SES, and the wall time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use crate::endpoint::{Call, Verdict};
use crate::iam::{self, Effect};
use crate::moto::Moto;
use crate::runtime::Outcome as Invoked;
use crate::scenario::{Outcome, World};
use crate::stack::Function;

/// An unused permission: what it is and why it may still be needed.
#[derive(Debug)]
pub struct Candidate {
    pub function: String,
    pub action: String,
    pub resources: String,
    pub note: &'static str,
}

/// Prints the summary; returns whether the run passed.
pub async fn print(
    w: &World<'_>,
    moto: &Moto,
    outcome: Outcome,
    started: Instant,
) -> anyhow::Result<bool> {
    let mut s = String::new();
    let email = w
        .stack
        .functions
        .iter()
        .any(|f| f.environment.contains_key("EMAIL_FROM"));
    let calls: Vec<Call> = w
        .endpoint
        .calls
        .lock()
        .map(|c| c.clone())
        .unwrap_or_default();
    let d = &w.stack.deployment;
    let _ = writeln!(
        s,
        "\n== aws-local: {} ({}, {} functions, region {}) ==",
        d.stack_name,
        d.template_file.display(),
        w.stack.functions.len(),
        d.region
    );

    let _ = writeln!(s, "\nScenarios");
    let mut passed = true;
    for step in &outcome.steps {
        passed &= step.passed;
        let _ = writeln!(
            s,
            "  {:<4} {:<15} {}",
            if step.passed { "ok" } else { "FAIL" },
            step.name,
            step.detail
        );
    }

    let _ = writeln!(s, "\nExecutions by status");
    let list = w
        .endpoint
        .machine
        .engine
        .store()
        .list(1000)
        .unwrap_or_default();
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for e in &list {
        *by_status.entry(e.status.clone()).or_default() += 1;
    }
    let mut events = 0;
    for e in &list {
        if let Ok(x) = w.endpoint.machine.engine.describe(&e.id) {
            events += x.history().len();
        }
    }
    let statuses: Vec<String> = by_status.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(s, "  {} ({events} history events)", statuses.join(", "));
    if by_status.keys().any(|k| k != "SUCCEEDED") {
        passed = false;
        let _ = writeln!(s, "  FAIL: an execution did not succeed");
    }

    let _ = writeln!(
        s,
        "\nLambda invocations (host builds behind a local Runtime API)"
    );
    let mut function_failures = Vec::new();
    for (name, runtime) in w.runtimes {
        let list = runtime
            .invocations
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        if list.is_empty() {
            let _ = writeln!(s, "  {name:<44} not invoked");
            continue;
        }
        let errors: Vec<String> = list
            .iter()
            .filter_map(|i| match &i.outcome {
                Invoked::Error(kind, message) => Some(format!("{kind}: {message}")),
                Invoked::Response(_) => None,
            })
            .collect();
        let total: u128 = list.iter().map(|i| i.millis).sum();
        let _ = writeln!(
            s,
            "  {name:<44} {:>3} invocations, {:>2} errors, {:>5} ms mean",
            list.len(),
            errors.len(),
            total / list.len() as u128
        );
        for e in &errors {
            if e.starts_with("Runtime.") || e.starts_with("Sandbox.") || e.contains("Config.") {
                // The request id differs; the failure does not.
                let (kind, message) = e.split_once(": ").unwrap_or((e.as_str(), ""));
                let message = message
                    .split_once(" Error: ")
                    .map_or(message, |(_, rest)| rest);
                let line = format!("{name}: {kind}: {message}");
                if !function_failures.contains(&line) {
                    function_failures.push(line);
                }
            }
        }
    }
    if !function_failures.is_empty() {
        passed = false;
        let _ = writeln!(s, "  FAIL: functions that could not run:");
        for f in &function_failures {
            let _ = writeln!(s, "    {f}");
        }
    }

    let _ = writeln!(s, "\nAWS calls per function and service (backend)");
    let mut counts: BTreeMap<(String, String, &str), usize> = BTreeMap::new();
    for c in &calls {
        *counts
            .entry((c.function.clone(), c.service.clone(), c.backend))
            .or_default() += 1;
    }
    let mut last = String::new();
    for ((function, service, backend), n) in &counts {
        let shown = if *function == last {
            ""
        } else {
            function.as_str()
        };
        let _ = writeln!(s, "  {shown:<44} {service:<16} {n:>4} ({backend})");
        last = function.clone();
    }
    let fakes = w
        .endpoint
        .fake_requests
        .lock()
        .map(|f| f.len())
        .unwrap_or(0);
    let _ = writeln!(
        s,
        "  fakes asked {fakes} times (Bedrock Converse, Logs Insights, Athena, CloudTrail)"
    );

    let _ = writeln!(
        s,
        "\nIAM (every call checked against the caller's role in the template)"
    );
    let mut refused: Vec<&Call> = calls.iter().filter(|c| c.verdict.refused()).collect();
    refused.dedup_by(|a, b| {
        a.function == b.function && a.action == b.action && a.resource == b.resource
    });
    if refused.is_empty() {
        let _ = writeln!(s, "  every call was allowed ({} calls)", calls.len());
    } else {
        passed = false;
        for c in &refused {
            let why = match &c.verdict {
                Verdict::Denied(by) => format!("denied by {by}"),
                Verdict::ActionOnly(_) => "no statement allows the action".to_owned(),
                _ => "no statement allows it".to_owned(),
            };
            let _ = writeln!(
                s,
                "  FAIL: {} called {} on {}: not allowed ({why})",
                c.function, c.action, c.resource
            );
        }
    }
    let mut notes: Vec<String> = calls
        .iter()
        .filter_map(|c| match &c.verdict {
            Verdict::AllowedUnderCondition(cond) => Some(format!(
                "  note: {} {} on {} allowed under a condition not evaluated: {cond}",
                c.function, c.action, c.resource
            )),
            Verdict::ActionOnly(true) => Some(format!(
                "  note: {} {}: only the action was checked (resource not read)",
                c.function, c.action
            )),
            _ => None,
        })
        .collect();
    notes.sort();
    notes.dedup();
    for n in &notes {
        let _ = writeln!(s, "{n}");
    }

    let _ = writeln!(
        s,
        "\nLeast-privilege candidates (allowed, never called in these scenarios)"
    );
    let candidates = candidates(&w.stack.functions, &calls);
    let mut grouped: BTreeMap<(&str, &str, &str), Vec<&str>> = BTreeMap::new();
    let mut service_side = 0;
    for c in &candidates {
        if c.note.starts_with("(Lambda") {
            service_side += 1;
            continue;
        }
        grouped
            .entry((c.function.as_str(), c.resources.as_str(), c.note))
            .or_default()
            .push(c.action.as_str());
    }
    if grouped.is_empty() {
        let _ = writeln!(s, "  none");
    }
    for ((function, resources, note), actions) in &grouped {
        let _ = writeln!(
            s,
            "  {function}: {} on {resources} {note}",
            actions.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "  ({service_side} more are Lambda's own: the function's log stream and X-Ray segments)"
    );

    let _ = writeln!(s, "\nWhat the run left (checked)");
    let mut check = |s: &mut String, ok: bool, text: String| {
        passed &= ok;
        let _ = writeln!(s, "  {:<4} {text}", if ok { "ok" } else { "FAIL" });
    };
    for table in &w.stack.tables {
        let name = table["TableName"].as_str().unwrap_or_default();
        let items = moto.items(name).await.map(|i| i.len()).unwrap_or(0);
        // Every table of this stack is written by the approval scenario.
        check(&mut s, items > 0, format!("DynamoDB {name}: {items} items"));
    }
    for bucket in &w.stack.buckets {
        let keys = moto.keys(bucket).await.unwrap_or_default();
        let mut prefixes: BTreeMap<String, usize> = BTreeMap::new();
        for k in &keys {
            let p = k.split('/').next().unwrap_or_default().to_owned();
            *prefixes.entry(p).or_default() += 1;
        }
        let listed: Vec<String> = prefixes.iter().map(|(p, n)| format!("{p}/ {n}")).collect();
        let line = format!("S3 {bucket}: {} objects {}", keys.len(), listed.join(", "));
        // The archive bucket: the reports and what went to the outbox.
        if prefixes.contains_key("reports")
            || prefixes.contains_key("outbox")
            || bucket.contains("archive")
        {
            let ok = prefixes.contains_key("reports") && prefixes.contains_key("outbox")
                || prefixes.contains_key("reports") && email;
            check(&mut s, ok, line);
        } else {
            let _ = writeln!(s, "       {line}");
        }
    }
    let sent = moto.sent_emails().await.unwrap_or(0);
    if email {
        check(&mut s, sent > 0, format!("SES: {sent} messages sent"));
    } else {
        let _ = writeln!(
            s,
            "       SES: {sent} messages sent (no function has EMAIL_FROM)"
        );
    }
    let mut caught: BTreeMap<String, usize> = BTreeMap::new();
    for e in &list {
        if let Ok(x) = w.endpoint.machine.engine.describe(&e.id) {
            for ev in x.history() {
                if ev.kind.ends_with("Failed") || ev.kind.ends_with("TimedOut") {
                    let error = ev.details.more().error.clone().unwrap_or_default();
                    *caught.entry(format!("{} {error}", ev.kind)).or_default() += 1;
                }
            }
        }
    }
    let caught: Vec<String> = caught.iter().map(|(k, n)| format!("{k} x{n}")).collect();
    let _ = writeln!(
        s,
        "       histories: {events} events; failures inside them: {}",
        if caught.is_empty() {
            "none".to_owned()
        } else {
            caught.join(", ")
        }
    );

    let _ = writeln!(
        s,
        "\n{} in {:.1} s",
        if passed { "PASSED" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    #[allow(clippy::print_stdout)]
    {
        print!("{s}");
    }
    Ok(passed)
}

/// Permissions a function's role allows that no call of the run used.
fn candidates(functions: &[Function], calls: &[Call]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for f in functions {
        let mine: Vec<&Call> = calls
            .iter()
            .filter(|c| c.function == f.name && !c.verdict.refused())
            .collect();
        let uses_athena = mine.iter().any(|c| c.action.starts_with("athena:"));
        for policy in &f.policies {
            for st in &policy.statements {
                if st.effect != Effect::Allow || st.not_action {
                    continue;
                }
                for action in &st.actions {
                    let used = mine.iter().any(|c| {
                        iam::glob(&action.to_ascii_lowercase(), &c.action.to_ascii_lowercase())
                            && (c.resource == "*" || st.matches_resource(&c.resource))
                    });
                    if used {
                        continue;
                    }
                    let note = if action.starts_with("logs:CreateLogStream")
                        || action.starts_with("logs:PutLogEvents")
                    {
                        "(Lambda writes the function's logs: not a candidate)"
                    } else if action.starts_with("xray:") {
                        "(Lambda's active tracing: not a candidate)"
                    } else if uses_athena
                        && (action.starts_with("glue:") || action.starts_with("s3:"))
                    {
                        "(Athena reads Glue and S3 as the caller; the fake does not: check by hand)"
                    } else {
                        ""
                    };
                    out.push(Candidate {
                        function: f.name.clone(),
                        action: action.clone(),
                        resources: st.resources.join(","),
                        note,
                    });
                }
            }
        }
    }
    out
}
