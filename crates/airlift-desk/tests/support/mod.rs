//! Test harness shared by airlift-desk's and airlift-cli's tests: the real `airliftd` binary on
//! loopback, found (or built) by airlift-testkit.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use airlift_desk::client::{Client, ClientOptions, RetryPolicy};
use airlift_desk::secret::Secret;

pub mod fleet;

/// Path of the real `airliftd` (see airlift-testkit).
pub fn airliftd() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| airlift_testkit::bin("airliftd"))
}

/// A running server; killed on drop.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub data: PathBuf,
    /// The metrics URL (`http://ADDR/metrics`) of a server started with `--metrics-listen`.
    pub metrics: Option<String>,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        Self::start_with(data, &[])
    }

    /// A server with more `serve` flags (e.g. `--max-images 1`).
    pub fn start_with(data: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(airliftd())
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn airliftd");
        let stdout = child.stdout.take().expect("stdout");
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read listening line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        // `--metrics-listen`: the address actually bound is the second line.
        let metrics = extra.contains(&"--metrics-listen").then(|| {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("read the metrics line");
            line.trim()
                .strip_prefix("metrics on ")
                .unwrap_or_else(|| panic!("unexpected second line {line:?}"))
                .to_owned()
        });
        Server {
            child: Some(child),
            base,
            data: data.to_owned(),
            metrics,
        }
    }

    /// `airliftd token`: a JWT for `tenant` with `role`.
    pub fn token(&self, tenant: &str, role: &str) -> String {
        let out = Command::new(airliftd())
            .args(["token", "--data"])
            .arg(&self.data)
            .args(["--tenant", tenant, "--role", role])
            .env("RUST_LOG", "warn")
            .output()
            .expect("run airliftd token");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    }

    /// `airliftd ARGS --data DATA` (e.g. `token-revoke ID`); panics unless it succeeds, and
    /// answers its stdout.
    pub fn airliftd(&self, args: &[&str]) -> String {
        let out = Command::new(airliftd())
            .args(args)
            .arg("--data")
            .arg(&self.data)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run airliftd");
        assert!(
            out.status.success(),
            "airliftd {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// A client for `tenant` with `role`, with quick retries (tests should not wait long).
    pub fn client(&self, tenant: &str, role: &str) -> Client {
        let token = self.token(tenant, role);
        client_for(&self.base, Some(&token))
    }

    /// Stops the server at once (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn client_for(base: &str, token: Option<&str>) -> Client {
    let options = ClientOptions {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: std::time::Duration::from_millis(20),
            max_delay: std::time::Duration::from_millis(100),
        },
        ..ClientOptions::default()
    };
    Client::new(base, token.map(Secret::new), options).expect("client")
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("airlift-desk-test")
        .tempdir()
        .expect("tempdir")
}
