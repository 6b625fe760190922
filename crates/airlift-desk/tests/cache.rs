//! The offline cache: migrations, corruption recovery, keyset paging, search, upserts, secrets.

use std::path::{Path, PathBuf};
use std::time::Duration;

use airlift_core::package::PackageType;
use airlift_core::rollout::RolloutStatus;
use airlift_desk::cache::rows::{
    DeviceRow, HistoryEntryRow, PackageRow, RolloutRow, RolloutTransitionRow,
};
use airlift_desk::cache::{verify_and_repair, Cache, Collection, DeviceQuery, DeviceSort};
use airlift_desk::DeskErrorCode;

const CONN: &str = "conn-prod";

fn cache_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("cache.sqlite")
}

fn open(path: &Path) -> Cache {
    let opened = Cache::open(path).expect("open cache");
    assert!(opened.rebuilt_from.is_none(), "unexpected rebuild");
    opened.cache
}

/// Device `i` of a synthetic fleet. Names mix case and repeat (every 1000th device shares a
/// name), so ordering has to fall back to the id and ignore ASCII case.
fn device(i: u32) -> DeviceRow {
    let name = match i % 3 {
        0 => format!("Gateway-{:05}", i % 50_000),
        1 => format!("gateway-{:05}", (i * 7) % 50_000),
        _ => format!("Sensor {:05}", i % 1000),
    };
    DeviceRow {
        id: format!("dev-{i:06}"),
        name,
        profile_id: Some(format!("prof-{}", i % 7)),
        device_type: "edge-gw".into(),
        firmware_version: Some("1.4.2".into()),
        target_version: None,
        ota_status: Some("idle".into()),
        progress: None,
        last_update_at: None,
        updated_at: "2026-11-20T10:00:00Z".into(),
    }
}

fn fleet(n: u32) -> Vec<DeviceRow> {
    (0..n).map(device).collect()
}

/// Pages through the whole list and returns every row, asserting each page is at most `limit`.
fn page_all(cache: &Cache, sort: DeviceSort, prefix: Option<&str>, limit: u32) -> Vec<DeviceRow> {
    let mut out = Vec::new();
    let mut query = DeviceQuery {
        sort,
        prefix: prefix.map(str::to_string),
        after: None,
        limit,
        ..DeviceQuery::default()
    };
    loop {
        let page = cache.list_devices(CONN, &query).expect("page");
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next {
            Some(next) => query.after = Some(next),
            None => return out,
        }
    }
}

fn name_order(rows: &mut [DeviceRow]) {
    rows.sort_by(|a, b| {
        (a.name.to_ascii_lowercase(), &a.id).cmp(&(b.name.to_ascii_lowercase(), &b.id))
    });
}

#[test]
fn migrations_run_on_a_fresh_file_and_reopen_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let mut cache = open(&path);
    assert_eq!(cache.schema_version().expect("version"), 4);
    cache.upsert_devices(CONN, &fleet(3)).expect("upsert");
    drop(cache);

    let cache = open(&path);
    assert_eq!(cache.schema_version().expect("version"), 4);
    assert_eq!(cache.count_devices(CONN).expect("count"), 3);
}

#[test]
fn a_garbage_file_is_moved_aside_and_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let garbage: Vec<u8> = (0..64 * 1024).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&path, &garbage).expect("write garbage");

    let opened = Cache::open(&path).expect("open rebuilds instead of failing");
    let moved = opened.rebuilt_from.expect("reports the rebuild");
    assert_eq!(std::fs::read(&moved).expect("bad file kept"), garbage);
    let mut cache = opened.cache;
    cache
        .upsert_devices(CONN, &fleet(2))
        .expect("fresh cache works");
    assert_eq!(cache.count_devices(CONN).expect("count"), 2);
    drop(cache);
    // And the rebuilt file is healthy on the next start.
    assert_eq!(open(&path).count_devices(CONN).expect("count"), 2);
}

