//! Logging setup. Per-request lines come from tracing-actix-web's spans,
//! built by `web::request_span::RequestSpan` from sanitised fields. Every line passes through
//! `OneLine`, which escapes control characters, so nothing a client sends
//! (a path, a header, text quoted in an error) can start a forged log line.

use std::io::{self, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Installs the global subscriber once, writing to standard output; later
/// calls (tests) are no-ops.
pub fn init(default_filter: &str) {
    init_with_writer(default_filter, io::stdout);
}

/// Installs the global subscriber writing to `make_writer`; false when one
/// was installed already.
pub fn init_with_writer<W>(default_filter: &str, make_writer: W) -> bool
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        // Plain text, so that every control character can be escaped.
        .with_ansi(false)
        .with_writer(OneLine(make_writer))
        .try_init()
        .is_ok()
}

/// Wraps a writer so each log event stays one line.
pub struct OneLine<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for OneLine<M> {
    type Writer = OneLineWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        OneLineWriter(self.0.make_writer())
    }
}

pub struct OneLineWriter<W>(W);

impl<W: Write> Write for OneLineWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    /// The formatter hands over each event whole, ending in one newline.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(escape_controls(buf).as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Escapes every control character (and the Unicode line and paragraph
/// separators) except a final newline.
pub fn escape_controls(buf: &[u8]) -> String {
    let text = String::from_utf8_lossy(buf);
    let (body, end) = match text.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (text.as_ref(), ""),
    };
    let mut out = String::with_capacity(body.len() + 1);
    for c in body.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&c.escape_unicode().to_string());
            }
            c => out.push(c),
        }
    }
    out.push_str(end);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_event_stays_on_one_line() {
        assert_eq!(escape_controls(b"plain line\n"), "plain line\n");
        assert_eq!(
            escape_controls(b"user=alice\r\nFAKE admin login\n"),
            "user=alice\\r\\nFAKE admin login\n"
        );
        assert_eq!(
            escape_controls("a\u{1b}[31m\u{85}\u{2028}b\n".as_bytes()),
            "a\\u{1b}[31m\\u{85}\\u{2028}b\n"
        );
    }
}
