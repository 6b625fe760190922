//! The first sync of a fleet into an empty cache loads rows first and indexes them at the end
//! (cache::bulk); lists must work throughout, and the indexes must always come back.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use airlift_desk::cache::rows::DeviceRow;
use airlift_desk::cache::{Cache, DeviceQuery, DeviceSort};
use airlift_desk::sync::DeviceSyncWriter;

const CONN: &str = "conn-prod";

fn cache_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("cache.sqlite")
}

fn device(i: u32) -> DeviceRow {
    DeviceRow {
        id: format!("dev-{i:06}"),
        // Name order differs from id order.
        name: format!("Gateway-{:06}", (i * 7919) % 100_000),
        profile_id: None,
        device_type: "edge-gw".into(),
        firmware_version: Some("1.4.2".into()),
        target_version: None,
        ota_status: Some("idle".into()),
        progress: None,
        last_update_at: None,
        updated_at: "2026-11-20T10:00:00Z".into(),
        last_seen_at: None,
        user_agent: None,
    }
}

/// The devices table's index definitions as SQLite stores them, by name.
fn device_indexes(path: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(path).expect("raw open");
    let mut stmt = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master
             WHERE type = 'index' AND tbl_name = 'devices' AND sql IS NOT NULL ORDER BY name",
        )
        .expect("prepare");
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows")
}

/// The definitions a freshly migrated cache has, with `IF NOT EXISTS` (which SQLite keeps in
/// the stored SQL when present) removed for comparison.
fn normalized(indexes: Vec<(String, String)>) -> Vec<(String, String)> {
    indexes
        .into_iter()
        .map(|(n, sql)| (n, sql.replace("IF NOT EXISTS ", "")))
        .collect()
}

fn first_page(cache: &Cache, sort: DeviceSort, prefix: Option<&str>) -> Vec<String> {
    cache
        .list_devices(
            CONN,
            &DeviceQuery {
                sort,
                text: prefix.map(str::to_owned),
                limit: 5,
                ..DeviceQuery::default()
            },
        )
        .expect("list")
        .items
        .into_iter()
        .map(|d| d.name)
        .collect()
}

#[test]
fn a_full_sync_into_an_empty_cache_defers_indexing_and_restores_the_same_indexes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let cache = Mutex::new(Cache::open(&path).expect("open").cache);
    let original = normalized(device_indexes(&path));
    // devices_by_name, devices_by_version, devices_by_state (migration 0006).
    assert_eq!(original.len(), 3, "{original:?}");

    let mut writer = DeviceSyncWriter::new(&cache, CONN, true).expect("writer");
    assert!(device_indexes(&path).is_empty(), "indexes are deferred");
    for i in 0..25_000 {
        writer.push(device(i)).expect("push");
    }
    // Mid-load (two batches written), lists and prefix searches still answer, in order.
    {
        let c = cache.lock().expect("lock");
        assert_eq!(c.count_devices(CONN).expect("count"), 20_000);
        let names = first_page(&c, DeviceSort::Name, None);
        let mut sorted = names.clone();
        sorted.sort_by_key(|n| n.to_lowercase());
        assert_eq!(names, sorted);
        assert_eq!(
            first_page(&c, DeviceSort::Name, Some("gateway-0001")),
            expected_search(20_000)
        );
    }
    let done = writer.finish("42").expect("finish");
    assert_eq!((done.written, done.removed), (25_000, 0));
    assert_eq!(normalized(device_indexes(&path)), original);

    // With the indexes back, a page seeks by the name index again.
    let c = cache.lock().expect("lock");
    assert_eq!(
        first_page(&c, DeviceSort::Name, Some("gateway-0001")),
        expected_search(25_000)
    );
}

/// The first 5 names starting with "gateway-0001" among devices `0..n`, as a search shows them.
fn expected_search(n: u32) -> Vec<String> {
    let mut names: Vec<String> = (0..n)
        .map(|i| device(i).name)
        .filter(|name| name.to_lowercase().starts_with("gateway-0001"))
        .collect();
    names.sort();
    names.truncate(5);
    assert_eq!(names.len(), 5, "the test fleet has matches");
    names
}

#[test]
fn a_full_sync_over_cached_devices_keeps_the_indexes_and_removes_unlisted_devices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let cache = Mutex::new(Cache::open(&path).expect("open").cache);
    let rows: Vec<DeviceRow> = (0..100).map(device).collect();
    cache
        .lock()
        .expect("lock")
        .upsert_devices(CONN, &rows)
        .expect("seed");

    let mut writer = DeviceSyncWriter::new(&cache, CONN, true).expect("writer");
    assert_eq!(
        device_indexes(&path).len(),
        3,
        "a non-empty cache keeps its indexes"
    );
    for i in 0..90 {
        writer.push(device(i)).expect("push");
    }
    let done = writer.finish("7").expect("finish");
    assert_eq!((done.written, done.removed), (0, 10));
    assert_eq!(
        cache
            .lock()
            .expect("lock")
            .count_devices(CONN)
            .expect("count"),
        90
    );
}

#[test]
fn another_connections_devices_keep_the_indexes_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let cache = Mutex::new(Cache::open(&path).expect("open").cache);
    cache
        .lock()
        .expect("lock")
        .upsert_devices("conn-staging", &[device(1)])
        .expect("seed");
    let writer = DeviceSyncWriter::new(&cache, CONN, true).expect("writer");
    assert_eq!(device_indexes(&path).len(), 3);
    writer.finish("1").expect("finish");
}

#[test]
fn an_interrupted_sync_leaves_indexes_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let cache = Mutex::new(Cache::open(&path).expect("open").cache);
    let original = normalized(device_indexes(&path));
    {
        let mut writer = DeviceSyncWriter::new(&cache, CONN, true).expect("writer");
        for i in 0..10_500 {
            writer.push(device(i)).expect("push");
        }
        // Dropped without finish: the network went away.
    }
    assert_eq!(normalized(device_indexes(&path)), original);
}

#[test]
fn a_cache_left_without_indexes_gets_them_back_when_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let original = {
        let mut cache = Cache::open(&path).expect("open").cache;
        let original = normalized(device_indexes(&path));
        // What a crash in the middle of a first sync leaves.
        assert!(cache.begin_device_bulk_load().expect("begin"));
        cache
            .upsert_devices(CONN, &[device(1), device(2)])
            .expect("rows");
        original
    };
    assert!(device_indexes(&path).is_empty());
    let opened = Cache::open(&path).expect("reopen");
    assert!(
        opened.rebuilt_from.is_none(),
        "nothing was lost: no rebuild"
    );
    assert_eq!(normalized(device_indexes(&path)), original);
    assert_eq!(opened.cache.count_devices(CONN).expect("count"), 2);
}
