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
        let format =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        self.to_datetime().format(&format).unwrap_or_default()
    }

    fn to_datetime(self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }
}

/// Displays as `2026-11-23 10:04 UTC`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
        let text = self.to_datetime().format(&format).map_err(|_| fmt::Error)?;
        f.write_str(&text)
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
    }

    #[test]
    fn minutes_since_never_goes_negative() {
        assert_eq!(Timestamp(120_000).minutes_since(Timestamp(0)), 2);
        assert_eq!(Timestamp(0).minutes_since(Timestamp(120_000)), 0);
    }
}
