//! CloudWatch alarms as EventBridge delivers them (`detail`) and as an alarm
//! sends them when it invokes a Lambda function (`alarmData`): one shape.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::draft::{At, Draft, cloudwatch_state_at, labels_from, timestamp_at};
use super::error::{NormalizeError, quote};
use super::json::{borrowed, parse_at};
use super::raw_copy;
use crate::alert::{
    AlarmDetails, AlarmKind, AlertState, Contributor, MetricDetails, MuteDetail, RawPayload,
    SourceKind, TriggeringAlarm,
};
use crate::time::Timestamp;

const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";
const CONTRIBUTOR_STATE_CHANGE: &str = "CloudWatch Alarm Contributor State Change";

/// The EventBridge envelope's fields, as the probe found them (unparsed).
pub(crate) struct EventBridgeEnvelope<'a> {
    pub source: Option<&'a RawValue>,
    pub account: Option<&'a RawValue>,
    pub region: Option<&'a RawValue>,
    pub resources: Option<&'a RawValue>,
    pub detail: Option<&'a RawValue>,
}

/// Parses an optional envelope field, naming it on error.
fn field<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
    name: &str,
) -> Result<Option<T>, NormalizeError> {
    raw.map(|r| parse_at::<Option<T>>(r.get(), name))
        .transpose()
        .map(Option::flatten)
}

/// A `CloudWatch Alarm State Change` event read in one typed pass: most
/// traffic has this shape, and it is parsed once instead of probed first.
#[derive(Deserialize)]
struct AlarmStateChangeEvent<'a> {
    #[serde(rename = "detail-type", borrow)]
    detail_type: Cow<'a, str>,
    #[serde(borrow)]
    source: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    account: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    region: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::vec")]
    resources: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    detail: AlarmDetail<'a>,
}

/// The fast path for the common case. `None` when the payload is anything
/// else or has any fault: the general path then reads it and names the fault,
/// so both paths give the same alert for a good payload and the same error
/// for a bad one.
pub(crate) fn try_alarm_state_change(payload: &str) -> Option<Result<Vec<Draft>, NormalizeError>> {
    let event: AlarmStateChangeEvent<'_> = serde_json::from_str(payload).ok()?;
    if event.detail_type != ALARM_STATE_CHANGE || event.source != "aws.cloudwatch" {
        return None;
    }
    let region = event.region.map(Cow::into_owned);
    let account = event.account.map(Cow::into_owned);
    let arn = match event.resources.into_iter().next() {
        Some(arn) => arn.into_owned(),
        None => alarm_arn(
            region.as_deref(),
            account.as_deref(),
            &event.detail.alarm_name,
        ),
    };
    let context = AlarmContext {
        kind: SourceKind::EventbridgeAlarm,
        arn,
        account,
        region,
        path: "detail",
    };
    let draft = event.detail.into_draft(context, raw_copy(payload));
    Some(draft.map(|d| vec![d]))
}

pub(crate) fn from_eventbridge(
    payload: &str,
    detail_type: &RawValue,
    envelope: EventBridgeEnvelope<'_>,
) -> Result<Vec<Draft>, NormalizeError> {
    let detail_type: Cow<'_, str> = parse_at(detail_type.get(), "detail-type")?;
    let kind = match detail_type.as_ref() {
        ALARM_STATE_CHANGE => SourceKind::EventbridgeAlarm,
        CONTRIBUTOR_STATE_CHANGE => SourceKind::EventbridgeAlarmContributor,
        other => {
            return Err(NormalizeError::unsupported(format!(
                "EventBridge detail-type {} is not supported; expected '{ALARM_STATE_CHANGE}' or \
                 '{CONTRIBUTOR_STATE_CHANGE}'",
                quote(other)
            )));
        }
    };
    let source: Cow<'_, str> =
        field(envelope.source, "source")?.ok_or_else(|| NormalizeError::missing("source"))?;
    if source != "aws.cloudwatch" {
        return Err(NormalizeError::unsupported(format!(
            "EventBridge source {} is not supported; expected 'aws.cloudwatch'",
            quote(&source)
        )));
    }
    let detail = envelope
        .detail
        .ok_or_else(|| NormalizeError::missing("detail"))?;
    let detail: AlarmDetail<'_> = parse_at(detail.get(), "detail")?;
    let region = field::<Cow<'_, str>>(envelope.region, "region")?.map(Cow::into_owned);
    let account = field::<Cow<'_, str>>(envelope.account, "account")?.map(Cow::into_owned);
    let resources: Vec<Cow<'_, str>> = field(envelope.resources, "resources")?.unwrap_or_default();
    let arn = match resources.first() {
        Some(arn) => arn.clone().into_owned(),
        None => alarm_arn(region.as_deref(), account.as_deref(), &detail.alarm_name),
    };
    let context = AlarmContext {
        kind,
        arn,
        account,
        region,
        path: "detail",
    };
    Ok(vec![detail.into_draft(context, raw_copy(payload))?])
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LambdaAlarmAction<'a> {
    #[serde(borrow)]
    alarm_arn: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    alarm_data: &'a RawValue,
}

