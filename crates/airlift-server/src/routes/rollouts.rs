//! Rollouts: create / preview, read, list, per-device rows, the operator transitions, and
//! retrying a completed rollout's failed devices.

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::error::ApiError;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{
    AdvanceRollout, CreateRollout, ListResponse, RetryFailedRollout, Rollout, RolloutDevice,
    RolloutPreview, RolloutSummary,
};
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::{created, list_response, ListQuery};
use crate::auth::{Caller, Permission};
use crate::engine;
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query};
use crate::ids;
use crate::rollouts::request;
use crate::rollouts::{Actor, Ctx, NewRollout, RolloutAction};
use crate::state::AppState;
use crate::store::{DeviceStateFilter, RolloutDeviceListing, RolloutDeviceSort, RolloutFilter};

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
    let req = request::validate(body, default_timeout(&state))?;
    let new = NewRollout {
        id: ids::new_id("rol"),
        tenant_id: caller.tenant_id().to_owned(),
        request: req,
        ctx: Ctx::now(actor(&caller)),
    };
    let (out, events) = engine::create_rollout(&*state.store, new).await?;
    state.events.publish(caller.tenant_id(), events);
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
    let req = request::validate(body, default_timeout(&state))?;
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
    let r = state
        .store
        .rollout(caller.tenant_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("rollout not found"))?;
    Ok(Json(r))
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
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::parse::<RolloutStatus>)
        .transpose()?;
    let page = ListQuery {
        limit: q.limit,
        after: q.after,
        order: q.order,
    }
    .page()?;
    let filter = RolloutFilter {
        status,
        changed_since: q.changed_since,
    };
    let items = state
        .store
        .list_rollouts(caller.tenant_id(), filter, page.clone())
        .await?;
    Ok(Json(list_response(&page, items, |r| r)))
}

#[derive(Debug, Default, Deserialize)]
pub struct RolloutDevicesQuery {
    pub limit: Option<u32>,
    pub after: Option<String>,
    pub order: Option<String>,
    /// A per-device state, or `pending` (not yet in the slice).
    pub state: Option<String>,
    /// `position` (default), `device`, `state`, `progress` or `updated`.
    pub sort: Option<String>,
    /// Rows to skip (instead of `after`), for random access.
    pub offset: Option<u64>,
}

pub async fn devices(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RolloutDevicesQuery>,
) -> AppResult<Json<ListResponse<RolloutDevice>>> {
    caller.require(Permission::Read)?;
    let filter = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => DeviceStateFilter::Any,
        Some("pending") => DeviceStateFilter::Pending,
        Some(s) => DeviceStateFilter::State(
            DeviceRolloutState::ALL
                .into_iter()
                .find(|st| st.as_str() == s)
                .ok_or_else(|| {
                    ApiError::invalid_argument(format!(
                        "state must be pending, scheduled, command_sent, in_progress, successful, failed or timed_out; got {s:?}"
                    ))
                })?,
        ),
    };
    let sort = match q.sort.as_deref().filter(|s| !s.is_empty()) {
        None => RolloutDeviceSort::Position,
        Some(s) => RolloutDeviceSort::parse(s).ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "sort must be position, device, state, progress or updated; got {s:?}"
            ))
        })?,
    };
    // This list alone also sorts descending, so `order` is checked here, not by ListQuery.
    let descending = match q.order.as_deref() {
        None | Some("") => false,
        Some(o) if o.eq_ignore_ascii_case("asc") => false,
        Some(o) if o.eq_ignore_ascii_case("desc") => true,
        Some(o) => {
            return Err(
                ApiError::invalid_argument(format!("order must be ASC or DESC, got {o:?}")).into(),
            )
        }
    };
    let page = ListQuery {
        limit: q.limit,
        after: q.after,
        order: None,
    }
    .page()?;
    let listing = RolloutDeviceListing {
        state: filter,
        sort,
        descending,
        offset: q.offset,
    };
    let items = state
        .store
        .rollout_devices(caller.tenant_id(), &id, listing, page.clone())
        .await?;
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
    Ok(created(
        &format!("/api/v1/ota/rollouts/{}", out.rollout_id),
        out,
    ))
}