/// A cache of 5,000 devices with a run of data pages overwritten near the end of the file, far
/// from the schema's pages (which sit at the start), so only a full page check finds it.
fn damaged_cache(dir: &tempfile::TempDir) -> (PathBuf, Vec<u8>) {
    let path = cache_path(dir);
    {
        let mut cache = open(&path);
        cache.upsert_devices(CONN, &fleet(5_000)).expect("upsert");
        cache.checkpoint().expect("checkpoint");
    }
    let mut bytes = std::fs::read(&path).expect("read");
    let end = bytes.len();
    assert!(end > 100 * 4096, "file is {end} bytes");
    for (i, b) in bytes[end - 24 * 4096..end - 4 * 4096]
        .iter_mut()
        .enumerate()
    {
        *b = (i * 131 % 256) as u8;
    }
    std::fs::write(&path, &bytes).expect("damage");
    (path, bytes)
}

#[test]
fn a_database_with_damaged_pages_is_detected_and_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, damaged) = damaged_cache(&dir);

    let opened = Cache::open_verified(&path).expect("open");
    let moved = opened.rebuilt_from.expect("damage must be detected");
    assert_eq!(std::fs::read(&moved).expect("damaged file kept"), damaged);
    assert_eq!(opened.cache.count_devices(CONN).expect("count"), 0);
}

#[test]
fn damaged_pages_found_after_opening_are_repaired_while_the_cache_stays_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, damaged) = damaged_cache(&dir);

    // Opening reads the header and schema only, so it succeeds at once on this file...
    let opened = Cache::open(&path).expect("open");
    assert!(
        opened.rebuilt_from.is_none(),
        "opening must not scan every page"
    );
    let cache = std::sync::Mutex::new(opened.cache);
    // ...and the background check finds the damage, moves the file aside, starts afresh.
    let moved = verify_and_repair(&cache)
        .expect("check")
        .expect("damage must be detected");
    assert_eq!(std::fs::read(&moved).expect("damaged file kept"), damaged);
    let mut cache = cache.into_inner().expect("lock");
    assert_eq!(cache.count_devices(CONN).expect("count"), 0);
    cache
        .upsert_devices(CONN, &fleet(3))
        .expect("the fresh cache takes writes");
    assert_eq!(cache.count_devices(CONN).expect("count"), 3);
    drop(cache);
    assert_eq!(open(&path).count_devices(CONN).expect("reopened"), 3);
}

#[test]
fn a_sound_cache_passes_the_check_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let mut cache = open(&path);
    cache.upsert_devices(CONN, &fleet(2_000)).expect("upsert");
    let cache = std::sync::Mutex::new(cache);
    assert_eq!(verify_and_repair(&cache).expect("check"), None);
    let cache = cache.into_inner().expect("lock");
    assert_eq!(cache.count_devices(CONN).expect("count"), 2_000);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("corrupt"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_cache_from_a_newer_version_is_set_aside_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    {
        let mut cache = open(&path);
        cache.upsert_devices(CONN, &fleet(3)).expect("upsert");
    }
    // What a future schema version looks like to this build.
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute_batch("PRAGMA user_version = 99;")
        .expect("bump");
    drop(conn);

    let opened = Cache::open(&path).expect("opens");
    assert!(
        opened.rebuilt_from.is_some(),
        "a newer cache is moved aside"
    );
    assert_eq!(opened.cache.schema_version().expect("version"), 4);
    assert_eq!(opened.cache.count_devices(CONN).expect("count"), 0);
}

#[test]
fn an_unopenable_path_is_an_error_not_a_rebuild() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A folder where the file should be: nothing to rebuild, and nothing may be moved.
    let path = dir.path().join("cache.sqlite");
    std::fs::create_dir(&path).expect("folder in the way");
    let err = Cache::open(&path).err().expect("cannot open a folder");
    assert_eq!(err.code(), DeskErrorCode::Cache);
    assert!(err.message().contains("offline cache"), "{err}");
    assert!(path.is_dir(), "the folder was left alone");
}

#[test]
fn missing_folders_are_created_and_the_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir
        .path()
        .join("Airlift")
        .join("cache")
        .join("cache.sqlite");
    let mut cache = open(&path);
    cache.upsert_devices(CONN, &fleet(2)).expect("write");
    let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(path.parent().expect("parent")), 0o700);
    assert_eq!(mode(&path), 0o600);
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    assert_eq!(
        mode(&wal),
        0o600,
        "SQLite copies the file's mode to the WAL"
    );
}

