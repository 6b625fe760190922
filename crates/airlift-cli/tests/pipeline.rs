//! A release pipeline as a CI job runs it (no TTY, settings in the environment), with the real
//! airliftd, airlift-cli and airlift-sim binaries: create a key, register it, upload a signed
//! build, start a rollout twice with the same inputs (one rollout), wait until the simulated
//! devices finish, read the devices' OTA state and export a history as CSV.

mod common;
#[path = "../../airlift-desk/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use common::ci_job::{sim, CiJob, KillOnDrop};

#[tokio::test(flavor = "multi_thread")]
async fn a_pipeline_signs_uploads_rolls_out_once_and_waits_for_the_fleet() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let job = CiJob {
        home: tempfile::tempdir().unwrap(),
        base: server.base.clone(),
        token: server.token("ci", "admin"),
        ca: None,
    };

    // The fleet: six simulated devices on 1.0.0 in profile "lab".
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
        .args(["--firmware", "1.0.0", "-n", "6", "--out"])
        .arg(&devices_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A key, created and registered from the CLI, in the folder the desktop app shares.
    let (code, out, err) = job.cli(&["key", "create", "ci-key"]);
    assert_eq!(code, 0, "{out} {err}");
    let key_id = out["key"]["key_id"].as_str().unwrap().to_owned();
    assert!(job
        .home
        .path()
        .join(format!("data/airlift/keys/{key_id}.key.pem"))
        .is_file());
    let (code, out, err) = job.cli(&["key", "register", "ci-key"]);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(
        out["registration"]["fingerprint"],
        out["key"]["fingerprint"]
    );
    let (code, out, _) = job.cli(&["key", "list"]);
    assert_eq!(code, 0);
    assert_eq!(out["keys"].as_array().unwrap().len(), 1);

    // A signed build: 5 MiB in 1 MiB parts, with progress lines in the (non-TTY) log.
    let firmware = job.home.path().join("fw-2.0.0.bin");
    let bytes: Vec<u8> = (0..5 << 20).map(|i: u32| (i % 253) as u8).collect();
    std::fs::write(&firmware, bytes).unwrap();
    let upload = [
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
        "--part-size-mib",
        "5",
        "--key",
        "ci-key",
    ];
    let (code, out, log) = job.cli(&upload);
    assert_eq!(code, 0, "{out} {log}");
    let package_id = out["package"]["package"]["package_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        out["package"]["signature_verified_with"].is_string(),
        "{out}"
    );
    assert!(log.contains("upload: 100% (5.0 MiB of 5.0 MiB)"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "no escape codes off a TTY: {log:?}"
    );
    // The step rerun: the same package, nothing uploaded again.
    let (code, out, _) = job.cli(&upload);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["already_published"], true);
    assert_eq!(out["package"]["package"]["package_id"], package_id.as_str());

    // The devices run while the pipeline goes on.
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

    // `rollout start` twice with the same inputs (a retried step): one rollout.
    let start = [
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
    ];
    let (code, first, err) = job.cli(&start);
    assert_eq!(code, 0, "{first} {err}");
    let first_id = first["rollout"]["rollout_id"].as_str().unwrap().to_owned();
    // A watcher that stops by itself when the rollout finishes, in the log as lines of text.
    let watch = job
        .command(Path::new(common::CLI))
        .args(["watch", "--rollout", &first_id, "--exit-on-final"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (code, second, err) = job.cli(&start);
    assert_eq!(code, 0, "{second} {err}");
    let rollout_id = first["rollout"]["rollout_id"].as_str().unwrap().to_owned();
    assert_eq!(second["rollout"]["rollout_id"], rollout_id.as_str());
    let (code, out, _) = job.cli(&["rollout", "list"]);
    assert_eq!(code, 0);
    assert_eq!(out["rollouts"].as_array().unwrap().len(), 1, "{out}");

    // Wait for the fleet: exit 10 = completed, every device succeeded.
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
    assert_eq!(out["rollout"]["status"], "completed");
    assert_eq!(out["rollout"]["outcome"], "succeeded");
    assert_eq!(out["rollout"]["counters"]["successful"], 6);
    assert!(
        log.contains(&format!(
            "rollout {rollout_id}: completed (every device succeeded)"
        )),
        "{log}"
    );

    let watched = watch.wait_with_output().unwrap();
    let watch_log = String::from_utf8_lossy(&watched.stdout);
    assert_eq!(watched.status.code(), Some(10), "{watch_log}");
    assert!(
        watch_log.contains(&format!("rollout {rollout_id}")) && watch_log.contains("completed"),
        "{watch_log}"
    );
    assert!(watch_log.contains("6 succeeded"), "{watch_log}");

    // The devices' OTA fields come from the rollout.
    let (code, out, _) = job.cli(&["devices", "list"]);
    assert_eq!(code, 0);
    assert_eq!(out["total"], 6);
    let devices = out["devices"].as_array().unwrap();
    for d in devices {
        assert_eq!(d["ota_status"], "completed", "{d}");
        assert_eq!(d["target_version"], "2.0.0", "{d}");
        assert_eq!(d["firmware_version"], "2.0.0", "{d}");
        assert!(d["last_update_at"].is_string(), "{d}");
    }

    // One device's history as CSV.
    let device_id = devices[0]["id"].as_str().unwrap();
    let out = job
        .command(Path::new(common::CLI))
        .args(["devices", "history", device_id, "--csv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines.next().unwrap().starts_with("time,event,status"),
        "{csv}"
    );
    assert!(csv.contains("INSTALLED_VERSION"), "{csv}");
    assert!(csv.contains(&rollout_id), "{csv}");

    // Watching a finished rollout with --exit-on-final answers at once with the same code.
    let (code, out, _) = job.cli(&["watch", "--rollout", &rollout_id, "--exit-on-final"]);
    assert_eq!(code, 10, "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_file_signs_and_failed_devices_are_retried_on_their_own() {
    let data = support::tempdir();
    let mut server = support::Server::start(data.path());
    let job = CiJob {
        home: tempfile::tempdir().unwrap(),
        base: server.base.clone(),
        token: server.token("ci", "admin"),
        ca: None,
    };
    let home = job.home.path();

    // An OpenSSL key, encrypted, with its passphrase in a file; its public half registered.
    let key = home.join("release.pem");
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    openssl(&[
        "genpkey",
        "-algorithm",
        "ED25519",
        "-aes-256-cbc",
        "-pass",
        "pass:file secret",
        "-out",
        key.to_str().unwrap(),
    ]);
    let public = openssl(&[
        "pkey",
        "-in",
        key.to_str().unwrap(),
        "-passin",
        "pass:file secret",
        "-pubout",
    ]);
    let admin = server.client("ci", "admin");
    admin
        .create_signing_key(&airlift_core::wire::CreateSigningKey {
            name: "release".into(),
            algorithm: "ed25519".into(),
            public_key_pem: String::from_utf8(public).unwrap(),
        })
        .await
        .unwrap();
    let pass_file = home.join("passphrase.txt");
    std::fs::write(&pass_file, "file secret\n").unwrap();

    let devices_file = home.join("devices.jsonl");
    let out = job
        .command(&sim())
        .args([
            "provision",
            "--profile-name",
            "lab",
            "--device-type",
            "temp-sensor",
        ])
        .args(["--firmware", "1.0.0", "-n", "4", "--out"])
        .arg(&devices_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Device 0's installs always fail.
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
            .args(["--device-fault", "0=install", "--until", "10m"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let firmware = home.join("fw.bin");
    std::fs::write(&firmware, vec![7u8; 300_000]).unwrap();
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
        "--key-file",
        key.to_str().unwrap(),
        "--key-passphrase-file",
        pass_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out} {err}");
    let package_id = out["package"]["package"]["package_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        out["package"]["signature_verified_with"].is_string(),
        "{out}"
    );

    let (code, out, err) = job.cli(&[
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
    ]);
    assert_eq!(code, 0, "{out} {err}");
    let first = out["rollout"]["rollout_id"].as_str().unwrap().to_owned();
    let wait = |id: &str| {
        job.cli(&[
            "rollout",
            "wait",
            id,
            "--until",
            "completed",
            "--timeout",
            "2m",
            "--interval",
            "1",
        ])
    };
    let (code, out, _) = wait(&first);
    assert_eq!(code, 11, "completed with a failure: {out}");
    assert_eq!(out["rollout"]["outcome"], "some_failed");
    assert_eq!(out["rollout"]["counters"]["failed"], 1);
    assert_eq!(out["rollout"]["counters"]["successful"], 3);

    // The failed device alone, twice asked (a retried step): one new rollout.
    let (code, retry, err) = job.cli(&["rollout", "retry-failed", &first]);
    assert_eq!(code, 0, "{retry} {err}");
    assert_eq!(retry["rollout"]["retry_of"], first.as_str());
    assert_eq!(retry["rollout"]["eligible_count"], 1);
    let retry_id = retry["rollout"]["rollout_id"].as_str().unwrap().to_owned();
    let (code, again, _) = job.cli(&["rollout", "retry-failed", &first]);
    assert_eq!(code, 0, "{again}");
    assert_eq!(again["rollout"]["rollout_id"], retry_id.as_str());

    // It fails again: one failure of one device is over the threshold, so the retry pauses
    // (exit 13) rather than completes.
    let (code, out, _) = job.cli(&[
        "rollout",
        "wait",
        &retry_id,
        "--until",
        "any-final",
        "--timeout",
        "60s",
        "--interval",
        "1",
    ]);
    assert_eq!(code, 13, "{out}");
    assert_eq!(out["rollout"]["status"], "paused");
    assert_eq!(out["rollout"]["counters"]["failed"], 1);
    let (code, out, _) = job.cli(&["rollout", "list"]);
    assert_eq!(code, 0);
    assert_eq!(out["rollouts"].as_array().unwrap().len(), 2);
    assert_eq!(out["fresh"], true);
    let online = out["rollouts"].clone();

    // The server gone, the same list comes from the cache, marked stale; --require-fresh refuses.
    server.kill();
    let (code, out, _) = job.cli(&["rollout", "list"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["fresh"], false, "{out}");
    assert!(out["offline_reason"].as_str().unwrap().contains(&job.base));
    assert_eq!(out["rollouts"], online);
    let (code, out, _) = job.cli(&["--require-fresh", "rollout", "list"]);
    assert_eq!(code, 3, "{out}");
    assert_eq!(out["error"]["code"], "OFFLINE");
}
