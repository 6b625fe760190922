//! The offline cache: a local SQLite copy of what the desk last saw from each server connection.
//!
//! The UI reads lists from here first (instantly, and when offline), then refreshes from the
//! server and writes the result back in one transaction per page. Every read that the UI shows
//! can be paired with [`Cache::data_age`] so it can say "as of 3 minutes ago".
//!
//! * One file per server and tenant ([`location::cache_file`]); rows are also keyed by the
//!   connection id.
//! * WAL mode, versioned migrations embedded from `migrations/*.sql`.
//! * A file SQLite cannot read is moved aside and rebuilt; [`OpenedCache::rebuilt_from`] says so.
//!   Opening reads only the header and schema; every page is checked later, off the start-up
//!   path ([`verify_and_repair`]), or at once with [`Cache::open_verified`].
//! * Credentials are never written here (no column can hold them; a test scans the file).
//!
//! [`Cache`] wraps one `rusqlite::Connection`, which is `Send` but not `Sync`: the app keeps it
//! behind a mutex or opens one per worker.

mod audit;
mod bulk;
mod catalog;
mod device_ota;
mod devices;
mod fleet_versions;
mod history;
mod integrity;
pub mod location;
mod notified;
mod open;
mod overview;
mod rollout_analytics;
mod rollouts;
pub mod rows;
mod sync;
mod uploads;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub use device_ota::{DeviceFacets, DeviceOta, FacetCount};
pub use devices::{DeviceCursor, DeviceQuery, DeviceSort, Page, MAX_PAGE};
pub use history::HistoryCursor;
pub use integrity::verify_and_repair;
pub use overview::{CachedCount, PauseRow};
pub use rollout_analytics::Fetched;
pub use rollouts::{rollout_row, transition_rows};
pub use sync::{Collection, SyncState};

use crate::error::{DeskError, DeskErrorCode};

/// Locks a cache shared between threads (the app's, the watcher's, an upload's).
pub fn lock(cache: &Mutex<Cache>) -> Result<MutexGuard<'_, Cache>, DeskError> {
    cache.lock().map_err(|_| {
        DeskError::new(
            DeskErrorCode::Internal,
            "the offline cache lock was poisoned by an earlier failure; restart the app",
        )
    })
}

/// An open cache.
pub struct Cache {
    conn: Connection,
    path: PathBuf,
    /// A bulk load dropped the device indexes for now (see `bulk`): queries must not name them.
    device_indexes_deferred: bool,
}

/// The result of [`Cache::open`].
pub struct OpenedCache {
    pub cache: Cache,
    /// Set when the previous file was unreadable: where it was moved before a fresh cache was
    /// created. The UI should tell the person that cached data will be refetched.
    pub rebuilt_from: Option<PathBuf>,
}

/// How many rows an upsert inserted or changed (rows identical to what was cached are skipped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpsertStats {
    pub written: usize,
    pub unchanged: usize,
}

impl Cache {
    /// Opens the cache at `path`, creating and migrating it as needed, and rebuilding it if the
    /// existing file's header or schema is unusable. Missing folders are created (0700) and the
    /// file is 0600. Damaged data pages are found by [`verify_and_repair`], which the caller
    /// runs once the first screen is up (or use [`Cache::open_verified`]).
    pub fn open(path: &Path) -> Result<OpenedCache, DeskError> {
        let (conn, rebuilt_from) = open::open_or_rebuild(path)?;
        Ok(OpenedCache {
            cache: Cache {
                conn,
                path: path.to_path_buf(),
                device_indexes_deferred: false,
            },
            rebuilt_from,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version (SQLite `user_version`), for diagnostics.
    pub fn schema_version(&self) -> Result<i64, DeskError> {
        self.conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|err| DeskError::cache("read its schema version", &err))
    }

    /// Removes everything cached for one connection (when the person deletes the connection).
    pub fn forget_connection(&mut self, connection_id: &str) -> Result<(), DeskError> {
        let tx = self
            .conn
            .transaction()
            .map_err(|err| DeskError::cache("start a transaction", &err))?;
        for table in [
            "devices",
            "device_history",
            "packages",
            "rollouts",
            "rollout_transitions",
            "rollout_timeline",
            "rollout_failure_reasons",
            "rollout_analytics",
            "pending_upload_parts",
            "pending_uploads",
            "sync_state",
            "notified_pauses",
            "profiles",
            "fleet_versions",
            "audit_entries",
        ] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE connection_id = ?1"),
                [connection_id],
            )
            .map_err(|err| DeskError::cache("forget the connection", &err))?;
        }
        tx.commit()
            .map_err(|err| DeskError::cache("forget the connection", &err))
    }

    /// Folds the WAL back into the main file (e.g. before the app exits or a backup).
    pub fn checkpoint(&self) -> Result<(), DeskError> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|err| DeskError::cache("checkpoint", &err))
    }
}

/// SQLite integers are signed; sizes above `i64::MAX` cannot come from a real file.
fn to_sql_u64(field: &str, value: u64) -> Result<i64, DeskError> {
    i64::try_from(value)
        .map_err(|_| DeskError::invalid_argument(format!("{field} {value} is too large to cache")))
}

/// Reads an unsigned column back; a negative value can only mean a damaged row.
fn get_u64(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(idx)?;
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, value))
}
