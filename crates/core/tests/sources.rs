//! What users rely on from each source: the fields they route and read by,
//! and the two identity keys.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use responder_core::{
    AlarmKind, Alert, AlertState, NormalizeOptions, Severity, SeverityRule, SourceKind, normalize,
};

fn event(path: &str) -> String {
    let full = format!("{}/../../events/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn one(path: &str) -> Alert {
    let mut alerts = normalize(&event(path), &NormalizeOptions::default()).unwrap();
    assert_eq!(alerts.len(), 1, "{path} should give one alert");
    alerts.remove(0)
}

#[test]
fn eventbridge_metric_alarm_carries_metric_routing_and_tagged_severity() {
    let alert = one("eventbridge/metric-alarm-lambda-errors.json");

    assert_eq!(alert.source, SourceKind::EventbridgeAlarm);
    assert_eq!(alert.account.as_deref(), Some("111122223333"));
    assert_eq!(alert.region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        alert.resource,
        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-errors"
    );
    assert_eq!(alert.state, AlertState::Alarm);
    assert_eq!(alert.previous_state, Some(AlertState::Ok));
    assert_eq!(alert.occurred_at.to_string(), "2026-11-20T09:14:07.405Z");
    assert_eq!(
        (alert.severity, alert.severity_reason.as_str()),
        (Severity::Critical, "alarmTags.severity is critical")
    );
    let metric = alert.metric.unwrap();
    assert_eq!(metric.namespace.as_deref(), Some("AWS/Lambda"));
    assert_eq!(metric.name.as_deref(), Some("Errors"));
    assert_eq!(
        metric.dimensions.get("FunctionName").map(String::as_str),
        Some("checkout-api")
    );
    assert_eq!(
        (metric.statistic.as_deref(), metric.threshold, metric.period),
        (Some("Sum"), Some(5.0), Some(60))
    );
    assert_eq!(metric.recent_datapoints, vec![27.0]);
    assert_eq!(alert.alarm.unwrap().kind, AlarmKind::Metric);
    assert_eq!(alert.routing.team.as_deref(), Some("payments"));
    assert_eq!(alert.routing.jira_project.as_deref(), Some("PAY"));
    assert_eq!(
        alert.routing.runbook.as_deref(),
        Some("https://wiki.example.com/runbooks/checkout-api")
    );
    assert_eq!(alert.service.as_deref(), Some("checkout-api"));
}

#[test]
fn recovery_shares_the_signature_of_the_alarm_but_not_its_dedup_key() {
    let alarm = one("eventbridge/metric-alarm-lambda-errors.json");
    let recovery = one("eventbridge/metric-alarm-lambda-errors-ok.json");

    assert!(recovery.is_recovery());
    assert_eq!(alarm.signature, recovery.signature);
    assert_ne!(alarm.dedup_key, recovery.dedup_key);
}

#[test]
fn a_redelivered_event_has_the_same_dedup_key_and_id() {
    let payload = event("eventbridge/metric-alarm-lambda-errors.json");
    let first = normalize(&payload, &NormalizeOptions::default()).unwrap();
    let again = normalize(&payload, &NormalizeOptions::default()).unwrap();

    assert_eq!(first[0].dedup_key, again[0].dedup_key);
    assert_eq!(first[0].id, again[0].id);
}

#[test]
fn one_alarm_delivered_by_sns_in_a_lambda_event_or_alone_is_one_state_change() {
    let in_lambda_event = one("sns/lambda-event-rds-cpu.json");
    let alone = one("sns/alarm-message-rds-cpu.json");

    assert_eq!(in_lambda_event.dedup_key, alone.dedup_key);
    assert_eq!(in_lambda_event.signature, alone.signature);
    assert_eq!(in_lambda_event.source, SourceKind::SnsAlarm);
    assert_eq!(in_lambda_event.region.as_deref(), Some("eu-west-1"));
    let metric = in_lambda_event.metric.unwrap();
    assert_eq!(metric.comparison.as_deref(), Some("GreaterThanThreshold"));
    assert_eq!(
        metric
            .dimensions
            .get("DBInstanceIdentifier")
            .map(String::as_str),
        Some("orders-db-writer")
    );
}

#[test]
fn sns_region_display_name_is_used_when_the_arn_is_missing() {
    let message = event("sns/alarm-message-rds-cpu.json").replace(
        r#""AlarmArn": "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-cpu-high","#,
        "",
    );
    let alerts = normalize(&message, &NormalizeOptions::default()).unwrap();

    assert_eq!(alerts[0].region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        alerts[0].resource,
        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-cpu-high"
    );
}

#[test]
fn sns_http_notification_with_metric_math_names_the_expression_and_its_metrics() {
    let alert = one("sns/http-notification-metric-math.json");

    assert_eq!(alert.region.as_deref(), Some("us-east-2"));
    assert_eq!(alert.alarm.as_ref().unwrap().kind, AlarmKind::MetricMath);
    let metric = alert.metric.unwrap();
    assert_eq!(metric.expression.as_deref(), Some("visible + notvisible"));
    assert_eq!(metric.namespace.as_deref(), Some("AWS/SQS"));
    assert_eq!(
        (alert.severity, alert.severity_reason.as_str()),
        (Severity::High, "the name contains 'sev2'")
    );
}

#[test]
fn metric_math_alarm_keeps_the_expression_and_the_first_metric() {
    let alert = one("eventbridge/metric-math-alarm-apigw-5xx-rate.json");

    assert_eq!(alert.alarm.unwrap().kind, AlarmKind::MetricMath);
    let metric = alert.metric.unwrap();
    assert_eq!(
        metric.expression.as_deref(),
        Some("100 * errors / MAX([errors, requests])")
    );
    assert_eq!(
        (metric.namespace.as_deref(), metric.name.as_deref()),
        (Some("AWS/ApiGateway"), Some("5XXError"))
    );
    assert_eq!(metric.threshold, Some(2.0));
    assert_eq!(alert.service.as_deref(), Some("orders-api"));
}

#[test]
fn anomaly_detection_alarm_has_no_threshold() {
    let alert = one("eventbridge/anomaly-detection-alarm.json");

    assert_eq!(alert.alarm.unwrap().kind, AlarmKind::AnomalyDetection);
    let metric = alert.metric.unwrap();
    assert_eq!(metric.threshold, None);
    assert_eq!(metric.name.as_deref(), Some("Latency"));
    assert_eq!(
        metric.expression.as_deref(),
        Some("ANOMALY_DETECTION_BAND(m1, 2)")
    );
}

#[test]
fn composite_alarm_is_one_alert_listing_its_triggering_alarms() {
    let alert = one("eventbridge/composite-alarm.json");
    let alarm = alert.alarm.unwrap();

    assert_eq!(alarm.kind, AlarmKind::Composite);
    assert_eq!(
        alarm.rule.as_deref(),
        Some(r#"ALARM("checkout-api-errors") AND ALARM("checkout-api-latency")"#)
    );
    let names: Vec<&str> = alarm
        .triggering_alarms
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, ["checkout-api-errors", "checkout-api-latency"]);
    assert_eq!(alarm.actions_suppressed_by.as_deref(), Some("WaitPeriod"));
    assert_eq!(alert.metric, None);
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(
        alert.signature_basis.template,
        "ALARM(checkout-api-errors) AND ALARM(checkout-api-latency)"
    );
}

#[test]
fn lambda_alarm_action_reads_alarm_data() {
    let alert = one("lambda-action/metric-alarm.json");

    assert_eq!(alert.source, SourceKind::LambdaAlarmAction);
    assert_eq!(
        alert.resource,
        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:image-resizer-throttles"
    );
    assert_eq!(alert.service.as_deref(), Some("image-resizer"));
    assert_eq!(alert.metric.unwrap().name.as_deref(), Some("Throttles"));

    let composite = one("lambda-action/composite-alarm.json");
    assert_eq!(composite.alarm.unwrap().triggering_alarms.len(), 1);
}

#[test]
fn multi_time_series_alarm_names_its_insights_metric() {
    let alert = one("eventbridge/multi-time-series-alarm.json");

    assert_eq!(alert.alarm.unwrap().kind, AlarmKind::MultiTimeSeries);
    let metric = alert.metric.unwrap();
    assert_eq!(
        (metric.namespace.as_deref(), metric.name.as_deref()),
        (Some("AWS/DynamoDB"), Some("WriteThrottleEvents"))
    );
    assert_eq!(metric.period, Some(60));
}

#[test]
fn contributor_change_is_its_own_problem_per_time_series() {
    let contributor = one("eventbridge/contributor-state-change.json");
    let whole_alarm = one("eventbridge/multi-time-series-alarm.json");

    assert_eq!(contributor.source, SourceKind::EventbridgeAlarmContributor);
    let details = contributor
        .alarm
        .as_ref()
        .unwrap()
        .contributor
        .clone()
        .unwrap();
    assert_eq!(details.id, "8f2c6a1d0b9e4f37");
    assert_eq!(contributor.service.as_deref(), Some("orders-prod"));
    assert_eq!(
        contributor.title,
        "dynamodb-write-throttles [TableName=orders-prod]"
    );
    assert_ne!(contributor.dedup_key, whole_alarm.dedup_key);
    assert_ne!(contributor.signature, whole_alarm.signature);
}

#[test]
fn muted_alarm_keeps_its_mute_window() {
    let alert = one("eventbridge/metric-alarm-ec2-cpu-muted.json");
    let mute = alert.alarm.unwrap().mute.unwrap();

    assert_eq!(
        mute.muted_by_arn,
        "arn:aws:cloudwatch:us-east-1:111122223333:alarm-mute-rule:nightly-batch-window"
    );
    assert_eq!(
        mute.window_end.unwrap().to_string(),
        "2026-11-21T04:00:00.000Z"
    );
}

#[test]
fn daily_period_fits() {
    let alert = one("eventbridge/daily-period-alarm-billing.json");

    assert_eq!(alert.metric.unwrap().period, Some(86_400));
}

#[test]
fn insufficient_data_defaults_to_low() {
    let alert = one("eventbridge/insufficient-data-alarm.json");

    assert_eq!(alert.state, AlertState::InsufficientData);
    assert_eq!(alert.severity, Severity::Low);
}

#[test]
fn logs_subscription_is_one_alert_with_its_events_as_evidence() {
    let alert = one("logs/subscription-lambda-errors.json");
    let logs = alert.logs.as_ref().unwrap();

    assert_eq!(alert.source, SourceKind::CloudwatchLogs);
    assert_eq!(alert.resource, "/aws/lambda/checkout-api");
    assert_eq!(alert.service.as_deref(), Some("checkout-api"));
    assert_eq!(logs.total_events, 4);
    assert_eq!(logs.events.len(), 4);
    assert!(
        alert
            .message
            .contains("PaymentGatewayError: connect ETIMEDOUT"),
        "{}",
        alert.message
    );
    assert_eq!(alert.occurred_at.to_string(), "2026-11-20T09:14:07.102Z");
    assert_eq!(
        alert.signature_basis.template,
        "<ts> <uuid> ERROR PaymentGatewayError: connect ETIMEDOUT <num>:<num> after <num> ms (gateway=stripe-proxy)"
    );
}

#[test]
fn logs_control_message_is_no_alert() {
    let alerts = normalize(
        &event("logs/control-message.json"),
        &NormalizeOptions::default(),
    )
    .unwrap();

    assert!(alerts.is_empty());
}

#[test]
fn webhook_states_its_own_severity_and_resolves_with_the_same_signature() {
    let firing = one("webhook/generic-firing.json");
    let resolved = one("webhook/generic-resolved.json");

    assert_eq!(
        (firing.severity, firing.service.as_deref()),
        (Severity::High, Some("checkout"))
    );
    assert_eq!(
        firing.routing.runbook.as_deref(),
        Some("https://wiki.example.com/runbooks/checkout")
    );
    assert_eq!(resolved.state, AlertState::Ok);
    assert_eq!(firing.signature, resolved.signature);
    assert_ne!(firing.dedup_key, resolved.dedup_key);
}

#[test]
fn webhook_id_is_the_dedup_key_and_fingerprint_the_identity() {
    let options = NormalizeOptions::default();
    let a = normalize(
        r#"{"title":"t","message":"a","id":"evt-1","fingerprint":"db-down"}"#,
        &options,
    )
    .unwrap();
    let b = normalize(
        r#"{"title":"t","message":"b","id":"evt-1","fingerprint":"db-down"}"#,
        &options,
    )
    .unwrap();
    let c = normalize(
        r#"{"title":"t","message":"c","id":"evt-2","fingerprint":"db-slow"}"#,
        &options,
    )
    .unwrap();

    assert_eq!(a[0].dedup_key, b[0].dedup_key);
    assert_eq!(a[0].signature, b[0].signature);
    assert_ne!(a[0].signature, c[0].signature);
}

#[test]
fn alertmanager_gives_one_alert_per_entry_with_label_severity() {
    let alerts = normalize(
        &event("alertmanager/firing.json"),
        &NormalizeOptions::default(),
    )
    .unwrap();

    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].source, SourceKind::Alertmanager);
    assert_eq!(
        (alerts[0].severity, alerts[1].severity),
        (Severity::Medium, Severity::Critical)
    );
    assert_eq!(alerts[0].resource, "cart-7d9f8b6c4-x2kqp");
    assert_eq!(
        alerts[0].routing.runbook.as_deref(),
        Some("https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping")
    );
    assert!(
        alerts[0]
            .source_url
            .as_deref()
            .unwrap()
            .starts_with("http://prometheus.monitoring:9090/")
    );
    assert_ne!(alerts[0].dedup_key, alerts[1].dedup_key);
}

