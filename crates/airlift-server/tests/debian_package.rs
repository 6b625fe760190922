//! The airliftd Debian package, built by cargo-deb from the crate's `[package.metadata.deb]`
//! (as `cargo xtask package` builds it), installed into a clean root and started the way
//! systemd would start it: the unit's own `EnvironmentFile` and exact `ExecStart` line, with
//! the root's paths. Then it is talked to: health, a token made with the installed binary and
//! configuration, API calls.
//!
//! The package is made from this build's (debug) `airliftd`: cargo-deb takes binaries from
//! `<target>/release/`, so a target directory of the test's own holds it there, and
//! `--no-build` packages it as it is. A release build would only make the test slow.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{tempdir, BIN};
use serde_json::{json, Value};

const UNIT: &str = "airliftd.service";

/// Builds the package into `out` and returns its path.
fn build_package(work: &Path) -> PathBuf {
    let present = Command::new("cargo")
        .args(["deb", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        present,
        "cargo-deb is missing: `cargo xtask setup` installs the pinned release"
    );
    let target = work.join("target");
    std::fs::create_dir_all(target.join("release")).unwrap();
    // A copy: cargo-deb strips the binary it packages.
    std::fs::copy(BIN, target.join("release/airliftd")).unwrap();
    let out = work.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let built = Command::new("cargo")
        .current_dir(&workspace)
        .args(["deb", "--package", "airlift-server", "--no-build", "--fast"])
        .arg("--output")
        .arg(&out)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run cargo deb");
    assert!(
        built.status.success(),
        "cargo deb failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let debs: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    assert_eq!(debs.len(), 1, "one package: {debs:?}");
    debs.into_iter().next().unwrap()
}

fn dpkg_deb(args: &[&str], deb: &Path) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .arg(deb)
        .output()
        .expect("run dpkg-deb");
    assert!(
        out.status.success(),
        "dpkg-deb {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The `[Service]` (and other) settings of a unit file: key → every value it is given.
fn unit_settings(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut settings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with('[') {
            continue;
        }
        let (key, value) = line.split_once('=').expect("key=value");
        settings
            .entry(key.trim().to_owned())
            .or_default()
            .push(value.trim().to_owned());
    }
    settings
}

/// `path` (absolute, as the unit names it) inside the installed root.
fn in_root(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// KEY=VALUE lines of an environment file, as systemd's `EnvironmentFile=` reads the simple
/// ones (comments and blank lines skipped).
fn environment_file(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=VALUE");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_server_package_installs_into_a_clean_root_and_serves_from_its_unit() {
    let work = tempdir();
    let deb = build_package(work.path());

    // The package's metadata.
    let control = dpkg_deb(&["--field"], &deb);
    assert!(control.contains("Package: airliftd"), "{control}");
    let depends = control
        .lines()
        .find_map(|l| l.strip_prefix("Depends: "))
        .unwrap_or_default();
    assert!(depends.contains("adduser"), "{control}");
    assert!(
        depends.contains("libc6"),
        "shared libraries found: {control}"
    );

    // Installed into a clean root: the files, then the maintainer scripts' control files.
    let root = work.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    run_ok(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    let control_dir = work.path().join("DEBIAN");
    run_ok(
        Command::new("dpkg-deb")
            .arg("-e")
            .arg(&deb)
            .arg(&control_dir),
    );

    let binary = root.join("usr/bin/airliftd");
    assert!(
        std::fs::metadata(&binary).unwrap().permissions().mode() & 0o111 != 0,
        "airliftd is executable"
    );
    let config = root.join("etc/airlift/airliftd.toml");
    let env_file = root.join("etc/airlift/airliftd.env");
    assert_eq!(
        std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777,
        0o600,
        "the secrets' file is private"
    );
    let conffiles = std::fs::read_to_string(control_dir.join("conffiles")).unwrap();
    for file in ["/etc/airlift/airliftd.toml", "/etc/airlift/airliftd.env"] {
        assert!(
            conffiles.lines().any(|l| l.trim() == file),
            "{file} is a conffile: {conffiles}"
        );
    }
    // The service's user is made by the postinst (adduser --system), before systemd starts it.
    let postinst = std::fs::read_to_string(control_dir.join("postinst")).unwrap();
    let adduser = postinst
        .find("adduser --system")
        .expect("postinst adds the user");
    assert!(postinst[adduser..].contains("airlift"), "{postinst}");
    let enable = postinst
        .find("deb-systemd-helper")
        .expect("postinst enables the unit");
    assert!(adduser < enable, "the user exists before the unit starts");
    assert!(postinst.contains(UNIT), "{postinst}");

    // The unit: its own user, state, configuration and hardening.
    let unit_path = ["lib/systemd/system", "usr/lib/systemd/system"]
        .iter()
        .map(|dir| root.join(dir).join(UNIT))
        .find(|p| p.is_file())
        .expect("the unit is installed");
    let unit_text = std::fs::read_to_string(&unit_path).unwrap();
    let unit = unit_settings(&unit_text);
    let one = |key: &str| -> &str {
        let values = unit.get(key).unwrap_or_else(|| panic!("{key}= is set"));
        values.last().unwrap()
    };
    assert_eq!(one("User"), "airlift");
    assert_eq!(one("StateDirectory"), "airlift");
    assert_eq!(one("ReadWritePaths"), "/var/lib/airlift");
    assert_eq!(one("ProtectSystem"), "strict");
    assert_eq!(one("ProtectHome"), "yes");
    assert_eq!(one("PrivateTmp"), "yes");
    assert_eq!(one("NoNewPrivileges"), "yes");
    assert_eq!(one("CapabilityBoundingSet"), "", "no capability at all");
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok()
    {
        // Offline: the unit's syntax and settings, its binary found in the root (the
        // root holds no other unit, so the default dependencies are not followed).
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no", "--recursive-errors=no"])
            .arg(format!("--root={}", root.display()))
            .arg(&unit_path)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.trim().is_empty(),
            "systemd-analyze verify: {said}"
        );
        // And what the hardening leaves exposed: systemd's own score, 0 (none) to 10.
        let out = Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(format!("--root={}", root.display()))
            .arg(&unit_path)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        let exposure: f64 = report
            .lines()
            .find_map(|l| l.split_once("Overall exposure level for airliftd.service: "))
            .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no exposure level in: {report}"));
        assert!(exposure <= 2.0, "exposure {exposure}:\n{report}");
    }

    // The configuration as shipped is one the server accepts.
    run_ok(
        Command::new(&binary)
            .arg("config")
            .arg("check")
            .arg(&config),
    );

    // Started as systemd would: the unit's environment file (here naming this test's state
    // directory and port, as an operator's would name a database), then its ExecStart.
    let state = work.path().join("state");
    let mut env = vec![
        format!("AIRLIFT_DATA={}", state.display()),
        "AIRLIFT_LISTEN=127.0.0.1:0".to_owned(),
    ];
    // AIRLIFT_TEST_DATABASE=postgres: the package against PostgreSQL too.
    if let [flag, url] = airlift_testkit::postgres::server_args(&state).as_slice() {
        assert_eq!(flag, "--database");
        env.push(format!("AIRLIFT_DATABASE={url}"));
    }
    let environment_path = one("EnvironmentFile").trim_start_matches('-');
    assert_eq!(in_root(&root, environment_path), env_file);
    std::fs::write(&env_file, env.join("\n") + "\n").unwrap();
    let environment = environment_file(&env_file);

    let exec_start: Vec<&str> = one("ExecStart").split_whitespace().collect();
    assert_eq!(
        exec_start,
        [
            "/usr/bin/airliftd",
            "serve",
            "--config",
            "/etc/airlift/airliftd.toml"
        ]
    );
    // Absolute paths are the root's; every other word as it is.
    let argv: Vec<String> = exec_start
        .iter()
        .map(|w| {
            if w.starts_with('/') {
                in_root(&root, w).display().to_string()
            } else {
                (*w).to_owned()
            }
        })
        .collect();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(environment.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start airliftd as the unit does");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let server = Running(child);
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();

    let http = reqwest::Client::new();
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    // An admin token, made as the docs say: the installed binary and configuration.
    let token = run_ok(
        Command::new(&binary)
            .args(["token", "--config"])
            .arg(&config)
            .args([
                "--tenant",
                "acme",
                "--role",
                "admin",
                "--label",
                "package test",
            ])
            .env_clear()
            .envs(environment.iter().map(|(k, v)| (k, v))),
    );
    let token = token.trim();
    let tenant: Value = http
        .get(format!("{base}/api/v1/tenant"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tenant["name"], "acme", "{tenant}");
    let made = http
        .post(format!("{base}/api/v1/profiles"))
        .bearer_auth(token)
        .json(&json!({"name": "lab", "device_type": "temp-sensor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    // The server kept its state where the environment said, not under the root's /var.
    assert!(state.is_dir());
    assert!(!root.join("var/lib/airlift/jwt-secret").exists());
    drop(server);
}
