//! Test harness shared by airlift-desk's and airlift-cli's tests: the real `airliftd` binary on
//! loopback. The binary is built once per test process with `cargo build -p airlift-server`
//! into the same target directory as the test itself.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use airlift_desk::client::{Client, ClientOptions, RetryPolicy};
use airlift_desk::secret::Secret;

/// `target/debug` (or the profile dir) that holds this test binary.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/debug/deps/test-hash → target/debug
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps")
        .to_path_buf()
}

/// Path of a freshly built `airliftd`.
pub fn airliftd() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
        let dir = profile_dir();
        let target_dir = dir.parent().expect("target dir").to_path_buf();
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "airlift-server", "--bin", "airliftd"])
            .arg("--target-dir")
            .arg(&target_dir);
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("run cargo build for airliftd");
        let bin = dir.join("airliftd");
        assert!(
            out.status.success(),
            "building airliftd failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(bin.is_file(), "no airliftd at {}", bin.display());
        bin
    })
}

/// A running server; killed on drop.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub data: PathBuf,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        let mut child = Command::new(airliftd())
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn airliftd");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read listening line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server {
            child: Some(child),
            base,
            data: data.to_owned(),
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
