//! Sync from the server into the offline cache, and cached reads that say how old they are.
//!
//! The server stamps every row with a `change_seq` and lists `?changed_since=N` in that order.
//! The first sync of a collection asks from 0 (everything), removes what the server no longer
//! lists and saves the highest `change_seq` seen as the cursor; later syncs ask only for what
//! changed since. Each batch is one cache transaction (unchanged rows are skipped by the cache).
//! [`resync`] forgets the cursor to force a full pass.
//!
//! Offline, reads answer from the cache with their age ([`Cached`]); writes are plain client
//! calls and fail with `OFFLINE`: nothing is queued behind the person's back.

mod device_states;
mod devices;
mod fleet_versions;
mod mapping;
mod packages;
mod rollouts;

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

pub use device_states::{device_ota, ota_status, sync_device_states};
pub use devices::{
    sync_devices, sync_profiles, DeviceSyncWriter, DevicesWritten, BATCH as DEVICE_BATCH,
};
pub use fleet_versions::sync_fleet_versions;
pub use mapping::{device_row, package_row};
pub use packages::sync_packages;
pub use rollouts::{history_row, store_rollout, sync_device_history, sync_rollouts};

use crate::cache::{Cache, Collection};
use crate::clock::now_ms;
use crate::error::{DeskError, DeskErrorCode};

/// Items per list call while syncing (the server's maximum).
pub const PAGE: u32 = 1000;

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Items the server listed.
    pub listed: u64,
    /// List calls made.
    pub pages: u64,
    /// Rows inserted or changed in the cache.
    pub written: u64,
    /// Rows removed because the server no longer lists them.
    pub removed: u64,
    /// Whether only changes since the saved cursor were asked for.
    pub incremental: bool,
}

/// The saved `change_seq` cursor of a collection, if a previous sync left one.
fn saved_cursor(
    cache: &Mutex<Cache>,
    connection_id: &str,
    collection: Collection,
) -> Result<Option<u64>, DeskError> {
    Ok(crate::cache::lock(cache)?
        .sync_cursor(connection_id, collection)?
        .and_then(|c| c.parse().ok()))
}

/// Forgets a collection's cursor so its next sync is a full one.
pub fn resync(
    cache: &Mutex<Cache>,
    connection_id: &str,
    collection: Collection,
) -> Result<(), DeskError> {
    let mut cache = crate::cache::lock(cache)?;
    let synced = cache.synced_at_ms(connection_id, collection)?;
    match synced {
        Some(at) => cache.mark_synced_at(connection_id, collection, None, at),
        None => Ok(()),
    }
}

/// Data from the cache or the server, with how old it is.
#[derive(Debug, Clone, Serialize)]
pub struct Cached<T> {
    pub data: T,
    /// `false` when the server could not be reached and this is the cached copy.
    pub fresh: bool,
    /// Time since the last successful sync (`None`: never synced).
    pub age: Option<Duration>,
    /// When the last sync finished (Unix ms).
    pub synced_at_ms: Option<i64>,
    /// Why the server was not used, when `fresh` is false.
    pub offline_reason: Option<String>,
}

/// Runs `sync`; if the server is unreachable, answers `read` from the cache with its age
/// instead. Any other failure (a 401, a broken cache) is returned as is.
pub async fn read_through<T, F>(
    cache: &Mutex<Cache>,
    connection_id: &str,
    collection: Collection,
    sync: F,
    read: impl Fn(&Cache) -> Result<T, DeskError>,
) -> Result<Cached<T>, DeskError>
where
    F: std::future::Future<Output = Result<SyncReport, DeskError>>,
{
    let (fresh, offline_reason) = match sync.await {
        Ok(_) => (true, None),
        Err(err) if err.code() == DeskErrorCode::Offline => (false, Some(err.message().to_owned())),
        Err(err) => return Err(err),
    };
    let cache = crate::cache::lock(cache)?;
    let synced_at_ms = cache.synced_at_ms(connection_id, collection)?;
    let age = cache.data_age(connection_id, collection, now_ms())?;
    Ok(Cached {
        data: read(&cache)?,
        fresh,
        age,
        synced_at_ms,
        offline_reason,
    })
}
