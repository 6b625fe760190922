//! Firmware images: completed uploads, named by a package's `artifact_uri`.

use airlift_core::error::ApiError;
use airlift_core::wire::ImageQuota;

use super::found;
use crate::artifacts::Artifacts;
use crate::error::AppResult;
use crate::store::{ImageDeletion, ImageRecord, Page, PageOf, UploadStore};

/// The URI scheme of an image's `datafile`. It names the image, not a storage location, so it
/// stays valid when the artifact store moves (file system today, a bucket tomorrow).
pub const DATAFILE_PREFIX: &str = "airlift://images/";

pub fn datafile_uri(image_id: &str) -> String {
    format!("{DATAFILE_PREFIX}{image_id}")
}

pub async fn list(
    store: &dyn UploadStore,
    tenant_id: &str,
    page: Page,
) -> AppResult<PageOf<ImageRecord>> {
    Ok(store.list_images(tenant_id, page).await?)
}

pub async fn get(store: &dyn UploadStore, tenant_id: &str, id: &str) -> AppResult<ImageRecord> {
    Ok(found(store.image(tenant_id, id).await?, "firmware image")?)
}

/// Deletes an image no package was made from, and its stored bytes. A package keeps a copy of
/// its own, but the image it names is its provenance, so that image stays while the package
/// exists (FAILED_PRECONDITION).
pub async fn delete(
    store: &dyn UploadStore,
    artifacts: &Artifacts,
    tenant_id: &str,
    id: &str,
) -> AppResult<()> {
    match store.delete_image(tenant_id, id, &datafile_uri(id)).await? {
        ImageDeletion::Deleted { object_key } => {
            artifacts.delete_stored(&[object_key]).await;
            tracing::info!(tenant = %tenant_id, image = %id, "firmware image deleted");
            Ok(())
        }
        ImageDeletion::Missing => Err(ApiError::not_found("firmware image not found").into()),
        ImageDeletion::UsedBy { package_id } => Err(ApiError::failed_precondition(format!(
            "package {package_id} was made from image {id}; an image stays while a package \
             made from it exists"
        ))
        .into()),
    }
}

/// RESOURCE_EXHAUSTED when the tenant already holds `max_images` images (a cheap early check;
/// the store checks again where it writes the image).
pub async fn check_quota(
    store: &dyn UploadStore,
    tenant_id: &str,
    max_images: u64,
) -> AppResult<()> {
    let held = store.count_images(tenant_id).await?;
    if held >= max_images {
        return Err(ApiError::resource_exhausted(format!(
            "the tenant holds {held} firmware images, its limit is {max_images}; delete an image \
             to make room"
        ))
        .into());
    }
    Ok(())
}

/// "N of M used" for the tenant's images.
pub async fn quota(
    store: &dyn UploadStore,
    tenant_id: &str,
    max_images: u64,
) -> AppResult<ImageQuota> {
    Ok(ImageQuota {
        used: store.count_images(tenant_id).await?,
        max: max_images,
    })
}
