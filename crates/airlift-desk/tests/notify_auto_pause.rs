//! The whole auto-pause path with nothing faked but the desktop: a real airliftd, the real
//! airlift-sim fleet with injected install failures, the desk's watcher and the real
//! `DesktopNotifier`, which talks D-Bus to a fake `org.freedesktop.Notifications` on a private
//! session bus. A click on the notification (the service's `ActionInvoked`) reaches the app's
//! "open rollout" callback.
//!
//! One test in this binary: it points `DBUS_SESSION_BUS_ADDRESS` (process-wide) at its bus.

mod support;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlift_core::package::PackageType;
use airlift_core::wire::{CreateRollout, UpdateTenant};
use airlift_desk::cache::Cache;
use airlift_desk::client::{ListParams, RetryPolicy};
use airlift_desk::notify::DesktopNotifier;
use airlift_desk::upload::{publish, upload_file, PackageSpec, UploadRequest};
use airlift_desk::watch::Watcher;
use airlift_desk::CancelToken;
use airlift_testkit::notifications::DesktopSession;

const DEVICES: usize = 20;

/// A child process killed when the test ends, pass or fail.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for<T>(what: &str, timeout: Duration, mut ready: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = ready() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn simulator_failures_auto_pause_and_the_desktop_notification_names_rollout_package_and_rate()
{
    // The desktop: a private session bus with a fake notification service.
    let desktop = DesktopSession::start().await;
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &desktop.address);

    // The fleet: airliftd, 20 simulated devices provisioned by airlift-sim.
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let token = server.token("acme", "admin");
    let client = support::client_for(&server.base, Some(&token));
    client
        .update_tenant(&UpdateTenant {
            require_signatures: Some(false),
        })
        .await
        .expect("tenant settings");
    let work = support::tempdir();
    let devices_file = work.path().join("devices.jsonl");
    let sim = airlift_testkit::bin("airlift-sim");
    let provisioned = Command::new(&sim)
        .args([
            "provision",
            "--profile-name",
            "lab",
            "--device-type",
            "temp-sensor",
        ])
        .args(["--firmware", "1.0.0", "-n", &DEVICES.to_string(), "--out"])
        .arg(&devices_file)
        .env("AIRLIFT_SERVER_URL", &server.base)
        .env("AIRLIFT_TOKEN", &token)
        .output()
        .expect("run airlift-sim provision");
    assert!(
        provisioned.status.success(),
        "airlift-sim provision: {}",
        String::from_utf8_lossy(&provisioned.stderr)
    );
    let profile = client
        .profiles(&ListParams::new(10, None))
        .await
        .expect("profiles")
        .data
        .into_iter()
        .find(|p| p.name == "lab")
        .expect("the simulator created profile lab");

    // The build to roll out.
    let cache = Arc::new(Mutex::new(
        Cache::open(&work.path().join("cache.sqlite3"))
            .expect("cache")
            .cache,
    ));
    let file = work.path().join("fw.bin");
    std::fs::write(&file, vec![0x5au8; 150_000]).expect("artifact");
    let uploaded = upload_file(
        &client,
        &cache,
        "lab",
        &UploadRequest::new(&file, "fw-2.0.0"),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .expect("upload");
    let spec = PackageSpec {
        package_type: PackageType::Fw,
        version: "2.0.0".into(),
        device_type: "temp-sensor".into(),
        min_version: "1.0.0".into(),
        release_notes: String::new(),
    };
    let package = publish(&client, &uploaded.image, &uploaded.sha256, None, &spec)
        .await
        .expect("publish")
        .package;

    // The desk: the watcher with the real notifier; a click calls back with the rollout id.
    let opened = Arc::new(Mutex::new(Vec::<String>::new()));
    let notifier = {
        let opened = Arc::clone(&opened);
        DesktopNotifier::default().with_on_open(Arc::new(move |rollout: &str| {
            opened.lock().expect("lock").push(rollout.to_owned())
        }))
    };
    let watcher = Watcher {
        client: client.clone(),
        cache: Arc::clone(&cache),
        connection_id: "lab".into(),
        connection_name: "Lab fleet".into(),
        notifier: Arc::new(notifier),
        reconnect: RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        },
    };
    let cancel = CancelToken::new();
    let watching = {
        let cancel = cancel.clone();
        tokio::spawn(async move { watcher.run(None, cancel, &|_| {}).await })
    };

    // Devices poll fast; half of them (by seed) fail their install with the simulator's message.
    let _fleet = Killed(
        Command::new(&sim)
            .args(["run", "--devices"])
            .arg(&devices_file)
            .args(["--seed", "7", "--poll", "300ms", "--install-time", "100ms"])
            .args(["--reboot-time", "100ms", "--fail-install", "0.5"])
            .args([
                "--no-signature-check",
                "--until",
                "forever",
                "--max-time",
                "3m",
            ])
            .env("AIRLIFT_SERVER_URL", &server.base)
            .env("AIRLIFT_TOKEN", &token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run the simulated fleet"),
    );
    // Let the watcher connect first: a stream opened without Last-Event-ID starts live.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rollout = client
        .create_rollout(&CreateRollout {
            package_id: package.package_id.clone(),
            target_profile_id: Some(profile.profile_id.clone()),
            canary_percent: Some(100),
            failure_threshold_percent: 10,
            ..CreateRollout::default()
        })
        .await
        .expect("start the rollout");
    assert_eq!(rollout.scheduled_count, DEVICES as u64);

    let note = wait_for(
        "the auto-pause notification",
        Duration::from_secs(90),
        || desktop.shown().first().cloned(),
    )
    .await;
    assert!(note.summary.contains("Rollout paused"), "{note:?}");
    assert!(
        note.summary.contains(&package.package_id) && note.summary.contains("2.0.0"),
        "the package is named: {note:?}"
    );
    assert!(note.body.contains(&rollout.rollout_id), "{note:?}");
    assert!(note.body.contains("Lab fleet"), "{note:?}");
    // "N of 20 devices failed (R%, above the 10% limit)", with R = N / 20 to a tenth.
    let failed: u64 = note
        .body
        .split(" of 20 devices failed")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no failure count in {:?}", note.body));
    assert!(
        failed * 100 > 10 * 20,
        "auto-pause needs more than 10%: {failed}"
    );
    let rate = format!("{}.{}%", failed * 1000 / 20 / 10, failed * 1000 / 20 % 10);
    assert!(
        note.body
            .contains(&format!("({rate}, above the 10% limit)")),
        "{note:?}"
    );
    assert!(
        note.actions.iter().any(|a| a == "default"),
        "the click opens the rollout: {:?}",
        note.actions
    );
    assert_eq!(
        client
            .rollout(&rollout.rollout_id)
            .await
            .expect("rollout")
            .summary
            .status,
        airlift_core::rollout::RolloutStatus::Paused
    );

    // A click on the notification: the service says which action was invoked.
    desktop.click(note.id, "default").await;
    let opened = wait_for(
        "the click to open the rollout",
        Duration::from_secs(10),
        || opened.lock().expect("lock").first().cloned(),
    )
    .await;
    assert_eq!(opened, rollout.rollout_id);

    cancel.cancel();
    watching.await.expect("the watcher stops");
}
