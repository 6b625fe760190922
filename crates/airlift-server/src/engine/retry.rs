//! Retrying a completed rollout's failed devices: a new device-level rollout of the same
//! package over exactly its failed and timed-out devices, linked by `retry_of`, created in the
//! same transaction that reads them (so the device set cannot change in between).

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::error::ApiError;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{CreatedRollout, RetryFailedRollout, RolloutEventData};

use super::create;
use crate::rollouts::request::{self, RetrySource};
use crate::rollouts::Ctx;
use crate::rollouts::NewRollout;
use crate::store::rollout_port::RolloutTx;
use crate::store::StoreResult;

/// The states a retry takes its devices from.
const RETRIED: [DeviceRolloutState; 2] = [DeviceRolloutState::Failed, DeviceRolloutState::TimedOut];

pub fn retry_failed(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    id: &str,
    body: RetryFailedRollout,
    new_id: String,
    ctx: Ctx,
) -> StoreResult<(CreatedRollout, Vec<RolloutEventData>)> {
    let old = tx
        .rollout(tenant, id)?
        .ok_or_else(|| ApiError::not_found("rollout not found"))?;
    if old.status != RolloutStatus::Completed {
        return Err(ApiError::failed_precondition(format!(
            "rollout {id} is {}: only a completed rollout's failed devices can be retried",
            old.status
        ))
        .into());
    }
    let failed_devices = tx.targets_in_states(id, &RETRIED)?;
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
    create::create(tx, &new)
}
