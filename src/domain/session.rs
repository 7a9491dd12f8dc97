//! Session lifetime rules and the readable name of a browser.

use super::Timestamp;

/// When a signed-in session ends: after `idle_ms` without a request, or
/// `lifetime_ms` after sign-in, whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle_ms: i64,
    pub lifetime_ms: i64,
}

impl SessionLimits {
    /// Limits from minutes; anything below one minute counts as one.
    pub fn from_minutes(idle: i64, lifetime: i64) -> SessionLimits {
        SessionLimits {
            idle_ms: idle.max(1) * 60_000,
            lifetime_ms: lifetime.max(1) * 60_000,
        }
    }

    /// The moment a session created at `created` and last used at `last_seen` ends.
    pub fn expires_at(self, created: Timestamp, last_seen: Timestamp) -> Timestamp {
        Timestamp((created.0 + self.lifetime_ms).min(last_seen.0 + self.idle_ms))
    }

    /// Sessions created at or before this moment have outlived their lifetime.
    pub fn created_cutoff(self, now: Timestamp) -> Timestamp {
        Timestamp(now.0 - self.lifetime_ms)
    }

    /// Sessions last used at or before this moment have been idle too long.
    pub fn idle_cutoff(self, now: Timestamp) -> Timestamp {
        Timestamp(now.0 - self.idle_ms)
    }

    pub fn is_live(self, created: Timestamp, last_seen: Timestamp, now: Timestamp) -> bool {
        created > self.created_cutoff(now) && last_seen > self.idle_cutoff(now)
    }
}

/// A short, readable description of a browser from its User-Agent header,
/// such as "Firefox on Linux". Deliberately simple: it names the common
/// browsers and systems and says "Unknown browser" for the rest.
pub fn describe_user_agent(user_agent: &str) -> String {
    let ua = user_agent;
    // Order matters: Edge and Opera also claim Chrome, Chrome also claims Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("reqwest", "reqwest"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("Unknown browser on {s}"),
        (None, None) => "Unknown browser".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_when_idle_or_when_old_whichever_is_first() {
        let limits = SessionLimits::from_minutes(30, 720);
        let start = Timestamp(1_000_000_000);
        let minutes = |m: i64| Timestamp(start.0 + m * 60_000);
        assert!(limits.is_live(start, start, minutes(29)));
        assert!(!limits.is_live(start, start, minutes(30)));
        // Busy all day: still ends after twelve hours.
        assert!(limits.is_live(start, minutes(700), minutes(719)));
        assert!(!limits.is_live(start, minutes(719), minutes(720)));
        assert_eq!(limits.expires_at(start, start), minutes(30));
        assert_eq!(limits.expires_at(start, minutes(700)), minutes(720));
    }

    #[test]
    fn limits_below_a_minute_count_as_one_minute() {
        assert_eq!(SessionLimits::from_minutes(0, -5).idle_ms, 60_000);
        assert_eq!(SessionLimits::from_minutes(0, -5).lifetime_ms, 60_000);
    }

    #[test]
    fn common_browsers_are_named_with_their_system() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            ("curl/8.5.0", "curl"),
            ("", "Unknown browser"),
        ];
        for (ua, expected) in cases {
            assert_eq!(describe_user_agent(ua), expected, "{ua}");
        }
    }
}
