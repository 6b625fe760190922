//! The other records: packages, rollouts and histories, pending uploads, sync cursors, and
//! that no secret is ever written.

use super::*;

#[test]
fn packages_rollouts_and_histories_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let pkg = PackageRow {
        id: "pkg-1".into(),
        package_type: PackageType::Fw,
        version: "2.0.0".into(),
        device_type: "edge-gw".into(),
        min_version: Some("1.0.0".into()),
        size_bytes: 8 << 30,
        sha256: "ab".repeat(32),
        signature_status: "verified".into(),
        created_at: "2026-11-20T10:00:00Z".into(),
        release_notes: Some("Fixes the watchdog".into()),
        stored_encrypted: true,
        payload_type: PayloadType::File,
        storage_key: Some(format!("firmware/t1/2.0.0/{}.bin", "ab".repeat(32))),
    };
    let mut newer = pkg.clone();
    newer.id = "pkg-2".into();
    // Seed 002: a JSON package keeps its type through the cache.
    newer.payload_type = PayloadType::Json;
    newer.created_at = "2026-11-21T10:00:00Z".into();
    let stats = cache
        .upsert_packages(CONN, &[pkg.clone(), newer.clone()])
        .expect("packages");
    assert_eq!(stats.written, 2);
    assert_eq!(
        cache.packages(CONN).expect("list"),
        vec![newer.clone(), pkg.clone()]
    );
    assert_eq!(
        cache
            .upsert_packages(CONN, std::slice::from_ref(&pkg))
            .expect("again")
            .unchanged,
        1
    );
    assert_eq!(
        cache.package(CONN, "pkg-1").expect("get"),
        Some(pkg.clone())
    );
    // A row without a storage key (an older server's answer) keeps the key already cached.
    let mut keyless = pkg.clone();
    keyless.storage_key = None;
    cache
        .upsert_packages(CONN, std::slice::from_ref(&keyless))
        .expect("keyless");
    assert_eq!(
        cache
            .package(CONN, "pkg-1")
            .expect("get")
            .and_then(|p| p.storage_key),
        pkg.storage_key
    );

    let mut rollout = RolloutRow {
        id: "rol-1".into(),
        package_id: "pkg-2".into(),
        status: RolloutStatus::Active,
        counters: serde_json::json!({"scheduled": 20, "failed": 1, "successful": 5}),
        created_at: "2026-11-21T11:00:00Z".into(),
        updated_at: "2026-11-21T11:00:00Z".into(),
    };
    assert_eq!(
        cache
            .upsert_rollouts(CONN, &[rollout.clone()])
            .expect("rollouts")
            .written,
        1
    );
    assert_eq!(
        cache
            .upsert_rollouts(CONN, &[rollout.clone()])
            .expect("same")
            .unchanged,
        1
    );
    rollout.status = RolloutStatus::Paused;
    rollout.counters["failed"] = 3.into();
    assert_eq!(
        cache
            .upsert_rollouts(CONN, &[rollout.clone()])
            .expect("changed")
            .written,
        1
    );
    assert_eq!(cache.rollouts(CONN).expect("list"), vec![rollout.clone()]);
    assert_eq!(cache.rollout(CONN, "rol-1").expect("get"), Some(rollout));

    let transitions = vec![
        RolloutTransitionRow {
            rollout_id: "rol-1".into(),
            at: "2026-11-21T11:00:00Z".into(),
            from_status: None,
            to_status: RolloutStatus::Active,
            reason: None,
        },
        RolloutTransitionRow {
            rollout_id: "rol-1".into(),
            at: "2026-11-21T11:30:00Z".into(),
            from_status: Some(RolloutStatus::Active),
            to_status: RolloutStatus::Paused,
            reason: Some("failure rate 15% above 10%".into()),
        },
    ];
    assert_eq!(
        cache
            .append_rollout_transitions(CONN, &transitions)
            .expect("append"),
        2
    );
    assert_eq!(
        cache
            .append_rollout_transitions(CONN, &transitions)
            .expect("again"),
        0
    );
    assert_eq!(
        cache.rollout_transitions(CONN, "rol-1").expect("read"),
        transitions
    );

    let history: Vec<HistoryEntryRow> = (0..5)
        .map(|i| HistoryEntryRow {
            device_id: "dev-000001".into(),
            at: format!("2026-11-21T11:0{i}:00Z"),
            kind: "status".into(),
            detail: serde_json::json!({"status": "DOWNLOAD_STEP", "progress": i * 20}),
        })
        .collect();
    assert_eq!(
        cache.append_device_history(CONN, &history).expect("append"),
        5
    );
    assert_eq!(
        cache
            .append_device_history(CONN, &history[3..])
            .expect("overlap"),
        0
    );
    // Newest first, in pages of 3 then 2.
    let first = cache
        .device_history(CONN, "dev-000001", None, 3)
        .expect("read");
    let expected: Vec<HistoryEntryRow> = history.iter().rev().cloned().collect();
    assert_eq!(first.items, expected[..3].to_vec());
    let cursor = first.next.expect("more");
    let second = cache
        .device_history(CONN, "dev-000001", Some(&cursor), 3)
        .expect("read");
    assert_eq!(second.items, expected[3..].to_vec());
    assert!(second.next.is_none());
}

