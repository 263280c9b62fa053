//! An execution's history as the states it went through, one line each:
//! what `responder run` prints as it goes and `responder executions show`
//! prints afterwards.

use chrono::{DateTime, Utc};
use responder_sfn::Event;
use serde_json::Value;

/// The longest result a line shows; a longer one ends with `…`.
const MAX_RESULT_CHARS: usize = 100;

/// One state's visit.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub state: String,
    /// `Task`, `Choice`, `Map`, `Parallel`, `Pass`, `Fail`, ...
    pub kind: String,
    /// `SUCCEEDED`, `FAILED` or `RUNNING` (entered, not left yet).
    pub status: &'static str,
    pub entered: DateTime<Utc>,
    /// Until the state was left (or failed); none while it runs.
    pub millis: Option<i64>,
    /// What came out, shortly: a task's key fields (`channel=slack
    /// status=SENT`), the branch a Choice took (`→ Analyze`), an error.
    pub result: String,
}

/// The states left (or failed) among the events from index `from`, in the
/// order they were left.
pub fn finished(history: &[Event], from: usize) -> Vec<Step> {
    let mut steps = Vec::new();
    for (i, event) in history.iter().enumerate().skip(from) {
        if event.kind.ends_with("StateExited") {
            if let Some(entered) = entered_of(history, i) {
                steps.push(step(history, entered, Some(i)));
            }
        } else if event.kind == "FailStateEntered" {
            steps.push(step(history, i, Some(i)));
        }
    }
    steps
}

/// Every state entered, in the order entered: left, failed or still running.
pub fn all(history: &[Event]) -> Vec<Step> {
    let exits: Vec<(usize, usize)> = history
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind.ends_with("StateExited"))
        .filter_map(|(i, _)| entered_of(history, i).map(|entered| (entered, i)))
        .collect();
    history
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind.ends_with("StateEntered"))
        .map(|(i, e)| {
            let exit = exits.iter().find(|(entered, _)| *entered == i).map(|x| x.1);
            let exit = exit.or((e.kind == "FailStateEntered").then_some(i));
            step(history, i, exit)
        })
        .collect()
}

/// The `StateExited` event that closes the `StateEntered` at `entered`.
pub fn exit_of(history: &[Event], entered: usize) -> Option<usize> {
    (entered..history.len()).find(|&i| {
        history
            .get(i)
            .is_some_and(|e| e.kind.ends_with("StateExited"))
            && entered_of(history, i) == Some(entered)
    })
}

/// The `StateEntered` event that the `StateExited` at `exit` closes:
/// followed back through `previousEventId`, so the iterations of a Map
/// that run side by side each find their own.
fn entered_of(history: &[Event], exit: usize) -> Option<usize> {
    let name = history.get(exit)?.details.name.as_deref();
    let mut id = history.get(exit)?.previous_event_id;
    while id > 0 {
        let index = usize::try_from(id - 1).ok()?;
        let event = history.get(index)?;
        if event.kind.ends_with("StateEntered") && event.details.name.as_deref() == name {
            return Some(index);
        }
        if event.previous_event_id >= id {
            return None;
        }
        id = event.previous_event_id;
    }
    None
}

fn step(history: &[Event], entered: usize, exit: Option<usize>) -> Step {
    let start = history.get(entered);
    let end = exit.and_then(|i| history.get(i));
    let kind = start
        .map(|e| e.kind.trim_end_matches("StateEntered").to_owned())
        .unwrap_or_default();
    // The events between entering and leaving: the task's answer, a failure.
    let inside = match exit {
        Some(exit) => history.get(entered..=exit).unwrap_or_default(),
        None => history.get(entered..).unwrap_or_default(),
    };
    let failure = inside.iter().rev().find(|e| {
        e.details.more().error.is_some()
            && (e.kind.ends_with("Failed") || e.kind.ends_with("TimedOut"))
    });
    let failed = kind == "Fail" || (failure.is_some() && end.is_none());
    let status = match (end, failed) {
        (_, true) => "FAILED",
        (Some(_), false) => "SUCCEEDED",
        (None, false) => "RUNNING",
    };
    let result = if let Some(failure) = failure.filter(|_| failed || kind == "Fail") {
        format!(
            "{}: {}",
            failure.details.more().error.as_deref().unwrap_or_default(),
            failure.details.more().cause.as_deref().unwrap_or_default()
        )
    } else if kind == "Fail" {
        end.and_then(|e| e.details.more().error.clone())
            .unwrap_or_default()
    } else if kind == "Choice" {
        // The branch taken: the state entered right after this one left.
        end.and_then(|end| {
            history
                .iter()
                .find(|e| e.previous_event_id == end.id && e.kind.ends_with("StateEntered"))
        })
        .and_then(|next| next.details.name.as_deref())
        .map(|next| format!("→ {next}"))
        .unwrap_or_default()
    } else if end.is_none() {
        waiting(inside)
    } else if kind == "Map" {
        // Its own count, not what its last iteration said.
        inside
            .iter()
            .find(|e| e.kind == "MapStateStarted")
            .and_then(|e| e.details.more().length)
            .map(|n| format!("iterations={n}"))
            .unwrap_or_default()
    } else if kind == "Parallel" {
        String::new()
    } else {
        // A task's own answer, else what the state passed on.
        let answer = inside
            .iter()
            .rev()
            .find(|e| {
                e.kind.ends_with("Succeeded")
                    && !e.kind.starts_with("Map")
                    && !e.kind.starts_with("Parallel")
            })
            .and_then(|e| e.details.output.as_ref());
        let input = start
            .and_then(|e| e.details.input.as_ref())
            .map(|p| p.value());
        let output = answer
            .or(end.and_then(|e| e.details.output.as_ref()))
            .map(responder_sfn::Payload::value);
        key_fields(input.as_ref(), output.as_ref())
    };
    Step {
        state: start
            .and_then(|e| e.details.name.clone())
            .unwrap_or_default(),
        kind,
        status,
        entered: start.map_or_else(Utc::now, |e| e.timestamp),
        millis: end
            .zip(start)
            .map(|(end, start)| (end.timestamp - start.timestamp).num_milliseconds()),
        result: cut(&result, MAX_RESULT_CHARS),
    }
}

