//! The time windows of an incident, from the alarm's own clock (its state
//! timestamp, period and evaluated datapoints), never the wall clock: the
//! incident window before and just after the state change, and a baseline
//! of the same length right before it, to tell what is new.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::Alert;

/// A half-open span of time, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        at >= self.start && at < self.end
    }

    pub fn minutes(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / 60.0
    }
}

/// `[workflow] context_minutes_before`, `context_minutes_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WindowSettings {
    /// At least this long before the state change (the alarm's own
    /// evaluation, three times over, if longer; at most a day).
    pub minutes_before: i64,
    pub minutes_after: i64,
}

impl Default for WindowSettings {
    fn default() -> Self {
        Self {
            minutes_before: 60,
            minutes_after: 10,
        }
    }
}

/// The incident's windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windows {
    /// When the alarm changed state.
    pub at: DateTime<Utc>,
    /// Around the state change: what happened.
    pub incident: Span,
    /// As long, right before: what is usual.
    pub baseline: Span,
}

impl Windows {
    /// The windows of `alert` with `settings`.
    pub fn of(alert: &Alert, settings: WindowSettings) -> Self {
        let at = alert.occurred_at.as_datetime();
        let evaluated = alert.metric.as_ref().map_or(0, |m| {
            i64::from(m.period.unwrap_or(60)) * (m.recent_datapoints.len().max(1) as i64)
        });
        let before = Duration::minutes(settings.minutes_before)
            .max(Duration::seconds(3 * evaluated))
            .min(Duration::hours(24));
        Self::around(at, before, Duration::minutes(settings.minutes_after))
    }

    /// Windows of `before` and `after` around `at`.
    pub fn around(at: DateTime<Utc>, before: Duration, after: Duration) -> Self {
        let incident = Span {
            start: at - before,
            end: at + after,
        };
        let length = incident.end - incident.start;
        Self {
            at,
            incident,
            baseline: Span {
                start: incident.start - length,
                end: incident.start,
            },
        }
    }

    /// Both windows together: what is read.
    pub fn read_span(&self) -> Span {
        Span {
            start: self.baseline.start,
            end: self.incident.end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_alerts::demo_alarm as alarm;

    fn minutes(span: Span) -> (i64, i64) {
        let at = alarm().occurred_at.as_datetime();
        (
            (at - span.start).num_minutes(),
            (span.end - at).num_minutes(),
        )
    }

    #[test]
    fn by_default_an_hour_before_ten_minutes_after_and_a_baseline_as_long_before_it() {
        let windows = Windows::of(&alarm(), WindowSettings::default());
        assert_eq!(windows.at, alarm().occurred_at.as_datetime());
        assert_eq!(minutes(windows.incident), (60, 10));
        assert_eq!(minutes(windows.baseline), (130, -60));
        assert_eq!(windows.read_span().start, windows.baseline.start);
        assert_eq!(windows.read_span().end, windows.incident.end);
        assert!(windows.incident.contains(windows.at));
        assert!(
            !windows.incident.contains(windows.incident.end),
            "half-open"
        );
    }

    #[test]
    fn an_alarm_evaluating_over_longer_looks_back_three_evaluations_at_most_a_day() {
        let mut hourly = alarm();
        let metric = hourly.metric.as_mut().unwrap();
        metric.period = Some(3600);
        metric.recent_datapoints = vec![1.0, 2.0, 3.0];
        let windows = Windows::of(&hourly, WindowSettings::default());
        assert_eq!(minutes(windows.incident), (9 * 60, 10));

        let mut daily = alarm();
        daily.metric.as_mut().unwrap().period = Some(86_400);
        let windows = Windows::of(&daily, WindowSettings::default());
        assert_eq!(minutes(windows.incident), (24 * 60, 10), "capped at a day");

        let settings = WindowSettings {
            minutes_before: 90,
            minutes_after: 5,
        };
        assert_eq!(minutes(Windows::of(&alarm(), settings).incident), (90, 5));
    }
}