#[test]
fn pending_uploads_track_acknowledged_parts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let file = dir.path().join("fw-2.0.0.bin");
    cache
        .save_pending_upload(CONN, "job-1", &file, 100 << 20, 8 << 20)
        .expect("save");
    for part in [3, 1, 2, 3] {
        cache.ack_upload_part("job-1", part).expect("ack");
    }
    cache
        .set_upload_sha256("job-1", &"cd".repeat(32))
        .expect("sha");
    let up = cache
        .pending_upload("job-1")
        .expect("read")
        .expect("exists");
    assert_eq!(up.parts_acknowledged, vec![1, 2, 3]);
    assert_eq!(up.file_path, file);
    assert_eq!((up.size_bytes, up.part_size), (100 << 20, 8 << 20));
    assert_eq!(up.sha256, Some("cd".repeat(32)));

    let err = cache
        .ack_upload_part("job-404", 1)
        .expect_err("unknown job");
    assert_eq!(err.code(), DeskErrorCode::NotFound);

    // Replacing a job forgets its parts; removing it removes them too.
    cache
        .save_pending_upload(CONN, "job-1", &file, 1, 1)
        .expect("replace");
    assert!(cache.pending_uploads().expect("list")[0]
        .parts_acknowledged
        .is_empty());
    cache.ack_upload_part("job-1", 1).expect("ack");
    cache.remove_pending_upload("job-1").expect("remove");
    assert!(cache.pending_uploads().expect("list").is_empty());
    cache
        .save_pending_upload(CONN, "job-1", &file, 1, 1)
        .expect("again");
    assert!(cache.pending_uploads().expect("list")[0]
        .parts_acknowledged
        .is_empty());

    // The record is the file's (one server and tenant), not a connection name's: what the app
    // started as "conn-prod" the CLI, naming the server by URL, continues as the same record.
    cache.ack_upload_part("job-1", 1).expect("ack");
    cache
        .save_pending_upload("url:https://fleet.example", "job-2", &file, 1, 1)
        .expect("another front's job");
    let all = cache.pending_uploads().expect("list");
    assert_eq!(
        all.iter().map(|p| p.job_id.as_str()).collect::<Vec<_>>(),
        ["job-1", "job-2"]
    );
    assert_eq!(all[0].parts_acknowledged, vec![1]);
    cache
        .save_pending_upload("url:https://fleet.example", "job-1", &file, 1, 1)
        .expect("replaced from the other front");
    assert_eq!(cache.pending_uploads().expect("list").len(), 2);
}

#[test]
fn data_age_and_cursors_per_collection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    assert_eq!(
        cache
            .data_age(CONN, Collection::Devices, 10_000)
            .expect("age"),
        None
    );
    cache
        .mark_synced_at(CONN, Collection::Devices, Some("cur-7"), 1_000)
        .expect("mark");
    assert_eq!(
        cache
            .data_age(CONN, Collection::Devices, 6_000)
            .expect("age"),
        Some(Duration::from_secs(5))
    );
    // A clock that went backwards gives age zero, not a panic or a negative.
    assert_eq!(
        cache.data_age(CONN, Collection::Devices, 0).expect("age"),
        Some(Duration::ZERO)
    );
    assert_eq!(
        cache
            .sync_cursor(CONN, Collection::Devices)
            .expect("cursor")
            .as_deref(),
        Some("cur-7")
    );
    assert_eq!(
        cache
            .sync_cursor(CONN, Collection::Packages)
            .expect("cursor"),
        None
    );
    cache
        .mark_synced(CONN, Collection::Devices, None)
        .expect("mark now");
    assert_eq!(
        cache
            .sync_cursor(CONN, Collection::Devices)
            .expect("cursor"),
        None
    );
    assert!(
        cache
            .synced_at_ms(CONN, Collection::Devices)
            .expect("at")
            .expect("set")
            > 1_000
    );
    assert_eq!(
        cache
            .data_age("conn-other", Collection::Devices, 6_000)
            .expect("age"),
        None
    );
}

#[test]
fn forgetting_a_connection_leaves_others_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    cache.upsert_devices(CONN, &fleet(10)).expect("a");
    cache.upsert_devices("conn-b", &fleet(4)).expect("b");
    cache
        .mark_synced(CONN, Collection::Devices, Some("c"))
        .expect("sync");
    cache.forget_connection(CONN).expect("forget");
    assert_eq!(cache.count_devices(CONN).expect("count"), 0);
    assert_eq!(cache.count_devices("conn-b").expect("count"), 4);
    assert_eq!(
        cache
            .sync_cursor(CONN, Collection::Devices)
            .expect("cursor"),
        None
    );
}

#[test]
fn no_secret_reaches_the_cache_files() {
    // The bearer token the client holds while syncing (and the kind of device token that device
    // registration returns): everything the sync writes comes from responses fetched with it,
    // but no token may be written. The row types have no field that could carry one; this scan
    // of the raw files (database and WAL) guards that if fields are added later.
    let token = "alt_live_7f3c9a1e5b2d48c6a0e4f1b3d5c7e9a2";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    {
        let mut cache = open(&path);
        cache.upsert_devices(CONN, &fleet(1_000)).expect("devices");
        cache
            .save_pending_upload(CONN, "job-9", &dir.path().join("fw.bin"), 10, 5)
            .expect("upload");
        cache.ack_upload_part("job-9", 1).expect("ack");
        cache
            .mark_synced(CONN, Collection::Devices, Some("cursor-after-dev-000999"))
            .expect("sync");
        // Leave the WAL in place too: it holds the latest writes.
    }
    let mut scanned = 0;
    let mut saw_data = false;
    for entry in std::fs::read_dir(dir.path()).expect("list") {
        let file = entry.expect("entry").path();
        let bytes = std::fs::read(&file).expect("read");
        scanned += 1;
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "token found in {}",
            file.display()
        );
        saw_data |= bytes.windows(10).any(|w| w == b"dev-000999");
    }
    assert!(scanned >= 1);
    // The scan must have read the real data, or it proves nothing.
    assert!(
        saw_data,
        "the cached devices were not found in the files scanned"
    );
}
