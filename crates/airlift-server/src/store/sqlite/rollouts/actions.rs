//! Operator actions: pause, resume, advance, rollback. Each is one `IMMEDIATE` transaction
//! with a version-checked row update; an edge seed 000 does not have is FAILED_PRECONDITION
//! and writes nothing.

use airlift_core::wire::{Rollout, RolloutEventData};
use rusqlite::{Connection, TransactionBehavior};

use super::session::Session;
use super::{db, queries};
use crate::rollouts::{Ctx, RolloutAction};
use crate::store::{ApiError, StoreResult};

pub fn act(
    c: &mut Connection,
    tenant: &str,
    id: &str,
    action: RolloutAction,
    ctx: Ctx,
) -> StoreResult<(Rollout, Vec<RolloutEventData>)> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let actor = ctx.actor.clone();
    let mut s = Session::open(&tx, tenant, id, ctx)?;
    let events = match action {
        RolloutAction::Pause => s.agg.pause()?,
        RolloutAction::Resume => s.agg.resume()?,
        RolloutAction::Advance(p) => s.agg.advance(p)?,
        RolloutAction::Rollback => s.agg.rollback()?,
    };
    s.apply(events, &actor)?;
    s.drive()?;
    let published = s.finish()?;
    let view = queries::rollout(&tx, tenant, id)?
        .ok_or_else(|| ApiError::internal("rollout vanished inside its transaction"))?;
    tx.commit().map_err(db)?;
    Ok((view, published))
}
