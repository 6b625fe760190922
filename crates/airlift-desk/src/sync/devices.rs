//! Device list sync: pages of 1,000 from the server in `change_seq` order, cache writes in
//! batches of 10,000 rows per transaction. The first (full) sync also removes devices the
//! server no longer lists; later ones ask only for `?changed_since=` the saved cursor.
//!
//! The cache side lives in [`DeviceSyncWriter`], apart from the HTTP paging, so the write path
//! can be measured on its own (bench/desk-cache.sh) with exactly the code a sync runs.

use std::collections::HashSet;
use std::sync::Mutex;

use super::{mapping::device_row, SyncReport, PAGE};
use crate::cache::lock;
use crate::cache::rows::DeviceRow;
use crate::cache::{Cache, Collection, DeviceQuery, DeviceSort, MAX_PAGE};
use crate::client::{Client, ListParams};
use crate::error::DeskError;

/// Rows per cache transaction.
pub const BATCH: usize = 10_000;

pub async fn sync_devices(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
) -> Result<SyncReport, DeskError> {
    sync_profiles(client, cache, connection_id).await?;
    let since = super::saved_cursor(cache, connection_id, Collection::Devices)?;
    let mut report = SyncReport {
        incremental: since.is_some(),
        ..SyncReport::default()
    };
    let mut writer = DeviceSyncWriter::new(cache, connection_id, since.is_none())?;
    let mut page = ListParams::new(PAGE, None);
    let mut cursor = since.unwrap_or(0);
    page.changed_since = Some(cursor);
    loop {
        let list = client.devices(&page).await?;
        report.pages += 1;
        report.listed += list.data.len() as u64;
        for d in &list.data {
            cursor = cursor.max(d.change_seq);
            writer.push(device_row(d))?;
        }
        match list.data.last() {
            Some(last) if list.has_more => page.changed_since = Some(last.change_seq),
            _ => break,
        }
    }
    let written = writer.finish(&cursor.to_string())?;
    report.written = written.written;
    report.removed = written.removed;
    Ok(report)
}

/// Every profile of the tenant (a handful, so always the whole list), so device pages name
/// them offline too.
pub async fn sync_profiles(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
) -> Result<(), DeskError> {
    let mut profiles = Vec::new();
    let mut page = ListParams::new(PAGE, None);
    loop {
        let list = client.profiles(&page).await?;
        profiles.extend(
            list.data
                .iter()
                .map(|p| (p.profile_id.clone(), p.name.clone(), p.device_type.clone())),
        );
        match list.data.last() {
            Some(last) if list.has_more => page.after = Some(last.profile_id.clone()),
            _ => break,
        }
    }
    lock(cache)?.replace_profiles(connection_id, &profiles)
}

/// What a [`DeviceSyncWriter`] did to the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DevicesWritten {
    /// Rows inserted or changed.
    pub written: u64,
    /// Rows removed because a full pass did not list them.
    pub removed: u64,
}

/// The cache side of one device sync: rows go to the cache in transactions of [`BATCH`] rows;
/// [`finish`](Self::finish) writes the rest, removes what a full pass did not list and saves the
/// cursor.
pub struct DeviceSyncWriter<'a> {
    cache: &'a Mutex<Cache>,
    connection_id: &'a str,
    /// Ids listed by a full pass over a cache that already held devices of this connection
    /// (`None` otherwise: an incremental pass removes nothing, and neither does a full pass into
    /// an empty cache, which so skips a million-entry set on a first sync).
    seen: Option<HashSet<String>>,
    /// The rows go into an empty table with its indexes built at the end (see `cache::bulk`).
    bulk: bool,
    batch: Vec<DeviceRow>,
    done: DevicesWritten,
}

impl<'a> DeviceSyncWriter<'a> {
    /// Starts writing a sync of `connection_id`; `full` when the server lists every device
    /// (no saved cursor), so that devices it does not list can be removed at the end.
    pub fn new(
        cache: &'a Mutex<Cache>,
        connection_id: &'a str,
        full: bool,
    ) -> Result<Self, DeskError> {
        let (bulk, seen) = if full {
            let mut c = lock(cache)?;
            let bulk = c.begin_device_bulk_load()?;
            let seen = (!bulk && c.has_devices(connection_id)?).then(HashSet::new);
            (bulk, seen)
        } else {
            (false, None)
        };
        Ok(Self {
            cache,
            connection_id,
            seen,
            bulk,
            batch: Vec::with_capacity(BATCH),
            done: DevicesWritten::default(),
        })
    }

    /// Adds one row from the server; writes a transaction whenever a batch is full.
    pub fn push(&mut self, row: DeviceRow) -> Result<(), DeskError> {
        if let Some(seen) = &mut self.seen {
            seen.insert(row.id.clone());
        }
        self.batch.push(row);
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes what is left, removes unlisted devices after a full pass, and saves `cursor` for
    /// the next incremental sync.
    pub fn finish(mut self, cursor: &str) -> Result<DevicesWritten, DeskError> {
        self.flush()?;
        if self.bulk {
            lock(self.cache)?.end_device_bulk_load()?;
            self.bulk = false;
        }
        if let Some(seen) = &self.seen {
            // Only a full pass knows every device, so only it may remove the unlisted ones.
            self.done.removed = remove_unseen(self.cache, self.connection_id, seen)?;
        }
        lock(self.cache)?.mark_synced(self.connection_id, Collection::Devices, Some(cursor))?;
        Ok(self.done)
    }

    fn flush(&mut self) -> Result<(), DeskError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let stats = lock(self.cache)?.upsert_devices(self.connection_id, &self.batch)?;
        self.batch.clear();
        self.done.written += stats.written as u64;
        Ok(())
    }
}

impl Drop for DeviceSyncWriter<'_> {
    /// A sync that failed half-way (network gone) still leaves an indexed cache behind.
    fn drop(&mut self) {
        if self.bulk {
            if let Err(err) = lock(self.cache).and_then(|mut c| c.end_device_bulk_load()) {
                tracing::warn!(%err, "could not index the devices after an interrupted sync; the next start will");
            }
        }
    }
}

fn remove_unseen(
    cache: &Mutex<Cache>,
    connection_id: &str,
    seen: &HashSet<String>,
) -> Result<u64, DeskError> {
    let cache_guard = lock(cache)?;
    let mut gone = Vec::new();
    let mut query = DeviceQuery {
        sort: DeviceSort::Id,
        limit: MAX_PAGE,
        ..DeviceQuery::default()
    };
    loop {
        let page = cache_guard.list_devices(connection_id, &query)?;
        gone.extend(
            page.items
                .into_iter()
                .filter(|d| !seen.contains(&d.id))
                .map(|d| d.id),
        );
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    drop(cache_guard);
    if gone.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = gone.iter().map(String::as_str).collect();
    Ok(lock(cache)?.delete_devices(connection_id, &ids)? as u64)
}
