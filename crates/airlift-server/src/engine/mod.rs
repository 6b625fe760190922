//! The rollout engine: every rollout use case, decided here over one transaction of the
//! store's rollout port ([`RolloutTx`]). Adapters store, the engine decides: the rules are
//! airlift-core's (`RolloutAggregate`, the device state machine, classification, eligibility),
//! applied by [`session`]; the adapter only reads and writes what the engine names.
//!
//! - [`create`]: create and preview; [`retry`]: retry a completed rollout's failed devices;
//!   [`actions`]: pause, resume, advance, rollback; [`reports`]: device reports;
//!   [`timeouts`]: the deadline sweep; [`join`]: devices provisioned into a profile join its
//!   rollouts; [`settle`]: start-up completion of rollouts an older server left active;
//!   [`scheduled`]: the timed work besides timeouts: scheduled rollouts start at their
//!   `start_at`, phased ones advance when their soak is over, devices waiting for a
//!   maintenance window are told once it opens.
//!
//! The functions below run one use case as one unit of work of a [`RolloutUnits`]; a unit
//! fails as a whole (nothing written) or commits as a whole.

pub mod actions;
pub mod create;
pub mod join;
pub mod reports;
pub mod retry;
pub mod scheduled;
pub mod session;
pub mod settle;
pub mod timeouts;

use airlift_core::error::ApiError;
use airlift_core::wire::{
    CreatedRollout, ReportAccepted, RetryFailedRollout, Rollout, RolloutEventData, RolloutPreview,
};

use crate::rollouts::request::RolloutRequest;
use crate::rollouts::{Ctx, NewRollout, RolloutAction};
use crate::store::rollout_port::{AnyOutput, RolloutTx, RolloutUnits};
use crate::store::{NewDevice, StoreResult, SweptRollout, ValidatedReport};

/// Runs `work` in one write transaction of `units`.
async fn write<U, T, F>(units: &U, work: F) -> StoreResult<T>
where
    U: RolloutUnits + ?Sized,
    T: Send + 'static,
    F: Fn(&mut dyn RolloutTx) -> StoreResult<T> + Send + 'static,
{
    let out = units
        .write_unit(Box::new(move |tx| Ok(Box::new(work(tx)?) as AnyOutput)))
        .await?;
    typed(out)
}

/// Runs `work` over a read of `units`.
async fn read<U, T, F>(units: &U, work: F) -> StoreResult<T>
where
    U: RolloutUnits + ?Sized,
    T: Send + 'static,
    F: Fn(&mut dyn RolloutTx) -> StoreResult<T> + Send + 'static,
{
    let out = units
        .read_unit(Box::new(move |tx| Ok(Box::new(work(tx)?) as AnyOutput)))
        .await?;
    typed(out)
}

/// The unit's own output back: an adapter that hands back another value is a bug of the
/// adapter, not of the request.
fn typed<T: 'static>(out: AnyOutput) -> StoreResult<T> {
    out.downcast::<T>()
        .map(|b| *b)
        .map_err(|_| ApiError::internal("the store returned another unit's output").into())
}

/// Rollout `id`'s failure reasons, largest first (NOT_FOUND if it is not the tenant's). The
/// reasons are counted as devices fail, so this reads one small row per reason.
pub async fn failure_reasons<U: RolloutUnits + ?Sized>(
    units: &U,
    tenant_id: &str,
    id: &str,
) -> StoreResult<Vec<airlift_core::wire::FailureReason>> {
    let (tenant, id) = (tenant_id.to_owned(), id.to_owned());
    read(units, move |tx| {
        if !tx.rollout_exists(&tenant, &id)? {
            return Err(ApiError::not_found("rollout not found").into());
        }
        tx.failure_reasons(&id)
    })
    .await
}

/// The most points a timeline answers (a week of minutes); the newest are kept.
pub const TIMELINE_POINTS: u32 = 7 * 24 * 60;

