//! Firmware images: completed uploads, ready to be named by a package's `artifact_uri`.

use airlift_core::error::ApiError;
use airlift_core::wire::{FirmwareImage, ListResponse};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{list_response, ListQuery};
use crate::app::AppState;
use crate::auth::{Caller, Permission};
use crate::error::AppResult;
use crate::extract::{Path, Query};
use crate::store::{ImageDeletion, ImageRecord};

/// The URI scheme of an image's `datafile`. It names the image, not a storage location, so it
/// stays valid when the artifact store moves (file system today, a bucket tomorrow).
pub const DATAFILE_PREFIX: &str = "airlift://images/";

pub fn datafile_uri(image_id: &str) -> String {
    format!("{DATAFILE_PREFIX}{image_id}")
}

pub fn to_wire(i: ImageRecord) -> FirmwareImage {
    FirmwareImage {
        object: "firmware-image".to_owned(),
        datafile: datafile_uri(&i.id),
        datafile_checksum: i.sha256,
        datafile_size: i.size,
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
    let items = state
        .store
        .list_images(caller.tenant_id(), page.clone())
        .await?;
    Ok(Json(list_response(&page, items, to_wire)))
}

pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<FirmwareImage>> {
    caller.require(Permission::Read)?;
    let image = state
        .store
        .image(caller.tenant_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("firmware image not found"))?;
    Ok(Json(to_wire(image)))
}

/// Deletes an image no package was made from, and its stored bytes. A package keeps a copy of
/// its own, but the image it names is its provenance, so that image stays while the package
/// exists (409).
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    caller.require(Permission::Publish)?;
    let deletion = state
        .store
        .delete_image(caller.tenant_id(), &id, &datafile_uri(&id))
        .await?;
    match deletion {
        ImageDeletion::Deleted { object_key } => {
            state.artifacts.delete_stored(&[object_key]).await;
            tracing::info!(tenant = %caller.tenant.id, image = %id, "firmware image deleted");
            Ok(StatusCode::NO_CONTENT)
        }
        ImageDeletion::Missing => Err(ApiError::not_found("firmware image not found").into()),
        ImageDeletion::UsedBy { package_id } => Err(ApiError::failed_precondition(format!(
            "package {package_id} was made from image {id}; an image stays while a package \
             made from it exists"
        ))
        .into()),
    }
}
