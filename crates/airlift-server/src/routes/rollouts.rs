//! Rollouts: create / preview, read, list, per-device rows, the operator transitions, and
//! retrying a completed rollout's failed devices.

use airlift_core::wire::{
    AdvanceRollout, CreateRollout, ListResponse, RetryFailedRollout, Rollout, RolloutDevice,
    RolloutPreview, RolloutSummary,
};
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::{created, list_response, record_change, ListQuery};
use crate::auth::{Caller, Permission};
use crate::engine;
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query};
use crate::ids;
use crate::rollouts::request;
use crate::rollouts::{Actor, Ctx, NewRollout, RolloutAction};
use crate::services::rollout_reads::{self, DeviceListWords};
use crate::state::AppState;
use airlift_core::audit::AuditAction;

fn actor(caller: &Caller) -> Actor {
    Actor {
        name: caller.subject.clone(),
        role: caller.role.as_str().to_owned(),
    }
}

fn default_timeout(state: &AppState) -> u64 {
    state.config.device_timeout.as_secs().max(1)
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreateRollout>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Publish)?;
    let extract::Json(body) = body?;
    let req = request::validate(body, default_timeout(&state), crate::ids::unix_now())?;
    let target = match &req.target {
        request::Target::Profile(p) => format!("profile {p}"),
        request::Target::Devices(ids) => format!("{} listed devices", ids.len()),
    };
    let package_id = req.package_id.clone();
    // A phased plan rides on the canary strategy; the audit reader wants to see "phased".
    let kind = match &req.phases {
        Some(phases) => format!("phased ({} phases)", phases.len()),
        None => req.strategy.as_str().to_owned(),
    };
    let new = NewRollout {
        id: ids::new_id("rol"),
        tenant_id: caller.tenant_id().to_owned(),
        request: req,
        ctx: Ctx::now(actor(&caller)),
    };
    let (out, events) = engine::create_rollout(&*state.store, new).await?;
    state.events.publish(caller.tenant_id(), events);
    let summary = format!(
        "{kind} rollout of package {package_id} to {target} created {}: {} of {} eligible devices scheduled at {}%, {} skipped",
        out.status,
        out.scheduled_count,
        out.eligible_count,
        out.canary_percent,
        out.skipped_count
    );
    record_change(
        &state,
        &caller,
        AuditAction::RolloutCreate,
        &out.rollout_id,
        &summary,
    )
    .await;
    tracing::info!(rollout = %out.rollout_id, scheduled = out.scheduled_count, "rollout started");
    Ok(created(
        &format!("/api/v1/ota/rollouts/{}", out.rollout_id),
        out,
    ))
}

pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreateRollout>, AppError>,
) -> AppResult<Json<RolloutPreview>> {
    caller.require(Permission::Read)?;
    let extract::Json(body) = body?;
    let req = request::validate(body, default_timeout(&state), crate::ids::unix_now())?;
    Ok(Json(
        engine::preview_rollout(&*state.store, caller.tenant_id(), req).await?,
    ))
}

pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Rollout>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        rollout_reads::get(&*state.store, caller.tenant_id(), &id).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct RolloutListQuery {
    pub limit: Option<u32>,
    pub after: Option<String>,
    pub order: Option<String>,
    pub status: Option<String>,
    pub changed_since: Option<u64>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<RolloutListQuery>,
) -> AppResult<Json<ListResponse<RolloutSummary>>> {
    caller.require(Permission::Read)?;
    let page = ListQuery {
        limit: q.limit,
        after: q.after,
        order: q.order,
    }
    .page()?;
    let items = rollout_reads::list(
        &*state.store,
        caller.tenant_id(),
        q.status.as_deref(),
        q.changed_since,
        page.clone(),
    )
    .await?;
    Ok(Json(list_response(&page, items, |r| r)))
}

#[derive(Debug, Default, Deserialize)]
pub struct RolloutDevicesQuery {
    pub limit: Option<u32>,
    pub after: Option<String>,
    pub order: Option<String>,
    pub state: Option<String>,
    pub sort: Option<String>,
    /// Rows to skip (instead of `after`), for random access.
    pub offset: Option<u64>,
    /// Only the devices counted under this failure reason (as `GET .../failures` lists it).
    pub failure_reason: Option<String>,
    /// With `failure_reason`: and this status.
    pub failure_status: Option<String>,
}

