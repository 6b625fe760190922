//! Opening the cache file: pragmas, migrations, the integrity check, and rebuilding a broken file.
//!
//! The cache only holds copies of server data, so a file SQLite cannot read is not worth a crash
//! or a support ticket: it is moved aside (kept for diagnosis, never deleted) and a fresh one is
//! created, and the caller learns that it happened so the UI can say "cache was rebuilt; syncing".
//! Failures that say nothing about the file's contents (locked, no permission, disk full) are
//! reported instead, because rebuilding would not fix them and could throw away a good file.

use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode as SqliteCode, OpenFlags};
use rusqlite_migration::{Migrations, M};

use crate::error::{DeskError, DeskErrorCode};

/// Schema migrations, in order. Append only: a released migration is never edited.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_init.sql")),
    M::up(include_str!("../../migrations/0002_upload_mtime.sql")),
    M::up(include_str!("../../migrations/0003_rollout_summary.sql")),
    M::up(include_str!("../../migrations/0004_device_filters.sql")),
    M::up(include_str!("../../migrations/0005_notified_pauses.sql")),
    M::up(include_str!("../../migrations/0006_device_search.sql")),
    M::up(include_str!("../../migrations/0007_upload_request.sql")),
    M::up(include_str!("../../migrations/0008_payload_type.sql")),
    M::up(include_str!(
        "../../migrations/0009_package_stored_encrypted.sql"
    )),
    M::up(include_str!("../../migrations/0010_device_agent.sql")),
    M::up(include_str!(
        "../../migrations/0011_package_storage_key.sql"
    )),
    M::up(include_str!("../../migrations/0013_rollout_analytics.sql")),
    M::up(include_str!(
        "../../migrations/0014_fleet_versions_audit.sql"
    )),
];

/// How long a write waits for another connection (another window) to finish before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why opening failed: either the file's contents are unusable (rebuild) or something else
/// (report).
enum OpenFailure {
    /// Damaged, not a database, or a schema from a newer Airlift (after a downgrade): the data is
    /// only a copy, so a fresh cache beats refusing to start.
    Unusable(String),
    Other(DeskError),
}

/// Opens (creating and migrating as needed) the cache at `path`. Returns the connection and,
/// if the old file was unreadable, where it was moved.
pub(super) fn open_or_rebuild(path: &Path) -> Result<(Connection, Option<PathBuf>), DeskError> {
    prepare_location(path)?;
    match try_open(path) {
        Ok(conn) => Ok((conn, None)),
        Err(OpenFailure::Other(err)) => Err(err),
        Err(OpenFailure::Unusable(reason)) => {
            let (conn, moved_to) = replace_with_fresh(path, &reason)?;
            Ok((conn, Some(moved_to)))
        }
    }
}

/// Closes `old`, then [`replace_with_fresh`]: for damage found after the cache was opened.
pub(super) fn rebuild(
    path: &Path,
    old: Connection,
    reason: &str,
) -> Result<(Connection, PathBuf), DeskError> {
    old.close()
        .map_err(|(_, err)| DeskError::cache("close before rebuilding", &err))?;
    replace_with_fresh(path, reason)
}

/// Moves the unusable file at `path` aside and opens a fresh, empty cache there; returns the new
/// connection and where the old file went.
fn replace_with_fresh(path: &Path, reason: &str) -> Result<(Connection, PathBuf), DeskError> {
    let moved_to = move_aside(path)?;
    tracing::warn!(
        path = %path.display(),
        moved_to = %moved_to.display(),
        %reason,
        "offline cache was unreadable; rebuilt it"
    );
    prepare_location(path)?;
    match try_open(path) {
        Ok(conn) => Ok((conn, moved_to)),
        Err(OpenFailure::Other(err)) => Err(err),
        Err(OpenFailure::Unusable(reason)) => Err(DeskError::new(
            DeskErrorCode::CacheCorrupt,
            format!(
                "the offline cache at {} is unreadable even after rebuilding it ({reason}); \
                 check the disk",
                path.display()
            ),
        )),
    }
}

/// Creates the cache's folder (0700) if needed and makes the file private to the user: fleet
/// inventories are not secrets, but they are nobody else's business on a shared machine.
/// SQLite gives the -wal and -shm files the main file's permissions.
fn prepare_location(path: &Path) -> Result<(), DeskError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|err| DeskError::io("create the cache folder", parent, &err))?;
    }
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(DeskError::io("create the cache file", path, &err)),
    }
}

