//! Rollouts end to end, in the real window against a real airliftd and real simulated devices
//! (`airlift-sim`, fixed seed): a canary started through the wizard completes after an advance
//! to 100 %; a second rollout whose devices fail their installs pauses itself, and Rollback
//! brings every device back to the rollback version; a support-role connection sees the
//! rollouts but cannot act on them, not even on a paused one an admin could resume or roll back;
//! with the fleet stopped, the cache still shows them.

mod support;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::Value;
use support::ui;

/// How long simulated devices may take to settle a rollout (they poll every 300 ms).
const SETTLE: Duration = Duration::from_secs(60);

/// A child process killed on drop (the demo fleet takes its airliftd with it).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        // SIGTERM first so `airlift-sim demo` stops its airliftd; then make sure.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        for _ in 0..50 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Fast, deterministic simulated devices.
const SIM_FLAGS: &[&str] = &[
    "--seed",
    "7",
    "--poll",
    "300ms",
    "--jitter",
    "0.2",
    "--install-time",
    "200ms",
    "--reboot-time",
    "200ms",
];

/// `airlift-sim demo`: airliftd with tenant `demo`, signed packages 2.0.0 and 1.4.2 for
/// temp-sensor, and 24 devices (21 sensors in `temp-sensor-v2`, 3 gateways) that never fail.
fn start_demo(dir: &Path) -> (Proc, Value) {
    let mut child = Command::new(airlift_testkit::bin("airlift-sim"))
        .args(["demo", "--data"])
        .arg(dir)
        .args(["--devices", "24", "--fail-install", "0"])
        .args(SIM_FLAGS)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start airlift-sim demo");
    let stdout = child.stdout.take().expect("demo stdout");
    let proc = Proc(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the demo's info line");
    let info: Value = serde_json::from_str(&line)
        .unwrap_or_else(|err| panic!("demo info line is not JSON ({err}): {line:?}"));
    (proc, info)
}

fn sim(url: &str, token: &str) -> Command {
    let mut c = Command::new(airlift_testkit::bin("airlift-sim"));
    c.env("AIRLIFT_SERVER_URL", url)
        .env("AIRLIFT_TOKEN", token)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    c
}

/// Ten sensors in profile `lab-sensors` on 1.4.2, the first three of which fail every install
/// (INSTALL_ERROR); rollback commands are not affected. Their installs and reboots take 2 s.
fn start_failing_lab(url: &str, token: &str, dir: &Path) -> Proc {
    let child = sim(url, token)
        .args(["run", "--provision", "10", "--profile-name", "lab-sensors"])
        .args(["--device-type", "temp-sensor", "--firmware", "1.4.2"])
        .arg("--save")
        .arg(dir.join("lab.jsonl"))
        .args(["--device-fault", "0=install", "--device-fault", "1=install"])
        .args(["--device-fault", "2=install", "--until", "forever"])
        // A longer reboot than the demo's, so the rollback stays visible for a screenshot.
        .args(
            SIM_FLAGS
                .iter()
                .map(|f| if *f == "200ms" { "2s" } else { f }),
        )
        .spawn()
        .expect("start airlift-sim run");
    Proc(child)
}

/// Two sensors on 0.9.0 in the demo profile: below the packages' minimum version, so the
/// wizard has someone to explain.
fn provision_legacy(url: &str, token: &str, profile: &str, dir: &Path) {
    let status = sim(url, token)
        .args([
            "provision",
            "--profile",
            profile,
            "--firmware",
            "0.9.0",
            "-n",
            "2",
        ])
        .args(["--name-prefix", "legacy", "--out"])
        .arg(dir.join("legacy.jsonl"))
        .status()
        .expect("airlift-sim provision");
    assert!(status.success(), "airlift-sim provision failed");
}

fn app_env(data: &Path, url: &str, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AIRLIFT_DATA_DIR", data.display().to_string()),
        ("AIRLIFT_SERVER_URL", url.to_owned()),
        ("AIRLIFT_TOKEN", token.to_owned()),
        ("AIRLIFT_CONNECTION_NAME", "e2e".to_owned()),
    ]
}

fn api(url: &str, token: &str) -> airlift_desk::client::Client {
    airlift_desk::client::Client::new(
        url,
        Some(airlift_desk::secret::Secret::new(token)),
        Default::default(),
    )
    .expect("API client")
}

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
        .to_owned()
}

