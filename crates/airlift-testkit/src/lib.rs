//! Test support shared by the workspace's integration tests.
//!
//! Tests run the project's real binaries (`airliftd`, `airlift-sim`, `airlift-cli`). Under
//! `cargo xtask test` they are built once, by the same `cargo test` that builds the tests, and
//! handed over in `AIRLIFT_BIN_DIR`: building them again from inside a test would compile the
//! whole dependency graph a second time with another feature set, which doubles the target
//! directory. Run directly (`cargo test -p …`), a test builds what it needs itself.
//!
//! [`notifications`]: the fake desktop session of the notification tests.
//! [`postgres`]: a private PostgreSQL 15 for the PostgreSQL store's tests.
//! [`s3`]: a real S3-compatible server (s3s-fs) for the S3 storage tests; [`s3_proxy`] makes
//! it fail on demand (503 for the next N requests, or an outage).
//! [`nginx`]: nginx as a load balancer; [`cluster`]: PostgreSQL, s3s-fs, several `airliftd` and
//! nginx together (the cluster tests, and `cargo xtask cluster` through the `airlift-cluster`
//! binary).

pub mod cluster;
pub mod nginx;
pub mod notifications;
pub mod postgres;
pub mod s3;
pub mod s3_proxy;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The package that owns each binary the tests start.
fn package_of(bin: &str) -> &'static str {
    match bin {
        "airliftd" => "airlift-server",
        "airlift-sim" => "airlift-sim",
        "airlift-cli" => "airlift-cli",
        "airlift-agent" => "airlift-agent",
        "airlift" => "airlift",
        other => panic!("airlift-testkit does not know the binary {other:?}"),
    }
}

/// `target/<profile>` of the running test binary (which lives in `target/<profile>/deps`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps")
        .to_path_buf()
}

/// Path of the project binary `name`, up to date with the sources.
pub fn bin(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("AIRLIFT_BIN_DIR") {
        let path = Path::new(&dir).join(name);
        assert!(
            path.is_file(),
            "AIRLIFT_BIN_DIR names {} but it holds no {name}",
            Path::new(&dir).display()
        );
        return path;
    }
    build_once(name)
}

/// Builds `name` with cargo into this test's target directory, once per test process.
fn build_once(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    // Held across the build so two tests of one binary don't run cargo side by side.
    let mut built = built
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = profile_dir();
    let path = dir.join(name);
    if built.iter().any(|b| b == name) {
        return path;
    }
    let target_dir = dir.parent().expect("target dir").to_path_buf();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", package_of(name), "--bin", name])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir);
    if dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let out = cmd.output().expect("run cargo build");
    assert!(
        out.status.success(),
        "building {name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(path.is_file(), "cargo built no {}", path.display());
    built.push(name.to_owned());
    path
}
