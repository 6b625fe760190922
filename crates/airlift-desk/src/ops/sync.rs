//! Syncing the offline cache with the server: what the app's refreshes and `airlift-cli sync`
//! (and its cached reads) run, in one order for both.
//!
//! Devices carry no OTA state of their own: it comes from the rollouts' device lists, so the
//! rollouts are synced before the devices' states, every time.

use serde::Serialize;

use super::Session;
use crate::error::DeskError;
use crate::sync::{sync_device_states, sync_devices, sync_packages, sync_rollouts, SyncReport};

/// What a full sync did, collection by collection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FullSync {
    pub packages: SyncReport,
    pub rollouts: SyncReport,
    pub devices: SyncReport,
    pub device_states: SyncReport,
}

/// The fleet: its devices, then the rollouts and each device's OTA state from them. Answers
/// the devices' report (what the device list shows).
pub async fn sync_fleet(s: Session<'_>) -> Result<SyncReport, DeskError> {
    let devices = sync_devices(s.client, s.cache, s.connection_id).await?;
    sync_rollouts(s.client, s.cache, s.connection_id).await?;
    sync_device_states(s.client, s.cache, s.connection_id).await?;
    Ok(devices)
}

/// Everything the screens list: the catalog, the rollouts, the fleet and the devices' OTA
/// states, each only what changed since its last sync.
pub async fn sync_all(s: Session<'_>) -> Result<FullSync, DeskError> {
    let packages = sync_packages(s.client, s.cache, s.connection_id).await?;
    let rollouts = sync_rollouts(s.client, s.cache, s.connection_id).await?;
    let devices = sync_devices(s.client, s.cache, s.connection_id).await?;
    let device_states = sync_device_states(s.client, s.cache, s.connection_id).await?;
    Ok(FullSync {
        packages,
        rollouts,
        devices,
        device_states,
    })
}
