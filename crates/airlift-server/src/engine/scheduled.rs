//! The rollout engine's timed work besides device timeouts, run by the server's sweep, each
//! rollout in its own transaction: scheduled starts (a rollout created with `start_at` is
//! `scheduled` until then), phase advances whose soak is over, and devices that waited for
//! their maintenance window once it opens.
//!
//! Exactly once, on any number of servers: the start re-reads the rollout in its transaction
//! (locked on PostgreSQL) and acts only while it is still `scheduled`; a second server's sweep
//! then finds it `active` and does nothing.

use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::RolloutEventData;

use super::session::Session;
use crate::rollouts::{Actor, Ctx};
use crate::store::rollout_port::RolloutTx;
use crate::store::StoreResult;

/// Scheduled rollouts due at `now_unix` (tenant id, rollout id).
pub fn due(tx: &mut dyn RolloutTx, now_unix: i64) -> StoreResult<Vec<(String, String)>> {
    tx.rollouts_to_start(now_unix)
}

/// Starts rollout `id` if it is still scheduled and due: scheduled → active, its first
/// slice scheduled and sent like a rollout started at creation. Returns the events to publish
/// (none when another server started it first, or it was cancelled meanwhile).
pub fn start_one(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    id: &str,
    now_unix: i64,
) -> StoreResult<Vec<RolloutEventData>> {
    let Some(row) = tx.rollout(tenant, id)? else {
        return Ok(Vec::new());
    };
    let due = row.start_at_unix.is_some_and(|at| at <= now_unix);
    if row.status != RolloutStatus::Scheduled || !due {
        return Ok(Vec::new());
    }
    let ctx = Ctx {
        now_unix,
        ..Ctx::now(Actor::system())
    };
    let mut s = Session::open(tx, tenant, id, ctx)?;
    let events = s.agg.start_now()?;
    s.apply(events, &Actor::system())?;
    s.drive()?;
    s.finish()
}

/// Active phased rollouts whose next advance is due at `now_unix` (tenant id, rollout id).
pub fn phases_due(tx: &mut dyn RolloutTx, now_unix: i64) -> StoreResult<Vec<(String, String)>> {
    tx.rollouts_to_advance(now_unix)
}

/// Lets rollout `id` advance its phase if its soak is over (the session's `drive` decides,
/// from the stored state, so a second server's sweep finds nothing due). Returns the events.
pub fn advance_phase(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    id: &str,
    now_unix: i64,
) -> StoreResult<Vec<RolloutEventData>> {
    let Some(row) = tx.rollout(tenant, id)? else {
        return Ok(Vec::new());
    };
    let due = row.next_advance_unix.is_some_and(|at| at <= now_unix);
    if row.status != RolloutStatus::Active || !due {
        return Ok(Vec::new());
    }
    let ctx = Ctx {
        now_unix,
        ..Ctx::now(Actor::system())
    };
    let mut s = Session::open(tx, tenant, id, ctx)?;
    s.drive()?;
    s.finish()
}

/// Rollouts whose devices wait for their maintenance window and whose window is open at
/// `now_unix` (core's window rule, so the write is taken only when there is something to do).
pub fn windows_open(tx: &mut dyn RolloutTx, now_unix: i64) -> StoreResult<Vec<(String, String)>> {
    Ok(tx
        .rollouts_waiting_for_window()?
        .into_iter()
        .filter(|(_, _, json)| {
            serde_json::from_str::<airlift_core::maintenance_window::MaintenanceWindow>(json)
                .ok()
                .and_then(|w| w.check().ok())
                .is_some_and(|w| w.is_open(now_unix))
        })
        .map(|(tenant, id, _)| (tenant, id))
        .collect())
}

/// The window of rollout `id` is open: its waiting devices are told (the session's `drive`
/// checks the window and the status again in this transaction).
pub fn tell_in_window(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    id: &str,
    now_unix: i64,
) -> StoreResult<Vec<RolloutEventData>> {
    let Some(row) = tx.rollout(tenant, id)? else {
        return Ok(Vec::new());
    };
    if row.status != RolloutStatus::Active || row.counters.scheduled == 0 {
        return Ok(Vec::new());
    }
    let ctx = Ctx {
        now_unix,
        ..Ctx::now(Actor::system())
    };
    let mut s = Session::open(tx, tenant, id, ctx)?;
    s.drive()?;
    s.finish()
}
