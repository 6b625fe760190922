//! The dashboard and the audit log through `ops::dashboard` and `ops::audit`, against the real
//! airliftd: the dashboard's rollouts under way, pauses and fleet versions land in the cache
//! and read back offline; audit pages are kept as they arrive and, offline, the cache answers
//! the same filters the server applies; a release manager is refused; no token reaches the
//! cache file.

mod support;

use std::sync::Mutex;

use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{CreateRollout, RolloutTransition};
use airlift_desk::audit::AuditFilter;
use airlift_desk::cache::{Cache, Collection};
use airlift_desk::client::Client;
use airlift_desk::ops::upload::{upload_build, BuildRequest, UploadControl};
use airlift_desk::ops::{audit, dashboard, Session};
use airlift_desk::DeskErrorCode;

const CONN: &str = "lab";

struct Lab {
    server: support::Server,
    admin: Client,
    admin_token: String,
    rollout: String,
    package: String,
    _data: tempfile::TempDir,
}

/// airliftd with 4 temp-sensors on 1.0.0 (profile `lab`), 2 gateways on 1.9.0 (profile
/// `field`), firmware 2.0.0 for the sensors, and a rollout of it that the admin paused.
async fn lab(dir: &std::path::Path) -> Lab {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let admin_token = server.token("acme", "admin");
    let admin = support::client_for(&server_url(&server), Some(&admin_token));
    support::fleet::allow_unsigned(&admin).await;
    for (profile, device_type, version, n) in [
        ("lab", "temp-sensor", "1.0.0", 4),
        ("field", "gateway", "1.9.0", 2),
    ] {
        let devices = (0..n).map(|i| (format!("{profile}-{i}"), version));
        support::fleet::profile_with_devices(&admin, profile, device_type, devices).await;
    }
    let publisher = Mutex::new(Cache::open(&dir.join("publisher.sqlite3")).unwrap().cache);
    let file = dir.join("fw.bin");
    std::fs::write(&file, vec![7u8; 70_000]).unwrap();
    let spec = support::fleet::temp_sensor_firmware("2.0.0");
    let built = upload_build(
        Session {
            client: &admin,
            cache: &publisher,
            connection_id: "publisher",
        },
        &BuildRequest::new(&file, "fw", Some(spec)),
        None,
        &UploadControl::default(),
        &|_| {},
    )
    .await
    .map_err(|f| f.error().to_string())
    .unwrap();
    let package = built.package.unwrap().package.package_id;
    let lab_profile = admin
        .profiles(&airlift_desk::client::ListParams::new(10, None))
        .await
        .unwrap()
        .data
        .into_iter()
        .find(|p| p.name == "lab")
        .unwrap()
        .profile_id;
    let rollout = admin
        .create_rollout(&CreateRollout {
            package_id: package.clone(),
            target_profile_id: Some(lab_profile),
            canary_percent: Some(50),
            failure_threshold_percent: 20,
            ..CreateRollout::default()
        })
        .await
        .unwrap()
        .rollout_id;
    admin.pause_rollout(&rollout).await.unwrap();
    Lab {
        server,
        admin,
        admin_token,
        rollout,
        package,
        _data: data,
    }
}

