use airlift_core::error::ApiError;
use airlift_core::package::validate_device_type;
use airlift_core::wire::{CreateProfile, ListResponse, Profile};
use axum::extract::State;
use axum::response::Response;
use axum::Json;

use super::{created, list_response, required_text, ListQuery};
use crate::app::AppState;
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query};
use crate::ids;
use crate::store::ProfileRecord;

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
    let name = required_text("name", &body.name, 128)?;
    validate_device_type(&body.device_type)?;
    let record = ProfileRecord {
        id: ids::new_id("prof"),
        tenant_id: caller.tenant.id.clone(),
        name,
        device_type: body.device_type,
        created_at: ids::now(),
    };
    state.store.create_profile(record.clone()).await?;
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
    let items = state
        .store
        .list_profiles(caller.tenant_id(), page.clone())
        .await?;
    Ok(Json(list_response(&page, items, to_wire)))
}

pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Profile>> {
    caller.require(Permission::Read)?;
    let p = state
        .store
        .profile(caller.tenant_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("profile not found"))?;
    Ok(Json(to_wire(p)))
}
