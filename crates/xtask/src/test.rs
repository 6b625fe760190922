//! `cargo xtask test`: set up, then every test: UI unit tests, Rust tests (domain, server,
//! desktop backend) and the end-to-end tests that drive the real window under Xvfb; then the
//! server's suite a second time on PostgreSQL.

use crate::{cmd, setup};
use std::process::Command;

pub fn test(extra: &[String]) -> Result<(), String> {
    setup::setup(setup::Purpose::Test)?;
    let root = cmd::root();
    let ui = root.join("ui");

    // The app embeds ui/dist at compile time, so the UI is built before any Rust test.
    cmd::run(&ui, "npm", &["run", "build"])?;
    cmd::run(&ui, "npm", &["test"])?;

    cmd::run(&root, "cargo", &["fmt", "--all", "--check"])?;
    cmd::run(
        &root,
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;

    deny(&root)?;

    // One build of every test and binary; the tests then start the binaries it left in
    // target/debug instead of building them again (see airlift-testkit).
    cmd::run(
        &root,
        "cargo",
        &["test", "--workspace", "--locked", "--no-run"],
    )?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));

    let driver = setup::tauri_driver()?;
    let schemathesis = setup::schemathesis(&target_dir)?;
    let mut cargo_test = Command::new("cargo");
    cargo_test
        .current_dir(&root)
        .args(["test", "--workspace", "--locked", "--no-fail-fast"])
        .args(extra)
        .env("AIRLIFT_BIN_DIR", target_dir.join("debug"))
        .env("AIRLIFT_TAURI_DRIVER", driver)
        .env("AIRLIFT_SCHEMATHESIS", &schemathesis);
    let on_sqlite = cmd::run_with(&mut cargo_test);

    // The server's integration suite once more, on PostgreSQL: the test harness starts a
    // private PostgreSQL 15 and gives each server a database of its own (airlift-testkit).
    let mut on_postgres = Command::new("cargo");
    on_postgres
        .current_dir(&root)
        .args([
            "test",
            "-p",
            "airlift-server",
            "--tests",
            "--locked",
            "--no-fail-fast",
        ])
        .args(extra)
        .env("AIRLIFT_BIN_DIR", target_dir.join("debug"))
        .env("AIRLIFT_SCHEMATHESIS", &schemathesis)
        .env("AIRLIFT_TEST_DATABASE", "postgres");
    // Both runs report their failures before the command fails.
    let on_postgres = cmd::run_with(&mut on_postgres);
    on_sqlite.and(on_postgres)
}

/// `cargo deny` against deny.toml: licenses, banned and duplicate crates, and sources always;
/// the RustSec advisories when their database can be fetched (it lives on GitHub, which a
/// machine that reaches only package registries cannot read: then the check says so and goes
/// on without them rather than failing on the network).
fn deny(root: &std::path::Path) -> Result<(), String> {
    // Installed when missing; cargo finds it in its bin directory.
    setup::cargo_deny()?;
    cmd::run(
        root,
        "cargo",
        &["deny", "--locked", "check", "licenses", "bans", "sources"],
    )?;
    let fetched = Command::new("cargo")
        .current_dir(root)
        .args(["deny", "fetch", "db"])
        .status()
        .is_ok_and(|s| s.success());
    if fetched {
        cmd::run(
            root,
            "cargo",
            &["deny", "--locked", "check", "--disable-fetch", "advisories"],
        )
    } else {
        eprintln!(
            "cargo deny: the advisory database (github.com/rustsec/advisory-db) cannot be \
             fetched from this machine; advisories NOT checked, licenses, bans and sources were"
        );
        Ok(())
    }
}
