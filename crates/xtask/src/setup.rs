//! Idempotent machine set-up for a fresh Debian 12: installs only what is missing.

use crate::cmd;
use std::path::{Path, PathBuf};

/// What the machine is being prepared for; tests need a few more tools than running does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Run,
    Test,
}

/// Debian packages Tauri needs to build and run the app (its documented Linux prerequisites).
const RUN_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "curl",
    "file",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libxdo-dev",
    // The keyring crate's Secret Service backend (tokens in the OS keyring) links libdbus.
    "libdbus-1-dev",
];

/// Extra packages for the test suite: a virtual display, the WebKit WebDriver, a D-Bus daemon
/// and gnome-keyring for notification and keyring tests, openssl for signature and hashing cross-checks.
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "openssl",
    // Answers the app's real file dialogs in the end-to-end tests (tests/support/dialog.rs).
    "xdotool",
    // The virtual environment Schemathesis (the API fuzzer of tests/api_fuzz.rs) runs in.
    "python3-venv",
    // The PostgreSQL store's tests: airlift-testkit's `postgres` starts a private server
    // (initdb, postgres, pg_isready, psql from /usr/lib/postgresql/15/bin).
    "postgresql-15",
    // The cluster tests' load balancer (airlift-testkit's `nginx`).
    "nginx-light",
];

/// What `cargo xtask cluster` starts besides airliftd (s3s-fs comes from cargo).
const CLUSTER_PACKAGES: &[&str] = &["postgresql-15", "nginx-light"];

/// The tools of a local cluster only: PostgreSQL, nginx, s3s-fs.
pub fn cluster_tools() -> Result<(), String> {
    install_debian_packages(CLUSTER_PACKAGES)?;
    s3s_fs().map(|_| ())
}

/// The tauri-driver release the end-to-end tests speak to (pinned: the 3.x line is alpha).
const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// The S3-compatible server the S3 storage tests start (`airlift-testkit`'s `S3Server`): it
/// checks SigV4 signatures, presigned URLs' expiry, multipart uploads and ranges. Pinned:
/// 0.14 is the newest line that builds with the workspace's Rust.
const S3S_FS_VERSION: &str = "0.14.1";

pub fn setup(purpose: Purpose) -> Result<(), String> {
    let mut packages: Vec<&str> = RUN_PACKAGES.to_vec();
    if purpose == Purpose::Test {
        packages.extend_from_slice(TEST_PACKAGES);
    }
    install_debian_packages(&packages)?;
    crate::node::ensure(&cmd::root(), install_debian_packages)?;
    install_ui_packages(&cmd::root().join("ui"))?;
    if purpose == Purpose::Test {
        tauri_driver()?;
        s3s_fs()?;
        // The server package's test (crates/airlift-server/tests/debian_package.rs) builds
        // the package with it.
        cargo_deb()?;
    }
    Ok(())
}

