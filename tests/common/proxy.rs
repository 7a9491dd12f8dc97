//! A real reverse proxy for the forward-auth tests: Debian's nginx, started
//! unprivileged on free loopback ports with the configuration from
//! docs/examples/nginx-forward-auth.conf (its addresses swapped for the
//! test's), in front of the echo upstream (tests/echo_upstream.py), which
//! answers with the headers it received. `.ci/run` installs nginx when it is
//! missing; a test that finds none fails saying so.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (bound, read, released: nginx binds it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The echo upstream: a Python process printing its port first.
pub struct Echo {
    pub port: u16,
    child: Child,
}

impl Echo {
    pub fn start() -> Echo {
        let mut child = Command::new("python3")
            .arg(repository().join("tests/echo_upstream.py"))
            .arg("0")
            .stdout(Stdio::piped())
            // A proxy closing a kept-alive connection makes Python print a
            // harmless broken pipe.
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the echo upstream");
        let stdout = child.stdout.take().expect("its output");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the echo upstream prints its port");
        let port = line.trim().parse().expect("a port number");
        Echo { port, child }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx serving Gatehouse on `gatehouse_port` and the guarded tool on
/// `app_port`.
pub struct Nginx {
    pub gatehouse_port: u16,
    pub app_port: u16,
    child: Child,
    dir: PathBuf,
}

/// Where Debian's nginx lives, if it is installed.
pub fn nginx_binary() -> PathBuf {
    for candidate in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!("nginx is not installed: `apt-get install nginx` (.ci/run installs it)");
}

impl Nginx {
    /// Starts nginx in front of Gatehouse at `gatehouse` (host:port) and the
    /// upstream at `upstream`, on the ports given (see `free_port`), and
    /// waits until it answers.
    pub fn start(gatehouse: &str, upstream: &str, gatehouse_port: u16, app_port: u16) -> Nginx {
        let sample =
            std::fs::read_to_string(repository().join("docs/examples/nginx-forward-auth.conf"))
                .expect("the sample configuration");
        let config = sample
            .replace("127.0.0.1:8080", gatehouse)
            .replace("127.0.0.1:9000", upstream)
            .replace("127.0.0.1:8088", &format!("127.0.0.1:{gatehouse_port}"))
            .replace("127.0.0.1:8089", &format!("127.0.0.1:{app_port}"));
        assert_ne!(config, sample, "the sample's addresses were found");
        let dir = std::env::temp_dir()
            .join("gatehouse-tests")
            .join(format!("nginx-{app_port}"));
        std::fs::create_dir_all(dir.join("tmp")).expect("nginx's folder");
        std::fs::write(dir.join("nginx.conf"), config).expect("nginx.conf");
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx {
            gatehouse_port,
            app_port,
            child,
            dir,
        };
        nginx.wait_until_listening();
        nginx
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        for port in [self.gatehouse_port, self.app_port] {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
                assert!(
                    Instant::now() < deadline,
                    "nginx did not listen on {port}: {log}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Gatehouse as browsers reach it through nginx.
    pub fn gatehouse_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.gatehouse_port)
    }

    /// The guarded tool's address.
    pub fn app_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.app_port)
    }

    /// The tool's host name as nginx reports it (for the app's registration).
    pub fn app_host(&self) -> String {
        format!("127.0.0.1:{}", self.app_port)
    }
}

impl Drop for Nginx {
    /// A fast shutdown (SIGTERM) lets the master stop its workers; killing
    /// the master outright would leave them serving the ports.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
