//! The deadline sweep: a device with no verdict by its deadline is `timed_out` (it counts as
//! failed, so it can auto-pause the rollout), on the way up and on the way down alike.

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::RolloutEventData;
use rusqlite::{params, Connection, TransactionBehavior};

use super::session::Session;
use super::{db, history, parse_state};
use crate::rollouts::{Actor, Ctx};
use crate::store::StoreResult;

/// Rollouts (tenant, id) with a device past its deadline.
pub fn due(c: &Connection, now: i64) -> StoreResult<Vec<(String, String)>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT DISTINCT r.tenant_id, r.id FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
             WHERE t.deadline_unix IS NOT NULL AND t.deadline_unix <= ?1 AND r.status != 'completed'
             LIMIT 100",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(rows)
}

/// Times out every overdue device of one rollout, in one transaction.
pub fn sweep(
    c: &mut Connection,
    tenant: &str,
    rollout: &str,
    now: i64,
) -> StoreResult<Vec<RolloutEventData>> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let ctx = Ctx {
        actor: Actor::system(),
        at: crate::ids::now(),
        now_unix: now,
    };
    let mut s = Session::open(&tx, tenant, rollout, ctx.clone())?;
    let overdue: Vec<(String, Option<String>, Option<String>)> = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT device_id, state, rollback_state FROM rollout_targets
                 WHERE rollout_id = ?1 AND deadline_unix IS NOT NULL AND deadline_unix <= ?2",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![rollout, now], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        rows
    };
    let open = |s: &Option<String>| {
        matches!(
            s.as_deref().and_then(parse_state),
            Some(DeviceRolloutState::CommandSent | DeviceRolloutState::InProgress)
        )
    };
    for (device, state, rollback_state) in overdue {
        tx.execute(
            "UPDATE rollout_targets SET deadline_unix = NULL WHERE rollout_id = ?1 AND device_id = ?2",
            params![rollout, device],
        )
        .map_err(db)?;
        if s.agg.status() == RolloutStatus::Completed {
            continue;
        }
        if open(&rollback_state) {
            tx.execute(
                "UPDATE rollout_targets SET rollback_state = 'timed_out', updated_at = ?3
                 WHERE rollout_id = ?1 AND device_id = ?2",
                params![rollout, device, ctx.at],
            )
            .map_err(db)?;
            history(
                &tx,
                tenant,
                &device,
                "timed_out",
                Some(rollout),
                s.row.rollback_package_id.as_deref(),
                None,
                None,
                Some("no rollback verdict before the device timeout"),
                None,
                None,
                &ctx.at,
            )?;
        } else if open(&state) {
            s.track(&device)?;
            let events = s.agg.time_out(&device)?;
            s.apply(events, &Actor::system())?;
        }
    }
    s.check_rollback_done()?;
    s.drive()?;
    let published = s.finish()?;
    tx.commit().map_err(db)?;
    Ok(published)
}
