//! `airlift-cli rollout ...` and `devices history` against a real airliftd.

mod common;
#[path = "../../airlift-desk/tests/support/mod.rs"]
mod support;

use airlift_core::wire::{BulkCreateDevices, CreateDevice, CreateProfile};

#[tokio::test(flavor = "multi_thread")]
async fn rollout_lifecycle_and_device_history() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let admin = server.client("acme", "admin");
    let token = server.token("acme", "release-manager");
    let world = common::World::new(&server.base, &token);
    world.signing_key("release", Some(&admin)).await;

    let profile = admin
        .create_profile(&CreateProfile {
            name: "lab".into(),
            device_type: "temp-sensor".into(),
        })
        .await
        .unwrap();
    let devices = (0..10)
        .map(|i| CreateDevice {
            name: format!("s{i}"),
            profile_id: profile.profile_id.clone(),
            device_type: "temp-sensor".into(),
            firmware_version: "1.0.0".into(),
        })
        .collect();
    let provisioned = admin
        .create_devices_bulk(&BulkCreateDevices { devices })
        .await
        .unwrap();

    let file = world.dir.path().join("fw.bin");
    std::fs::write(&file, vec![3u8; 100_000]).unwrap();
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

    let (code, out, err) = world.run(&[
        "rollout",
        "start",
        "--package",
        &package_id,
        "--profile",
        &profile.profile_id,
        "--canary-percent",
        "20",
        "--failure-threshold-percent",
        "50",
    ]);
    assert_eq!(code, 0, "{out} {err}");
    let rollout = &out["rollout"];
    assert_eq!(rollout["status"], "active");
    assert_eq!(rollout["scheduled_count"], 2);
    let id = rollout["rollout_id"].as_str().unwrap().to_owned();

    let (code, out, _) = world.run(&["rollout", "pause", &id]);
    assert_eq!(code, 0);
    assert_eq!(out["rollout"]["status"], "paused");
    let (code, out, _) = world.run(&["rollout", "pause", &id]);
    assert_eq!(code, 4, "pausing a paused rollout is refused: {out}");
    assert_eq!(out["error"]["code"], "FAILED_PRECONDITION");
    let (code, out, _) = world.run(&["rollout", "resume", &id]);
    assert_eq!(code, 0);
    assert_eq!(out["rollout"]["status"], "active");
    let (code, out, _) = world.run(&["rollout", "advance", &id, "--canary-percent", "50"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["rollout"]["canary_percent"], 50);
    let (code, out, _) = world.run(&["rollout", "status", &id]);
    assert_eq!(code, 0);
    let transitions = out["rollout"]["transitions"].as_array().unwrap();
    assert!(transitions.len() >= 4, "{transitions:?}");
    let (code, out, _) = world.run(&["rollout", "rollback", &id]);
    assert_eq!(code, 0, "{out}");
    // Without a rollback package and with no device updated, a rollback finishes at once.
    let status = out["rollout"]["status"].as_str().unwrap();
    assert!(["rolling_back", "completed"].contains(&status), "{status}");
    // In words, with the rollback counters: never Rust's Debug.
    let status = text(&world, &["rollout", "status", &id]);
    assert!(status.contains("created -> active (start by"), "{status}");
    assert!(status.contains("paused -> active (resume by"), "{status}");
    assert!(
        !status.contains("Some(") && !status.contains("None"),
        "{status}"
    );
    let (code, out, _) = world.run(&["rollout", "status", "ro_missing"]);
    assert_eq!(code, 4);
    assert_eq!(out["error"]["code"], "NOT_FOUND");

    let device = &provisioned.data[0].device.device_id;
    let (code, out, _) = world.run(&["devices", "history", device]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["device_id"], device.as_str());
    assert_eq!(out["fresh"], true);
    assert!(out["history"].is_array());

    let (code, out, _) = world.run(&["sync"]);
    assert_eq!(code, 0);
    assert_eq!(out["rollouts"]["listed"], 1);
    assert_eq!(out["devices"]["listed"], 10);
    let (code, out, _) = world.run(&["sync"]);
    assert_eq!(code, 0);
    assert_eq!(out["devices"]["incremental"], true);
    assert_eq!(out["devices"]["listed"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_and_devices_from_the_cli_and_text_in_words() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let world = common::World::new(&server.base, &server.token("acme", "admin"));

    let (code, out, err) = world.run(&["profile", "create", "lab", "--device-type", "gateway"]);
    assert_eq!(code, 0, "{out} {err}");
    let profile_id = out["profile"]["profile_id"].as_str().unwrap().to_owned();
    // The same command again (a retried step): the same profile, not a second one.
    let (code, again, _) = world.run(&["profile", "create", "lab", "--device-type", "gateway"]);
    assert_eq!(code, 0, "{again}");
    assert_eq!(again["profile"]["profile_id"], profile_id.as_str());
    let (code, out, _) = world.run(&["profile", "list"]);
    assert_eq!(code, 0);
    assert_eq!(out["profiles"].as_array().unwrap().len(), 1);

    // A device in the profile named by name; its type defaults to the profile's.
    let (code, out, err) = world.run(&[
        "devices",
        "create",
        "gw-1",
        "--profile",
        "lab",
        "--firmware-version",
        "1.0.0",
    ]);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["device"]["device_type"], "gateway");
    assert_eq!(out["device"]["profile_id"], profile_id.as_str());
    assert!(!out["device"]["device_token"].as_str().unwrap().is_empty());
    let (code, out, _) = world.run(&[
        "devices",
        "create",
        "gw-2",
        "--profile",
        "no-such-profile",
        "--firmware-version",
        "1.0.0",
    ]);
    assert_eq!(code, 4, "{out}");
    assert_eq!(out["error"]["code"], "NOT_FOUND");

    // `devices list --prefix`: the total counts the matches; the text is words.
    let stdout = text(&world, &["devices", "list", "--prefix", "GW"]);
    assert!(
        stdout.contains("gw-1  gateway  version 1.0.0  idle"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("1 devices starting with \"GW\""),
        "{stdout}"
    );
}

/// `airlift-cli ARGS` as text (the world's settings without `--json`): stdout.
fn text(world: &common::World, args: &[&str]) -> String {
    let json = world.command(args);
    let mut plain = std::process::Command::new(common::CLI);
    plain
        .args(json.get_args().filter(|a| *a != "--json"))
        .envs(json.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
    let out = plain.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `rollout start` (alias `create`) takes the wizard's plan: phases, a start time, a maintenance
/// window, retries and `min_devices`; the server's rollout has them, and bad phases are refused
/// with a sentence before or by the server, creating nothing.
#[tokio::test(flavor = "multi_thread")]
async fn rollout_start_takes_phases_a_start_time_a_window_and_retries() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let admin = server.client("acme", "admin");
    let token = server.token("acme", "release-manager");
    let world = common::World::new(&server.base, &token);
    world.signing_key("release", Some(&admin)).await;
    let profile = admin
        .create_profile(&CreateProfile {
            name: "lab".into(),
            device_type: "temp-sensor".into(),
        })
        .await
        .unwrap();
    let devices = (0..8)
        .map(|i| CreateDevice {
            name: format!("s{i}"),
            profile_id: profile.profile_id.clone(),
            device_type: "temp-sensor".into(),
            firmware_version: "1.0.0".into(),
        })
        .collect();
    admin
        .create_devices_bulk(&BulkCreateDevices { devices })
        .await
        .unwrap();
    let file = world.dir.path().join("fw.bin");
    std::fs::write(&file, vec![5u8; 50_000]).unwrap();
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
    let start_at = time::OffsetDateTime::now_utc() + time::Duration::days(2);
    let start_at = start_at
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let base = [
        "rollout",
        "create",
        "--package",
        &package_id,
        "--profile",
        "lab",
    ];

    // Phases that fall back are refused by the server, naming the phase; nothing is created.
    let mut falling = base.to_vec();
    falling.extend(["--phase", "50", "--phase", "10", "--phase", "100"]);
    let (code, out, _) = world.run(&falling);
    assert_eq!(code, 4, "{out}");
    assert_eq!(out["error"]["code"], "INVALID_ARGUMENT");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rise strictly"),
        "{out}"
    );
    // A phase the flag's syntax cannot read is a usage error before any request.
    let mut unreadable = base.to_vec();
    unreadable.extend(["--phase", "10:soon"]);
    let (code, out, _) = world.run(&unreadable);
    assert_eq!(code, 2, "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the soak is a duration"),
        "{out}"
    );
    let listed = admin
        .rollouts(&airlift_desk::client::ListParams::new(10, None))
        .await
        .unwrap();
    assert!(listed.data.is_empty(), "nothing half-made: {listed:?}");

    let mut good = base.to_vec();
    good.extend([
        "--phase",
        "25:30m:90",
        "--phase",
        "50:1h:95",
        "--phase",
        "100",
        "--failure-threshold-percent",
        "20",
        "--min-devices",
        "3",
        "--start-at",
        &start_at,
        "--window-days",
        "mon,tue,sat",
        "--window-start",
        "22:00",
        "--window-end",
        "04:00",
        "--window-timezone",
        "Europe/Berlin",
        "--retry-attempts",
        "3",
        "--retry-backoff",
        "5m",
    ]);
    let (code, out, err) = world.run(&good);
    assert_eq!(code, 0, "{out} {err}");
    let id = out["rollout"]["rollout_id"].as_str().unwrap().to_owned();
    let r = admin.rollout(&id).await.unwrap().summary;
    assert_eq!(r.status.as_str(), "scheduled");
    assert_eq!(r.canary_percent, 25, "the first phase's slice");
    let phases: Vec<(u32, u64, u32)> = r
        .phases
        .as_ref()
        .expect("phases")
        .iter()
        .map(|p| (p.percent, p.soak_seconds, p.min_success_percent))
        .collect();
    assert_eq!(phases, [(25, 1800, 90), (50, 3600, 95), (100, 0, 0)]);
    assert_eq!(r.min_devices, 3);
    assert_eq!(r.start_at.as_deref(), Some(start_at.as_str()));
    let window = r.maintenance_window.expect("window");
    assert_eq!(window.timezone, "Europe/Berlin");
    assert_eq!(window.days, ["mon", "tue", "sat"]);
    assert_eq!(
        (window.start.as_str(), window.end.as_str()),
        ("22:00", "04:00")
    );
    let retry = r.retry.expect("retry");
    assert_eq!((retry.max_attempts, retry.backoff_seconds), (3, 300));

    // In words: the plan reads back from `rollout status`.
    let status = text(&world, &["rollout", "status", &id]);
    assert!(
        status.contains("phases: 25% (soak 1800s, gate 90%) -> 50% (soak 3600s, gate 95%) -> 100%"),
        "{status}"
    );
    assert!(
        status.contains("window: mon,tue,sat 22:00-04:00 Europe/Berlin"),
        "{status}"
    );
    assert!(status.contains("retries: 3 attempts"), "{status}");
    assert!(
        status.contains(&format!("starts at {start_at}")),
        "{status}"
    );
}