#[test]
fn bulk_upsert_of_100k_then_incremental_upsert_writes_only_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let mut rows = fleet(100_000);
    let stats = cache.upsert_devices(CONN, &rows).expect("bulk upsert");
    assert_eq!((stats.written, stats.unchanged), (100_000, 0));
    assert_eq!(cache.count_devices(CONN).expect("count"), 100_000);

    for i in (0..100_000).step_by(10_000) {
        rows[i].ota_status = Some("downloading".into());
        rows[i].progress = Some(42);
    }
    let stats = cache.upsert_devices(CONN, &rows).expect("re-sync");
    assert_eq!((stats.written, stats.unchanged), (10, 99_990));
    let changed = cache
        .device(CONN, "dev-010000")
        .expect("read")
        .expect("exists");
    assert_eq!(changed.progress, Some(42));
    assert_eq!(changed.ota_status.as_deref(), Some("downloading"));
    let same = cache
        .device(CONN, "dev-010001")
        .expect("read")
        .expect("exists");
    assert_eq!(same, device(10_001));
    assert!(cache.device(CONN, "dev-999999").expect("read").is_none());

    // Devices the server no longer lists are removed by id.
    let removed = cache
        .delete_devices(CONN, &["dev-000000", "dev-000001", "dev-999999"])
        .expect("delete");
    assert_eq!(removed, 2);
    assert_eq!(cache.count_devices(CONN).expect("count"), 99_998);
}

#[test]
fn keyset_paging_over_100k_devices_returns_every_row_once_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let rows = fleet(100_000);
    cache.upsert_devices(CONN, &rows).expect("upsert");
    // Another connection's devices must never leak into this one's pages.
    cache
        .upsert_devices("conn-staging", &fleet(500))
        .expect("other connection");

    let mut expected = rows.clone();
    name_order(&mut expected);
    let by_name = page_all(&cache, DeviceSort::Name, None, 1000);
    assert_eq!(by_name.len(), expected.len());
    assert!(by_name == expected, "name order differs");

    let by_id = page_all(&cache, DeviceSort::Id, None, 777);
    let mut expected_ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    expected_ids.sort();
    let got_ids: Vec<String> = by_id.into_iter().map(|d| d.id).collect();
    assert_eq!(got_ids, expected_ids);
}

#[test]
fn a_deep_cursor_continues_exactly_after_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    cache.upsert_devices(CONN, &fleet(100_000)).expect("upsert");
    let mut expected = fleet(100_000);
    name_order(&mut expected);

    // A cursor as the UI would hold it after ~90k rows.
    let last = &expected[89_999];
    let query = DeviceQuery {
        sort: DeviceSort::Name,
        after: Some(airlift_desk::cache::DeviceCursor {
            key: last.name.clone(),
            id: last.id.clone(),
        }),
        limit: 50,
        ..Default::default()
    };
    let page = cache.list_devices(CONN, &query).expect("deep page");
    assert_eq!(page.items, expected[90_000..90_050].to_vec());
    let next = page.next.expect("more pages");
    assert_eq!(next.id, expected[90_049].id);

    // The last page says so.
    let tail = DeviceQuery {
        after: Some(airlift_desk::cache::DeviceCursor {
            key: expected[99_989].name.clone(),
            id: expected[99_989].id.clone(),
        }),
        limit: 50,
        ..Default::default()
    };
    let page = cache.list_devices(CONN, &tail).expect("tail");
    assert_eq!(page.items.len(), 10);
    assert!(page.next.is_none());
}