pub(crate) fn from_lambda_action(payload: &str) -> Result<Vec<Draft>, NormalizeError> {
    let action: LambdaAlarmAction<'_> = parse_at(payload, "")?;
    let detail: AlarmDetail<'_> = parse_at(action.alarm_data.get(), "alarmData")?;
    let context = AlarmContext {
        kind: SourceKind::LambdaAlarmAction,
        arn: action.alarm_arn.into_owned(),
        account: action.account_id.map(Cow::into_owned),
        region: action.region.map(Cow::into_owned),
        path: "alarmData",
    };
    Ok(vec![detail.into_draft(context, raw_copy(payload))?])
}

/// `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`, for events that leave out `resources`.
pub(crate) fn alarm_arn(region: Option<&str>, account: Option<&str>, name: &str) -> String {
    format!(
        "arn:aws:cloudwatch:{}:{}:alarm:{name}",
        region.unwrap_or(""),
        account.unwrap_or("")
    )
}

/// The alarm name at the end of an alarm ARN.
pub(crate) fn alarm_name_of(arn: &str) -> &str {
    arn.split_once(":alarm:").map_or(arn, |(_, name)| name)
}

struct AlarmContext {
    kind: SourceKind,
    arn: String,
    account: Option<String>,
    region: Option<String>,
    /// Where the alarm detail sits in the payload, for error messages.
    path: &'static str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmDetail<'a> {
    #[serde(borrow)]
    alarm_name: Cow<'a, str>,
    #[serde(borrow)]
    state: StateRecord<'a>,
    #[serde(borrow, default)]
    previous_state: Option<PreviousState<'a>>,
    #[serde(borrow, default)]
    configuration: Option<Configuration<'a>>,
    #[serde(borrow, default)]
    alarm_contributor: Option<ContributorRecord<'a>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt_map")]
    alarm_tags: Option<BTreeMap<Cow<'a, str>, Cow<'a, str>>>,
    #[serde(borrow, default)]
    mute_detail: Option<MuteRecord<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateRecord<'a> {
    #[serde(borrow)]
    value: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    reason: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    reason_data: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    actions_suppressed_by: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    actions_suppressed_reason: Option<Cow<'a, str>>,
}

/// Of the previous state only its value is used: its reason and reason data
/// (JSON with escapes, as long as the current state's) are skipped unread.
#[derive(Deserialize)]
struct PreviousState<'a> {
    #[serde(borrow)]
    value: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Configuration<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    description: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    metrics: Vec<MetricQuery<'a>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    alarm_rule: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetricQuery<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    pub expression: Option<Cow<'a, str>>,
    #[serde(default)]
    pub return_data: Option<bool>,
    #[serde(borrow, default)]
    pub metric_stat: Option<MetricStat<'a>>,
    #[serde(default)]
    pub period: Option<u32>,
}

#[derive(Deserialize)]
pub(crate) struct MetricStat<'a> {
    #[serde(borrow)]
    pub metric: MetricName<'a>,
    #[serde(default)]
    pub period: Option<u32>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    pub stat: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(crate) struct MetricName<'a> {
    #[serde(borrow)]
    pub namespace: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::map")]
    pub dimensions: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ContributorRecord<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::map")]
    attributes: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MuteRecord<'a> {
    #[serde(borrow)]
    muted_by_arn: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    mute_window_start: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    mute_window_end: Option<Cow<'a, str>>,
}

