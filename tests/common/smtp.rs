//! A real SMTP server for the mail tests: PyPI's aiosmtpd (pinned, in the
//! venv target/mail-tools, which `.ci/run` installs) on a free loopback
//! port, delivering into a Maildir that the test reads back through
//! mail-parser. It can be stopped and started again on the same port and
//! Maildir, to stand for an SMTP server that was down for a while.

use std::collections::BTreeSet;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// The pinned version; `.ci/run` installs the same.
const AIOSMTPD: &str = "aiosmtpd==1.4.6";

/// How long `wait_for` waits: the worker sends at once when woken, and
/// otherwise looks at the outbox every 5 s.
pub const MAIL_WAIT: Duration = Duration::from_secs(10);

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's Python, once it is known to import aiosmtpd.
fn python() -> PathBuf {
    let python = repository().join("target/mail-tools/bin/python");
    let imports = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        imports,
        "aiosmtpd is not installed in target/mail-tools: run .ci/run, or \
         `python3 -m venv target/mail-tools && target/mail-tools/bin/pip install {AIOSMTPD}`"
    );
    python
}

/// A free loopback port (bound, read, released: aiosmtpd binds it next),
/// never the same twice in one run: the system may hand a released port out
/// again, and two sinks on one port would share their Maildir.
fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        if GIVEN.lock().expect("the ports given").insert(port) {
            return port;
        }
    }
}

/// Whether an SMTP server answers on `port`: its greeting, not a mere
/// connection, since something else may have taken the port first.
fn greets(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut greeting = [0u8; 4];
    stream.read_exact(&mut greeting).is_ok() && greeting.starts_with(b"220")
}

/// aiosmtpd on `port`, keeping every message it accepts in `dir/maildir`.
pub struct SmtpSink {
    port: u16,
    dir: PathBuf,
    python: PathBuf,
    /// `None` while stopped.
    child: Option<Child>,
}

impl SmtpSink {
    /// Starts aiosmtpd on a free port and returns once it greets.
    pub async fn start() -> SmtpSink {
        let python = python();
        let port = free_port();
        let dir = std::env::temp_dir()
            .join("gatehouse-tests")
            .join(format!("smtp-{port}"));
        // A folder left by an earlier run on the same port would hand this
        // test its mail.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the SMTP server's folder");
        let mut sink = SmtpSink {
            port,
            dir,
            python,
            child: None,
        };
        sink.restart().await;
        sink
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address to give Gatehouse (`smtp_url`): plain SMTP, no TLS.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Kills the server and waits until it is gone: nothing listens on its
    /// port until `restart`. The mail it received stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port and Maildir, and returns
    /// once it greets.
    pub async fn restart(&mut self) {
        self.stop();
        let log = std::fs::File::create(self.log_path()).expect("the SMTP server's log");
        let child = Command::new(&self.python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.maildir())
            .stdout(log.try_clone().expect("the log, twice"))
            .stderr(log)
            .spawn()
            .expect("aiosmtpd starts");
        self.child = Some(child);
        self.wait_until_listening().await;
    }

    async fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !greets(self.port) {
            let child = self.child.as_mut().expect("started");
            let exited = child.try_wait().ok().flatten();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "aiosmtpd did not listen on {} ({exited:?}): {}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn maildir(&self) -> PathBuf {
        self.dir.join("maildir")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("aiosmtpd.log")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Every message received so far, in the order they arrived.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        // The Mailbox handler writes each message to tmp/ and then moves it
        // into new/, so a file in new/ is always whole.
        let Ok(entries) = std::fs::read_dir(self.maildir().join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|e| {
                let modified = e.metadata().and_then(|m| m.modified());
                (modified.unwrap_or(std::time::UNIX_EPOCH), e.path())
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| {
                let raw = std::fs::read(&path).expect("a received message");
                ReceivedMail::parse(&raw)
                    .unwrap_or_else(|| panic!("{} is not a mail message", path.display()))
            })
            .collect()
    }

    /// The messages received for `address` (their `To`).
    pub fn to(&self, address: &str) -> Vec<ReceivedMail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.eq_ignore_ascii_case(address))
            .collect()
    }

    /// Waits up to `MAIL_WAIT` until at least `count` messages arrived, and
    /// returns all of them.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        self.wait_for_within(count, MAIL_WAIT).await
    }

    /// `wait_for` with a timeout of its own; panics with what did arrive.
    pub async fn wait_for_within(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            if Instant::now() >= deadline {
                let arrived: Vec<String> = messages
                    .iter()
                    .map(|m| format!("{} to {}", m.subject, m.to))
                    .collect();
                panic!(
                    "expected {count} messages within {timeout:?}, got {}: {arrived:?}",
                    messages.len()
                );
            }
            // Async: the mail worker runs on the test's own runtime.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One message as aiosmtpd received it. The bodies are the message's own
/// text/plain and text/html parts (`None` when it lacks one), never one
/// converted from the other.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The first `To` address.
    pub to: String,
    /// The `From` address.
    pub from: String,
    pub subject: String,
    /// The `Message-ID` with its angle brackets, as Gatehouse stores it.
    pub message_id: Option<String>,
    /// The top-level type, such as "multipart/alternative".
    pub content_type: String,
    pub text: Option<String>,
    pub html: Option<String>,
}

