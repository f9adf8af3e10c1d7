//! Times as people on the platform write them. Chengdu keeps China
//! Standard Time (UTC+8), so a bare date means midnight there.

use chrono::{DateTime, FixedOffset, NaiveDate};

/// China Standard Time.
pub fn china_standard_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Milliseconds since the Unix epoch for an RFC 3339 time, or for a
/// `YYYY-MM-DD` date at midnight China Standard Time.
pub fn parse_instant(value: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.timestamp_millis());
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(china_standard_time())
        .single()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_dates() {
        assert_eq!(parse_instant("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_instant("1970-01-01T08:00:01+08:00"), Some(1000));
        // Midnight in Chengdu is 16:00 UTC the day before.
        assert_eq!(parse_instant("1970-01-02"), Some(16 * 3600 * 1000));
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("2026-02-30"), None);
    }
}
