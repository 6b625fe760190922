//! The `airlift-sim` binary as an operator or a CI job meets it: which variable names the
//! server, errors that say which URL failed, and progress lines fit for a log file.

use std::net::TcpListener;
use std::process::{Command, Output};

fn sim() -> Command {
    let mut c = Command::new(airlift_testkit::bin("airlift-sim"));
    c.env_remove("AIRLIFT_SERVER_URL")
        .env_remove("AIRLIFT_URL")
        .env_remove("AIRLIFT_TOKEN");
    c
}

/// A loopback URL where nothing listens (the port was just free).
fn closed_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

fn provision(cmd: &mut Command, dir: &std::path::Path) -> Output {
    cmd.env("AIRLIFT_TOKEN", "not-checked-nothing-answers")
        .args(["provision", "--profile", "prof_x", "-n", "1", "--out"])
        .arg(dir.join("devices.jsonl"))
        .output()
        .unwrap()
}

#[test]
fn airlift_server_url_is_read_and_the_transport_error_names_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = closed_url();
    let out = provision(sim().env("AIRLIFT_SERVER_URL", &url), dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{url}/api/v1/devices/bulk")),
        "{stderr}"
    );
    assert!(stderr.contains("transport error"), "{stderr}");
    assert!(!stderr.contains("deprecated"), "{stderr}");
}

#[test]
fn the_old_airlift_url_still_works_with_one_deprecation_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = closed_url();
    let out = provision(sim().env("AIRLIFT_URL", &url), dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("AIRLIFT_URL is deprecated; set AIRLIFT_SERVER_URL"))
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains(&url), "{stderr}");
}

#[test]
fn progress_off_a_terminal_is_plain_lines_without_escape_codes() {
    let dir = tempfile::tempdir().unwrap();
    let devices = dir.path().join("devices.jsonl");
    std::fs::write(
        &devices,
        r#"{"device_id":"dev_1","device_token":"t","firmware_version":"1.0.0"}"#,
    )
    .unwrap();
    // Nothing answers: the device keeps polling; the run stops after 6 s, past the first
    // 5-second progress line.
    let out = sim()
        .env("AIRLIFT_SERVER_URL", closed_url())
        .args(["run", "--no-signature-check", "--progress", "--until", "6s"])
        .arg("--devices")
        .arg(&devices)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains('\x1b'), "escape codes in {stderr:?}");
    assert!(!stderr.contains('\r'), "carriage returns in {stderr:?}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("1 devices:"))
        .collect();
    assert_eq!(
        lines.len(),
        2,
        "one line at 5 s and the final one: {stderr:?}"
    );
}
