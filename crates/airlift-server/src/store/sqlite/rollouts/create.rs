//! Creating a rollout, and previewing one (the same plan, nothing written). A device takes
//! part in one unfinished rollout at a time: a rollout whose targets include a device that an
//! unfinished rollout of the tenant already targets is refused, and the preview names it.

use airlift_core::rollout::RolloutStatus;
use airlift_core::rollout_aggregate::RolloutAggregate;
use airlift_core::wire::{CreatedRollout, RolloutEventData, RolloutPreview};
use rusqlite::{params, Connection, OptionalExtension as _, TransactionBehavior};

use super::session::Session;
use super::{db, next_change, RolloutRow};
use crate::rollouts::plan::{plan, Plan};
use crate::rollouts::request::{RolloutRequest, Target};
use crate::rollouts::Ctx;
use crate::store::sqlite::{catalog, fleet, i64_of};
use crate::store::{ApiError, DeviceRecord, NewRollout, PackageRecord, StoreResult};

/// The package, the rollback package and the plan, read in the caller's transaction.
fn prepare(
    c: &Connection,
    tenant: &str,
    req: &RolloutRequest,
) -> StoreResult<(PackageRecord, Plan)> {
    let package = catalog::package(c, tenant, &req.package_id)?
        .ok_or_else(|| ApiError::not_found("package not found"))?;
    if let Some(rb) = &req.rollback_package_id {
        let rb = catalog::package(c, tenant, rb)?
            .ok_or_else(|| ApiError::not_found("rollback package not found"))?;
        if rb.key.device_type != package.key.device_type {
            return Err(ApiError::invalid_argument(format!(
                "rollback_package_id is for device type {:?}, the package for {:?}",
                rb.key.device_type, package.key.device_type
            ))
            .into());
        }
    }
    let devices = match &req.target {
        Target::Profile(p) => {
            if fleet::profile(c, tenant, p)?.is_none() {
                return Err(ApiError::not_found("target profile not found").into());
            }
            profile_devices(c, tenant, p)?
        }
        Target::Devices(ids) => {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let d = fleet::device(c, tenant, id)?.ok_or_else(|| {
                    ApiError::invalid_argument(format!("device_ids: device {id:?} does not exist"))
                })?;
                out.push(d);
            }
            out
        }
    };
    let plan = plan(&package, &devices, req.force, req.allow_downgrade)?;
    Ok((package, plan))
}

/// The first of `targets` (in order) that an unfinished rollout of the tenant already
/// targets: (that rollout, the device). One indexed point read per device, so a create costs
/// what its target list costs, whatever the history of the fleet.
pub fn conflict(
    c: &Connection,
    tenant: &str,
    targets: &[String],
) -> StoreResult<Option<(String, String)>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT r.id FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
             WHERE t.device_id = ?1 AND r.tenant_id = ?2 AND r.status != 'completed'
             ORDER BY r.id LIMIT 1",
        )
        .map_err(db)?;
    for device in targets {
        let found: Option<String> = stmt
            .query_row([device, tenant], |r| r.get(0))
            .optional()
            .map_err(db)?;
        if let Some(rollout) = found {
            return Ok(Some((rollout, device.clone())));
        }
    }
    Ok(None)
}

pub fn profile_devices(
    c: &Connection,
    tenant: &str,
    profile: &str,
) -> StoreResult<Vec<DeviceRecord>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id, tenant_id, profile_id, name, device_type, firmware_version, created_at, change_seq
             FROM devices WHERE tenant_id = ?1 AND profile_id = ?2 ORDER BY id",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([tenant, profile], |r| {
            Ok(DeviceRecord {
                id: r.get(0)?,
                tenant_id: r.get(1)?,
                profile_id: r.get(2)?,
                name: r.get(3)?,
                device_type: r.get(4)?,
                firmware_version: r.get(5)?,
                created_at: r.get(6)?,
                change_seq: crate::store::sqlite::u64_of(r.get(7)?),
            })
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(rows)
}

pub fn preview(c: &Connection, tenant: &str, req: &RolloutRequest) -> StoreResult<RolloutPreview> {
    let (_, plan) = prepare(c, tenant, req)?;
    let conflicting = conflict(c, tenant, &plan.targets)?.map(|(rollout, _)| rollout);
    Ok(RolloutPreview {
        strategy: req.strategy,
        canary_percent: req.canary_percent,
        eligible_count: plan.targets.len() as u64,
        scheduled_count: plan.scheduled_count(req.canary_percent),
        skipped_count: plan.skipped.len() as u64,
        skipped_by_reason: plan.skipped_by_reason(),
        skipped: plan.skipped,
        conflicting_rollout_id: conflicting,
    })
}

