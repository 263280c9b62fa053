//! CloudWatch alarm notifications delivered by SNS: inside a Lambda event
//! (`Records[].Sns.Message`), in an SNS HTTP(S) notification (`Message`), or
//! the alarm message posted on its own. The message is a JSON document with
//! PascalCase keys, and its `Region` is a display name (`US East (N. Virginia)`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::cloudwatch::{
    alarm_arn, alarm_dedup_parts, alarm_kind, alarm_name_of, alarm_template, arn_field,
};
use super::draft::{Draft, cloudwatch_state_at, timestamp_at};
use super::error::{NormalizeError, quote};
use super::json::{borrowed, check_depth, parse_at};
use super::raw_copy;
use crate::alert::{AlarmDetails, MetricDetails, SourceKind, TriggeringAlarm};
use crate::limits::MAX_ALERTS_PER_PAYLOAD;
use crate::regions::region_code;

#[derive(Deserialize)]
struct LambdaSnsEvent<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct SnsRecord<'a> {
    #[serde(
        rename = "EventSource",
        alias = "eventSource",
        borrow,
        default,
        deserialize_with = "borrowed::opt"
    )]
    event_source: Option<Cow<'a, str>>,
    #[serde(rename = "Sns", borrow)]
    sns: Option<SnsEnvelope<'a>>,
}

#[derive(Deserialize)]
struct SnsEnvelope<'a> {
    #[serde(rename = "Message", borrow)]
    message: Cow<'a, str>,
}

pub(crate) fn from_lambda_event(payload: &str) -> Result<Vec<Draft>, NormalizeError> {
    let event: LambdaSnsEvent<'_> = parse_at(payload, "")?;
    if event.records.len() > MAX_ALERTS_PER_PAYLOAD {
        return Err(NormalizeError::invalid(format!(
            "Records has {} entries; the limit is {MAX_ALERTS_PER_PAYLOAD}",
            event.records.len()
        )));
    }
    let mut drafts = Vec::with_capacity(event.records.len());
    for (i, raw) in event.records.iter().enumerate() {
        let path = format!("Records[{i}]");
        let record: SnsRecord<'_> = parse_at(raw.get(), &path)?;
        let Some(sns) = record.sns else {
            let source = record.event_source.as_deref().unwrap_or("unknown");
            return Err(NormalizeError::unsupported(format!(
                "{path} is not an SNS record (EventSource {}); only SNS records carry alarms",
                quote(source)
            )));
        };
        drafts.extend(from_alarm_message(
            &sns.message,
            &format!("{path}.Sns.Message"),
        )?);
    }
    Ok(drafts)
}

/// The fast path for an SNS Lambda event: the records and their messages in
/// one typed pass. `None` on anything unexpected: the general path then
/// reads the payload and names the fault, so both give the same result.
pub(crate) fn try_lambda_event(payload: &str) -> Option<Result<Vec<Draft>, NormalizeError>> {
    #[derive(Deserialize)]
    struct Event<'a> {
        #[serde(rename = "Records", borrow)]
        records: Vec<Record<'a>>,
    }
    #[derive(Deserialize)]
    struct Record<'a> {
        #[serde(rename = "Sns", borrow)]
        sns: SnsEnvelope<'a>,
    }
    let event: Event<'_> = serde_json::from_str(payload).ok()?;
    if event.records.len() > MAX_ALERTS_PER_PAYLOAD {
        return None;
    }
    let mut drafts = Vec::with_capacity(event.records.len());
    for (i, record) in event.records.iter().enumerate() {
        let path = format!("Records[{i}].Sns.Message");
        match from_alarm_message(&record.sns.message, &path) {
            Ok(more) => drafts.extend(more),
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(drafts))
}