/// Rollout `id`'s device counts per minute, oldest first (NOT_FOUND if it is not the
/// tenant's): one row per minute in which it changed, written by the change itself.
pub async fn timeline<U: RolloutUnits + ?Sized>(
    units: &U,
    tenant_id: &str,
    id: &str,
) -> StoreResult<Vec<airlift_core::wire::TimelinePoint>> {
    let (tenant, id) = (tenant_id.to_owned(), id.to_owned());
    let points = read(units, move |tx| {
        if !tx.rollout_exists(&tenant, &id)? {
            return Err(ApiError::not_found("rollout not found").into());
        }
        tx.timeline(&id, TIMELINE_POINTS)
    })
    .await?;
    Ok(points
        .into_iter()
        .map(|(minute, mut p)| {
            p.at = time::OffsetDateTime::from_unix_timestamp(minute)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default();
            p
        })
        .collect())
}

pub async fn preview_rollout<U: RolloutUnits + ?Sized>(
    units: &U,
    tenant_id: &str,
    request: RolloutRequest,
) -> StoreResult<RolloutPreview> {
    let tenant = tenant_id.to_owned();
    let now = crate::ids::unix_now();
    read(units, move |tx| create::preview(tx, &tenant, &request, now)).await
}

pub async fn create_rollout<U: RolloutUnits + ?Sized>(
    units: &U,
    rollout: NewRollout,
) -> StoreResult<(CreatedRollout, Vec<RolloutEventData>)> {
    write(units, move |tx| create::create(tx, &rollout)).await
}

/// A new rollout `new_id` over exactly the failed and timed-out devices of completed rollout
/// `id` (`retry_of` = `id`). NOT_FOUND if it is not the tenant's; FAILED_PRECONDITION if it is
/// not completed or has no such device, or if one of them is in another unfinished rollout.
pub async fn retry_failed_rollout<U: RolloutUnits + ?Sized>(
    units: &U,
    tenant_id: &str,
    id: &str,
    body: RetryFailedRollout,
    new_id: String,
    ctx: Ctx,
) -> StoreResult<(CreatedRollout, Vec<RolloutEventData>)> {
    let (tenant, id) = (tenant_id.to_owned(), id.to_owned());
    write(units, move |tx| {
        retry::retry_failed(tx, &tenant, &id, body.clone(), new_id.clone(), ctx.clone())
    })
    .await
}

/// FAILED_PRECONDITION for an edge seed 000 does not have; nothing is written then. Returns
/// the rollout as committed and the events to publish.
pub async fn rollout_action<U: RolloutUnits + ?Sized>(
    units: &U,
    tenant_id: &str,
    id: &str,
    action: RolloutAction,
    ctx: Ctx,
) -> StoreResult<(Rollout, Vec<RolloutEventData>)> {
    let (tenant, id) = (tenant_id.to_owned(), id.to_owned());
    write(units, move |tx| {
        actions::act(tx, &tenant, &id, action, ctx.clone())
    })
    .await
}

/// Records a device's report (durable once this returns).
pub async fn record_report<U: RolloutUnits + ?Sized>(
    units: &U,
    tenant_id: &str,
    device_id: &str,
    report: ValidatedReport,
    ctx: Ctx,
) -> StoreResult<(ReportAccepted, Vec<RolloutEventData>)> {
    let (tenant, device) = (tenant_id.to_owned(), device_id.to_owned());
    let rollout = report.rollout_id.clone();
    units
        .report_unit(
            &rollout,
            Box::new(move |tx| reports::record(tx, &tenant, &device, &report, ctx.clone())),
        )
        .await
}

/// Provisions devices (all or none) and lets each join its profile's running rollout.
pub async fn create_devices<U: RolloutUnits + ?Sized>(
    units: &U,
    tenant_id: &str,
    devices: Vec<NewDevice>,
) -> StoreResult<()> {
    let tenant = tenant_id.to_owned();
    write(units, move |tx| join::create_devices(tx, &tenant, &devices)).await
}

