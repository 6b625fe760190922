//! Device profiles: HTTP over `services::fleet`.

use airlift_core::wire::{CreateProfile, ListResponse, Profile};
use axum::extract::State;
use axum::response::Response;
use axum::Json;

use super::{created, list_response, record_change, ListQuery};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query};
use crate::services::fleet;
use crate::state::AppState;
use crate::store::ProfileRecord;
use airlift_core::audit::AuditAction;

fn to_wire(p: ProfileRecord) -> Profile {
    Profile {
        profile_id: p.id,
        name: p.name,
        device_type: p.device_type,
        created_at: p.created_at,
    }
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreateProfile>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Provision)?;
    let extract::Json(body) = body?;
    let record = fleet::create_profile(&*state.store, caller.tenant_id(), body).await?;
    let summary = format!(
        "profile {:?} for device type {} created",
        record.name, record.device_type
    );
    record_change(
        &state,
        &caller,
        AuditAction::ProfileCreate,
        &record.id,
        &summary,
    )
    .await;
    Ok(created(
        &format!("/api/v1/profiles/{}", record.id),
        to_wire(record),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<ListResponse<Profile>>> {
    caller.require(Permission::Read)?;
    let page = q.page()?;
    let items = fleet::profiles(&*state.store, caller.tenant_id(), page.clone()).await?;
    Ok(Json(list_response(&page, items, to_wire)))
}

pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Profile>> {
    caller.require(Permission::Read)?;
    let p = fleet::profile(&*state.store, caller.tenant_id(), &id).await?;
    Ok(Json(to_wire(p)))
}
