//! Starting and steering a rollout through `ops::rollouts` (the app's wizard and buttons, the
//! CLI's `rollout` commands), against the real airliftd: each answer is the server's record
//! after the change and the cache holds it at once, before any sync. The rollout view's
//! analytics (`ops::rollout_analytics`) are cached as fetched and shown from there offline; its
//! devices (`ops::rollout_devices`) come a window at a time.

mod support;

use std::sync::Mutex;

use airlift_core::package::PackageType;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{
    BulkCreateDevices, CreateDevice, CreateProfile, CreateRollout, UpdateTenant,
};
use airlift_desk::cache::Cache;
use airlift_desk::ops::rollout_analytics;
use airlift_desk::ops::rollout_devices::{self, DeviceWindow};
use airlift_desk::ops::rollouts::{act, start, RolloutAct};
use airlift_desk::ops::upload::{upload_build, BuildRequest, UploadControl};
use airlift_desk::ops::Session;
use airlift_desk::upload::PackageSpec;
use airlift_desk::DeskErrorCode;

const CONN: &str = "lab";

#[tokio::test(flavor = "multi_thread")]
async fn a_started_rollout_and_each_act_on_it_are_cached_at_once() {
    let data = support::tempdir();
    let mut server = support::Server::start(data.path());
    let client = server.client("acme", "release-manager");
    server
        .client("acme", "admin")
        .update_tenant(&UpdateTenant {
            require_signatures: Some(false),
        })
        .await
        .unwrap();
    let profile = client
        .create_profile(&CreateProfile {
            name: "lab".into(),
            device_type: "temp-sensor".into(),
        })
        .await
        .unwrap();
    let devices = (0..4)
        .map(|i| CreateDevice {
            name: format!("s{i}"),
            profile_id: profile.profile_id.clone(),
            device_type: "temp-sensor".into(),
            firmware_version: "1.0.0".into(),
        })
        .collect();
    client
        .create_devices_bulk(&BulkCreateDevices { devices })
        .await
        .unwrap();
    let dir = support::tempdir();
    let cache = Mutex::new(Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache);
    let s = Session {
        client: &client,
        cache: &cache,
        connection_id: CONN,
    };
    let file = dir.path().join("fw.bin");
    std::fs::write(&file, vec![7u8; 70_000]).unwrap();
    let spec = PackageSpec {
        package_type: PackageType::Fw,
        version: "2.0.0".into(),
        device_type: "temp-sensor".into(),
        min_version: "1.0.0".into(),
        release_notes: String::new(),
    };
    let built = upload_build(
        s,
        &BuildRequest::new(&file, "fw", Some(spec)),
        None,
        &UploadControl::default(),
        &|_| {},
    )
    .await
    .map_err(|f| f.error().to_string())
    .unwrap();
    let package = built.package.unwrap().package;

    let started = start(
        s,
        &CreateRollout {
            package_id: package.package_id.clone(),
            target_profile_id: Some(profile.profile_id.clone()),
            canary_percent: Some(50),
            failure_threshold_percent: 50,
            ..CreateRollout::default()
        },
    )
    .await
    .unwrap();
    let id = started.created.rollout_id.clone();
    assert_eq!(started.rollout.summary.rollout_id, id);
    assert_eq!(started.created.eligible_count, 4);
    let cached = cache.lock().unwrap().rollout_detail(CONN, &id).unwrap();
    assert_eq!(cached.unwrap().summary.status, RolloutStatus::Active);

    let paused = act(s, &id, RolloutAct::Pause).await.unwrap();
    assert_eq!(paused.summary.status, RolloutStatus::Paused);
    let cached = cache.lock().unwrap().rollout_detail(CONN, &id).unwrap();
    assert_eq!(cached.unwrap().summary.status, RolloutStatus::Paused);
    let listed = cache.lock().unwrap().rollout_summaries(CONN).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, RolloutStatus::Paused);

    // A refused act changes nothing here either.
    let err = act(s, &id, RolloutAct::Pause).await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::FailedPrecondition, "{err}");
    let resumed = act(s, &id, RolloutAct::Resume).await.unwrap();
    assert_eq!(resumed.summary.status, RolloutStatus::Active);
    let cached = cache.lock().unwrap().rollout_detail(CONN, &id).unwrap();
    assert_eq!(cached.unwrap().summary.status, RolloutStatus::Active);

    // Cancel is final, and cached like any act.
    let cancelled = act(s, &id, RolloutAct::Cancel).await.unwrap();
    assert_eq!(cancelled.summary.status, RolloutStatus::Cancelled);
    let cached = cache.lock().unwrap().rollout_detail(CONN, &id).unwrap();
    assert_eq!(cached.unwrap().summary.status, RolloutStatus::Cancelled);
    let err = act(s, &id, RolloutAct::Resume).await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::FailedPrecondition, "{err}");

    // The view's analytics: fetched and cached, then shown from the cache with the server gone.
    let timeline = rollout_analytics::timeline(s, &id).await.unwrap();
    assert!(timeline.fresh && timeline.synced_at_ms.is_some());
    assert_eq!(
        timeline.data,
        s.client.rollout_timeline(&id).await.unwrap().data
    );
    assert!(!timeline.data.is_empty(), "creation told two devices");
    let failures = rollout_analytics::failures(s, &id).await.unwrap();
    assert!(failures.fresh && failures.data.is_empty());

    // Its devices, a window at a time (`ops::rollout_devices`): a window larger than the
    // server's page is held to it; a failure status without its reason is refused unsent.
    let all = rollout_devices::window(
        s,
        &id,
        &DeviceWindow {
            limit: 50_000,
            ..DeviceWindow::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((all.data.len(), all.has_more), (4, false));
    let one = rollout_devices::window(
        s,
        &id,
        &DeviceWindow {
            limit: 1,
            offset: 1,
            ..DeviceWindow::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(one.data[0].device_id, all.data[1].device_id);
    assert!(one.has_more);
    let err = rollout_devices::window(
        s,
        &id,
        &DeviceWindow {
            limit: 10,
            failure_status: Some("INSTALL_ERROR".into()),
            ..DeviceWindow::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument, "{err}");
    assert!(err.message().contains("failure reason"), "{err}");
    let none = rollout_devices::window(
        s,
        &id,
        &DeviceWindow {
            limit: 10,
            failure_reason: Some("no such reason".into()),
            ..DeviceWindow::default()
        },
    )
    .await
    .unwrap();
    assert!(none.data.is_empty());
    server.kill();
    let offline = rollout_analytics::timeline(s, &id).await.unwrap();
    assert!(!offline.fresh);
    assert!(offline.offline_reason.is_some());
    assert_eq!(offline.data, timeline.data);
    assert_eq!(offline.synced_at_ms, timeline.synced_at_ms);
    let offline = rollout_analytics::failures(s, &id).await.unwrap();
    assert_eq!((offline.fresh, offline.data.len()), (false, 0));
    assert_eq!(
        offline.synced_at_ms, failures.synced_at_ms,
        "fetched, and empty"
    );
    // A rollout never opened: nothing cached, said so by no fetch time.
    let never = rollout_analytics::timeline(s, "rol_never_seen")
        .await
        .unwrap();
    assert_eq!(
        (never.fresh, never.synced_at_ms, never.data.len()),
        (false, None, 0)
    );
}
