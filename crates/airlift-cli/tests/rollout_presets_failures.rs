//! `rollout start --preset`, `rollout failure-reasons` and `rollout devices --failure-reason`
//! against a real airliftd, with six temp-sensors run by the real `airlift-sim`: three of them
//! fail (two installs with the same message, one download breaking off), and the CLI groups
//! the reasons, lists exactly one reason's devices, and refuses flags that contradict each other
//! with a sentence, creating nothing.

mod common;
#[path = "../../airlift-desk/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use airlift_desk::client::ListParams;

const SENSORS: usize = 6;
const FAIL_MESSAGE: &str = "Flash write failed at block 0x3f00: bad checksum";

/// A child process killed on drop (the simulator).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sim(base: &str, token: &str) -> Command {
    let mut cmd = Command::new(airlift_testkit::bin("airlift-sim"));
    cmd.env("AIRLIFT_SERVER_URL", base)
        .env("AIRLIFT_TOKEN", token)
        .env("RUST_LOG", "warn");
    cmd
}

/// `SENSORS` temp-sensors on 1.0.0 in profile `lab`; their ids in the file's order.
fn provision(base: &str, token: &str, file: &Path) -> Vec<String> {
    let out = sim(base, token)
        .args([
            "provision",
            "--profile-name",
            "lab",
            "--device-type",
            "temp-sensor",
        ])
        .args(["--firmware", "1.0.0", "--name-prefix", "lab-sensor"])
        .args(["-n", &SENSORS.to_string(), "--out"])
        .arg(file)
        .output()
        .expect("run airlift-sim provision");
    assert!(
        out.status.success(),
        "airlift-sim provision: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(file)
        .expect("devices file")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a device line");
            v["device_id"].as_str().expect("device_id").to_owned()
        })
        .collect()
}