/// `state.reasonData`: a JSON document inside a string.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ReasonData<'a> {
    #[serde(default)]
    threshold: Option<f64>,
    #[serde(default)]
    recent_datapoints: Vec<f64>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    statistic: Option<Cow<'a, str>>,
    #[serde(default)]
    period: Option<u32>,
    #[serde(borrow, default)]
    triggering_alarms: Vec<TriggeringRecord<'a>>,
}

#[derive(Deserialize)]
struct TriggeringRecord<'a> {
    #[serde(borrow)]
    arn: Cow<'a, str>,
    #[serde(borrow, default)]
    state: Option<TriggeringState<'a>>,
}

#[derive(Deserialize)]
struct TriggeringState<'a> {
    #[serde(borrow)]
    value: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    timestamp: Option<Cow<'a, str>>,
}

impl AlarmDetail<'_> {
    fn into_draft(self, ctx: AlarmContext, raw: RawPayload) -> Result<Draft, NormalizeError> {
        let path = ctx.path;
        let state = cloudwatch_state_at(&self.state.value, At(path, ".state.value"))?;
        let occurred_at = timestamp_at(&self.state.timestamp, At(path, ".state.timestamp"))?;
        let previous_state = match &self.previous_state {
            Some(p) => Some(cloudwatch_state_at(
                &p.value,
                At(path, ".previousState.value"),
            )?),
            None => None,
        };
        let reason_path = At(path, ".state.reasonData");
        let mut reason_data: ReasonData<'_> = match self.state.reason_data.as_deref() {
            Some(text) if !text.trim().is_empty() => parse_at(text, reason_path)?,
            _ => ReasonData::default(),
        };
        let configuration = self.configuration.unwrap_or_default();
        let contributor = self.alarm_contributor.map(|c| Contributor {
            id: c.id.into_owned(),
            attributes: c
                .attributes
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        });
        let kind = alarm_kind(
            configuration.alarm_rule.is_some(),
            contributor.is_some(),
            configuration
                .metrics
                .iter()
                .filter_map(|m| m.expression.as_deref()),
        );
        let mut metric = metric_from_queries(&configuration.metrics);
        if let Some(m) = metric.as_mut() {
            m.threshold = reason_data.threshold;
            m.recent_datapoints = std::mem::take(&mut reason_data.recent_datapoints);
            m.statistic = m
                .statistic
                .take()
                .or(reason_data.statistic.as_deref().map(str::to_owned));
            m.period = m.period.or(reason_data.period);
        }
        let triggering_alarms = reason_data
            .triggering_alarms
            .iter()
            .enumerate()
            .map(|(i, t)| triggering_alarm(t, &format!("{reason_path}.triggeringAlarms[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let mute = match self.mute_detail {
            Some(m) => Some(MuteDetail {
                muted_by_arn: m.muted_by_arn.into_owned(),
                window_start: optional_timestamp(
                    m.mute_window_start,
                    At(path, ".muteDetail.muteWindowStart"),
                )?,
                window_end: optional_timestamp(
                    m.mute_window_end,
                    At(path, ".muteDetail.muteWindowEnd"),
                )?,
            }),
            None => None,
        };
        let labels = labels_from(self.alarm_tags.unwrap_or_default(), At(path, ".alarmTags"))?;
        let name = self.alarm_name.into_owned();
        let subject = match &contributor {
            Some(c) => format!("{name} {}", attributes_text(&c.attributes)),
            None => name.clone(),
        };
        let template_text = alarm_template(configuration.alarm_rule.as_deref(), metric.as_ref());
        let mut dedup_parts = alarm_dedup_parts(&ctx.arn, occurred_at, state);
        if let Some(c) = &contributor {
            dedup_parts.push(c.id.clone());
        }
        let message = self.state.reason.as_deref().unwrap_or_default().to_owned();
        Ok(Draft {
            source: ctx.kind,
            account: ctx.account.or_else(|| arn_field(&ctx.arn, 4)),
            region: ctx.region.or_else(|| arn_field(&ctx.arn, 3)),
            resource: ctx.arn.clone(),
            service: None,
            title: subject.clone(),
            message,
            state,
            previous_state,
            stated_severity: None,
            occurred_at,
            metric,
            alarm: Some(AlarmDetails {
                name,
                arn: ctx.arn,
                kind,
                description: configuration.description.map(Cow::into_owned),
                rule: configuration.alarm_rule.map(Cow::into_owned),
                triggering_alarms,
                actions_suppressed_by: self.state.actions_suppressed_by.map(Cow::into_owned),
                actions_suppressed_reason: self
                    .state
                    .actions_suppressed_reason
                    .map(Cow::into_owned),
                contributor,
                mute,
            }),
            logs: None,
            labels,
            labels_field: "alarmTags",
            runbook: None,
            source_url: None,
            dedup_parts,
            subject,
            template_text,
            raw,
        })
    }
}

