use std::fmt;

/// A moment in UTC, stored as milliseconds since the Unix epoch (an integer
/// column on both backends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current time from the system clock.
    pub fn now() -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(millis)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// Whole minutes between `earlier` and `self` (0 when `earlier` is later).
    pub fn minutes_since(self, earlier: Timestamp) -> i64 {
        (self.0 - earlier.0).max(0) / 60_000
    }

    /// ISO 8601 (`2026-11-23T10:04:05Z`), for `datetime` attributes.
    pub fn iso(self) -> String {
        let (year, [month, day, hour, minute, second]) = self.fields();
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
    }

    /// Year, then month, day, hour, minute and second, in UTC.
    fn fields(self) -> (i32, [u8; 5]) {
        let t = self.to_datetime();
        let (year, month, day) = t.to_calendar_date();
        (
            year,
            [u8::from(month), day, t.hour(), t.minute(), t.second()],
        )
    }

    fn to_datetime(self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }
}

/// Displays as `2026-11-23 10:04 UTC`. Written field by field: a list page
/// shows a hundred of these, and `time`'s format descriptions (interpreted
/// at run time, into a new string each) were a measurable share of a page.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, [month, day, hour, minute, _]) = self.fields();
        write!(f, "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_displays_in_utc_to_the_minute() {
        let t = Timestamp(1_795_000_000_000);
        assert_eq!(t.to_string(), "2026-11-18 11:06 UTC");
        assert_eq!(t.iso(), "2026-11-18T11:06:40Z");
        assert_eq!(Timestamp(0).to_string(), "1970-01-01 00:00 UTC");
        assert_eq!(Timestamp(951_868_799_000).iso(), "2000-02-29T23:59:59Z");
    }

    #[test]
    fn minutes_since_never_goes_negative() {
        assert_eq!(Timestamp(120_000).minutes_since(Timestamp(0)), 2);
        assert_eq!(Timestamp(0).minutes_since(Timestamp(120_000)), 0);
    }
}