async fn select(client: &Client, css: &str, value: &str) {
    // Options arrive from the server; wait for this one before choosing it.
    ui::find(client, &format!("{css} option[value='{value}']")).await;
    ui::find(client, css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|err| panic!("select {value} in {css}: {err}"));
}

/// Replaces a short input's text (controlled inputs need real key presses).
async fn retype(client: &Client, css: &str, value: &str) {
    let backspaces = "\u{E003}".repeat(6);
    ui::type_into(client, css, &format!("{backspaces}{value}")).await;
}

async fn wait_status(client: &Client, label: &str) {
    support::wait_for_text(client, "[data-testid=rollout-status]", SETTLE, |t| {
        t == label
    })
    .await;
}

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    ui::find(client, css)
        .await
        .attr(name)
        .await
        .unwrap_or_else(|err| panic!("attribute {name} of {css}: {err}"))
}

/// Walks the wizard through package, profile and strategy; returns at the review step.
async fn wizard(
    client: &Client,
    package: &str,
    profile: &str,
    canary: &str,
    threshold: &str,
    rollback: &str,
) {
    ui::click_button(client, "Rollouts").await;
    // From a rollout's view, back to the list first.
    if let Ok(back) = client.find(Locator::Css("button.link.back")).await {
        back.click().await.expect("back to the list");
    }
    ui::click(client, "[data-testid=open-rollout-wizard]").await;
    select(client, "#w-package", package).await;
    select(client, "#w-profile", profile).await;
    support::wait_for_text(client, "[data-testid=eligible-count]", ui::TIMEOUT, |t| {
        !t.is_empty()
    })
    .await;
    ui::click_button(client, "Next: strategy").await;
    retype(client, "#w-canary", canary).await;
    retype(client, "#w-threshold", threshold).await;
    select(client, "#w-rollback", rollback).await;
    support::wait_for_text(client, "[data-testid=strategy-count]", ui::TIMEOUT, |t| {
        t.starts_with("Starts with")
    })
    .await;
    ui::click_button(client, "Next: schedule").await;
    ui::click_button(client, "Next: review").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_succeeds_failed_rollout_pauses_and_rolls_back_failures_are_retried_support_reads_cache_offline(
) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (demo, info) = start_demo(&tmp.path().join("demo"));
    let url = text(&info, "url");
    let admin = text(&info, "admin_token");
    let support_token = text(&info, "support_token");
    let sensors = text(&info["profiles"], "temp-sensor-v2");
    let new_pkg = text(&info["packages"], "temp-sensor-fw-2.0.0");
    let old_pkg = text(&info["packages"], "temp-sensor-fw-1.4.2");
    provision_legacy(&url, &admin, &sensors, tmp.path());
    let lab_fleet = start_failing_lab(&url, &admin, tmp.path());
    let server = api(&url, &admin);
    let lab = wait_for_profile(&server, "lab-sensors", 10).await;

    let app = Path::new(env!("CARGO_BIN_EXE_airlift"));
    let display = support::Display::start();
    let data: PathBuf = tmp.path().join("app");
    let driver = support::Driver::start_with_env(&display, &app_env(&data, &url, &admin));
    let client = driver.session(app).await;
    support::wait_for_text(
        &client,
        "[data-testid=connection-state]",
        ui::TIMEOUT,
        |t| t.contains("Online"),
    )
    .await;

    // 1. A 20 % canary of the 21 eligible sensors: the wizard explains the 2 left out and
    //    schedules ceil(20 % × 21) = 5.
    wizard(&client, &new_pkg, &sensors, "20", "10", &old_pkg).await;
    let review = support::wait_for_text(&client, "[data-testid=review]", ui::TIMEOUT, |t| {
        t.contains("below min version")
    })
    .await;
    assert!(review.contains("2 below min version"), "{review}");
    let scheduled = support::wait_for_text(
        &client,
        "[data-testid=review-scheduled]",
        ui::TIMEOUT,
        |t| !t.is_empty(),
    )
    .await;
    assert_eq!(scheduled, "5");
    support::screenshot(&client, "rollout-wizard").await;
    ui::click(&client, "[data-testid=start-rollout]").await;

    // The canary completes on its own; the rest waits outside the slice.
    support::wait_for_text(&client, "[data-testid=count-successful]", SETTLE, |t| {
        t == "5"
    })
    .await;
    assert_eq!(
        ui::find(&client, "[data-testid=count-pending]")
            .await
            .text()
            .await
            .unwrap(),
        "16"
    );
    wait_status(&client, "Active").await;
    support::screenshot(&client, "rollout-active").await;

    // Advance to 100 %: every sensor updates and the rollout completes by itself.
    ui::click(&client, "[data-testid=action-advance]").await;
    retype(&client, "#advance-percent", "100").await;
    ui::click(&client, "[data-testid=confirm-advance]").await;
    // Every device succeeded: the outcome reads as a success (green), not just "completed".
    wait_status(&client, "Succeeded").await;
    support::wait_for_text(
        &client,
        "[data-testid=count-successful]",
        ui::TIMEOUT,
        |t| t == "21",
    )
    .await;
    assert_eq!(
        attr(&client, "[data-node=completed]", "aria-current")
            .await
            .as_deref(),
        Some("true")
    );
    no_operator_actions(&client, "a completed rollout").await;

    // 2. The lab rollout: 3 of 10 installs fail, above the 20 % threshold → auto-pause.
    wizard(&client, &new_pkg, &lab, "100", "20", &old_pkg).await;
    ui::click(&client, "[data-testid=start-rollout]").await;
    wait_status(&client, "Paused").await;
    assert_eq!(
        attr(&client, "[data-testid=state-diagram]", "data-status")
            .await
            .as_deref(),
        Some("paused")
    );
    assert_eq!(
        attr(&client, "[data-node=paused]", "aria-current")
            .await
            .as_deref(),
        Some("true")
    );
    let history = ui::find(&client, "[data-testid=transitions]")
        .await
        .text()
        .await
        .unwrap();
    assert!(history.contains("auto-paused"), "{history}");
    assert!(history.contains("system"), "{history}");
    support::wait_for_text(&client, "[data-testid=count-failed]", ui::TIMEOUT, |t| {
        t == "3"
    })
    .await;
    assert!(is_enabled(&client, "resume").await && is_enabled(&client, "rollback").await);
    assert!(!is_enabled(&client, "pause").await && !is_enabled(&client, "advance").await);
    // Let the devices that were mid-install finish, so the screenshot shows the settled pause.
    support::wait_for_text(&client, "[data-testid=count-successful]", SETTLE, |t| {
        t == "7"
    })
    .await;
    support::screenshot(&client, "rollout-paused").await;

    // Rollback names the devices it touches (the 7 the update reached), then completes with
    // every lab device back on 1.4.2.
    ui::click(&client, "[data-testid=action-rollback]").await;
    let summary = support::wait_for_text(
        &client,
        "[data-testid=rollback-summary]",
        ui::TIMEOUT,
        |t| !t.is_empty(),
    )
    .await;
    assert!(
        summary.contains("7 devices the update reached will be sent 1.4.2"),
        "{summary}"
    );
    ui::click(&client, "[data-testid=confirm-rollback]").await;
    wait_status(&client, "Rolling back").await;
    support::screenshot(&client, "rollout-rolling-back").await;
    // A finished rollback completes the rollout with outcome rolled back, never a success.
    wait_status(&client, "Rolled back").await;
    support::wait_for_text(&client, "[data-testid=devices-summary]", ui::TIMEOUT, |t| {
        t == "7 of 7 back on 1.4.2"
    })
    .await;
    support::wait_for_text(
        &client,
        "[data-testid=rollback-progress]",
        ui::TIMEOUT,
        |t| t.contains("7 of 7 devices back"),
    )
    .await;
    let rollout_id = attr(&client, "[data-testid=rollout-view]", "data-rollout-id")
        .await
        .expect("rollout id");
    let devices = server
        .rollout_devices(
            &rollout_id,
            &airlift_desk::client::ListParams::new(100, None),
        )
        .await
        .expect("rollout devices");
    assert_eq!(devices.data.len(), 10);
    for d in &devices.data {
        assert_eq!(d.firmware_version.as_deref(), Some("1.4.2"), "{d:?}");
    }
    let r = server.rollout(&rollout_id).await.expect("rollout");
    let triggers: Vec<&str> = r.transitions.iter().map(|t| t.trigger.as_str()).collect();
    assert_eq!(
        triggers,
        ["start", "auto_pause", "rollback", "rollback_finished"]
    );
    support::screenshot(&client, "rollout-completed").await;

    // The list: both rollouts with state, package, progress and failure rate.
    ui::click(&client, "button.link.back").await;
    support::wait_for_text(&client, "[data-testid=rollout-count]", ui::TIMEOUT, |t| {
        t.starts_with("2 rollouts")
    })
    .await;
    support::screenshot(&client, "rollouts").await;

    // Leaving a wizard with entered data through the sidebar asks first; Stay keeps every
    // choice, Leave goes where the person clicked.
    ui::click(&client, "[data-testid=open-rollout-wizard]").await;
    select(&client, "#w-package", &new_pkg).await;
    ui::click_button(&client, "Devices").await;
    ui::find(&client, "[data-testid=leave-wizard-dialog]").await;
    ui::click(&client, "[data-testid=stay-in-wizard]").await;
    assert_eq!(
        ui::find(&client, "#w-package")
            .await
            .prop("value")
            .await
            .expect("the package field")
            .as_deref(),
        Some(new_pkg.as_str()),
        "Stay keeps the choice"
    );
    ui::click_button(&client, "Devices").await;
    ui::click(&client, "[data-testid=leave-wizard]").await;
    support::wait_for_text(&client, "#section-title", ui::TIMEOUT, |t| t == "Devices").await;

    // 3. The lab again with a 100 % threshold: the same 3 sensors fail, nothing pauses, and
    //    once every device has a verdict the rollout completes with its failures counted.
    //    Retry failed devices starts a new rollout over exactly those 3, linked to this one.
    wizard(&client, &new_pkg, &lab, "100", "100", &old_pkg).await;
    ui::click(&client, "[data-testid=start-rollout]").await;
    wait_status(&client, "Completed · 3 failed").await;
    let finished = attr(&client, "[data-testid=rollout-view]", "data-rollout-id")
        .await
        .expect("rollout id");
    ui::click(&client, "[data-testid=action-retry-failed]").await;
    let retry_summary =
        support::wait_for_text(&client, "[data-testid=retry-summary]", ui::TIMEOUT, |t| {
            !t.is_empty()
        })
        .await;
    assert!(
        retry_summary.contains("exactly the 3 devices that failed or timed out"),
        "{retry_summary}"
    );
    ui::click(&client, "[data-testid=confirm-retry-failed]").await;
    support::wait_for_text(&client, "[data-testid=retry-of]", ui::TIMEOUT, |t| {
        t.contains(&finished)
    })
    .await;
    let retry = attr(&client, "[data-testid=rollout-view]", "data-rollout-id")
        .await
        .expect("retry id");
    assert_ne!(retry, finished, "the retry is a new rollout");
    let r = server.rollout(&retry).await.expect("the retry");
    assert_eq!(r.summary.retry_of.as_deref(), Some(finished.as_str()));
    assert_eq!(r.summary.eligible_count, 3, "{:?}", r.summary);
    // The same sensors fail again: the retry ends the same way, and a link leads back.
    wait_status(&client, "Completed · 3 failed").await;
    ui::click(&client, "[data-testid=retry-of] a").await;
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    while attr(&client, "[data-testid=rollout-view]", "data-rollout-id")
        .await
        .as_deref()
        != Some(finished.as_str())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the 'Retry of' link did not open {finished}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.close().await.expect("close the session");
    drop(driver);

    // A third rollout, left paused by an admin: one where resume and rollback are allowed, so
    // only the role can disable them (threshold 100 %: it never pauses itself).
    let request: airlift_core::wire::CreateRollout = serde_json::from_value(serde_json::json!({
        "package_id": new_pkg, "target_profile_id": lab, "canary_percent": 10,
        "failure_threshold_percent": 100, "rollback_package_id": old_pkg,
    }))
    .expect("a rollout request");
    let held = server
        .create_rollout(&request)
        .await
        .expect("create the third rollout")
        .rollout_id;
    server.pause_rollout(&held).await.expect("pause it");

    // 4. Support: sees every rollout and their devices, cannot act.
    let driver = support::Driver::start_with_env(
        &display,
        &app_env(&tmp.path().join("support-app"), &url, &support_token),
    );
    let client = driver.session(app).await;
    ui::click_button(&client, "Rollouts").await;
    support::wait_for_text(&client, "[data-testid=rollout-count]", ui::TIMEOUT, |t| {
        t.starts_with("5 rollouts")
    })
    .await;
    ui::click(&client, &format!("[data-rollout-id='{held}']")).await;
    wait_status(&client, "Paused").await;
    support::wait_for_text(&client, "[data-testid=actions-note]", ui::TIMEOUT, |t| {
        t.contains("support role")
    })
    .await;
    for a in ["pause", "resume", "advance", "rollback"] {
        assert!(
            !is_enabled(&client, a).await,
            "{a} enabled for support on a paused rollout"
        );
    }
    ui::click(&client, "button.link.back").await;
    ui::click(&client, &format!("[data-rollout-id='{rollout_id}']")).await;
    support::wait_for_text(&client, "[data-testid=actions-note]", ui::TIMEOUT, |t| {
        t.contains("support role")
    })
    .await;
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t == "10 devices"
    })
    .await;
    ui::click(&client, "button.link.back").await;
    ui::click(&client, "[data-testid=rollout-row]:last-child").await;
    wait_status(&client, "Succeeded").await;
    no_operator_actions(&client, "a completed rollout, for support").await;
    client.close().await.expect("close the session");
    drop(driver);

    // 5. Offline: with the fleet gone, the first app's cache still lists its rollouts and
    //    opens the one last seen, saying how old it is; nothing can be changed.
    drop(lab_fleet);
    drop(demo);
    let driver = support::Driver::start_with_env(&display, &app_env(&data, &url, &admin));
    let client = driver.session(app).await;
    ui::click_button(&client, "Rollouts").await;
    support::wait_for_text(
        &client,
        "[data-testid=rollouts-offline]",
        ui::TIMEOUT,
        |t| t.starts_with("Offline"),
    )
    .await;
    // (It last synced before the held rollout existed, so its cache has the first four.)
    support::wait_for_text(&client, "[data-testid=rollout-count]", ui::TIMEOUT, |t| {
        t.starts_with("4 rollouts")
    })
    .await;
    ui::click(&client, &format!("[data-rollout-id='{rollout_id}']")).await;
    support::wait_for_text(&client, "[data-testid=rollout-stale]", ui::TIMEOUT, |t| {
        t.starts_with("Offline")
    })
    .await;
    wait_status(&client, "Rolled back").await;
    let history = ui::find(&client, "[data-testid=transitions]")
        .await
        .text()
        .await
        .unwrap();
    assert!(history.contains("rollback finished"), "{history}");
    no_operator_actions(&client, "a completed rollout, offline").await;
    client.close().await.expect("close the session");
}

