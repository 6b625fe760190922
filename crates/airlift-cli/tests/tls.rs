//! A release pipeline against airliftd serving HTTPS with a CA made by the test: airlift-cli
//! and airlift-sim trust it through `AIRLIFT_CA_CERT` (or `--ca-cert`), a wrong CA or none is
//! refused with exit 7 and `TLS_UNTRUSTED`, and the simulated fleet completes a rollout with
//! every request (downloads included) over HTTPS.

mod common;
#[path = "../../airlift-desk/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Stdio;

use common::ci_job::{sim, CiJob, KillOnDrop};

use airlift_testkit::postgres::{make_ca, make_server_cert_named};

#[tokio::test(flavor = "multi_thread")]
async fn a_pipeline_and_its_fleet_over_https_with_the_servers_ca() {
    let home = tempfile::tempdir().unwrap();
    let pki = home.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    let (ca, ca_key) = make_ca(&pki, "ca");
    let (cert, key) = make_server_cert_named(&pki, "server", &ca, &ca_key);
    let (stranger, _) = make_ca(&pki, "stranger");
    let data = support::tempdir();
    let server = support::Server::start_with(
        data.path(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let job = CiJob {
        home,
        base: server.base.clone(),
        token: server.token("ci", "admin"),
        ca: Some(ca.clone()),
    };

    // The wrong CA, and none: exit 7, a stable code and a sentence naming the problem.
    let (code, out, _) = job.cli(&["--ca-cert", stranger.to_str().unwrap(), "package", "list"]);
    assert_eq!(code, 7, "{out}");
    assert_eq!(out["error"]["code"], "TLS_UNTRUSTED", "{out}");
    let message = out["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "the server's certificate is not signed by the CA you gave (CN=airlift test stranger)"
        ),
        "{message}"
    );
    let out = job
        .command(Path::new(common::CLI))
        .env_remove("AIRLIFT_CA_CERT")
        .args(["--json", "package", "list"])
        .output()
        .unwrap();
    let (code, out, _) = common::parse(out);
    assert_eq!(code, 7, "{out}");
    assert_eq!(out["error"]["code"], "TLS_UNTRUSTED", "{out}");
    // A file that is not a certificate: a usage error before anything is sent.
    let (code, out, _) = job.cli(&["--ca-cert", key.to_str().unwrap(), "package", "list"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("private key"),
        "{out}"
    );

    // A saved connection keeps its CA: later runs need neither the URL nor the CA again.
    let out = job
        .command(Path::new(common::CLI))
        .env_remove("AIRLIFT_SERVER_URL")
        .args(["--json", "connection", "add", "lab", &server.base])
        .output()
        .unwrap();
    let (code, out, err) = common::parse(out);
    assert_eq!(code, 0, "{out} {err}");
    let out = job
        .command(Path::new(common::CLI))
        .env_remove("AIRLIFT_SERVER_URL")
        .env_remove("AIRLIFT_CA_CERT")
        .args(["--json", "--connection", "lab", "package", "list"])
        .output()
        .unwrap();
    let (code, out, err) = common::parse(out);
    assert_eq!(code, 0, "{out} {err}");

    // The fleet over HTTPS: three simulated devices provisioned through the user API.
    let devices_file = job.home.path().join("devices.jsonl");
    let out = job
        .command(&sim())
        .args([
            "provision",
            "--profile-name",
            "lab",
            "--device-type",
            "temp-sensor",
        ])
        .args(["--firmware", "1.0.0", "-n", "3", "--out"])
        .arg(&devices_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A signed build.
    let (code, out, err) = job.cli(&["key", "create", "ci-key"]);
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, err) = job.cli(&["key", "register", "ci-key"]);
    assert_eq!(code, 0, "{out} {err}");
    let firmware = job.home.path().join("fw-2.0.0.bin");
    let bytes: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    std::fs::write(&firmware, bytes).unwrap();
    let (code, out, err) = job.cli(&[
        "upload",
        firmware.to_str().unwrap(),
        "--name",
        "fw",
        "--version",
        "2.0.0",
        "--type",
        "fw",
        "--device-type",
        "temp-sensor",
        "--min-version",
        "1.0.0",
        "--key",
        "ci-key",
    ]);
    assert_eq!(code, 0, "{out} {err}");
    let package_id = out["package"]["package"]["package_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let _fleet = KillOnDrop(
        job.command(&sim())
            .args(["run", "--devices"])
            .arg(&devices_file)
            .args([
                "--poll",
                "300ms",
                "--install-time",
                "100ms",
                "--reboot-time",
                "100ms",
            ])
            .args(["--until", "10m"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (code, started, err) = job.cli(&[
        "rollout",
        "start",
        "--package",
        &package_id,
        "--profile",
        "lab",
        "--strategy",
        "all-at-once",
        "--failure-threshold-percent",
        "50",
        "--device-timeout",
        "120",
    ]);
    assert_eq!(code, 0, "{started} {err}");
    let rollout_id = started["rollout"]["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, out, log) = job.cli(&[
        "rollout",
        "wait",
        &rollout_id,
        "--until",
        "completed",
        "--timeout",
        "5m",
        "--interval",
        "1",
    ]);
    assert_eq!(code, 10, "{out} {log}");
    assert_eq!(out["rollout"]["counters"]["successful"], 3);
}