fn server_url(server: &support::Server) -> String {
    server.base.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_is_synced_into_the_cache_and_read_from_it_offline() {
    let dir = support::tempdir();
    let mut lab = lab(dir.path()).await;
    let cache = Mutex::new(Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache);
    let s = Session {
        client: &lab.admin,
        cache: &cache,
        connection_id: CONN,
    };
    // Nothing cached yet: an empty dashboard, not an error.
    let empty = dashboard::overview(&cache.lock().unwrap(), CONN).unwrap();
    assert!(empty.rollouts.is_empty() && empty.fleet_versions.is_empty());
    assert_eq!(empty.fleet_synced_at_ms, None);

    let fresh = dashboard::refresh(s).await.unwrap();
    assert!(fresh.fresh);
    let d = &fresh.data;
    assert_eq!(d.rollouts.len(), 1);
    assert_eq!(d.rollouts[0].summary.rollout_id, lab.rollout);
    assert_eq!(d.rollouts[0].summary.status, RolloutStatus::Paused);
    let pause = d.rollouts[0].pause.as_ref().expect("its pause");
    assert!(!pause.automatic, "the admin paused it: {pause:?}");
    assert!(d.auto_pauses.is_empty());
    let versions: Vec<(&str, &str, u64)> = d
        .fleet_versions
        .iter()
        .map(|v| {
            (
                v.device_type.as_str(),
                v.firmware_version.as_str(),
                v.devices,
            )
        })
        .collect();
    assert_eq!(
        versions,
        [("gateway", "1.9.0", 2), ("temp-sensor", "1.0.0", 4)],
        "by device type"
    );
    assert!(d.fleet_synced_at_ms.is_some());

    // A rollout that paused itself (its history as the watcher or a sync caches it) is among
    // the recent auto-pauses, newest first, and reads as auto-paused.
    let mut auto = lab.admin.rollout(&lab.rollout).await.unwrap();
    auto.summary.rollout_id = "rol_auto".into();
    auto.summary.created_at = "2999-01-01T00:00:00Z".into();
    auto.transitions.push(RolloutTransition {
        seq: 99,
        from: Some(RolloutStatus::Active),
        to: RolloutStatus::Paused,
        trigger: "auto_pause".into(),
        actor: "system".into(),
        actor_role: "system".into(),
        canary_percent: 50,
        at: "2999-01-01T00:00:01Z".into(),
    });
    cache
        .lock()
        .unwrap()
        .save_rollout_detail(CONN, &auto)
        .unwrap();
    let d = dashboard::overview(&cache.lock().unwrap(), CONN).unwrap();
    assert_eq!(d.rollouts.len(), 2);
    assert_eq!(d.rollouts[0].summary.rollout_id, "rol_auto", "newest first");
    assert!(d.rollouts[0].pause.as_ref().unwrap().automatic);
    assert_eq!(d.auto_pauses.len(), 1);
    assert_eq!(d.auto_pauses[0].rollout_id, "rol_auto");
    assert_eq!(d.auto_pauses[0].at, "2999-01-01T00:00:01Z");

    // Finished rollouts leave the dashboard.
    lab.admin.cancel_rollout(&lab.rollout).await.unwrap();
    let d = dashboard::refresh(s).await.unwrap().data;
    assert_eq!(
        d.rollouts
            .iter()
            .map(|r| r.summary.rollout_id.as_str())
            .collect::<Vec<_>>(),
        ["rol_auto"]
    );

    // Offline: the same dashboard from the cache, with the reason.
    lab.server.kill();
    let offline = dashboard::refresh(s).await.unwrap();
    assert!(!offline.fresh);
    assert!(offline.offline_reason.is_some());
    assert_eq!(offline.data, d);

    let counts = cache.lock().unwrap().cached_counts(CONN).unwrap();
    let count = |c: Collection| counts.iter().find(|k| k.collection == c).unwrap();
    assert_eq!(count(Collection::Rollouts).count, 2);
    assert_eq!(count(Collection::FleetVersions).count, 2);
    assert!(count(Collection::FleetVersions).synced_at_ms.is_some());
    assert_eq!(count(Collection::Audit).count, 0);
    assert_eq!(count(Collection::Audit).synced_at_ms, None);

    // Forgetting the connection forgets its dashboard too.
    cache.lock().unwrap().forget_connection(CONN).unwrap();
    let gone = dashboard::overview(&cache.lock().unwrap(), CONN).unwrap();
    assert!(gone.rollouts.is_empty() && gone.fleet_versions.is_empty());
}

fn ids(page: &audit::AuditPage) -> Vec<String> {
    page.entries.iter().map(|e| e.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_pages_are_kept_and_filtered_alike_online_and_offline() {
    let dir = support::tempdir();
    let mut lab = lab(dir.path()).await;
    let cache_file = dir.path().join("c.sqlite3");
    let cache = Mutex::new(Cache::open(&cache_file).unwrap().cache);
    let s = Session {
        client: &lab.admin,
        cache: &cache,
        connection_id: CONN,
    };
    let all = AuditFilter::default();

    // The whole log, two at a time, newest first: what the screen pages through.
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = audit::page(s, &all, after.as_deref(), 2).await.unwrap();
        assert!(page.fresh && page.entries.len() <= 2);
        after = page.entries.last().map(|e| e.id.clone());
        let more = page.has_more;
        pages.push(page);
        if !more {
            break;
        }
    }
    let seen: Vec<String> = pages.iter().flat_map(ids).collect();
    let whole = audit::page(s, &all, None, 1000).await.unwrap();
    assert_eq!(seen, ids(&whole), "pages are the log in order");
    let actions: Vec<&str> = whole.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions[0], "rollout.pause", "{actions:?}");
    assert_eq!(actions[1], "rollout.create", "{actions:?}");
    for wanted in [
        "package.create",
        "profile.create",
        "device.create",
        "tenant.update",
    ] {
        assert!(actions.contains(&wanted), "{wanted} in {actions:?}");
    }

    let by_action = AuditFilter {
        action: Some("rollout.pause".into()),
        ..AuditFilter::default()
    };
    let one_rollout = AuditFilter {
        object_type: Some("rollout".into()),
        object_id: Some(lab.rollout.clone()),
        ..AuditFilter::default()
    };
    let package = AuditFilter {
        object_id: Some(lab.package.clone()),
        ..AuditFilter::default()
    };
    let actor = whole.entries[0].actor.clone();
    let by_actor = AuditFilter {
        actor: Some(actor.clone()),
        ..AuditFilter::default()
    };
    let future = AuditFilter {
        since: Some("2999-01-01T00:00:00Z".into()),
        ..AuditFilter::default()
    };
    let up_to_now = AuditFilter {
        until: Some(whole.entries[0].at.clone()),
        ..AuditFilter::default()
    };
    let mut online = Vec::new();
    for f in [
        &by_action,
        &one_rollout,
        &package,
        &by_actor,
        &future,
        &up_to_now,
    ] {
        online.push(ids(&audit::page(s, f, None, 1000).await.unwrap()));
    }
    assert_eq!(online[0].len(), 1);
    assert_eq!(online[1].len(), 2, "the rollout's creation and pause");
    assert_eq!(online[2].len(), 1, "the package's creation");
    // Every change but the operator's (`airliftd token` issuing the test's tokens on the
    // host) was the admin's.
    let admins: Vec<String> = whole
        .entries
        .iter()
        .filter(|e| e.role != "operator")
        .map(|e| e.id.clone())
        .collect();
    assert!(admins.len() < whole.entries.len(), "the operator's issue");
    assert_eq!(online[3], admins, "every other change was the admin's");
    assert!(online[4].is_empty());
    assert_eq!(online[5], ids(&whole), "until includes its own instant");

    // Bad words are refused before anything is asked.
    let e = audit::page(
        s,
        &AuditFilter {
            action: Some("rollout.explode".into()),
            ..AuditFilter::default()
        },
        None,
        10,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), DeskErrorCode::InvalidArgument);

    // A release manager may not read the log.
    let rm = support::client_for(
        &server_url(&lab.server),
        Some(&lab.server.token("acme", "release-manager")),
    );
    let e = audit::page(
        Session {
            client: &rm,
            cache: &cache,
            connection_id: CONN,
        },
        &all,
        None,
        10,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), DeskErrorCode::PermissionDenied);

    // Offline: the entries seen, the same filters, the same pages.
    lab.server.kill();
    let cached = audit::page(s, &all, None, 1000).await.unwrap();
    assert!(!cached.fresh);
    assert!(cached.offline_reason.is_some());
    assert!(cached.synced_at_ms.is_some());
    assert_eq!(ids(&cached), ids(&whole));
    assert_eq!(cached.entries, whole.entries, "kept as the server said");
    let first = audit::page(s, &all, None, 2).await.unwrap();
    assert_eq!(ids(&first), ids(&pages[0]));
    assert!(first.has_more);
    let second = audit::page(s, &all, first.entries.last().map(|e| e.id.as_str()), 2)
        .await
        .unwrap();
    assert_eq!(ids(&second), ids(&pages[1]));
    for (f, expected) in [
        &by_action,
        &one_rollout,
        &package,
        &by_actor,
        &future,
        &up_to_now,
    ]
    .into_iter()
    .zip(&online)
    {
        let got = ids(&audit::page(s, f, None, 1000).await.unwrap());
        assert_eq!(&got, expected, "offline {f:?}");
    }
    let none = AuditFilter {
        until: Some("2001-01-01T00:00:00Z".into()),
        ..AuditFilter::default()
    };
    assert!(audit::page(s, &none, None, 10)
        .await
        .unwrap()
        .entries
        .is_empty());

    // No token reached the cache file (the database and its WAL).
    drop(cache);
    let token_body = lab.admin_token.rsplit('.').next().unwrap().to_owned();
    let mut saw_entries = false;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let file = entry.unwrap().path();
        if !file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("c.sqlite3")
        {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes
                .windows(token_body.len())
                .any(|w| w == token_body.as_bytes()),
            "a token in {}",
            file.display()
        );
        saw_entries |= bytes
            .windows(lab.rollout.len())
            .any(|w| w == lab.rollout.as_bytes());
    }
    assert!(saw_entries, "the scan read the cached entries");
}