/// What a state that has not left yet waits for.
fn waiting(inside: &[Event]) -> String {
    if inside
        .iter()
        .any(|e| e.kind.ends_with("Started") && e.details.more().heartbeat_seconds.is_some())
        || inside.iter().any(|e| e.kind == "TaskSubmitted")
    {
        "waiting for its callback".to_owned()
    } else {
        String::new()
    }
}

/// The fields of an output that say what happened, in this order; arrays
/// by their length. The channel comes from the input when the output lacks
/// it (a delivery names the channel it was given).
fn key_fields(input: Option<&Value>, output: Option<&Value>) -> String {
    let Some(output) = output else {
        return String::new();
    };
    let Value::Object(map) = output else {
        return output.to_string();
    };
    let mut fields = Vec::new();
    let channel = map
        .get("channel")
        .or_else(|| input.and_then(|i| i.get("channel")));
    if let Some(Value::String(channel)) = channel {
        fields.push(format!("channel={channel}"));
    }
    for key in ["decision", "hit", "status", "count", "approval_id"] {
        match map.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => fields.push(format!("{key}={text}")),
            Some(value) => fields.push(format!("{key}={value}")),
        }
    }
    for key in ["alerts", "incidents", "events", "lines"] {
        if let Some(items) = map.get(key).and_then(Value::as_array) {
            fields.push(format!("{key}={}", items.len()));
        }
    }
    // Last, as it is the longest: cut, and marked when cut.
    if let Some(Value::String(summary)) = map.get("summary") {
        fields.push(format!("summary=\"{summary}\""));
    }
    fields.join(" ")
}

/// `text`, at most `max` characters; a cut text ends with `…`.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use responder_sfn::{Details, Payload};
    use serde_json::json;

    fn event(id: u64, previous: u64, kind: &'static str, details: Details) -> Event {
        Event {
            id,
            previous_event_id: previous,
            timestamp: DateTime::from_timestamp_millis(1_000 * i64::try_from(id).unwrap()).unwrap(),
            kind: std::borrow::Cow::Borrowed(kind),
            details,
        }
    }

    fn named(name: &str) -> Details {
        Details {
            name: Some(name.to_owned()),
            ..Details::default()
        }
    }

    fn with(name: Option<&str>, input: Option<Value>, output: Option<Value>) -> Details {
        Details {
            name: name.map(str::to_owned),
            input: input.as_ref().map(Payload::from),
            output: output.as_ref().map(Payload::from),
            ..Details::default()
        }
    }

    /// Two deliveries of a Map side by side, then a Choice.
    fn history() -> Vec<Event> {
        vec![
            event(1, 0, "ExecutionStarted", Details::default()),
            event(
                2,
                1,
                "TaskStateEntered",
                with(Some("Deliver"), Some(json!({"channel": "slack"})), None),
            ),
            event(
                3,
                1,
                "TaskStateEntered",
                with(Some("Deliver"), Some(json!({"channel": "jira"})), None),
            ),
            event(
                4,
                3,
                "TaskSucceeded",
                with(None, None, Some(json!({"status": "SENT"}))),
            ),
            event(5, 4, "TaskStateExited", named("Deliver")),
            event(
                6,
                2,
                "TaskSucceeded",
                with(None, None, Some(json!({"status": "FAILED"}))),
            ),
            event(7, 6, "TaskStateExited", named("Deliver")),
            event(8, 7, "ChoiceStateEntered", named("CacheHit")),
            event(9, 8, "ChoiceStateExited", named("CacheHit")),
            event(10, 9, "TaskStateEntered", named("Analyze")),
        ]
    }

    #[test]
    fn each_delivery_shows_its_own_channel_and_answer() {
        let steps = finished(&history(), 0);
        let results: Vec<&str> = steps.iter().map(|s| s.result.as_str()).collect();
        assert_eq!(
            results,
            [
                "channel=jira status=SENT",
                "channel=slack status=FAILED",
                "→ Analyze"
            ]
        );
        assert_eq!(steps.first().unwrap().millis, Some(2_000));
    }

    #[test]
    fn a_choice_shows_the_branch_it_took() {
        let steps = finished(&history(), 7);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps.first().unwrap().state, "CacheHit");
        assert_eq!(steps.first().unwrap().result, "→ Analyze");
    }

    #[test]
    fn a_state_not_left_yet_is_running() {
        let steps = all(&history());
        let last = steps.last().unwrap();
        assert_eq!((last.state.as_str(), last.status), ("Analyze", "RUNNING"));
        assert_eq!(last.millis, None);
    }

    #[test]
    fn a_long_summary_is_cut_with_a_marker() {
        let summary = "x".repeat(300);
        let text = key_fields(None, Some(&json!({"summary": summary})));
        let shown = cut(&text, MAX_RESULT_CHARS);
        assert_eq!(shown.chars().count(), MAX_RESULT_CHARS);
        assert!(shown.ends_with('…'));
        assert_eq!(cut("short", 10), "short");
    }
}