#[test]
fn prefix_search_matches_id_or_name_ignoring_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    cache.upsert_devices(CONN, &fleet(20_000)).expect("upsert");
    let mut special = device(999_999);
    special.id = "lab_1%x".into();
    special.name = "Bench rig".into();
    let mut decoy = device(999_998);
    decoy.id = "labX1".into();
    decoy.name = "Other".into();
    cache
        .upsert_devices(CONN, &[special, decoy])
        .expect("upsert");

    // Name prefix, any case; paged through with a small page to cross page boundaries.
    let hits = page_all(&cache, DeviceSort::Name, Some("SENSOR 0012"), 3);
    let mut expected: Vec<DeviceRow> = fleet(20_000)
        .into_iter()
        .filter(|d| d.name.to_ascii_lowercase().starts_with("sensor 0012"))
        .collect();
    name_order(&mut expected);
    assert_eq!(hits.len(), expected.len());
    assert!(!hits.is_empty());
    assert!(hits == expected);

    // Id prefix.
    let hits = page_all(&cache, DeviceSort::Id, Some("DEV-01999"), 100);
    let ids: Vec<&str> = hits.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        (19_990..20_000)
            .map(|i| format!("dev-{i:06}"))
            .collect::<Vec<_>>()
    );

    // LIKE wildcards in the search text are literal.
    let hits = page_all(&cache, DeviceSort::Id, Some("lab_1%"), 10);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, "lab_1%x");

    assert!(page_all(&cache, DeviceSort::Name, Some("zzz"), 10).is_empty());
    // An empty search box lists everything.
    assert_eq!(
        page_all(&cache, DeviceSort::Id, Some(""), 1000).len(),
        20_002
    );
}

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
    };
    let mut newer = pkg.clone();
    newer.id = "pkg-2".into();
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
    assert_eq!(cache.package(CONN, "pkg-1").expect("get"), Some(pkg));

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
        cache.ack_upload_part(CONN, "job-1", part).expect("ack");
    }
    cache
        .set_upload_sha256(CONN, "job-1", &"cd".repeat(32))
        .expect("sha");
    let up = cache
        .pending_upload(CONN, "job-1")
        .expect("read")
        .expect("exists");
    assert_eq!(up.parts_acknowledged, vec![1, 2, 3]);
    assert_eq!(up.file_path, file);
    assert_eq!((up.size_bytes, up.part_size), (100 << 20, 8 << 20));
    assert_eq!(up.sha256, Some("cd".repeat(32)));

    let err = cache
        .ack_upload_part(CONN, "job-404", 1)
        .expect_err("unknown job");
    assert_eq!(err.code(), DeskErrorCode::NotFound);

    // Replacing a job forgets its parts; removing it removes them too.
    cache
        .save_pending_upload(CONN, "job-1", &file, 1, 1)
        .expect("replace");
    assert!(cache.pending_uploads(CONN).expect("list")[0]
        .parts_acknowledged
        .is_empty());
    cache.ack_upload_part(CONN, "job-1", 1).expect("ack");
    cache.remove_pending_upload(CONN, "job-1").expect("remove");
    assert!(cache.pending_uploads(CONN).expect("list").is_empty());
    cache
        .save_pending_upload(CONN, "job-1", &file, 1, 1)
        .expect("again");
    assert!(cache.pending_uploads(CONN).expect("list")[0]
        .parts_acknowledged
        .is_empty());
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
        cache.ack_upload_part(CONN, "job-9", 1).expect("ack");
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

/// Pages through a filtered search and returns every id.
fn page_ids(cache: &Cache, mut query: DeviceQuery) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let page = cache.list_devices(CONN, &query).expect("page");
        assert!(page.items.len() <= query.limit as usize);
        ids.extend(page.items.into_iter().map(|d| d.id));
        match page.next {
            Some(next) => query.after = Some(next),
            None => return ids,
        }
    }
}