/// A completed rollout takes no operator action: Pause, Resume, Advance, Rollback and Cancel
/// are not offered at all (Retry failed devices may be).
async fn no_operator_actions(client: &Client, what: &str) {
    for a in ["pause", "resume", "advance", "rollback", "cancel"] {
        let found = client
            .find_all(Locator::Css(&format!("[data-testid=action-{a}]")))
            .await
            .expect("look for the action buttons");
        assert!(found.is_empty(), "{a} offered on {what}");
    }
}

async fn is_enabled(client: &Client, action: &str) -> bool {
    client
        .find(Locator::Css(&format!("[data-testid=action-{action}]")))
        .await
        .unwrap_or_else(|err| panic!("no {action} button: {err}"))
        .is_enabled()
        .await
        .expect("enabled state")
}

/// The profile `airlift-sim run --provision` creates, once it holds `devices` devices.
async fn wait_for_profile(
    api: &airlift_desk::client::Client,
    name: &str,
    devices: usize,
) -> String {
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    loop {
        let profiles = api
            .profiles(&airlift_desk::client::ListParams::new(100, None))
            .await
            .expect("profiles");
        if let Some(p) = profiles.data.iter().find(|p| p.name == name) {
            let all = api
                .devices(&airlift_desk::client::ListParams::new(1000, None))
                .await
                .expect("devices");
            let n = all
                .data
                .iter()
                .filter(|d| d.profile_id == p.profile_id)
                .count();
            if n >= devices {
                return p.profile_id.clone();
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "airlift-sim never provisioned {devices} devices into {name}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
