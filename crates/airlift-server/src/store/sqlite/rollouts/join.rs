//! A device provisioned into a profile while one of the profile's rollouts is active or
//! paused joins it (if eligible), in the provisioning transaction: it becomes the last
//! target, and the aggregate re-applies the slice (`RolloutAggregate::add_target`). A device
//! takes part in one unfinished rollout at a time, so it joins only the oldest such rollout it
//! is eligible for.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};

use super::session::Session;
use super::{db, load_row};
use crate::rollouts::plan::plan;
use crate::rollouts::{Actor, Ctx};
use crate::store::sqlite::catalog;
use crate::store::{ApiError, DeviceRecord, StoreResult};

pub fn join_new_devices(c: &Connection, tenant: &str, devices: &[DeviceRecord]) -> StoreResult<()> {
    let mut by_profile: BTreeMap<&str, Vec<DeviceRecord>> = BTreeMap::new();
    for d in devices {
        by_profile.entry(&d.profile_id).or_default().push(d.clone());
    }
    for (profile, joined) in by_profile {
        let rollouts: Vec<String> = {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id FROM rollouts WHERE tenant_id = ?1 AND target_profile_id = ?2
                     AND target_kind = 'profile' AND status IN ('active', 'paused') ORDER BY id",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![tenant, profile], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(db)?;
            rows
        };
        let mut waiting = joined;
        for rollout in rollouts {
            let taken = join_one(c, tenant, &rollout, &waiting)?;
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
    c: &Connection,
    tenant: &str,
    rollout: &str,
    joined: &[DeviceRecord],
) -> StoreResult<Vec<String>> {
    let row = load_row(c, tenant, rollout)?
        .ok_or_else(|| ApiError::internal("rollout vanished while joining devices"))?;
    let package = catalog::package(c, tenant, &row.package_id)?
        .ok_or_else(|| ApiError::internal("a rollout's package is missing"))?;
    let eligible = plan(&package, joined, row.force, row.allow_downgrade)?.targets;
    if eligible.is_empty() {
        return Ok(eligible);
    }
    let ctx = Ctx::now(Actor::system());
    let mut s = Session::open(c, tenant, rollout, ctx.clone())?;
    for device in &eligible {
        // The aggregate gives the new target the next position; the row must exist before
        // the slice (a set-based update by position) can cover it.
        let position = crate::store::sqlite::i64_of(s.agg.target_count());
        c.execute(
            "INSERT INTO rollout_targets (rollout_id, position, device_id, updated_at) VALUES (?1, ?2, ?3, ?4)",
            params![rollout, position, device, ctx.at],
        )
        .map_err(db)?;
        let events = s.agg.add_target(device)?;
        s.apply(events, &Actor::system())?;
    }
    s.drive()?;
    s.finish()?;
    Ok(eligible)
}
