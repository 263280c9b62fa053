//! The metric an alarm evaluated, drawn as inline SVG on the incident page:
//! its datapoints against the threshold, the ones that breach it marked. No
//! script and nothing fetched: the drawing is part of the page. It is a
//! maud template: every text in it (the metric's name, its dimensions) is
//! cleaned and escaped.

use maud::{Markup, html};
use serde_json::Value;

use crate::clean;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 96.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// Whether `value` breaches `threshold` under CloudWatch's `comparison`
/// (`GreaterThanThreshold` when the alarm did not say).
fn breaches(value: f64, threshold: f64, comparison: &str) -> bool {
    match comparison {
        "GreaterThanOrEqualToThreshold" => value >= threshold,
        "LessThanThreshold" => value < threshold,
        "LessThanOrEqualToThreshold" => value <= threshold,
        _ => value > threshold,
    }
}

/// A number as people read it: `27`, `3.1`, `0.125`.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The axis' top: `v` rounded up to 1, 2, 2.5 or 5 times a power of ten.
fn round_up(v: f64) -> f64 {
    if v <= 0.0 {
        return v;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|f| f * magnitude)
        .find(|top| *top >= v)
        .unwrap_or(v)
}

/// What the chart shows, in words: `Errors (Sum, 60 s) against threshold
/// 5`. Its `<title>`, and the caption beside it.
pub fn caption(metric: &Value) -> String {
    let name = metric["name"]
        .as_str()
        .or_else(|| metric["expression"].as_str())
        .unwrap_or("metric");
    let period = metric["period"].as_u64().unwrap_or(60).max(1);
    let statistic = match metric["statistic"].as_str() {
        Some(statistic) => format!(" ({statistic}, {period} s)"),
        None => String::new(),
    };
    let threshold = metric["threshold"]
        .as_f64()
        .filter(|t| t.is_finite())
        .map_or_else(
            || "no fixed threshold".to_owned(),
            |t| format!("threshold {}", number(t)),
        );
    format!("{name}{statistic} against {threshold}")
}

/// How long before the last datapoint the `i`-th of `n` was, one `period`
/// apart: `-2 min`, `-30 s`, `last`.
fn age(i: usize, n: usize, period: u64) -> String {
    let steps = u64::try_from(n - 1 - i).unwrap_or_default();
    match steps * period {
        0 => "last".to_owned(),
        s if period >= 60 && s % 60 == 0 => format!("-{} min", s / 60),
        s => format!("-{s} s"),
    }
}

/// The plot's area, inside the margins.
const PLOT_W: f64 = WIDTH - LEFT - RIGHT;
const PLOT_H: f64 = HEIGHT - TOP - BOTTOM;

/// Where values and datapoints go on the plot.
struct Scale {
    low: f64,
    high: f64,
    /// How many datapoints, spread across the plot's width.
    n: usize,
}

impl Scale {
    /// The value range of `values`, with the threshold and zero in view and
    /// some room above.
    fn new(values: &[f64], threshold: Option<f64>) -> Self {
        let mut low = values
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .min(0.0);
        let mut high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if let Some(t) = threshold {
            low = low.min(t);
            high = high.max(t);
        }
        if high <= low {
            high = low + 1.0;
        }
        high = round_up(high + (high - low) * 0.1);
        Self {
            low,
            high,
            n: values.len(),
        }
    }

    fn x(&self, i: usize) -> f64 {
        if self.n == 1 {
            LEFT + PLOT_W / 2.0
        } else {
            LEFT + PLOT_W * i as f64 / (self.n - 1) as f64
        }
    }

    fn y(&self, v: f64) -> f64 {
        TOP + PLOT_H * (1.0 - (v - self.low) / (self.high - self.low))
    }
}

/// A coordinate to one decimal.
fn at(v: f64) -> String {
    format!("{v:.1}")
}

/// The chart of `metric` (the normalized alert's `metric`), or nothing when
/// it carries no datapoints. SVG elements are closed (`<line ...></line>`)
/// as maud writes them: inline SVG in HTML needs them closed either way.
pub fn metric_chart(metric: &Value) -> Option<Markup> {
    let values: Vec<f64> = metric["recent_datapoints"]
        .as_array()?
        .iter()
        .filter_map(Value::as_f64)
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return None;
    }
    let threshold = metric["threshold"].as_f64().filter(|t| t.is_finite());
    let comparison = metric["comparison"].as_str().unwrap_or_default();
    let period = metric["period"].as_u64().unwrap_or(60).max(1);
    let scale = Scale::new(&values, threshold);
    // The metric's name and dimensions come from the alarm.
    let caption = clean(&caption(metric));
    Some(html! {
        svg class="metric-chart" xmlns="http://www.w3.org/2000/svg"
            viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } width=(WIDTH) height=(HEIGHT)
            role="img" aria-label=(caption) {
            title { (caption) }
            (axes(&scale))
            @if let Some(t) = threshold { (threshold_line(&scale, t, comparison)) }
            @if values.len() > 1 { polyline class="series" points=(points(&scale, &values)) {} }
            @for (i, v) in values.iter().enumerate() {
                @let breach = threshold.is_some_and(|t| breaches(*v, t, comparison));
                (datapoint(&scale, i, *v, breach, period))
            }
        }
    })
}

