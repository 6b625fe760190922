//! The cache file: migrations, damaged or foreign files and their rebuild, permissions.

use super::*;

#[test]
fn migrations_run_on_a_fresh_file_and_reopen_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let mut cache = open(&path);
    assert_eq!(cache.schema_version().expect("version"), 13);
    cache.upsert_devices(CONN, &fleet(3)).expect("upsert");
    drop(cache);

    let cache = open(&path);
    assert_eq!(cache.schema_version().expect("version"), 13);
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
    assert_eq!(opened.cache.schema_version().expect("version"), 13);
    assert_eq!(opened.cache.count_devices(CONN).expect("count"), 0);
}

/// A development build's cache whose migrations were applied in another order: its schema
/// version says a migration is missing whose table it already has. The cache is a copy: it is
/// set aside and rebuilt instead of keeping the app from starting.
#[test]
fn a_cache_whose_schema_disagrees_with_its_version_is_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    {
        let mut cache = open(&path);
        cache.upsert_devices(CONN, &fleet(3)).expect("upsert");
    }
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute_batch("PRAGMA user_version = 12;")
        .expect("step back");
    drop(conn);

    let opened = Cache::open(&path).expect("opens");
    let moved = opened.rebuilt_from.expect("the old file is set aside");
    assert!(moved.exists(), "kept for a look: {}", moved.display());
    assert_eq!(opened.cache.schema_version().expect("version"), 13);
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
