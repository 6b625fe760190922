//! Devices' OTA states (seed 001's record) from the rollouts' per-device lists.
//!
//! The server keeps a device's progress per rollout. Each sync reads the device lists of the
//! rollouts still moving, plus those that changed since the last pass (a rollout that just
//! completed is read once more), oldest rollout first, and writes each listed device's state;
//! the cache keeps the newest rollout's.

use std::sync::Mutex;

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::wire::{RolloutDevice, RolloutSummary};

use super::{SyncReport, PAGE};
use crate::cache::lock;
use crate::cache::{Cache, Collection, DeviceOta};
use crate::client::{Client, ListParams};
use crate::error::DeskError;

/// Seed 001's status for a device's state in a rollout.
pub fn ota_status(state: DeviceRolloutState) -> &'static str {
    match state {
        DeviceRolloutState::Scheduled
        | DeviceRolloutState::CommandSent
        | DeviceRolloutState::InProgress => "updating",
        DeviceRolloutState::Successful => "completed",
        DeviceRolloutState::Failed | DeviceRolloutState::TimedOut => "failed",
    }
}

/// The OTA record of one listed device, or `None` while it waits outside the canary slice.
/// While the rollout rolls back, a device that received the rollback command shows that one.
pub fn device_ota(
    rollout: &RolloutSummary,
    rollback_version: Option<&str>,
    d: &RolloutDevice,
) -> Option<DeviceOta> {
    let (state, target) = match (d.rollback_state, d.state) {
        (Some(rollback), _) => (rollback, rollback_version.map(str::to_owned)),
        (None, Some(state)) => (state, Some(rollout.package_version.clone())),
        (None, None) => return None,
    };
    Some(DeviceOta {
        device_id: d.device_id.clone(),
        rollout_id: rollout.rollout_id.clone(),
        rollout_created_at: rollout.created_at.clone(),
        target_version: target,
        ota_status: ota_status(state).to_owned(),
        rollout_state: Some(state.as_str().to_owned()),
        progress: d.progress.map(|p| u8::try_from(p.min(100)).unwrap_or(100)),
        last_status: d.last_status.clone(),
        last_message: d.last_message.clone(),
        last_update_at: Some(d.updated_at.clone()),
    })
}

pub async fn sync_device_states(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
) -> Result<SyncReport, DeskError> {
    let since = lock(cache)?.sync_cursor(connection_id, Collection::DeviceStates)?;
    let mut rollouts = Vec::new();
    let mut page = ListParams::new(PAGE, None);
    loop {
        let list = client.rollouts(&page).await?;
        rollouts.extend(list.data.iter().cloned());
        match list.data.last() {
            Some(last) if list.has_more => page.after = Some(last.rollout_id.clone()),
            _ => break,
        }
    }
    let newest_update = rollouts.iter().map(|r| r.updated_at.clone()).max();
    rollouts.retain(|r| {
        !r.status.is_terminal() || since.as_deref().is_none_or(|s| r.updated_at.as_str() >= s)
    });
    rollouts.sort_by(|a, b| a.created_at.cmp(&b.created_at));

    let mut report = SyncReport {
        incremental: since.is_some(),
        ..SyncReport::default()
    };
    for rollout in &rollouts {
        let rollback_version = match &rollout.rollback_package_id {
            Some(id) => Some(client.package(id).await?.version),
            None => None,
        };
        let mut page = ListParams::new(PAGE, None);
        loop {
            let list = client.rollout_devices(&rollout.rollout_id, &page).await?;
            report.pages += 1;
            report.listed += list.data.len() as u64;
            let records: Vec<DeviceOta> = list
                .data
                .iter()
                .filter_map(|d| device_ota(rollout, rollback_version.as_deref(), d))
                .collect();
            report.written += lock(cache)?.set_device_ota(connection_id, &records)? as u64;
            match list.data.last() {
                Some(last) if list.has_more => page.after = Some(last.position.to_string()),
                _ => break,
            }
        }
    }
    let cursor = newest_update.or(since);
    lock(cache)?.mark_synced(connection_id, Collection::DeviceStates, cursor.as_deref())?;
    Ok(report)
}
