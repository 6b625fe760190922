//! The watcher against the real airliftd: an auto-paused rollout reaches the Notifier and the
//! cache; after a disconnect, `Last-Event-ID` replays what was missed, whether the watcher was
//! restarted or reconnected by itself when the link came back.

#[path = "support/device_reports.rs"]
mod device_reports;
#[path = "support/proxy.rs"]
mod proxy;
mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{CreateRollout, RolloutEventData};
use airlift_desk::cache::Cache;
use airlift_desk::client::RetryPolicy;
use airlift_desk::notify::{Notifier, PausedRollout};
use airlift_desk::watch::Watcher;
use airlift_desk::{CancelToken, DeskError};

const CONN: &str = "lab";

#[derive(Default)]
struct Recorder(Mutex<Vec<PausedRollout>>);

impl Notifier for Recorder {
    fn rollout_paused(&self, info: &PausedRollout) -> Result<(), DeskError> {
        self.0.lock().unwrap().push(info.clone());
        Ok(())
    }
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What both tests start from: tenant `acme` (signatures off), profile `lab` with 20 devices on
/// 1.0.0, an uploaded 2.0.0 package, and an empty cache.
struct Lab {
    client: airlift_desk::client::Client,
    profile_id: String,
    provisioned: airlift_core::wire::BulkProvisioned,
    package_id: String,
    cache: Arc<Mutex<Cache>>,
    _dir: tempfile::TempDir,
}

async fn lab(server: &support::Server) -> Lab {
    let client = server.client("acme", "admin");
    support::fleet::allow_unsigned(&client).await;
    let sensors = (0..20).map(|i| (format!("s{i:02}"), "1.0.0"));
    let (profile, provisioned) =
        support::fleet::profile_with_devices(&client, "lab", "temp-sensor", sensors).await;

    let dir = support::tempdir();
    let cache = Arc::new(Mutex::new(
        Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache,
    ));
    let package = support::fleet::publish_temp_sensor_firmware(
        &client,
        &cache,
        CONN,
        dir.path(),
        "2.0.0",
        200_000,
    )
    .await;

    Lab {
        client,
        profile_id: profile.profile_id,
        provisioned,
        package_id: package.package_id,
        cache,
        _dir: dir,
    }
}

fn watcher(
    client: airlift_desk::client::Client,
    cache: Arc<Mutex<Cache>>,
    notifier: Arc<Recorder>,
) -> Arc<Watcher> {
    Arc::new(Watcher {
        client,
        cache,
        connection_id: CONN.into(),
        connection_name: "Lab".into(),
        notifier,
        reconnect: RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
        },
    })
}