impl ReceivedMail {
    fn parse(raw: &[u8]) -> Option<ReceivedMail> {
        let message = MessageParser::default().parse(raw)?;
        let first = |address: Option<&mail_parser::Address<'_>>| {
            address
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned()
        };
        let content_type = message
            .root_part()
            .content_type()
            .map(|t| format!("{}/{}", t.ctype(), t.subtype().unwrap_or_default()))
            .unwrap_or_default();
        let part = |html: bool| {
            message.parts.iter().find_map(|p| match (&p.body, html) {
                (PartType::Text(body), false) | (PartType::Html(body), true) => {
                    Some(body.to_string())
                }
                _ => None,
            })
        };
        Some(ReceivedMail {
            to: first(message.to()),
            from: first(message.from()),
            subject: message.subject().unwrap_or_default().to_owned(),
            message_id: message.message_id().map(|id| format!("<{id}>")),
            content_type,
            text: part(false),
            html: part(true),
        })
    }

    /// The path and query of the first address in the text body whose path
    /// and query start with `prefix` ("/password/reset?token="): what a
    /// test requests from its app, whose port the mail cannot know.
    pub fn link(&self, prefix: &str) -> Option<String> {
        self.text
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
            .filter_map(|word| url::Url::parse(word).ok())
            .map(|url| match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_owned(),
            })
            .find(|path| path.starts_with(prefix))
    }

    /// The whole first address in the text body whose path and query start
    /// with `prefix`, as mailed: for a test whose app's public URL is its
    /// real address, so that a browser opens the link as a person would.
    pub fn address(&self, prefix: &str) -> Option<String> {
        self.text
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|word| url::Url::parse(word).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .find(|url| {
                let path = match url.query() {
                    Some(query) => format!("{}?{query}", url.path()),
                    None => url.path().to_owned(),
                };
                path.starts_with(prefix)
            })
            .map(String::from)
    }
}

#[cfg(test)]
mod tests {
    use super::ReceivedMail;
    use lettre::message::{Message, MultiPart};

    /// A message built as the worker builds its own.
    fn message(text: &str) -> Vec<u8> {
        Message::builder()
            .message_id(Some("<abc@gatehouse.test>".into()))
            .from("Gatehouse <gatehouse@gatehouse.test>".parse().unwrap())
            .to("Alice Tester <alice@example.com>".parse().unwrap())
            .subject("Reset your Gatehouse password")
            .multipart(MultiPart::alternative_plain_html(
                text.to_owned(),
                "<p>Hello</p>".to_owned(),
            ))
            .unwrap()
            .formatted()
    }

    #[test]
    fn a_received_message_is_read_with_both_of_its_parts() {
        let mail = ReceivedMail::parse(&message("Hello")).expect("a message");
        assert_eq!(mail.to, "alice@example.com");
        assert_eq!(mail.from, "gatehouse@gatehouse.test");
        assert_eq!(mail.subject, "Reset your Gatehouse password");
        assert_eq!(mail.message_id.as_deref(), Some("<abc@gatehouse.test>"));
        assert_eq!(mail.content_type, "multipart/alternative");
        assert_eq!(mail.text.as_deref().map(str::trim), Some("Hello"));
        assert_eq!(mail.html.as_deref().map(str::trim), Some("<p>Hello</p>"));
    }

    #[test]
    fn a_link_is_found_by_the_start_of_its_path_and_read_back_without_its_origin() {
        // Longer than a mail line may be, so the body is encoded and wrapped.
        let token = "t".repeat(90);
        let text = format!(
            "Hello,\n\nSee http://gatehouse.test/account\n\nChoose a new password:\n\
             http://gatehouse.test/password/reset?token={token}\n"
        );
        let mail = ReceivedMail::parse(&message(&text)).expect("a message");

        assert_eq!(
            mail.link("/password/reset?token="),
            Some(format!("/password/reset?token={token}"))
        );
        assert_eq!(mail.link("/account"), Some("/account".to_owned()));
        assert_eq!(mail.link("/admin"), None);
    }

    #[test]
    fn a_links_whole_address_is_found_by_the_start_of_its_path() {
        let text = "Open http://127.0.0.1:4000/account or\n\
                    http://127.0.0.1:4000/invitations/accept?token=abc\n";
        let mail = ReceivedMail::parse(&message(text)).expect("a message");

        assert_eq!(
            mail.address("/invitations/accept?token="),
            Some("http://127.0.0.1:4000/invitations/accept?token=abc".to_owned())
        );
        assert_eq!(mail.address("/admin"), None);
    }
}
