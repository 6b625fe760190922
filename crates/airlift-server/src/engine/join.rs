//! A device provisioned into a profile while one of the profile's rollouts is active or
//! paused joins it (if eligible), in the provisioning transaction: it becomes the last
//! target, and the aggregate re-applies the slice (`RolloutAggregate::add_target`). A device
//! takes part in one unfinished rollout at a time, so it joins only the oldest such rollout it
//! is eligible for.

use airlift_core::error::ApiError;
use std::collections::BTreeMap;

use airlift_core::rollout::RolloutStatus;

use super::session::Session;
use crate::rollouts::plan::plan;
use crate::rollouts::{Actor, Ctx};
use crate::store::rollout_port::RolloutTx;
use crate::store::{DeviceRecord, NewDevice, StoreResult};

/// The rollouts a new device of their profile joins.
const JOINABLE: [RolloutStatus; 3] = [
    RolloutStatus::Active,
    RolloutStatus::Paused,
    RolloutStatus::Scheduled,
];

/// Provisions `devices` (all or none) and lets them join their profiles' rollouts.
pub fn create_devices(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    devices: &[NewDevice],
) -> StoreResult<()> {
    tx.insert_devices(tenant, devices)?;
    let records: Vec<DeviceRecord> = devices.iter().map(|d| d.record.clone()).collect();
    join_new_devices(tx, tenant, &records)
}

pub fn join_new_devices(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    devices: &[DeviceRecord],
) -> StoreResult<()> {
    let mut by_profile: BTreeMap<&str, Vec<DeviceRecord>> = BTreeMap::new();
    for d in devices {
        by_profile.entry(&d.profile_id).or_default().push(d.clone());
    }
    for (profile, joined) in by_profile {
        let rollouts = tx.profile_rollouts(tenant, profile, &JOINABLE)?;
        let mut waiting = joined;
        for rollout in rollouts {
            let taken = join_one(tx, tenant, &rollout, &waiting)?;
            waiting.retain(|d| !taken.contains(&d.id));
            if waiting.is_empty() {
                break;
            }
        }
    }
    Ok(())
}

/// Adds the eligible ones of `joined` to `rollout`; returns their ids.
fn join_one(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    rollout: &str,
    joined: &[DeviceRecord],
) -> StoreResult<Vec<String>> {
    let row = tx
        .rollout(tenant, rollout)?
        .ok_or_else(|| ApiError::internal("rollout vanished while joining devices"))?;
    let package = tx
        .package(tenant, &row.package_id)?
        .ok_or_else(|| ApiError::internal("a rollout's package is missing"))?;
    let eligible = plan(&package, joined, row.force, row.allow_downgrade)?.targets;
    if eligible.is_empty() {
        return Ok(eligible);
    }
    let ctx = Ctx::now(Actor::system());
    let mut s = Session::open(tx, tenant, rollout, ctx.clone())?;
    for device in &eligible {
        // The aggregate gives the new target the next position; the row must exist before
        // the slice (a set-based update by position) can cover it.
        let position = s.agg.target_count();
        s.tx.insert_targets(rollout, position, std::slice::from_ref(device), &ctx.at)?;
        let events = s.agg.add_target(device)?;
        s.apply(events, &Actor::system())?;
    }
    s.drive()?;
    s.finish()?;
    Ok(eligible)
}
