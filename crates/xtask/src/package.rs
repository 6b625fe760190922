//! `cargo xtask package`: the Debian packages, release builds.
//!
//! - `airliftd` (the server as a system service: unit, own user, state under /var/lib/airlift,
//!   configuration under /etc/airlift) and `airlift-cli`, by cargo-deb from each crate's
//!   `[package.metadata.deb]`, into `target/debian/`;
//! - `airlift` (the desktop app with its desktop entry and icons), by Tauri's own bundler
//!   (the `bundle` section of tauri.conf.json), into `target/release/bundle/deb/`.
//!
//! docs/operations/packages.md describes what each package installs.

use crate::{cmd, setup};

/// The Tauri command line that bundles the app, the release matching the `tauri` crate of
/// Cargo.lock (its npm package carries the prebuilt binary; run through npx, so the UI's
/// dependencies stay the UI's).
const TAURI_CLI: &str = "@tauri-apps/cli@2.12.5";

const USAGE: &str = "usage: cargo xtask package [--server] [--cli] [--app]
  (no flag: all three)
  --server  target/debian/airliftd_<version>-1_<arch>.deb
  --cli     target/debian/airlift-cli_<version>-1_<arch>.deb
  --app     target/release/bundle/deb/Airlift_<version>_<arch>.deb";

pub fn package(args: &[String]) -> Result<(), String> {
    let mut server = false;
    let mut cli = false;
    let mut app = false;
    for arg in args {
        match arg.as_str() {
            "--server" => server = true,
            "--cli" => cli = true,
            "--app" => app = true,
            other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
        }
    }
    if !(server || cli || app) {
        (server, cli, app) = (true, true, true);
    }
    let root = cmd::root();
    if server || cli {
        setup::cargo_deb()?;
    }
    if server {
        cmd::run(
            &root,
            "cargo",
            &["deb", "--locked", "--package", "airlift-server"],
        )?;
    }
    if cli {
        cmd::run(
            &root,
            "cargo",
            &["deb", "--locked", "--package", "airlift-cli"],
        )?;
    }
    if app {
        // Tauri's Linux build prerequisites, Node and the UI's packages.
        setup::setup(setup::Purpose::Run)?;
        cmd::run(
            &root,
            "npx",
            &[
                "--yes",
                TAURI_CLI,
                "build",
                "--bundles",
                "deb",
                "--",
                "--locked",
            ],
        )?;
    }
    Ok(())
}