#[test]
fn version_and_state_filters_page_by_key_and_a_device_sync_keeps_ota_states() {
    use airlift_desk::cache::DeviceOta;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let mut rows = fleet(10_000);
    for (i, row) in rows.iter_mut().enumerate() {
        if i % 4 == 0 {
            row.firmware_version = Some("2.0.0".into());
        }
        // A device the server lists carries no OTA state: it starts idle.
        row.ota_status = None;
    }
    cache.upsert_devices(CONN, &rows).expect("upsert");

    let ota = |i: usize, rollout: &str, created: &str, status: &str| DeviceOta {
        device_id: rows[i].id.clone(),
        rollout_id: rollout.into(),
        rollout_created_at: created.into(),
        target_version: Some("2.0.0".into()),
        ota_status: status.into(),
        rollout_state: Some("failed".into()),
        progress: Some(60),
        last_status: Some("INSTALL_ERROR".into()),
        last_message: Some("Not enough memory".into()),
        last_update_at: Some("2026-03-01T10:00:00Z".into()),
    };
    let failed: Vec<DeviceOta> = (0..10_000)
        .step_by(7)
        .map(|i| ota(i, "rol_new", "2026-03-01T09:00:00Z", "failed"))
        .collect();
    assert_eq!(
        cache.set_device_ota(CONN, &failed).expect("set"),
        failed.len()
    );
    // An older rollout read later does not hide the newer one's state.
    let rollout = |id: &str, created: &str| RolloutRow {
        id: id.into(),
        package_id: "pkg".into(),
        status: RolloutStatus::Active,
        counters: serde_json::json!({}),
        created_at: created.into(),
        updated_at: created.into(),
    };
    cache
        .upsert_rollouts(
            CONN,
            &[
                rollout("rol_new", "2026-03-01T09:00:00Z"),
                rollout("rol_old", "2026-02-01T09:00:00Z"),
            ],
        )
        .expect("rollouts");
    let older = vec![ota(0, "rol_old", "2026-02-01T09:00:00Z", "completed")];
    assert_eq!(cache.set_device_ota(CONN, &older).expect("set"), 0);
    let again = vec![ota(0, "rol_new", "2026-03-01T09:00:00Z", "failed")];
    assert_eq!(cache.set_device_ota(CONN, &again).expect("set"), 1);

    // Re-syncing the device list (no OTA columns) keeps the states.
    cache.upsert_devices(CONN, &rows).expect("re-sync");
    let d0 = cache
        .device(CONN, &rows[0].id)
        .expect("read")
        .expect("exists");
    assert_eq!(d0.ota_status.as_deref(), Some("failed"));
    assert_eq!(d0.target_version.as_deref(), Some("2.0.0"));
    let detail = cache
        .device_ota(CONN, &rows[0].id)
        .expect("read")
        .expect("has one");
    assert_eq!(detail.last_message.as_deref(), Some("Not enough memory"));
    assert!(cache.device_ota(CONN, &rows[1].id).expect("read").is_none());

    let by_state = page_ids(
        &cache,
        DeviceQuery {
            state: Some("failed".into()),
            limit: 100,
            ..DeviceQuery::default()
        },
    );
    let mut expected: Vec<String> = failed.iter().map(|o| o.device_id.clone()).collect();
    assert_eq!(by_state.len(), expected.len());
    let mut sorted = by_state.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every failed device exactly once");
    let idle = page_ids(
        &cache,
        DeviceQuery {
            state: Some("idle".into()),
            limit: 1000,
            ..DeviceQuery::default()
        },
    );
    assert_eq!(idle.len(), 10_000 - failed.len());

    let by_version = page_ids(
        &cache,
        DeviceQuery {
            version: Some("2.0.0".into()),
            limit: 333,
            ..DeviceQuery::default()
        },
    );
    assert_eq!(by_version.len(), 2_500);
    // Both filters and a prefix together.
    let both = page_ids(
        &cache,
        DeviceQuery {
            version: Some("2.0.0".into()),
            state: Some("failed".into()),
            prefix: Some("DEV-00".into()),
            limit: 7,
            ..DeviceQuery::default()
        },
    );
    let want = (0..10_000)
        .filter(|i| i % 4 == 0 && i % 7 == 0 && *i < 10_000)
        .filter(|i| rows[*i].id.starts_with("dev-00"))
        .count();
    assert_eq!(both.len(), want);

    let facets = cache.device_facets(CONN).expect("facets");
    assert_eq!(facets.total, 10_000);
    assert_eq!(facets.versions[0].value, "1.4.2");
    assert_eq!(facets.versions[0].count, 7_500);
    let failed_count = facets
        .states
        .iter()
        .find(|s| s.value == "failed")
        .expect("failed facet")
        .count;
    assert_eq!(failed_count, failed.len() as u64);
}
