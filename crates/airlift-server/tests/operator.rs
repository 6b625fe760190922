//! The operator's side of `airliftd` (issue 25): `token` on a directory without a deployment,
//! `--create` and `--ttl`, `serve` on a port in use or a `--data` that is a file, and a log
//! that does not fill with device polls.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{tempdir, Api, Db, Server, BIN};
use serde_json::{json, Value};

fn airliftd(args: &[&str], data: &Path) -> Output {
    // `token` on the harness's database (PostgreSQL under AIRLIFT_TEST_DATABASE=postgres),
    // like the server the test starts on the same directory.
    let database = if args.first() == Some(&"token") {
        airlift_testkit::postgres::server_args(data)
    } else {
        Vec::new()
    };
    Command::new(BIN)
        .args(args)
        .args(database)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .env_remove("AIRLIFT_DATA")
        .output()
        .expect("run airliftd")
}

fn token_args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = vec!["token", "--tenant", "acme", "--role", "admin"];
    v.extend_from_slice(extra);
    v
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn claims(token: &str) -> Value {
    let payload = token.trim().split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[test]
fn token_refuses_a_directory_without_a_deployment_and_creates_nothing() {
    let dir = tempdir();
    let missing = dir.path().join("a/mistyped/dir");
    let out = airliftd(&token_args(&[]), &missing);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no token printed");
    let err = stderr(&out);
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(err.contains("holds no airliftd deployment"), "{err}");
    assert!(err.contains("--create"), "{err}");
    assert!(!dir.path().join("a").exists(), "nothing was created");

    // An existing directory that holds no deployment is refused the same way, and left empty.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = airliftd(&token_args(&[]), &empty);
    assert!(!out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}

#[tokio::test]
async fn token_create_starts_a_deployment_whose_server_accepts_the_token() {
    let dir = tempdir();
    let data = dir.path().join("new");
    let out = airliftd(&token_args(&["--create"]), &data);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        Db::of(&data).jwt_secret(&data).len(),
        32,
        "the deployment's secret"
    );
    let created = String::from_utf8(out.stdout).unwrap();
    // Now the directory holds a deployment: no --create needed.
    let out = airliftd(&token_args(&[]), &data);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = Server::start(&data);
    for t in [
        created.trim(),
        String::from_utf8(out.stdout).unwrap().trim(),
    ] {
        Api::new(&server, t).get("/api/v1/tenant").await.expect(200);
    }
}

#[test]
fn ttl_sets_the_tokens_lifetime_and_defaults_to_12_hours() {
    let dir = tempdir();
    let data = dir.path().join("d");
    for (extra, secs) in [
        (&["--create"][..], 12 * 3600),
        (&["--ttl", "30d"][..], 30 * 86_400),
        (&["--ttl", "90m"][..], 90 * 60),
    ] {
        let out = airliftd(&token_args(extra), &data);
        assert!(out.status.success(), "{}", stderr(&out));
        let c = claims(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(
            c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
            secs,
            "{extra:?}"
        );
    }
    let out = airliftd(&token_args(&["--ttl", "banana"]), &data);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(stderr(&out).contains("--ttl"), "{}", stderr(&out));
}

#[test]
fn serve_on_a_port_in_use_fails_and_leaves_no_data_directory() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempdir();
    let data = dir.path().join("data");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &addr, "--data"])
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "airliftd kept running");
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    assert!(!status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("binding {addr}")), "{err}");
    assert!(!data.exists(), "the data directory was created");
    drop(taken);
}

#[test]
fn data_naming_a_file_is_refused_with_a_clear_message() {
    let dir = tempdir();
    let file = dir.path().join("airlift.conf");
    std::fs::write(&file, "not a directory").unwrap();
    let serve = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&file)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let token = airliftd(&token_args(&["--create"]), &file);
    for out in [serve, token] {
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "--data {} is a file, not a directory",
                file.display()
            )),
            "{err}"
        );
        assert!(!err.contains("File exists"), "{err}");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
}

/// Requests of `path` answered in the log: lines ending a request whose span names the path.
fn answered(log: &str, path: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("finished processing request") && l.contains(path))
        .count()
}

#[tokio::test]
async fn device_reads_are_logged_at_debug_and_other_requests_at_info() {
    let dir = tempdir();
    let data = dir.path().join("data");
    let info_log = dir.path().join("info.log");
    let server = Server::start_logging_to(&data, "info", &info_log);
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let profile = rm
        .post(
            "/api/v1/profiles",
            json!({"name": "p", "device_type": "temp-sensor"}),
        )
        .await
        .expect(201);
    let dev = rm
        .post(
            "/api/v1/devices",
            json!({"name": "d", "profile_id": profile["profile_id"], "device_type": "temp-sensor",
                   "firmware_version": "1.0.0"}),
        )
        .await
        .expect(201);
    let device_id = dev["device_id"].as_str().unwrap().to_owned();
    let device = Api::new(&server, dev["device_token"].as_str().unwrap());
    let poll = format!("/api/v1/devices/{device_id}/ota");
    let commands = format!("/api/v1/devices/{device_id}/commands");
    for _ in 0..3 {
        device.get(&poll).await.expect(204);
        device.get(&commands).await.expect(200);
    }
    drop(server);
    let log = std::fs::read_to_string(&info_log).unwrap();
    assert_eq!(answered(&log, "path=/api/v1/profiles "), 1, "{log}");
    assert_eq!(answered(&log, "path=/api/v1/devices "), 1, "{log}");
    assert_eq!(answered(&log, &poll), 0, "{log}");
    assert_eq!(answered(&log, &commands), 0, "{log}");

    // At debug they are there, one line each.
    let debug_log = dir.path().join("debug.log");
    let server = Server::start_logging_to(&data, "debug", &debug_log);
    let device = Api::new(&server, dev["device_token"].as_str().unwrap());
    for _ in 0..3 {
        device.get(&poll).await.expect(204);
    }
    drop(server);
    let log = std::fs::read_to_string(&debug_log).unwrap();
    assert_eq!(answered(&log, &poll), 3, "{log}");
}