fn install_debian_packages(packages: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !debian_package_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !cmd::on_path("apt-get") {
        return Err(format!(
            "these Debian packages are missing and apt-get is not available: {}",
            missing.join(" ")
        ));
    }
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut command = if sudo {
            let mut c = std::process::Command::new("sudo");
            c.arg("apt-get");
            c
        } else {
            std::process::Command::new("apt-get")
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd::run_with(&mut command)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(&missing);
    apt(&args)
}

fn debian_package_installed(package: &str) -> bool {
    cmd::output("dpkg-query", &["-W", "-f=${Status}", package])
        .is_some_and(|status| status.contains("install ok installed"))
}

fn is_root() -> bool {
    cmd::output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0")
}

/// `npm ci` when the installed tree does not match the lock file (npm records it in node_modules).
fn install_ui_packages(ui: &Path) -> Result<(), String> {
    let lock = ui.join("package-lock.json");
    let installed = ui.join("node_modules/.package-lock.json");
    let up_to_date = match (modified(&lock), modified(&installed)) {
        (Some(lock), Some(installed)) => installed >= lock,
        _ => false,
    };
    if up_to_date {
        return Ok(());
    }
    cmd::run(ui, "npm", &["ci", "--no-audit", "--no-fund"])
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The Schemathesis pins of the API fuzz test (`pip freeze` of a working environment).
const SCHEMATHESIS_REQUIREMENTS: &str = "crates/airlift-server/tests/api_fuzz/requirements.txt";

/// Where Schemathesis is: a virtual environment under `target/tools/`, made from the pinned
/// requirements when missing or when they changed since it was made.
pub fn schemathesis(target_dir: &Path) -> Result<PathBuf, String> {
    let root = cmd::root();
    let requirements = root.join(SCHEMATHESIS_REQUIREMENTS);
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let venv = target_dir.join("tools/schemathesis");
    let bin = venv.join("bin/schemathesis");
    let stamp = venv.join("requirements.txt");
    if bin.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(bin);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let venv_arg = venv.display().to_string();
    cmd::run(&root, "python3", &["-m", "venv", &venv_arg])?;
    let pip = venv.join("bin/pip").display().to_string();
    let requirements_arg = requirements.display().to_string();
    cmd::run(
        &root,
        &pip,
        &[
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--requirement",
            &requirements_arg,
        ],
    )?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(bin)
}

/// Where tauri-driver is (installing it with cargo when missing).
pub fn tauri_driver() -> Result<PathBuf, String> {
    if let Some(found) = find_tauri_driver() {
        return Ok(found);
    }
    cmd::run(
        &cmd::root(),
        "cargo",
        &[
            "install",
            "tauri-driver",
            "--version",
            TAURI_DRIVER_VERSION,
            "--locked",
        ],
    )?;
    find_tauri_driver().ok_or_else(|| "tauri-driver was installed but cannot be found".to_string())
}

fn find_tauri_driver() -> Option<PathBuf> {
    find_cargo_bin("tauri-driver")
}

/// Where s3s-fs is (installing the pinned release with cargo when missing).
pub fn s3s_fs() -> Result<PathBuf, String> {
    if let Some(found) = find_cargo_bin("s3s-fs") {
        return Ok(found);
    }
    cmd::run(
        &cmd::root(),
        "cargo",
        &[
            "install",
            "s3s-fs",
            "--version",
            S3S_FS_VERSION,
            "--features",
            "binary",
            "--locked",
        ],
    )?;
    find_cargo_bin("s3s-fs").ok_or_else(|| "s3s-fs was installed but cannot be found".to_string())
}

/// The dependency checker `cargo xtask test` runs (advisories, licenses, bans, sources against
/// `deny.toml`). Pinned: 0.20 is the newest line that builds with the workspace's Rust.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// Where cargo-deny is (installing the pinned release with cargo when missing).
pub fn cargo_deny() -> Result<PathBuf, String> {
    if let Some(found) = find_cargo_bin("cargo-deny") {
        return Ok(found);
    }
    cmd::run(
        &cmd::root(),
        "cargo",
        &[
            "install",
            "cargo-deny",
            "--version",
            CARGO_DENY_VERSION,
            "--locked",
        ],
    )?;
    find_cargo_bin("cargo-deny")
        .ok_or_else(|| "cargo-deny was installed but cannot be found".to_string())
}

/// A tool installed with `cargo install`: on the PATH, or in cargo's bin directory.
fn find_cargo_bin(name: &str) -> Option<PathBuf> {
    cmd::find_on_path(name).or_else(|| {
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
        let candidate = cargo_home.join("bin").join(name);
        candidate.is_file().then_some(candidate)
    })
}

/// The Debian packager of `cargo xtask package` and of the server package's test. Pinned.
const CARGO_DEB_VERSION: &str = "3.8.0";

/// Where cargo-deb is (installing the pinned release with cargo when missing).
pub fn cargo_deb() -> Result<PathBuf, String> {
    if let Some(found) = find_cargo_bin("cargo-deb") {
        return Ok(found);
    }
    cmd::run(
        &cmd::root(),
        "cargo",
        &[
            "install",
            "cargo-deb",
            "--version",
            CARGO_DEB_VERSION,
            "--locked",
        ],
    )?;
    find_cargo_bin("cargo-deb")
        .ok_or_else(|| "cargo-deb was installed but cannot be found".to_string())
}
