//! Calendar arithmetic on milliseconds since the epoch (UTC), as
//! JavaScript's `Date` does it, and the components of a date/time picture.

use crate::value::Value;

pub(super) const DAY_MILLIS: f64 = 86_400_000.0;

/// Days from 1970-01-01 to the first of `month` (0-based, may overflow) of `year`.
pub(super) fn days_from_civil(year: i64, month: i64) -> i64 {
    let y = year + month.div_euclid(12);
    let m = month.rem_euclid(12) + 1;
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// JavaScript's `Date.UTC`: out-of-range fields carry over.
pub(super) fn date_utc(
    year: f64,
    month: f64,
    day: f64,
    hour: f64,
    minute: f64,
    second: f64,
    millis: f64,
) -> f64 {
    days_from_civil(year as i64, month as i64) as f64 * DAY_MILLIS
        + (day - 1.0) * DAY_MILLIS
        + ((hour * 60.0 + minute) * 60.0 + second) * 1000.0
        + millis
}

/// The calendar fields of `millis`: year, month (0-based), day, weekday
/// (0 = Sunday), hours, minutes, seconds, milliseconds.
pub(super) struct Fields {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub weekday: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub millis: i64,
}

pub(super) fn fields(millis: f64) -> Fields {
    let total = millis.floor() as i64;
    let days = total.div_euclid(86_400_000);
    let rest = total.rem_euclid(86_400_000);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 2 } else { mp - 10 };
    let year = yoe + era * 400 + i64::from(month <= 1);
    Fields {
        year,
        month,
        day,
        weekday: (days + 4).rem_euclid(7),
        hour: rest / 3_600_000,
        minute: rest / 60_000 % 60,
        second: rest / 1000 % 60,
        millis: rest % 1000,
    }
}

/// The start of week 1 of the year (or month) `(year, month)`: the week
/// with its first Thursday.
pub(super) fn start_of_first_week(year: i64, month: i64) -> f64 {
    let first = date_utc(year as f64, month as f64, 1.0, 0.0, 0.0, 0.0, 0.0);
    let mut weekday = fields(first).weekday;
    if weekday == 0 {
        weekday = 7;
    }
    if weekday > 4 {
        first + (8 - weekday) as f64 * DAY_MILLIS
    } else {
        first - (weekday - 1) as f64 * DAY_MILLIS
    }
}

fn delta_weeks(start: f64, end: f64) -> f64 {
    (end - start) / (DAY_MILLIS * 7.0) + 1.0
}

fn next(year: i64, month: i64, by_year: bool, forward: bool) -> (i64, i64) {
    let step = if forward { 1 } else { -1 };
    if by_year {
        return (year + step, month);
    }
    let m = month + step;
    (year + m.div_euclid(12), m.rem_euclid(12))
}

pub(super) fn component(millis: f64, c: char) -> Option<Value> {
    let f = fields(millis);
    let n = |x: i64| Some(Value::Number(x as f64));
    match c {
        'Y' => n(f.year),
        'M' => n(f.month + 1),
        'D' => n(f.day),
        'd' => {
            let today = date_utc(
                f.year as f64,
                f.month as f64,
                f.day as f64,
                0.0,
                0.0,
                0.0,
                0.0,
            );
            let first = date_utc(f.year as f64, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0);
            n(((today - first) / DAY_MILLIS) as i64 + 1)
        }
        'F' => n(if f.weekday == 0 { 7 } else { f.weekday }),
        'W' | 'w' => {
            let by_year = c == 'W';
            let month = if by_year { 0 } else { f.month };
            let start = start_of_first_week(f.year, month);
            let today = date_utc(
                f.year as f64,
                f.month as f64,
                f.day as f64,
                0.0,
                0.0,
                0.0,
                0.0,
            );
            let mut week = delta_weeks(start, today);
            let limit = if by_year { 52.0 } else { 4.0 };
            if week > limit {
                let (y, m) = next(f.year, month, by_year, true);
                if today >= start_of_first_week(y, m) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                let (y, m) = next(f.year, month, by_year, false);
                week = delta_weeks(start_of_first_week(y, m), today);
            }
            n(week.floor() as i64)
        }
        'X' => {
            let start = start_of_first_week(f.year, 0);
            let end = start_of_first_week(f.year + 1, 0);
            n(if millis < start {
                f.year - 1
            } else if millis >= end {
                f.year + 1
            } else {
                f.year
            })
        }
        'x' => {
            let start = start_of_first_week(f.year, f.month);
            let (ny, nm) = next(f.year, f.month, false, true);
            let end = start_of_first_week(ny, nm);
            n(if millis < start {
                next(f.year, f.month, false, false).1 + 1
            } else if millis >= end {
                nm + 1
            } else {
                f.month + 1
            })
        }
        'H' => n(f.hour),
        'h' => n(match f.hour % 12 {
            0 => 12,
            h => h,
        }),
        'P' => Some(Value::string(if f.hour >= 12 { "pm" } else { "am" })),
        'm' => n(f.minute),
        's' => n(f.second),
        'f' => n(f.millis),
        'C' | 'E' => Some(Value::string("ISO")),
        _ => None,
    }
}
