//! `cargo xtask cluster`: a local deployment of several servers on loopback. Installs what is
//! missing (PostgreSQL 15, nginx-light, s3s-fs), builds airliftd, then runs airlift-testkit's
//! `airlift-cluster`, which starts PostgreSQL, s3s-fs, the servers and nginx and prints the URL
//! and an admin token.

use crate::{cmd, setup};

pub fn cluster(args: &[String]) -> Result<(), String> {
    setup::cluster_tools()?;
    let root = cmd::root();
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    cmd::run(
        &root,
        "cargo",
        &[
            "build",
            "--package",
            "airlift-server",
            "--package",
            "airlift-sim",
            "--bins",
        ],
    )?;
    let mut run = std::process::Command::new("cargo");
    run.current_dir(&root)
        .args([
            "run",
            "--quiet",
            "--package",
            "airlift-testkit",
            "--bin",
            "airlift-cluster",
            "--",
        ])
        .args(args)
        // The servers are the ones just built (airlift-testkit would build them again).
        .env("AIRLIFT_BIN_DIR", target_dir.join("debug"));
    cmd::run_with(&mut run)
}
