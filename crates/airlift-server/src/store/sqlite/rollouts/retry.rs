//! Retrying a completed rollout's failed devices: a new device-level rollout of the same
//! package over exactly its failed and timed-out devices, linked by `retry_of`, created in the
//! same transaction that reads them (so the device set cannot change in between).

use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{CreatedRollout, RetryFailedRollout, RolloutEventData};
use rusqlite::{Connection, TransactionBehavior};

use super::{create, db, load_row};
use crate::rollouts::request::{self, RetrySource};
use crate::rollouts::Ctx;
use crate::store::{ApiError, NewRollout, StoreResult};

pub fn retry_failed(
    c: &mut Connection,
    tenant: &str,
    id: &str,
    body: RetryFailedRollout,
    new_id: String,
    ctx: Ctx,
) -> StoreResult<(CreatedRollout, Vec<RolloutEventData>)> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let old = load_row(&tx, tenant, id)?.ok_or_else(|| ApiError::not_found("rollout not found"))?;
    if old.status != RolloutStatus::Completed {
        return Err(ApiError::failed_precondition(format!(
            "rollout {id} is {}: only a completed rollout's failed devices can be retried",
            old.status
        ))
        .into());
    }
    let failed_devices = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT device_id FROM rollout_targets
                 WHERE rollout_id = ?1 AND state IN ('failed', 'timed_out') ORDER BY position",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([id], |r| r.get::<_, String>(0))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        rows
    };
    let source = RetrySource {
        rollout_id: old.id,
        package_id: old.package_id,
        rollback_package_id: old.rollback_package_id,
        failure_threshold_percent: old.failure_threshold_percent,
        force: old.force,
        allow_downgrade: old.allow_downgrade,
        device_timeout_seconds: old.device_timeout_seconds,
        failed_devices,
    };
    let new = NewRollout {
        id: new_id,
        tenant_id: tenant.to_owned(),
        request: request::retry(source, body)?,
        ctx,
    };
    let out = create::create_in(&tx, &new)?;
    tx.commit().map_err(db)?;
    Ok(out)
}
