//! A real S3-compatible server for the S3 storage tests: `s3s-fs` (installed by `cargo xtask
//! setup`, pinned there), on a free loopback port, over a temporary directory, with an access
//! key and secret. It checks SigV4 signatures (headers and presigned URLs, expiry included),
//! and serves multipart uploads and ranges. Killed on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "AKAIRLIFTTEST";
pub const SECRET_KEY: &str = "airlift-test-secret-key";

pub struct S3Server {
    child: Child,
    addr: SocketAddr,
    root: tempfile::TempDir,
}

impl S3Server {
    /// Starts s3s-fs and waits until it accepts connections.
    pub fn start() -> S3Server {
        let bin = s3s_fs();
        let root = tempfile::Builder::new()
            .prefix("airlift-s3")
            .tempdir()
            .expect("a temporary directory for s3s-fs");
        // A free port: bound, released, handed over (s3s-fs prints no port of its own).
        for _ in 0..5 {
            let addr = free_port();
            let mut child = Command::new(&bin)
                .args(["--host", "127.0.0.1", "--port", &addr.port().to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(root.path())
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
            if wait_listening(&mut child, addr) {
                return S3Server { child, addr, root };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("s3s-fs did not start listening");
    }

    /// The s3s-fs process (for a benchmark's CPU figures).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:PORT`: what `--s3-endpoint` takes.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Creates a bucket (a directory of s3s-fs's root).
    pub fn create_bucket(&self, name: &str) {
        std::fs::create_dir_all(self.root.path().join(name)).expect("create the bucket");
    }

    /// The credentials as environment variables for a client (`airliftd`).
    pub fn credentials(&self) -> [(&'static str, &'static str); 2] {
        [
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ]
    }

    /// The file holding the object `key` of `bucket`.
    pub fn object_path(&self, bucket: &str, key: &str) -> std::path::PathBuf {
        self.root.path().join(bucket).join(key)
    }

    /// Every object's key in `bucket` (files below its directory), sorted.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else if let Ok(rel) = path.strip_prefix(base) {
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
        }
        let base = self.root.path().join(bucket);
        let mut out = Vec::new();
        walk(&base, &base, &mut out);
        out.retain(|k| !k.starts_with('.'));
        out.sort();
        out
    }
}

impl S3Server {
    /// Multipart uploads started and neither completed nor aborted.
    pub fn unfinished_uploads(&self) -> usize {
        std::fs::read_dir(self.root.path())
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.starts_with(".upload-") && name.ends_with(".json")
                    })
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address")
}

fn wait_listening(child: &mut Child, addr: SocketAddr) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The s3s-fs binary: on the PATH or in cargo's bin directory.
fn s3s_fs() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("s3s-fs"))
            .find(|p| p.is_file())
    });
    let in_cargo = || {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
        let p = home.join("bin/s3s-fs");
        p.is_file().then_some(p)
    };
    on_path.or_else(in_cargo).unwrap_or_else(|| {
        panic!(
            "s3s-fs is not installed: run `cargo xtask setup` (it installs the pinned release \
             with cargo install)"
        )
    })
}
