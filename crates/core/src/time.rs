//! Timestamps as RFC 3339 UTC with milliseconds, whatever the source wrote.

use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time, always UTC, printed as `2019-10-02T17:04:40.989Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses the timestamp forms alert sources write: RFC 3339 (`Z` or
    /// `+00:00`) and CloudWatch's offset without a colon (`+0000`).
    pub fn parse(text: &str) -> Option<Self> {
        // CloudWatch writes `2019-10-02T17:04:40.989+0000`: put the colon in
        // (checked first: it is the most common form we receive).
        let bytes = text.as_bytes();
        let n = bytes.len();
        let offset_without_colon = n > 5
            && matches!(bytes.get(n - 5), Some(b'+' | b'-'))
            && bytes
                .get(n - 4..)
                .is_some_and(|zone| zone.iter().all(u8::is_ascii_digit));
        if offset_without_colon
            && let (Some(head), Some(zone)) = (text.get(..n - 2), text.get(n - 2..))
        {
            let mut fixed = String::with_capacity(n + 1);
            fixed.push_str(head);
            fixed.push(':');
            fixed.push_str(zone);
            return DateTime::parse_from_rfc3339(&fixed)
                .ok()
                .map(|p| Self(p.with_timezone(&Utc)));
        }
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|p| Self(p.with_timezone(&Utc)))
    }

    /// A timestamp from milliseconds since the Unix epoch.
    pub fn from_epoch_millis(millis: i64) -> Option<Self> {
        Utc.timestamp_millis_opt(millis).single().map(Self)
    }

    /// The current time.
    pub fn now() -> Self {
        Self(Utc::now())
    }

    /// Milliseconds since the Unix epoch.
    pub fn epoch_millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// The underlying chrono value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Whether this is Go's zero time (`0001-01-01T00:00:00Z`), which
    /// Alertmanager and Grafana send for "not ended yet".
    pub fn is_zero_time(&self) -> bool {
        self.0.timestamp() <= -62_135_596_800
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!("`{text}` is not an RFC 3339 timestamp"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudwatch_offset_without_colon_is_accepted() {
        let ts = Timestamp::parse("2019-10-02T17:04:40.989+0000").unwrap();
        assert_eq!(ts.to_string(), "2019-10-02T17:04:40.989Z");
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        let ts = Timestamp::parse("2024-03-01T12:00:00+02:00").unwrap();
        assert_eq!(ts.to_string(), "2024-03-01T10:00:00.000Z");
    }

    #[test]
    fn nanosecond_precision_is_cut_to_milliseconds_in_output() {
        let ts = Timestamp::parse("2024-03-01T12:00:00.123456789Z").unwrap();
        assert_eq!(ts.to_string(), "2024-03-01T12:00:00.123Z");
    }

    #[test]
    fn text_that_is_not_a_timestamp_is_refused() {
        assert!(Timestamp::parse("yesterday").is_none());
        assert!(Timestamp::parse("2019-10-02T17:04:40.989+00").is_none());
    }

    #[test]
    fn multi_byte_characters_where_an_offset_would_be_are_refused() {
        // Found by the fuzzer: a split inside U+FEFF panicked.
        assert!(Timestamp::parse("2022-07-22T15:57:45+0\u{feff}").is_none());
        assert!(Timestamp::parse("+\u{feff}00").is_none());
    }

    #[test]
    fn go_zero_time_is_recognised() {
        assert!(
            Timestamp::parse("0001-01-01T00:00:00Z")
                .unwrap()
                .is_zero_time()
        );
    }
}