pub async fn devices(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RolloutDevicesQuery>,
) -> AppResult<Json<ListResponse<RolloutDevice>>> {
    caller.require(Permission::Read)?;
    // `order` is the device list's own (it also sorts descending), so not ListQuery's.
    let page = ListQuery {
        limit: q.limit,
        after: q.after,
        order: None,
    }
    .page()?;
    let words = DeviceListWords {
        state: q.state.as_deref(),
        sort: q.sort.as_deref(),
        order: q.order.as_deref(),
        offset: q.offset,
        failure_reason: q.failure_reason.as_deref(),
        failure_status: q.failure_status.as_deref(),
    };
    let items =
        rollout_reads::devices(&*state.store, caller.tenant_id(), &id, words, page.clone()).await?;
    Ok(Json(list_response(&page, items, |d| d)))
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: RolloutAction,
) -> AppResult<Json<Rollout>> {
    let (rollout, events) = engine::rollout_action(
        &*state.store,
        caller.tenant_id(),
        id,
        action,
        Ctx::now(actor(caller)),
    )
    .await?;
    state.events.publish(caller.tenant_id(), events);
    let (audit_action, what) = match action {
        RolloutAction::Pause => (AuditAction::RolloutPause, "paused".to_owned()),
        RolloutAction::Resume => (AuditAction::RolloutResume, "resumed".to_owned()),
        RolloutAction::Advance(p) => (AuditAction::RolloutAdvance, format!("advanced to {p}%")),
        RolloutAction::Rollback => (AuditAction::RolloutRollback, "rolled back".to_owned()),
        RolloutAction::Cancel => (AuditAction::RolloutCancel, "cancelled".to_owned()),
    };
    let summary = format!(
        "rollout of {} {what}; now {}",
        rollout.summary.package_version, rollout.summary.status
    );
    record_change(state, caller, audit_action, id, &summary).await;
    Ok(Json(rollout))
}

pub async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Rollout>> {
    caller.require(Permission::Publish)?;
    act(&state, &caller, &id, RolloutAction::Pause).await
}

pub async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Rollout>> {
    caller.require(Permission::Publish)?;
    act(&state, &caller, &id, RolloutAction::Resume).await
}

pub async fn rollback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Rollout>> {
    caller.require(Permission::Publish)?;
    act(&state, &caller, &id, RolloutAction::Rollback).await
}

/// `GET /rollouts/{id}/failures`: the failure reasons grouped, largest first.
pub async fn failures(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<airlift_core::wire::FailureReasons>> {
    caller.require(Permission::Read)?;
    let data = engine::failure_reasons(&*state.store, caller.tenant_id(), &id).await?;
    Ok(Json(airlift_core::wire::FailureReasons { data }))
}

/// `GET /rollouts/{id}/timeline`: device counts per state over time.
pub async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<airlift_core::wire::Timeline>> {
    caller.require(Permission::Read)?;
    let data = engine::timeline(&*state.store, caller.tenant_id(), &id).await?;
    Ok(Json(airlift_core::wire::Timeline { data }))
}

/// `POST /rollouts/{id}/cancel`: scheduled, active or paused → cancelled (final).
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Rollout>> {
    caller.require(Permission::Publish)?;
    act(&state, &caller, &id, RolloutAction::Cancel).await
}

pub async fn advance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<extract::Json<AdvanceRollout>, AppError>,
) -> AppResult<Json<Rollout>> {
    caller.require(Permission::Publish)?;
    let extract::Json(body) = body?;
    act(
        &state,
        &caller,
        &id,
        RolloutAction::Advance(body.canary_percent),
    )
    .await
}

/// `POST /rollouts/{id}/retry-failed`: a new rollout over the failed and timed-out devices of
/// a completed one. The body is optional (an empty body takes every default).
pub async fn retry_failed(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<extract::OptionalJson<RetryFailedRollout>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Publish)?;
    let extract::OptionalJson(body) = body?;
    let body = body.unwrap_or_default();
    let (out, events) = engine::retry_failed_rollout(
        &*state.store,
        caller.tenant_id(),
        &id,
        body,
        ids::new_id("rol"),
        Ctx::now(actor(&caller)),
    )
    .await?;
    state.events.publish(caller.tenant_id(), events);
    tracing::info!(rollout = %out.rollout_id, retry_of = %id, scheduled = out.scheduled_count, "rollout of failed devices started");
    let summary = format!(
        "rollout {} retries the {} failed or timed-out devices of {id} ({} scheduled)",
        out.rollout_id, out.eligible_count, out.scheduled_count
    );
    record_change(
        &state,
        &caller,
        AuditAction::RolloutRetryFailed,
        &id,
        &summary,
    )
    .await;
    Ok(created(
        &format!("/api/v1/ota/rollouts/{}", out.rollout_id),
        out,
    ))
}