fn triggering_alarm(
    record: &TriggeringRecord<'_>,
    path: &str,
) -> Result<TriggeringAlarm, NormalizeError> {
    let (state, timestamp) = match &record.state {
        Some(s) => (
            Some(cloudwatch_state_at(&s.value, At(path, ".state.value"))?),
            optional_timestamp(s.timestamp.clone(), At(path, ".state.timestamp"))?,
        ),
        None => (None, None),
    };
    Ok(TriggeringAlarm {
        arn: record.arn.to_string(),
        name: alarm_name_of(&record.arn).to_owned(),
        state,
        timestamp,
    })
}

fn optional_timestamp(
    text: Option<Cow<'_, str>>,
    path: impl std::fmt::Display,
) -> Result<Option<Timestamp>, NormalizeError> {
    text.map(|t| timestamp_at(&t, path)).transpose()
}

/// The `n`th `:`-separated field of an ARN (3: region, 4: account), if not empty.
pub(crate) fn arn_field(arn: &str, n: usize) -> Option<String> {
    arn.split(':')
        .nth(n)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
}

pub(crate) fn alarm_kind<'a>(
    has_rule: bool,
    has_contributor: bool,
    mut expressions: impl Iterator<Item = &'a str>,
) -> AlarmKind {
    if has_rule {
        return AlarmKind::Composite;
    }
    if has_contributor {
        return AlarmKind::MultiTimeSeries;
    }
    let mut kind = AlarmKind::Metric;
    for expression in expressions.by_ref() {
        let trimmed = expression.trim_start();
        if trimmed.len() >= 6
            && trimmed
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case("select"))
        {
            return AlarmKind::MultiTimeSeries;
        }
        if expression.contains("ANOMALY_DETECTION_BAND") {
            kind = AlarmKind::AnomalyDetection;
        } else if kind == AlarmKind::Metric {
            kind = AlarmKind::MetricMath;
        }
    }
    kind
}