fn try_open(path: &Path) -> Result<Connection, OpenFailure> {
    let mut conn = Connection::open(path).map_err(|err| classify(&err, "open"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|err| classify(&err, "configure"))?;
    // The first statement that reads the header: garbage files fail here with NOTADB.
    // WAL lets the UI read while a sync writes; NORMAL sync is safe with WAL and the cache can be
    // refetched anyway, so losing the last transaction on power loss is acceptable.
    // A 64 MiB page cache (default: 2 MiB) keeps the device indexes of a large fleet in memory
    // during a bulk sync, where random-order index inserts otherwise thrash; it is an upper bound,
    // allocated only as pages are touched.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -65536;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(|err| classify(&err, "configure"))?;
    Migrations::from_slice(MIGRATIONS)
        .to_latest(&mut conn)
        .map_err(|err| match err {
            rusqlite_migration::Error::RusqliteError { err, .. } => classify_migration(&err),
            other => OpenFailure::Unusable(format!(
                "schema version not supported by this version of Airlift ({other})"
            )),
        })?;
    // A first sync that stopped half-way may have left the device indexes dropped.
    super::bulk::ensure_device_indexes(&conn).map_err(|err| classify(&err, "index"))?;
    Ok(conn)
}

/// Checks every page of the cache at `path` on a connection of its own (read-only, so it never
/// blocks the app's writes in WAL mode): `None` when sound, else why not.
///
/// `PRAGMA quick_check` reads every page (O(N), no index cross-check) and answers one row "ok"
/// when the b-trees are sound; otherwise one row per problem. It costs about 0.5 s for the
/// 200 MB file of a million-device fleet on a warm disk, which is why opening does not run it:
/// the app runs it in the background after start-up (see `super::integrity`). Opening still
/// fails, and rebuilds, on a damaged header or schema.
pub(super) fn quick_check(path: &Path) -> Result<Option<String>, DeskError> {
    let unusable = |err: &rusqlite::Error| match classify(err, "check") {
        OpenFailure::Unusable(reason) => Ok(Some(reason)),
        OpenFailure::Other(err) => Err(err),
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = match Connection::open_with_flags(path, flags) {
        Ok(conn) => conn,
        Err(err) => return unusable(&err),
    };
    if let Err(err) = conn.busy_timeout(BUSY_TIMEOUT) {
        return unusable(&err);
    }
    let problems: Result<Vec<String>, rusqlite::Error> =
        conn.prepare("PRAGMA quick_check").and_then(|mut stmt| {
            stmt.query_map([], |row| row.get::<_, String>(0))
                .and_then(|rows| rows.collect())
        });
    match problems {
        Ok(problems) if problems.len() == 1 && problems[0] == "ok" => Ok(None),
        Ok(problems) => Ok(Some(format!(
            "integrity check failed: {}",
            problems.join("; ")
        ))),
        Err(err) => unusable(&err),
    }
}

/// A migration that fails for a reason of the machine (busy, locked, read-only, full or failing
/// disk) is reported; any other failure means the file's schema is not the one this build's
/// migrations expect (a development build's cache, a half-applied migration), and the cache is
/// only a copy: rebuilt, like a damaged file, rather than keeping the app from starting.
fn classify_migration(err: &rusqlite::Error) -> OpenFailure {
    match err.sqlite_error_code() {
        Some(
            SqliteCode::DatabaseBusy
            | SqliteCode::DatabaseLocked
            | SqliteCode::ReadOnly
            | SqliteCode::DiskFull
            | SqliteCode::SystemIoFailure
            | SqliteCode::CannotOpen
            | SqliteCode::OutOfMemory
            | SqliteCode::PermissionDenied,
        ) => OpenFailure::Other(DeskError::cache("migrate", err)),
        _ => OpenFailure::Unusable(format!(
            "its schema could not be brought up to date ({err})"
        )),
    }
}

fn classify(err: &rusqlite::Error, action: &str) -> OpenFailure {
    match err.sqlite_error_code() {
        Some(SqliteCode::DatabaseCorrupt | SqliteCode::NotADatabase) => {
            OpenFailure::Unusable(err.to_string())
        }
        _ => OpenFailure::Other(DeskError::cache(action, err)),
    }
}

/// Renames the bad file (and its WAL and shared-memory files, which belong to it) to
/// `<name>.corrupt-<unix ms>`, and returns the new path of the main file.
fn move_aside(path: &Path) -> Result<PathBuf, DeskError> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut moved_main = None;
    for suffix in ["", "-wal", "-shm"] {
        let from = with_suffix(path, suffix);
        if !from.exists() {
            continue;
        }
        let to = with_suffix(path, &format!("{suffix}.corrupt-{stamp}"));
        std::fs::rename(&from, &to)
            .map_err(|err| DeskError::io("move the unreadable cache file", &from, &err))?;
        if suffix.is_empty() {
            moved_main = Some(to);
        }
    }
    Ok(moved_main.unwrap_or_else(|| with_suffix(path, &format!(".corrupt-{stamp}"))))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_are_valid() {
        Migrations::from_slice(MIGRATIONS)
            .validate()
            .expect("migrations apply cleanly to an empty database");
    }
}
