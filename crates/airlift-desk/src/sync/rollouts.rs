//! Rollout sync (`?changed_since=` cursor like the other collections), with each changed
//! rollout's transition history, and on-demand device history.

use std::sync::Mutex;

use airlift_core::wire::{DeviceHistoryEntry, Rollout};

use super::{saved_cursor, SyncReport, PAGE};
use crate::cache::lock;
use crate::cache::rows::{HistoryEntryRow, RolloutRow};
use crate::cache::{rollout_row, Cache, Collection};
use crate::client::{Client, ListParams};
use crate::error::DeskError;

pub fn history_row(device_id: &str, e: &DeviceHistoryEntry) -> HistoryEntryRow {
    HistoryEntryRow {
        device_id: device_id.to_owned(),
        at: e.at.clone(),
        kind: format!("{}#{}", e.kind, e.seq),
        detail: serde_json::to_value(e).unwrap_or(serde_json::Value::Null),
    }
}

/// Stores one rollout as fetched (summary, full record, transitions): what the watcher does
/// per event and what opening a rollout does.
pub fn store_rollout(
    cache: &Mutex<Cache>,
    connection_id: &str,
    rollout: &Rollout,
) -> Result<(), DeskError> {
    lock(cache)?.save_rollout_detail(connection_id, rollout)
}

pub async fn sync_rollouts(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
) -> Result<SyncReport, DeskError> {
    let since = saved_cursor(cache, connection_id, Collection::Rollouts)?;
    let mut report = SyncReport {
        incremental: since.is_some(),
        ..SyncReport::default()
    };
    let mut cursor = since.unwrap_or(0);
    let mut page = ListParams::new(PAGE, None);
    page.changed_since = Some(cursor);
    let mut changed = Vec::new();
    loop {
        let list = client.rollouts(&page).await?;
        report.pages += 1;
        report.listed += list.data.len() as u64;
        cursor = list
            .data
            .iter()
            .map(|r| r.change_seq)
            .fold(cursor, u64::max);
        let rows: Vec<RolloutRow> = list.data.iter().map(rollout_row).collect();
        {
            let mut cache = lock(cache)?;
            report.written += cache.upsert_rollouts(connection_id, &rows)?.written as u64;
            cache.save_rollout_summaries(connection_id, &list.data)?;
        }
        changed.extend(list.data.iter().map(|r| r.rollout_id.clone()));
        match list.data.last() {
            Some(last) if list.has_more => page.changed_since = Some(last.change_seq),
            _ => break,
        }
    }
    for id in changed {
        let rollout = client.rollout(&id).await?;
        lock(cache)?.save_rollout_detail(connection_id, &rollout)?;
    }
    lock(cache)?.mark_synced(
        connection_id,
        Collection::Rollouts,
        Some(&cursor.to_string()),
    )?;
    Ok(report)
}

/// Fetches a device's newest history (up to `max_entries`) into the cache.
pub async fn sync_device_history(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
    device_id: &str,
    max_entries: usize,
) -> Result<SyncReport, DeskError> {
    let mut report = SyncReport::default();
    let mut page = ListParams::new(PAGE.min(max_entries.max(1) as u32), None);
    loop {
        let list = client.device_history(device_id, &page).await?;
        report.pages += 1;
        report.listed += list.data.len() as u64;
        let rows: Vec<HistoryEntryRow> = list
            .data
            .iter()
            .map(|e| history_row(device_id, e))
            .collect();
        report.written += lock(cache)?.append_device_history(connection_id, &rows)? as u64;
        match list.data.last() {
            Some(last) if list.has_more && (report.listed as usize) < max_entries => {
                page.after = Some(last.seq.to_string())
            }
            _ => break,
        }
    }
    lock(cache)?.mark_synced(connection_id, Collection::DeviceHistory, None)?;
    Ok(report)
}