#[test]
fn alertmanager_resolution_matches_its_firing_alert() {
    let firing = normalize(
        &event("alertmanager/firing.json"),
        &NormalizeOptions::default(),
    )
    .unwrap();
    let resolved = one("alertmanager/resolved.json");

    assert_eq!(resolved.state, AlertState::Ok);
    assert_eq!(resolved.signature, firing[0].signature);
    assert_eq!(resolved.occurred_at.to_string(), "2026-11-20T09:36:01.000Z");
}

#[test]
fn grafana_is_told_apart_and_its_resolution_matches() {
    let firing = one("grafana/firing.json");
    let resolved = one("grafana/resolved.json");

    assert_eq!(firing.source, SourceKind::Grafana);
    assert_eq!(firing.severity, Severity::Critical);
    assert_eq!(firing.resource, "db-replica-2.internal:9100");
    assert_eq!(firing.signature, resolved.signature);
}

#[test]
fn configured_rules_decide_when_the_payload_does_not() {
    let options = NormalizeOptions {
        severity_rules: vec![SeverityRule {
            name: "api-latency".into(),
            severity: Severity::High,
            source: None,
            namespace: Some("AWS/ApiGateway".into()),
            metric: Some("Latency".into()),
            name_prefix: None,
            service: None,
            labels: Default::default(),
        }],
    };
    let alerts = normalize(&event("eventbridge/anomaly-detection-alarm.json"), &options).unwrap();

    assert_eq!(alerts[0].severity, Severity::High);
    assert_eq!(
        alerts[0].severity_reason,
        "severity rule 'api-latency' matched"
    );
}

#[test]
fn a_tag_beats_a_configured_rule() {
    let options = NormalizeOptions {
        severity_rules: vec![SeverityRule {
            name: "all-lambda".into(),
            severity: Severity::Low,
            source: None,
            namespace: Some("AWS/Lambda".into()),
            metric: None,
            name_prefix: None,
            service: None,
            labels: Default::default(),
        }],
    };
    let alerts = normalize(
        &event("eventbridge/metric-alarm-lambda-errors.json"),
        &options,
    )
    .unwrap();

    assert_eq!(alerts[0].severity, Severity::Critical);
}