pub fn create(
    c: &mut Connection,
    new: &NewRollout,
) -> StoreResult<(CreatedRollout, Vec<RolloutEventData>)> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let out = create_in(&tx, new)?;
    tx.commit().map_err(db)?;
    Ok(out)
}

/// Creates `new` inside the caller's `IMMEDIATE` transaction (create, retry-failed).
pub fn create_in(
    tx: &Connection,
    new: &NewRollout,
) -> StoreResult<(CreatedRollout, Vec<RolloutEventData>)> {
    let req = &new.request;
    let (_, plan) = prepare(tx, &new.tenant_id, req)?;
    if let Some((rollout, device)) = conflict(tx, &new.tenant_id, &plan.targets)? {
        return Err(ApiError::rollout_conflict(&rollout, &device).into());
    }
    let (agg, events) = RolloutAggregate::start(
        plan.targets.len() as u64,
        req.canary_percent,
        req.failure_threshold_percent,
    )?;
    let skipped_json = serde_json::to_string(&plan.skipped)
        .map_err(|e| ApiError::internal(format!("encoding skipped devices: {e}")))?;
    let change = next_change(tx)?;
    let (kind, profile) = match &req.target {
        Target::Profile(p) => ("profile", Some(p.clone())),
        Target::Devices(_) => ("devices", None),
    };
    tx.execute(
        "INSERT INTO rollouts (id, tenant_id, package_id, rollback_package_id, target_profile_id, target_kind,
             strategy, status, canary_percent, failure_threshold_percent, batch_percent,
             min_batch_success_percent, force, device_timeout_seconds, skipped_json, version,
             change_seq, created_by, created_at, updated_at, retry_of, allow_downgrade)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0, ?15, ?16, ?17, ?17,
             ?18, ?19)",
        params![
            new.id,
            new.tenant_id,
            req.package_id,
            req.rollback_package_id,
            profile,
            kind,
            req.strategy.as_str(),
            req.canary_percent,
            req.failure_threshold_percent,
            req.batch_percent,
            req.min_batch_success_percent,
            req.force,
            i64_of(req.device_timeout_seconds),
            skipped_json,
            i64_of(change),
            new.ctx.actor.name,
            new.ctx.at,
            req.retry_of,
            req.allow_downgrade
        ],
    )
    .map_err(db)?;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO rollout_targets (rollout_id, position, device_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(db)?;
        for (i, d) in plan.targets.iter().enumerate() {
            insert
                .execute(params![new.id, i as i64, d, new.ctx.at])
                .map_err(db)?;
        }
    }
    let row = RolloutRow {
        id: new.id.clone(),
        tenant_id: new.tenant_id.clone(),
        package_id: req.package_id.clone(),
        rollback_package_id: req.rollback_package_id.clone(),
        target_profile_id: profile,
        target_kind: kind.to_owned(),
        strategy: req.strategy,
        status: RolloutStatus::Active,
        canary_percent: req.canary_percent,
        failure_threshold_percent: req.failure_threshold_percent,
        batch_percent: req.batch_percent,
        min_batch_success_percent: req.min_batch_success_percent,
        force: req.force,
        device_timeout_seconds: req.device_timeout_seconds,
        skipped_json,
        version: 0,
        change_seq: change,
        created_by: new.ctx.actor.name.clone(),
        created_at: new.ctx.at.clone(),
        updated_at: new.ctx.at.clone(),
        target_count: 0,
        counters: Default::default(),
        outcome: None,
        retry_of: req.retry_of.clone(),
        allow_downgrade: req.allow_downgrade,
    };
    let ctx: Ctx = new.ctx.clone();
    let actor = ctx.actor.clone();
    let mut s = Session::with(tx, row, agg, ctx)?;
    s.apply(events, &actor)?;
    s.drive()?;
    let status = s.agg.status();
    let canary = s.agg.canary_percent();
    let scheduled = s.agg.counters().total();
    let published = s.finish()?;
    Ok((
        CreatedRollout {
            rollout_id: new.id.clone(),
            status,
            canary_percent: canary,
            scheduled_count: scheduled,
            strategy: req.strategy,
            eligible_count: plan.targets.len() as u64,
            skipped_count: plan.skipped.len() as u64,
            skipped: plan.skipped,
            retry_of: req.retry_of.clone(),
        },
        published,
    ))
}