/// The axes, with the range's ends labelled.
fn axes(scale: &Scale) -> Markup {
    let (bottom, right, tx) = (TOP + PLOT_H, LEFT + PLOT_W, LEFT - 6.0);
    html! {
        line class="axis" x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(bottom) {}
        line class="axis" x1=(LEFT) y1=(bottom) x2=(right) y2=(bottom) {}
        text class="tick" x=(tx) y=(TOP + 4.0) { (number(scale.high)) }
        text class="tick" x=(tx) y=(bottom + 4.0) { (number(scale.low)) }
    }
}

/// The threshold's line, with the breaching side of it shaded.
fn threshold_line(scale: &Scale, threshold: f64, comparison: &str) -> Markup {
    let ty = scale.y(threshold);
    let (zone_y, zone_h) = if comparison.starts_with("LessThan") {
        (ty, TOP + PLOT_H - ty)
    } else {
        (TOP, ty - TOP)
    };
    html! {
        rect class="breach-zone" x=(LEFT) y=(at(zone_y)) width=(PLOT_W) height=(at(zone_h)) {}
        line class="threshold" x1=(LEFT) y1=(at(ty)) x2=(LEFT + PLOT_W) y2=(at(ty)) {}
        text class="threshold-label" x=(LEFT + PLOT_W + 6.0) y=(at(ty + 4.0)) {
            "threshold " (number(threshold))
        }
    }
}

/// The series' line through every datapoint.
fn points(scale: &Scale, values: &[f64]) -> String {
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{},{}", at(scale.x(i)), at(scale.y(*v))))
        .collect();
    points.join(" ")
}

/// The `i`-th datapoint: a dot (bigger when it breaches), its value and
/// its age.
fn datapoint(scale: &Scale, i: usize, value: f64, breach: bool, period: u64) -> Markup {
    let (x, y) = (scale.x(i), scale.y(value));
    html! {
        circle class=(if breach { "datapoint breach" } else { "datapoint" })
            cx=(at(x)) cy=(at(y)) r=(if breach { 6 } else { 4 }) {
            title { (number(value)) @if breach { " (breaches the threshold)" } }
        }
        text class="value" x=(at(x)) y=(at(y - 10.0)) { (number(value)) }
        text class="tick age" x=(at(x)) y=(at(TOP + PLOT_H + 18.0)) { (age(i, scale.n, period)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datapoints_above_the_threshold_are_marked() {
        let metric = json!({"name": "5XXError", "statistic": "Average", "period": 60,
            "threshold": 2.0, "recent_datapoints": [1.2, 3.1, 6.4]});
        let svg = metric_chart(&metric).unwrap().into_string();
        assert!(svg.starts_with("<svg class=\"metric-chart\""));
        assert_eq!(svg.matches("class=\"datapoint breach\"").count(), 2);
        assert_eq!(svg.matches("class=\"datapoint\"").count(), 1);
        assert!(svg.contains("class=\"threshold\""));
        assert!(svg.contains("threshold 2<"));
        assert!(svg.contains(">-2 min<") && svg.contains(">last<"));
        assert!(!svg.contains("<script"));
        assert_eq!(
            caption(&metric),
            "5XXError (Average, 60 s) against threshold 2"
        );
        assert_eq!(round_up(31.05), 50.0);
        assert_eq!(round_up(7.2), 10.0);
        assert_eq!(round_up(0.18), 0.2);
    }

    #[test]
    fn a_less_than_alarm_breaches_below() {
        let metric = json!({"threshold": 10.0, "comparison": "LessThanThreshold",
            "recent_datapoints": [12.0, 4.0]});
        let svg = metric_chart(&metric).unwrap().into_string();
        assert_eq!(svg.matches("class=\"datapoint breach\"").count(), 1);
        assert!(svg.contains("4 (breaches the threshold)"));
    }

    #[test]
    fn the_metric_name_is_escaped() {
        let metric = json!({"name": "<script>alert(1)</script>", "recent_datapoints": [1.0]});
        let svg = metric_chart(&metric).unwrap().into_string();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn no_datapoints_no_chart() {
        assert_eq!(
            metric_chart(&json!({"threshold": 1.0})).map(Markup::into_string),
            None
        );
        assert_eq!(
            metric_chart(&json!({"recent_datapoints": []})).map(Markup::into_string),
            None
        );
    }
}