/// Waits until the cache holds rollout `id` in `status`.
async fn wait_cached_status(cache: &Mutex<Cache>, id: &str, status: RolloutStatus) {
    wait_for(&format!("the cached rollout to be {status:?}"), || {
        cache
            .lock()
            .unwrap()
            .rollout(CONN, id)
            .unwrap()
            .is_some_and(|r| r.status == status)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_pause_notifies_and_reconnects_replay_missed_events() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let Lab {
        client,
        profile_id,
        provisioned,
        package_id,
        cache,
        _dir,
    } = lab(&server).await;
    let recorder = Arc::new(Recorder::default());
    let seen: Arc<Mutex<Vec<RolloutEventData>>> = Arc::default();
    let watcher = watcher(client.clone(), cache.clone(), recorder.clone());
    let cancel = CancelToken::new();
    // Connect before anything happens (a stream without Last-Event-ID starts live).
    let task = {
        let (watcher, cancel, seen) = (watcher.clone(), cancel.clone(), seen.clone());
        tokio::spawn(async move {
            watcher
                .run(None, cancel, &move |e| seen.lock().unwrap().push(e.clone()))
                .await
        })
    };

    let created = client
        .create_rollout(&CreateRollout {
            package_id: package_id.clone(),
            target_profile_id: Some(profile_id.clone()),
            canary_percent: Some(100),
            failure_threshold_percent: 10,
            ..CreateRollout::default()
        })
        .await
        .unwrap();
    assert_eq!(created.scheduled_count, 20);
    wait_for("the started event", || {
        seen.lock().unwrap().iter().any(|e| e.kind == "started")
    })
    .await;
    device_reports::report_failures(&server.base, &provisioned, 3, &created.rollout_id).await;

    wait_for("the auto-pause notification", || {
        !recorder.0.lock().unwrap().is_empty()
    })
    .await;
    let note = recorder.0.lock().unwrap()[0].clone();
    assert_eq!(note.rollout_id, created.rollout_id);
    assert_eq!(note.connection_name, "Lab");
    assert_eq!(note.threshold_percent, 10);
    // The slice at the pause: 3 failed, none other decided, of 20.
    assert_eq!((note.failed, note.decided, note.in_slice), (3, 3, 20));
    assert_eq!(note.device_type, "temp-sensor");
    assert_eq!(note.package_version, "2.0.0");
    wait_cached_status(&cache, &created.rollout_id, RolloutStatus::Paused).await;

    // Disconnect, change the rollout while nobody listens, reconnect from the last id.
    cancel.cancel();
    let last = task.await.unwrap().expect("the watch ends when cancelled");
    assert!(last.is_some());
    client.resume_rollout(&created.rollout_id).await.unwrap();
    let seen2: Arc<Mutex<Vec<RolloutEventData>>> = Arc::default();
    let cancel2 = CancelToken::new();
    let task2 = {
        let (watcher, cancel2, seen2) = (watcher.clone(), cancel2.clone(), seen2.clone());
        tokio::spawn(async move {
            watcher
                .run(last, cancel2, &move |e| {
                    seen2.lock().unwrap().push(e.clone())
                })
                .await
        })
    };
    wait_for("the replayed resume event", || {
        seen2.lock().unwrap().iter().any(|e| e.kind == "resumed")
    })
    .await;
    assert!(
        seen2
            .lock()
            .unwrap()
            .iter()
            .all(|e| e.id.is_none() || e.id > last),
        "events before Last-Event-ID were replayed again"
    );
    wait_cached_status(&cache, &created.rollout_id, RolloutStatus::Active).await;
    cancel2.cancel();
    task2.await.unwrap().expect("the watch ends when cancelled");
    assert!(seen.lock().unwrap().iter().any(|e| e.kind == "paused"));
    assert_eq!(
        recorder.0.lock().unwrap().len(),
        1,
        "a manual resume is not an auto-pause"
    );
}

/// The watcher reconnects by itself: the link drops mid-stream (every connection cut, new ones
/// refused), the rollout is paused meanwhile, and once the link is back the same running
/// watcher gets the missed event through `Last-Event-ID`, once, and the cache follows.
#[tokio::test(flavor = "multi_thread")]
async fn the_watcher_reconnects_by_itself_after_the_link_drops() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let Lab {
        client,
        profile_id,
        package_id,
        cache,
        ..
    } = lab(&server).await;
    let proxy = proxy::Proxy::start(&server.base).await;
    let through_proxy = support::client_for(&proxy.base, Some(&server.token("acme", "admin")));

    let recorder = Arc::new(Recorder::default());
    let seen: Arc<Mutex<Vec<RolloutEventData>>> = Arc::default();
    let watcher = watcher(through_proxy, cache.clone(), recorder.clone());
    let cancel = CancelToken::new();
    let task = {
        let (watcher, cancel, seen) = (watcher.clone(), cancel.clone(), seen.clone());
        tokio::spawn(async move {
            watcher
                .run(None, cancel, &move |e| seen.lock().unwrap().push(e.clone()))
                .await
        })
    };
    let created = client
        .create_rollout(&CreateRollout {
            package_id,
            target_profile_id: Some(profile_id),
            canary_percent: Some(10),
            failure_threshold_percent: 50,
            ..CreateRollout::default()
        })
        .await
        .unwrap();
    wait_for("the started event", || {
        seen.lock().unwrap().iter().any(|e| e.kind == "started")
    })
    .await;

    proxy.cut();
    client.pause_rollout(&created.rollout_id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await; // a few failed reconnects
    assert!(
        !seen.lock().unwrap().iter().any(|e| e.kind == "paused"),
        "the link is down: nothing can arrive"
    );
    proxy.restore();

    wait_for("the missed pause, replayed", || {
        seen.lock().unwrap().iter().any(|e| e.kind == "paused")
    })
    .await;
    wait_cached_status(&cache, &created.rollout_id, RolloutStatus::Paused).await;
    cancel.cancel();
    let last = task.await.unwrap().expect("the watch ends when cancelled");
    let ids: Vec<u64> = seen.lock().unwrap().iter().filter_map(|e| e.id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "an event came twice: {ids:?}"
    );
    assert_eq!(last, ids.last().copied());
    assert!(
        recorder.0.lock().unwrap().is_empty(),
        "a manual pause is not an auto-pause"
    );
}
