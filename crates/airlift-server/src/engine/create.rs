//! Creating a rollout, and previewing one (the same plan, nothing written). A device takes
//! part in one unfinished rollout at a time: a rollout whose targets include a device that an
//! unfinished rollout of the tenant already targets is refused, and the preview names it.

use airlift_core::error::ApiError;
use airlift_core::rollout::RolloutStatus;
use airlift_core::rollout_aggregate::RolloutAggregate;
use airlift_core::wire::{CreatedRollout, RolloutEventData, RolloutPreview};

use super::session::Session;
use crate::rollouts::plan::{plan, Plan};
use crate::rollouts::request::{RolloutRequest, Target};
use crate::rollouts::NewRollout;
use crate::store::rollout_port::{RolloutRow, RolloutTx};
use crate::store::StoreResult;

/// A rollout in one of these no longer holds its devices: another may target them.
pub const FINISHED: [RolloutStatus; 2] = [RolloutStatus::Completed, RolloutStatus::Cancelled];

/// The plan over the request's devices, checking the package, the rollback package and the
/// target.
fn prepare(tx: &mut dyn RolloutTx, tenant: &str, req: &RolloutRequest) -> StoreResult<Plan> {
    let package = tx
        .package(tenant, &req.package_id)?
        .ok_or_else(|| ApiError::not_found("package not found"))?;
    if let Some(rb) = &req.rollback_package_id {
        let rb = tx
            .package(tenant, rb)?
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
            if !tx.profile_exists(tenant, p)? {
                return Err(ApiError::not_found("target profile not found").into());
            }
            tx.profile_devices(tenant, p)?
        }
        Target::Devices(ids) => {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let d = tx.device(tenant, id)?.ok_or_else(|| {
                    ApiError::invalid_argument(format!("device_ids: device {id:?} does not exist"))
                })?;
                out.push(d);
            }
            out
        }
    };
    Ok(plan(&package, &devices, req.force, req.allow_downgrade)?)
}

/// The first of `targets` (in order) that an unfinished rollout of the tenant already
/// targets: (that rollout, the device). One set-based read over the whole list, so a create
/// costs what its target list costs, whatever the history of the fleet.
pub fn conflict(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    targets: &[String],
) -> StoreResult<Option<(String, String)>> {
    tx.first_targeted(tenant, targets, &FINISHED)
}

/// When the request's maintenance window next opens (RFC 3339): from its `start_at` when it is
/// scheduled (nobody is told before then, so an opening before it does not count), else from
/// `now_unix`.
fn window_opens_at(req: &RolloutRequest, now_unix: i64) -> Option<String> {
    let window = req.maintenance_window.as_ref()?.check().ok()?;
    let from = req
        .start_at
        .as_ref()
        .map_or(now_unix, |s| s.unix.max(now_unix));
    let at = window.next_open(from)?;
    let t = time::OffsetDateTime::from_unix_timestamp(at).ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

pub fn preview(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    req: &RolloutRequest,
    now_unix: i64,
) -> StoreResult<RolloutPreview> {
    let plan = prepare(tx, tenant, req)?;
    let conflicting = conflict(tx, tenant, &plan.targets)?.map(|(rollout, _)| rollout);
    Ok(RolloutPreview {
        strategy: req.strategy,
        canary_percent: req.canary_percent,
        eligible_count: plan.targets.len() as u64,
        scheduled_count: plan.scheduled_count(req.canary_percent),
        skipped_count: plan.skipped.len() as u64,
        skipped_by_reason: plan.skipped_by_reason(),
        skipped: plan.skipped,
        conflicting_rollout_id: conflicting,
        phase_sizes: req
            .phases
            .as_ref()
            .map(|p| airlift_core::phases::phase_sizes(p, plan.targets.len() as u64)),
        window_opens_at: window_opens_at(req, now_unix),
    })
}

/// Creates `new` in the caller's transaction (create, retry-failed).
pub fn create(
    tx: &mut dyn RolloutTx,
    new: &NewRollout,
) -> StoreResult<(CreatedRollout, Vec<RolloutEventData>)> {
    let req = &new.request;
    let plan = prepare(tx, &new.tenant_id, req)?;
    if let Some((rollout, device)) = conflict(tx, &new.tenant_id, &plan.targets)? {
        return Err(ApiError::rollout_conflict(&rollout, &device).into());
    }
    let start = if req.start_at.is_some() {
        RolloutAggregate::schedule
    } else {
        RolloutAggregate::start
    };
    let (agg, events) = start(
        plan.targets.len() as u64,
        req.canary_percent,
        req.failure_threshold_percent,
    )?;
    let agg = agg.with_min_devices(req.min_devices);
    let skipped_json = serde_json::to_string(&plan.skipped)
        .map_err(|e| ApiError::internal(format!("encoding skipped devices: {e}")))?;
    let (kind, profile) = match &req.target {
        Target::Profile(p) => ("profile", Some(p.clone())),
        Target::Devices(_) => ("devices", None),
    };
    let mut row = RolloutRow {
        id: new.id.clone(),
        tenant_id: new.tenant_id.clone(),
        package_id: req.package_id.clone(),
        rollback_package_id: req.rollback_package_id.clone(),
        target_profile_id: profile,
        target_kind: kind.to_owned(),
        strategy: req.strategy,
        status: agg.status(),
        canary_percent: req.canary_percent,
        failure_threshold_percent: req.failure_threshold_percent,
        batch_percent: req.batch_percent,
        min_batch_success_percent: req.min_batch_success_percent,
        force: req.force,
        device_timeout_seconds: req.device_timeout_seconds,
        skipped_count: plan.skipped.len() as u64,
        version: 0,
        change_seq: 0,
        created_by: new.ctx.actor.name.clone(),
        created_at: new.ctx.at.clone(),
        updated_at: new.ctx.at.clone(),
        // The row starts without targets or counters; `finish` writes the aggregate's.
        target_count: 0,
        counters: Default::default(),
        outcome: None,
        retry_of: req.retry_of.clone(),
        allow_downgrade: req.allow_downgrade,
        start_at: req.start_at.as_ref().map(|s| s.rfc3339.clone()),
        start_at_unix: req.start_at.as_ref().map(|s| s.unix),
        phases_json: req
            .phases
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| ApiError::internal(format!("encoding phases: {e}")))?,
        last_verdict_unix: None,
        next_advance_unix: None,
        min_devices: req.min_devices,
        retry: req.retry,
        window_json: req
            .maintenance_window
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| ApiError::internal(format!("encoding the window: {e}")))?,
    };
    row.change_seq = tx.insert_rollout(&row, &skipped_json)?;
    tx.insert_targets(&new.id, 0, &plan.targets, &new.ctx.at)?;
    let actor = new.ctx.actor.clone();
    let mut s = Session::with(tx, row, agg, new.ctx.clone())?;
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
