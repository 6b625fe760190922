//! Firmware images: completed uploads, ready to be named by a package's `artifact_uri`.

use airlift_core::wire::{FirmwareImage, ListResponse};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{list_response, record_change, ListQuery};
use crate::auth::{Caller, Permission};
use crate::error::AppResult;
use crate::extract::{Path, Query};
use crate::services::images::{self as service, datafile_uri};
use crate::state::AppState;
use crate::store::ImageRecord;
use airlift_core::audit::AuditAction;

pub fn to_wire(i: ImageRecord) -> FirmwareImage {
    FirmwareImage {
        object: "firmware-image".to_owned(),
        datafile: datafile_uri(&i.id),
        datafile_checksum: i.sha256,
        datafile_size: i.size,
        datafile_encryption: i.data_key.is_some(),
        etag: i.created_at.clone(),
        updated_at: i.created_at.clone(),
        id: i.id,
        name: i.name,
        description: i.description,
        upload_job_id: i.upload_job_id,
        created_at: i.created_at,
    }
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<ListResponse<FirmwareImage>>> {
    caller.require(Permission::Read)?;
    let page = q.page()?;
    let items = service::list(&*state.store, caller.tenant_id(), page.clone()).await?;
    Ok(Json(list_response(&page, items, to_wire)))
}

pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<FirmwareImage>> {
    caller.require(Permission::Read)?;
    let image = service::get(&*state.store, caller.tenant_id(), &id).await?;
    Ok(Json(to_wire(image)))
}

/// Deletes an image no package was made from (409 otherwise, see [`service::delete`]).
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    caller.require(Permission::Publish)?;
    service::delete(&*state.store, &state.artifacts, caller.tenant_id(), &id).await?;
    record_change(
        &state,
        &caller,
        AuditAction::ImageDelete,
        &id,
        "image deleted",
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
