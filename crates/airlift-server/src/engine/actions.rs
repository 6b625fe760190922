//! Operator actions: pause, resume, advance, rollback, cancel. Each is one transaction with a
//! version-checked row update; an edge seed 000 does not have is FAILED_PRECONDITION and
//! writes nothing.

use airlift_core::error::ApiError;
use airlift_core::wire::{Rollout, RolloutEventData};

use super::session::Session;
use crate::rollouts::{Ctx, RolloutAction};
use crate::store::rollout_port::RolloutTx;
use crate::store::StoreResult;

/// Applies `action` to rollout `id`; returns the rollout as it now is and the events to
/// publish once committed.
pub fn act(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    id: &str,
    action: RolloutAction,
    ctx: Ctx,
) -> StoreResult<(Rollout, Vec<RolloutEventData>)> {
    let actor = ctx.actor.clone();
    let mut s = Session::open(tx, tenant, id, ctx)?;
    let events = match action {
        RolloutAction::Pause => s.agg.pause()?,
        RolloutAction::Resume => s.agg.resume()?,
        RolloutAction::Advance(p) => s.agg.advance(p)?,
        RolloutAction::Rollback => s.agg.rollback()?,
        RolloutAction::Cancel => s.agg.cancel()?,
    };
    s.apply(events, &actor)?;
    s.drive()?;
    let published = s.finish()?;
    let view = tx
        .rollout_view(tenant, id)?
        .ok_or_else(|| ApiError::internal("rollout vanished inside its transaction"))?;
    Ok((view, published))
}