pub(crate) fn from_http_notification(payload: &str) -> Result<Vec<Draft>, NormalizeError> {
    let envelope: SnsEnvelope<'_> = parse_at(payload, "")?;
    from_alarm_message(&envelope.message, "Message")
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AlarmMessage<'a> {
    #[serde(borrow)]
    alarm_name: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    alarm_description: Option<Cow<'a, str>>,
    #[serde(
        rename = "AWSAccountId",
        borrow,
        default,
        deserialize_with = "borrowed::opt"
    )]
    aws_account_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    new_state_value: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    new_state_reason: Option<Cow<'a, str>>,
    #[serde(borrow)]
    state_change_time: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    region: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    alarm_arn: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    old_state_value: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    trigger: Option<Trigger<'a>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    alarm_rule: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    triggering_children: Vec<TriggeringChild<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Trigger<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    metric_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    statistic: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    extended_statistic: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dimensions: Vec<Dimension<'a>>,
    #[serde(default)]
    period: Option<u32>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    comparison_operator: Option<Cow<'a, str>>,
    #[serde(default)]
    threshold: Option<f64>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    threshold_metric_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    metrics: Vec<TriggerQuery<'a>>,
}

/// SNS writes dimensions as `{"value": ..., "name": ...}`, in lower case.
#[derive(Deserialize)]
struct Dimension<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    value: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TriggerQuery<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    expression: Option<Cow<'a, str>>,
    #[serde(default)]
    return_data: Option<bool>,
    #[serde(borrow, default)]
    metric_stat: Option<TriggerMetricStat<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TriggerMetricStat<'a> {
    #[serde(borrow)]
    metric: TriggerMetric<'a>,
    #[serde(default)]
    period: Option<u32>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    stat: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TriggerMetric<'a> {
    #[serde(borrow, default)]
    dimensions: Vec<Dimension<'a>>,
    #[serde(borrow)]
    metric_name: Cow<'a, str>,
    #[serde(borrow)]
    namespace: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TriggeringChild<'a> {
    #[serde(borrow)]
    arn: Cow<'a, str>,
    #[serde(borrow, default)]
    state: Option<ChildState<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChildState<'a> {
    #[serde(borrow)]
    value: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    timestamp: Option<Cow<'a, str>>,
}

