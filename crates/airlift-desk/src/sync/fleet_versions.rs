//! The fleet's firmware versions per device type: one call (the server keeps the counts as
//! devices change), the cached copy replaced whole.

use std::sync::Mutex;

use super::SyncReport;
use crate::cache::lock;
use crate::cache::rows::FleetVersionRow;
use crate::cache::{Cache, Collection};
use crate::client::Client;
use crate::error::DeskError;

pub async fn sync_fleet_versions(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
) -> Result<SyncReport, DeskError> {
    let counts = client.fleet_versions().await?;
    let rows: Vec<FleetVersionRow> = counts
        .data
        .into_iter()
        .map(|v| FleetVersionRow {
            device_type: v.device_type,
            firmware_version: v.firmware_version,
            devices: v.devices,
        })
        .collect();
    let mut cache = lock(cache)?;
    cache.replace_fleet_versions(connection_id, &rows)?;
    cache.mark_synced(connection_id, Collection::FleetVersions, None)?;
    Ok(SyncReport {
        listed: rows.len() as u64,
        pages: 1,
        written: rows.len() as u64,
        ..SyncReport::default()
    })
}