/// Runs `step` on each (tenant, rollout) of `due`, one write transaction each, and answers
/// what each produced (a rollout whose step produced no event only when `keep_quiet`: the
/// caller still wants to know it was touched). The timed sweeps below are this loop.
async fn each_in_its_own_unit<U, F>(
    units: &U,
    due: Vec<(String, String)>,
    keep_quiet: bool,
    step: F,
) -> StoreResult<Vec<SweptRollout>>
where
    U: RolloutUnits + ?Sized,
    F: Fn(&mut dyn RolloutTx, &str, &str) -> StoreResult<Vec<RolloutEventData>>
        + Clone
        + Send
        + Sync
        + 'static,
{
    let mut out = Vec::new();
    for (tenant, rollout) in due {
        let (t, r, step) = (tenant.clone(), rollout.clone(), step.clone());
        let events = write(units, move |tx| step(tx, &t, &r)).await?;
        if keep_quiet || !events.is_empty() {
            out.push(SweptRollout {
                tenant_id: tenant,
                rollout_id: rollout,
                events,
            });
        }
    }
    Ok(out)
}

/// Times out overdue devices everywhere, one transaction per rollout; returns the events to
/// publish per rollout touched.
pub async fn sweep_timeouts<U: RolloutUnits + ?Sized>(
    units: &U,
    now_unix: i64,
) -> StoreResult<Vec<SweptRollout>> {
    let due = units.rollouts_past_deadline(now_unix).await?;
    each_in_its_own_unit(units, due, true, move |tx, t, r| {
        timeouts::sweep(tx, t, r, now_unix)
    })
    .await
}

/// Starts every scheduled rollout whose `start_at` is at or before `now_unix`, one
/// transaction each; returns the events to publish per rollout started.
pub async fn start_scheduled<U: RolloutUnits + ?Sized>(
    units: &U,
    now_unix: i64,
) -> StoreResult<Vec<SweptRollout>> {
    let due = read(units, move |tx| scheduled::due(tx, now_unix)).await?;
    each_in_its_own_unit(units, due, false, move |tx, t, r| {
        scheduled::start_one(tx, t, r, now_unix)
    })
    .await
}

/// Advances every phased rollout whose soak is over at `now_unix` to its next phase, one
/// transaction each; returns the events to publish per rollout advanced.
pub async fn advance_phases<U: RolloutUnits + ?Sized>(
    units: &U,
    now_unix: i64,
) -> StoreResult<Vec<SweptRollout>> {
    let due = read(units, move |tx| scheduled::phases_due(tx, now_unix)).await?;
    each_in_its_own_unit(units, due, true, move |tx, t, r| {
        scheduled::advance_phase(tx, t, r, now_unix)
    })
    .await
}

/// Tells the waiting devices of every rollout whose maintenance window is open at
/// `now_unix`, one transaction each; returns the rollouts touched (for progress events).
pub async fn tell_in_windows<U: RolloutUnits + ?Sized>(
    units: &U,
    now_unix: i64,
) -> StoreResult<Vec<SweptRollout>> {
    let open = read(units, move |tx| scheduled::windows_open(tx, now_unix)).await?;
    each_in_its_own_unit(units, open, true, move |tx, t, r| {
        scheduled::tell_in_window(tx, t, r, now_unix)
    })
    .await
}

/// Completes active rollouts whose every target already has a verdict (left so by a server
/// that completed only when all succeeded), each in its own transaction; returns how many.
pub async fn settle_finished_rollouts<U: RolloutUnits + ?Sized>(units: &U) -> StoreResult<u64> {
    let candidates = read(units, settle::candidates).await?;
    let mut settled = 0;
    for (tenant, id) in candidates {
        if write(units, move |tx| settle::settle_one(tx, &tenant, &id)).await? {
            settled += 1;
        }
    }
    Ok(settled)
}
