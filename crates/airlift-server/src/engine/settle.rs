//! Start-up: rollouts that an older server left `active` although every target has a verdict
//! (it completed a rollout only when every device succeeded) complete now, as the rules say,
//! so they neither stay open forever nor hold their devices against new rollouts.

use airlift_core::rollout::RolloutStatus;

use super::session::Session;
use crate::rollouts::{Actor, Ctx};
use crate::store::rollout_port::RolloutTx;
use crate::store::StoreResult;

/// Active rollouts, the candidates (tenant id, rollout id).
pub fn candidates(tx: &mut dyn RolloutTx) -> StoreResult<Vec<(String, String)>> {
    tx.rollouts_in_status(RolloutStatus::Active)
}

/// Completes rollout `id` if the aggregate says every target is decided; returns whether it
/// did (its `completed` event is stored for SSE replay like any other).
pub fn settle_one(tx: &mut dyn RolloutTx, tenant: &str, id: &str) -> StoreResult<bool> {
    // A row without targets cannot be restored (no rule makes one); leave it as it is.
    if tx.rollout(tenant, id)?.is_none_or(|r| r.target_count == 0) {
        return Ok(false);
    }
    let mut s = Session::open(tx, tenant, id, Ctx::now(Actor::system()))?;
    let events = s.agg.complete_if_finished();
    if events.is_empty() {
        return Ok(false);
    }
    s.apply(events, &Actor::system())?;
    s.finish()?;
    Ok(true)
}