/// The metric an alarm watches: the query that returns data, with the
/// namespace and name of the first plain metric when that query is an
/// expression. Metrics Insights queries name theirs in `SELECT f(Name) FROM "Ns"`.
pub(crate) fn metric_from_queries(queries: &[MetricQuery<'_>]) -> Option<MetricDetails> {
    let primary = queries
        .iter()
        .find(|q| q.return_data.unwrap_or(false) && q.expression.is_some())
        .or_else(|| queries.iter().find(|q| q.return_data.unwrap_or(true)))
        .or_else(|| queries.first())?;
    let stat = primary
        .metric_stat
        .as_ref()
        .or_else(|| queries.iter().find_map(|q| q.metric_stat.as_ref()));
    let mut details = MetricDetails::default();
    if let Some(stat) = stat {
        details.namespace = Some(stat.metric.namespace.to_string());
        details.name = Some(stat.metric.name.to_string());
        details.dimensions = stat
            .metric
            .dimensions
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        details.statistic = stat.stat.as_deref().map(str::to_owned);
        details.period = stat.period;
    }
    if let Some(expression) = primary.expression.as_deref() {
        details.expression = Some(expression.to_owned());
        if let Some((namespace, name)) = insights_metric(expression) {
            details.namespace = Some(namespace);
            details.name = Some(name);
        }
    }
    details.period = details.period.or(primary.period);
    Some(details)
}

/// `SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId) ...` →
/// (`AWS/EC2`, `CPUUtilization`).
fn insights_metric(query: &str) -> Option<(String, String)> {
    let upper = query.to_ascii_uppercase();
    if !upper.trim_start().starts_with("SELECT") {
        return None;
    }
    let open = query.find('(')?;
    let close = open + query.get(open..)?.find(')')?;
    let name = query
        .get(open + 1..close)?
        .trim()
        .trim_matches('"')
        .to_owned();
    let from = upper.find(" FROM ")? + 6;
    let mut rest = query.get(from..)?.trim_start();
    if rest.len() >= 7
        && rest
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("SCHEMA("))
    {
        rest = rest.get(7..)?.trim_start();
    }
    let namespace = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.split('"').next()?.to_owned()
    } else {
        rest.split(|c: char| c.is_whitespace() || c == ',' || c == ')')
            .next()?
            .to_owned()
    };
    (!name.is_empty() && !namespace.is_empty()).then_some((namespace, name))
}

/// What stands in for the message in an alarm's signature: a composite
/// alarm's rule, or the metric (and expression) the alarm watches. The state
/// reason is not used: it is rewritten at every evaluation with new
/// datapoints and dates, and never tells apart two failures that the alarm
/// itself does not.
pub(crate) fn alarm_template(rule: Option<&str>, metric: Option<&MetricDetails>) -> String {
    match (rule, metric) {
        // The quotes around child alarm names are syntax, not values to mask.
        (Some(rule), _) => rule.replace('"', ""),
        (None, Some(metric)) => {
            let mut text = format!(
                "{}/{}",
                metric.namespace.as_deref().unwrap_or_default(),
                metric.name.as_deref().unwrap_or_default()
            );
            if let Some(expression) = &metric.expression {
                text.push(' ');
                text.push_str(expression);
            }
            text
        }
        (None, None) => String::new(),
    }
}

/// One state change of an alarm, however it was delivered (EventBridge, SNS,
/// a Lambda action): the alarm ARN, the state's time and its value.
pub(crate) fn alarm_dedup_parts(
    arn: &str,
    occurred_at: Timestamp,
    state: AlertState,
) -> Vec<String> {
    vec![
        "cloudwatch_alarm".to_owned(),
        arn.to_owned(),
        occurred_at.to_string(),
        state.as_str().to_owned(),
    ]
}

pub(crate) fn attributes_text(attributes: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("[{}]", pairs.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_insights_queries_name_their_metric() {
        assert_eq!(
            insights_metric(
                r#"SELECT AVG(ConsumedWriteCapacityUnits) FROM "AWS/DynamoDB" GROUP BY TableName"#
            ),
            Some(("AWS/DynamoDB".into(), "ConsumedWriteCapacityUnits".into()))
        );
        assert_eq!(
            insights_metric(r#"SELECT MAX(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId)"#),
            Some(("AWS/EC2".into(), "CPUUtilization".into()))
        );
        assert_eq!(insights_metric("SUM(METRICS())"), None);
    }

    #[test]
    fn alarm_kinds_follow_the_configuration() {
        assert_eq!(
            alarm_kind(true, false, std::iter::empty()),
            AlarmKind::Composite
        );
        assert_eq!(
            alarm_kind(false, false, ["ANOMALY_DETECTION_BAND(m1, 2)"].into_iter()),
            AlarmKind::AnomalyDetection
        );
        assert_eq!(
            alarm_kind(false, false, ["m1/m2*100"].into_iter()),
            AlarmKind::MetricMath
        );
        assert_eq!(
            alarm_kind(false, false, ["SELECT AVG(x) FROM y"].into_iter()),
            AlarmKind::MultiTimeSeries
        );
        assert_eq!(
            alarm_kind(false, false, std::iter::empty()),
            AlarmKind::Metric
        );
    }
}
