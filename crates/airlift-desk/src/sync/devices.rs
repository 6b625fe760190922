//! Device list sync: pages of 1,000 from the server in `change_seq` order, cache writes in
//! batches of 10,000 rows per transaction. The first (full) sync also removes devices the
//! server no longer lists; later ones ask only for `?changed_since=` the saved cursor.

use std::collections::HashSet;
use std::sync::Mutex;

use super::{mapping::device_row, SyncReport, PAGE};
use crate::cache::rows::DeviceRow;
use crate::cache::{Cache, Collection, DeviceQuery, DeviceSort, MAX_PAGE};
use crate::client::{Client, ListParams};
use crate::error::DeskError;
use crate::upload::lock;

/// Rows per cache transaction.
pub const BATCH: usize = 10_000;

pub async fn sync_devices(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
) -> Result<SyncReport, DeskError> {
    let since = super::saved_cursor(cache, connection_id, Collection::Devices)?;
    let mut report = SyncReport {
        incremental: since.is_some(),
        ..SyncReport::default()
    };
    let mut seen = HashSet::new();
    let mut batch: Vec<DeviceRow> = Vec::with_capacity(BATCH);
    let mut page = ListParams::new(PAGE, None);
    let mut cursor = since.unwrap_or(0);
    page.changed_since = Some(cursor);
    loop {
        let list = client.devices(&page).await?;
        report.pages += 1;
        report.listed += list.data.len() as u64;
        for d in &list.data {
            if since.is_none() {
                seen.insert(d.device_id.clone());
            }
            cursor = cursor.max(d.change_seq);
            batch.push(device_row(d));
        }
        if batch.len() >= BATCH {
            report.written += write(cache, connection_id, &mut batch)?;
        }
        match list.data.last() {
            Some(last) if list.has_more => page.changed_since = Some(last.change_seq),
            _ => break,
        }
    }
    report.written += write(cache, connection_id, &mut batch)?;
    if since.is_none() {
        // Only a full pass knows every device, so only it may remove the unlisted ones.
        report.removed = remove_unseen(cache, connection_id, &seen)?;
    }
    let cursor = cursor.to_string();
    lock(cache)?.mark_synced(connection_id, Collection::Devices, Some(&cursor))?;
    Ok(report)
}

fn write(
    cache: &Mutex<Cache>,
    connection_id: &str,
    batch: &mut Vec<DeviceRow>,
) -> Result<u64, DeskError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let stats = lock(cache)?.upsert_devices(connection_id, batch)?;
    batch.clear();
    Ok(stats.written as u64)
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
