//! The whole auto-pause path with nothing faked but the desktop: a real airliftd, the real
//! airlift-sim fleet with injected install failures, the desk's watcher and the real
//! `DesktopNotifier`, which talks D-Bus to a fake `org.freedesktop.Notifications` on a private
//! session bus. A click on the notification (the service's `ActionInvoked`) reaches the app's
//! "open rollout" callback. A relaunch (a new watcher on the same cache, which replays the
//! stream from the start) does not notify the pause again, nor does a fresh cache once the
//! rollout was rolled back.
//!
//! One test in this binary: it points `DBUS_SESSION_BUS_ADDRESS` (process-wide) at its bus.

mod support;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlift_core::package::PackageType;
use airlift_core::wire::{CreateRollout, RolloutEventData, UpdateTenant};
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
async fn simulator_failures_auto_pause_and_the_pause_is_notified_once_with_its_own_numbers() {
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
    let watcher = |cache: Arc<Mutex<Cache>>, notifier: DesktopNotifier| Watcher {
        client: client.clone(),
        cache,
        connection_id: "lab".into(),
        connection_name: "Lab fleet".into(),
        notifier: Arc::new(notifier),
        reconnect: RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        },
    };
    let seen: Arc<Mutex<Vec<RolloutEventData>>> = Arc::default();
    let cancel = CancelToken::new();
    let watching = {
        let (watcher, cancel, seen) = (
            watcher(cache.clone(), notifier),
            cancel.clone(),
            seen.clone(),
        );
        tokio::spawn(async move {
            watcher
                .run(None, cancel, &move |e| {
                    seen.lock().expect("lock").push(e.clone())
                })
                .await
        })
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
    // Let the watcher connect first.
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
    // The numbers are the pause event's own: the slice as the server counted it when it paused.
    let pause = seen
        .lock()
        .expect("lock")
        .iter()
        .find(|e| e.kind == "paused" && e.trigger.as_deref() == Some("auto_pause"))
        .cloned()
        .expect("the watcher saw the auto-pause event");
    let at_pause = pause.counters;
    let failed = at_pause.failed_total();
    let in_slice = at_pause.total();
    assert_eq!(in_slice, DEVICES as u64, "a 100 % slice");
    assert!(
        failed * 100 > 10 * in_slice,
        "auto-pause needs more than 10 %: {failed} of {in_slice}"
    );
    let permille = (failed * 1000).div_ceil(in_slice);
    let rate = match permille % 10 {
        0 => format!("{} %", permille / 10),
        tenth => format!("{}.{tenth} %", permille / 10),
    };
    let what = if at_pause.timed_out > 0 {
        "failed or timed out"
    } else {
        "failed"
    };
    let decided = at_pause.successful + failed;
    assert_eq!(note.summary, "temp-sensor 2.0.0 paused");
    assert_eq!(
        note.body,
        format!(
            "{failed} of {in_slice} devices {what} ({rate}), above the 10 % threshold; \
             {decided} of {in_slice} had finished. Rollout {} on Lab fleet paused itself: \
             open Airlift to review the failures, then resume or roll back.",
            rollout.rollout_id
        )
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
    watching
        .await
        .expect("the watcher stops")
        .expect("the watch ends when cancelled");
    let pause_id = pause.id.expect("a transition event has an id");

    // A relaunch: a new watcher on the same cache, from no Last-Event-ID, so the server replays
    // every event, the pause included. The pause was notified already: nothing new is shown.
    replay_until(watcher(cache.clone(), DesktopNotifier::default()), pause_id).await;
    assert_eq!(
        desktop.shown().len(),
        1,
        "a relaunch notified the pause again: {:?}",
        desktop.shown()
    );

    // Rolled back meanwhile: even a fresh cache (one that never notified) stays quiet about a
    // pause that is no longer the rollout's state.
    client
        .rollback_rollout(&rollout.rollout_id)
        .await
        .expect("roll back");
    let fresh = Arc::new(Mutex::new(
        Cache::open(&work.path().join("fresh.sqlite3"))
            .expect("fresh cache")
            .cache,
    ));
    replay_until(watcher(fresh, DesktopNotifier::default()), pause_id).await;
    assert_eq!(
        desktop.shown().len(),
        1,
        "a pause that was rolled back was notified: {:?}",
        desktop.shown()
    );
}

/// Runs `watcher` from the start of the stream until it has handled event `last_id` (the
/// notifier is called before the event is passed on), then stops it.
async fn replay_until(watcher: Watcher, last_id: u64) {
    let handled: Arc<Mutex<Option<u64>>> = Arc::default();
    let cancel = CancelToken::new();
    let task = {
        let (cancel, handled) = (cancel.clone(), handled.clone());
        tokio::spawn(async move {
            watcher
                .run(None, cancel, &move |e| {
                    if let Some(id) = e.id {
                        *handled.lock().expect("lock") = Some(id);
                    }
                })
                .await
        })
    };
    wait_for(
        "the replay to pass the pause",
        Duration::from_secs(60),
        || {
            handled
                .lock()
                .expect("lock")
                .filter(|id| *id >= last_id)
                .map(|_| ())
        },
    )
    .await;
    cancel.cancel();
    task.await
        .expect("the watcher stops")
        .expect("the watch ends when cancelled");
}
