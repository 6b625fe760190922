//! Start-up: rollouts that an older server left `active` although every target has a verdict
//! (it completed a rollout only when every device succeeded) complete now, as the rules say,
//! so they neither stay open forever nor hold their devices against new rollouts.

use rusqlite::{Connection, TransactionBehavior};

use super::db;
use super::session::Session;
use crate::rollouts::{Actor, Ctx};
use crate::store::StoreResult;

/// Completes every such rollout, each in its own transaction (its `completed` event is stored
/// for SSE replay like any other); returns how many.
pub fn settle(c: &mut Connection) -> StoreResult<u64> {
    let finished: Vec<(String, String)> = {
        let mut stmt = c
            .prepare(
                "SELECT tenant_id, id FROM rollouts
                 WHERE status = 'active' AND target_count > 0
                   AND n_successful + n_failed + n_timed_out = target_count
                 ORDER BY id",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        rows
    };
    let mut settled = 0;
    for (tenant, id) in finished {
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let mut s = Session::open(&tx, &tenant, &id, Ctx::now(Actor::system()))?;
        let events = s.agg.complete_if_finished();
        s.apply(events, &Actor::system())?;
        s.finish()?;
        tx.commit().map_err(db)?;
        settled += 1;
    }
    Ok(settled)
}