/// `airlift-cli ARGS` without `--json`: (exit code, stdout, stderr).
fn text(world: &common::World, args: &[&str]) -> (i32, String, String) {
    let json = world.command(args);
    let mut plain = Command::new(common::CLI);
    plain
        .args(json.get_args().filter(|a| *a != "--json"))
        .envs(json.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
    let out = plain.output().expect("run airlift-cli");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn presets_start_phased_rollouts_and_failures_group_with_their_devices() {
    let data = support::tempdir();
    let mut server = support::Server::start(data.path());
    let admin = server.client("acme", "admin");
    let admin_token = server.token("acme", "admin");
    let token = server.token("acme", "release-manager");
    let world = common::World::new(&server.base, &token);
    world.signing_key("release", Some(&admin)).await;
    let devices_file = world.dir.path().join("devices.jsonl");
    let ids = provision(&server.base, &admin_token, &devices_file);
    assert_eq!(ids.len(), SENSORS);

    let file = world.dir.path().join("fw.bin");
    std::fs::write(&file, vec![7u8; 60_000]).unwrap();
    let (code, out, err) = world.run(&[
        "upload",
        file.to_str().unwrap(),
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
        "release",
    ]);
    assert_eq!(code, 0, "{out} {err}");
    let package_id = out["package"]["package"]["package_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = [
        "rollout",
        "create",
        "--package",
        &package_id,
        "--profile",
        "lab",
    ];

    // Flags that contradict a preset, and a preset that does not exist: usage errors that say
    // which, before any request; nothing is created.
    for (extra, words) in [
        (
            vec!["--preset", "1-10-50-100", "--phase", "100"],
            "cannot be used with",
        ),
        (
            vec!["--preset", "1-10-50-100", "--canary-percent", "5"],
            "cannot be used with",
        ),
        (vec!["--preset", "1-10-100"], "1-10-50-100"),
    ] {
        let mut args = base.to_vec();
        args.extend(extra.iter().copied());
        let (code, out, _) = world.run(&args);
        assert_eq!(code, 2, "{extra:?}: {out}");
        let message = out["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("--preset"), "{extra:?}: {message}");
        assert!(message.contains(words), "{extra:?}: {message}");
    }
    assert!(
        admin
            .rollouts(&ListParams::new(10, None))
            .await
            .unwrap()
            .data
            .is_empty(),
        "nothing half-made"
    );
    // --help lists the presets with what they do.
    let (code, help, _) = text(&world, &["rollout", "start", "--help"]);
    assert_eq!(code, 0);
    assert!(
        help.contains("canary-then-everyone") && help.contains("5% -> 100%"),
        "{help}"
    );

    // A preset is airlift-core's plan, as the app's wizard offers it.
    let mut args = base.to_vec();
    args.extend(["--preset", "canary-then-everyone"]);
    let (code, out, err) = world.run(&args);
    assert_eq!(code, 0, "{out} {err}");
    let phased = out["rollout"]["rollout_id"].as_str().unwrap().to_owned();
    let r = admin.rollout(&phased).await.unwrap().summary;
    assert_eq!(
        r.phases.as_deref(),
        Some(
            airlift_core::phases::preset("canary-then-everyone")
                .unwrap()
                .phases
                .as_slice()
        )
    );
    assert_eq!(r.canary_percent, 5, "the first phase's slice");
    assert_eq!(r.scheduled_count, 1, "ceil(5 % of 6)");
    // Free the sensors for the next rollout (one unfinished rollout per device).
    let (code, out, _) = world.run(&["rollout", "cancel", &phased]);
    assert_eq!(code, 0, "{out}");

    // Every sensor at once; three fail: two installs the same way, one download.
    let _sim = Running(
        sim(&server.base, &admin_token)
            .args(["run", "--devices"])
            .arg(&devices_file)
            .args(["--seed", "7", "--poll", "300ms", "--install-time", "100ms"])
            .args(["--reboot-time", "100ms", "--fail-install", "0"])
            .args(["--device-fault", "0=install", "--device-fault", "1=install"])
            .args(["--device-fault", "2=download"])
            .args(["--fail-message", FAIL_MESSAGE])
            .args([
                "--no-signature-check",
                "--until",
                "forever",
                "--max-time",
                "5m",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run airlift-sim"),
    );
    let mut args = base.to_vec();
    args.extend([
        "--strategy",
        "all-at-once",
        "--failure-threshold-percent",
        "100",
    ]);
    let (code, out, err) = world.run(&args);
    assert_eq!(code, 0, "{out} {err}");
    let id = out["rollout"]["rollout_id"].as_str().unwrap().to_owned();
    let (code, out, _) = world.run(&[
        "rollout",
        "wait",
        &id,
        "--timeout",
        "90s",
        "--interval",
        "1",
    ]);
    assert_eq!(code, 11, "completed with some devices failed: {out}");

    // The reasons, grouped, largest first.
    let (code, out, _) = world.run(&["rollout", "failure-reasons", &id]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["fresh"], true);
    let reasons = out["failure_reasons"].as_array().expect("reasons").clone();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0]["count"], 2, "{reasons:?}");
    assert_eq!(reasons[0]["status"], "INSTALL_ERROR");
    assert_eq!(reasons[0]["example_message"], FAIL_MESSAGE);
    assert_eq!(reasons[1]["count"], 1, "{reasons:?}");
    let install = reasons[0]["reason"].as_str().unwrap().to_owned();
    let download = reasons[1]["reason"].as_str().unwrap().to_owned();
    assert!(
        install.starts_with("Flash write failed at block"),
        "{install}"
    );
    assert!(!install.contains("0x3f00"), "hex taken out: {install}");
    // In words: a table, then how to list a reason's devices.
    let (code, table, _) = text(&world, &["rollout", "failure-reasons", &id]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "3 failed devices, 2 reasons", "{table}");
    assert!(lines[1].starts_with("DEVICES  STATUS"), "{table}");
    assert!(
        lines[2].starts_with("2 ") && lines[2].ends_with(&install),
        "{table}"
    );
    assert!(
        table.contains(&format!("rollout devices {id} --failure-reason")),
        "{table}"
    );

    // One reason's devices: exactly the two that failed that way, with their own message.
    let (code, out, _) = world.run(&["rollout", "devices", &id, "--failure-reason", &install]);
    assert_eq!(code, 0, "{out}");
    let mut listed: Vec<String> = out["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_id"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    let mut expected = vec![ids[0].clone(), ids[1].clone()];
    expected.sort();
    assert_eq!(listed, expected);
    for d in out["devices"].as_array().unwrap() {
        assert_eq!(d["state"], "failed");
        assert_eq!(d["last_message"], FAIL_MESSAGE);
    }
    let (code, out, _) = world.run(&["rollout", "devices", &id, "--failure-reason", &download]);
    assert_eq!(code, 0, "{out}");
    let one: Vec<&str> = out["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_id"].as_str().unwrap())
        .collect();
    assert_eq!(one, [ids[2].as_str()]);
    // Every device, a page at a time.
    let (code, out, _) = world.run(&["rollout", "devices", &id, "--limit", "4"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["devices"].as_array().unwrap().len(), 4);
    assert_eq!(out["has_more"], true);
    let (code, page, _) = text(&world, &["rollout", "devices", &id, "--limit", "4"]);
    assert_eq!(code, 0);
    assert!(page.starts_with("DEVICE"), "{page}");
    assert!(
        page.trim_end().ends_with("more devices: --offset 4"),
        "{page}"
    );
    let (code, out, _) = world.run(&["rollout", "devices", &id, "--state", "successful"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["devices"].as_array().unwrap().len(), SENSORS - 3);

    // A reason no device failed with: none. A status without its reason: a usage error. Another
    // tenant's rollout: not found.
    let (code, out, _) = world.run(&[
        "rollout",
        "devices",
        &id,
        "--failure-reason",
        "nothing like it",
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["devices"].as_array().unwrap().len(), 0);
    let (code, out, _) = world.run(&["rollout", "devices", &id, "--failure-status", "TIMED_OUT"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--failure-reason"),
        "{out}"
    );
    let stranger = common::World::new(&server.base, &server.token("globex", "admin"));
    for args in [
        vec!["rollout", "failure-reasons", id.as_str()],
        vec!["rollout", "devices", id.as_str()],
    ] {
        let (code, out, _) = stranger.run(&args);
        assert_eq!(code, 4, "{args:?}: {out}");
        assert_eq!(out["error"]["code"], "NOT_FOUND", "{args:?}");
    }

    // The server gone: the reasons as last fetched, saying so; not with --require-fresh. The
    // devices need the server.
    drop(_sim);
    server.kill();
    let (code, out, _) = world.run(&["rollout", "failure-reasons", &id]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["fresh"], false);
    assert_eq!(out["failure_reasons"].as_array().unwrap().len(), 2, "{out}");
    let (code, stale, _) = text(&world, &["rollout", "failure-reasons", &id]);
    assert_eq!(code, 0);
    assert!(
        stale.starts_with("STALE: the server is unreachable"),
        "{stale}"
    );
    assert!(stale.contains(&install), "{stale}");
    let (code, out, _) = world.run(&["--require-fresh", "rollout", "failure-reasons", &id]);
    assert_eq!(code, 3, "{out}");
    let (code, out, _) = world.run(&["rollout", "devices", &id]);
    assert_eq!(code, 3, "{out}");
}