/// Normalizes one SNS alarm message; `path` is where it sits in the payload
/// (empty when the message is the payload).
pub(crate) fn from_alarm_message(message: &str, path: &str) -> Result<Vec<Draft>, NormalizeError> {
    let at = |field: &str| {
        if path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        }
    };
    if !message.trim_start().starts_with('{') {
        return Err(NormalizeError::unsupported(format!(
            "{} is not a CloudWatch alarm notification: it is not a JSON object",
            if path.is_empty() { "payload" } else { path }
        )));
    }
    check_depth(message, if path.is_empty() { "payload" } else { path })?;
    let alarm: AlarmMessage<'_> = parse_at(message, path)?;
    let state = cloudwatch_state_at(&alarm.new_state_value, at("NewStateValue"))?;
    let previous_state = alarm
        .old_state_value
        .as_deref()
        .map(|v| cloudwatch_state_at(v, at("OldStateValue")))
        .transpose()?;
    let occurred_at = timestamp_at(&alarm.state_change_time, at("StateChangeTime"))?;
    let region = match (&alarm.alarm_arn, &alarm.region) {
        (Some(arn), _) if arn_field(arn, 3).is_some() => arn_field(arn, 3),
        (_, Some(display)) => region_code(display).map(str::to_owned),
        _ => None,
    };
    let account = alarm.aws_account_id.as_deref().map(str::to_owned);
    let name = alarm.alarm_name.into_owned();
    let arn = match alarm.alarm_arn {
        Some(arn) => arn.into_owned(),
        None => alarm_arn(region.as_deref(), account.as_deref(), &name),
    };
    let metric = alarm.trigger.as_ref().map(metric_from_trigger);
    let expressions: Vec<&str> = alarm
        .trigger
        .iter()
        .flat_map(|t| t.metrics.iter().filter_map(|q| q.expression.as_deref()))
        .chain(alarm.trigger.iter().filter_map(|t| {
            t.threshold_metric_id
                .as_deref()
                .map(|_| "ANOMALY_DETECTION_BAND")
        }))
        .collect();
    let kind = alarm_kind(alarm.alarm_rule.is_some(), false, expressions.into_iter());
    let triggering_alarms = alarm
        .triggering_children
        .iter()
        .enumerate()
        .map(|(i, child)| {
            let child_path = at(&format!("TriggeringChildren[{i}].State"));
            let (state, timestamp) = match &child.state {
                Some(s) => (
                    Some(cloudwatch_state_at(
                        &s.value,
                        format!("{child_path}.Value"),
                    )?),
                    s.timestamp
                        .as_deref()
                        .map(|t| timestamp_at(t, format!("{child_path}.Timestamp")))
                        .transpose()?,
                ),
                None => (None, None),
            };
            Ok(TriggeringAlarm {
                arn: child.arn.to_string(),
                name: alarm_name_of(&child.arn).to_owned(),
                state,
                timestamp,
            })
        })
        .collect::<Result<Vec<_>, NormalizeError>>()?;
    let template_text = alarm_template(alarm.alarm_rule.as_deref(), metric.as_ref());
    let dedup_parts = alarm_dedup_parts(&arn, occurred_at, state);
    Ok(vec![Draft {
        source: SourceKind::SnsAlarm,
        account: account.or_else(|| arn_field(&arn, 4)),
        region,
        resource: arn.clone(),
        service: None,
        title: name.clone(),
        message: alarm
            .new_state_reason
            .as_deref()
            .unwrap_or_default()
            .to_owned(),
        state,
        previous_state,
        stated_severity: None,
        occurred_at,
        metric,
        alarm: Some(AlarmDetails {
            name: name.clone(),
            arn,
            kind,
            description: alarm.alarm_description.map(Cow::into_owned),
            rule: alarm.alarm_rule.map(Cow::into_owned),
            triggering_alarms,
            actions_suppressed_by: None,
            actions_suppressed_reason: None,
            contributor: None,
            mute: None,
        }),
        logs: None,
        labels: BTreeMap::new(),
        labels_field: "tags",
        runbook: None,
        source_url: None,
        dedup_parts,
        subject: name,
        template_text,
        raw: raw_copy(message),
    }])
}

fn metric_from_trigger(trigger: &Trigger<'_>) -> MetricDetails {
    let dims = |d: &[Dimension<'_>]| {
        d.iter()
            .map(|x| (x.name.to_string(), x.value.to_string()))
            .collect()
    };
    let mut details = MetricDetails {
        namespace: trigger.namespace.as_deref().map(str::to_owned),
        name: trigger.metric_name.as_deref().map(str::to_owned),
        dimensions: dims(&trigger.dimensions),
        statistic: trigger
            .statistic
            .as_deref()
            .or(trigger.extended_statistic.as_deref())
            .map(str::to_owned),
        threshold: trigger.threshold,
        comparison: trigger.comparison_operator.as_deref().map(str::to_owned),
        period: trigger.period,
        expression: None,
        recent_datapoints: Vec::new(),
    };
    if let Some(primary) = trigger
        .metrics
        .iter()
        .find(|q| q.return_data.unwrap_or(false))
    {
        details.expression = primary.expression.as_deref().map(str::to_owned);
    }
    if details.name.is_none()
        && let Some(stat) = trigger.metrics.iter().find_map(|q| q.metric_stat.as_ref())
    {
        details.namespace = Some(stat.metric.namespace.to_string());
        details.name = Some(stat.metric.metric_name.to_string());
        details.dimensions = dims(&stat.metric.dimensions);
        details.statistic = details
            .statistic
            .take()
            .or(stat.stat.as_deref().map(str::to_owned));
        details.period = details.period.or(stat.period);
    }
    details
}
