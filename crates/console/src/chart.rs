//! The metric an alarm evaluated, drawn as inline SVG on the incident page:
//! its datapoints against the threshold, the ones that breach it marked. No
//! script and nothing fetched: the drawing is part of the page. Every text
//! in it (the metric's name, its dimensions) is escaped.

use std::fmt::Write as _;

use responder_workflow::render::html_escape as esc;
use serde_json::Value;

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

/// The chart of `metric` (the normalized alert's `metric`), or nothing when
/// it carries no datapoints.
pub fn metric_chart(metric: &Value) -> Option<String> {
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

    // The value range, with the threshold and zero in view and some room.
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
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h * (1.0 - (v - low) / (high - low));
    let n = values.len();
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };

    let caption = caption(metric);
    let mut svg = format!(
        "<svg class=\"metric-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(&caption),
        esc(&caption)
    );
    // Axes, with the range's ends labelled.
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{bottom}\"/><line class=\"axis\" x1=\"{LEFT}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\"/>\
<text class=\"tick\" x=\"{tx}\" y=\"{ty_high}\">{high_text}</text><text class=\"tick\" x=\"{tx}\" y=\"{ty_low}\">{low_text}</text>",
        bottom = TOP + plot_h,
        right = LEFT + plot_w,
        tx = LEFT - 6.0,
        ty_high = TOP + 4.0,
        ty_low = TOP + plot_h + 4.0,
        high_text = number(high),
        low_text = number(low),
    );
    if let Some(t) = threshold {
        let ty = y(t);
        // The breaching side of the threshold, shaded.
        let (zone_y, zone_h) = if comparison.starts_with("LessThan") {
            (ty, TOP + plot_h - ty)
        } else {
            (TOP, ty - TOP)
        };
        let _ = write!(
            svg,
            "<rect class=\"breach-zone\" x=\"{LEFT}\" y=\"{zone_y:.1}\" width=\"{plot_w}\" height=\"{zone_h:.1}\"/>\
<line class=\"threshold\" x1=\"{LEFT}\" y1=\"{ty:.1}\" x2=\"{right}\" y2=\"{ty:.1}\"/>\
<text class=\"threshold-label\" x=\"{label_x}\" y=\"{label_y:.1}\">threshold {}</text>",
            number(t),
            right = LEFT + plot_w,
            label_x = LEFT + plot_w + 6.0,
            label_y = ty + 4.0,
        );
    }
    if n > 1 {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"series\" points=\"{}\"/>",
            points.join(" ")
        );
    }
    for (i, v) in values.iter().enumerate() {
        let breach = threshold.is_some_and(|t| breaches(*v, t, comparison));
        let _ = write!(
            svg,
            "<circle class=\"datapoint{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\"><title>{}{}</title></circle>\
<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text><text class=\"tick age\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            if breach { " breach" } else { "" },
            x(i),
            y(*v),
            if breach { 6 } else { 4 },
            number(*v),
            if breach {
                " (breaches the threshold)"
            } else {
                ""
            },
            x(i),
            y(*v) - 10.0,
            number(*v),
            x(i),
            TOP + plot_h + 18.0,
            age(i, n, period),
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datapoints_above_the_threshold_are_marked() {
        let metric = json!({"name": "5XXError", "statistic": "Average", "period": 60,
            "threshold": 2.0, "recent_datapoints": [1.2, 3.1, 6.4]});
        let svg = metric_chart(&metric).unwrap();
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
        let svg = metric_chart(&metric).unwrap();
        assert_eq!(svg.matches("class=\"datapoint breach\"").count(), 1);
        assert!(svg.contains("4 (breaches the threshold)"));
    }

    #[test]
    fn the_metric_name_is_escaped() {
        let metric = json!({"name": "<script>alert(1)</script>", "recent_datapoints": [1.0]});
        let svg = metric_chart(&metric).unwrap();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn no_datapoints_no_chart() {
        assert_eq!(metric_chart(&json!({"threshold": 1.0})), None);
        assert_eq!(metric_chart(&json!({"recent_datapoints": []})), None);
    }
}
