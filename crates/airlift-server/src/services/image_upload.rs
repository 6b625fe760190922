//! Single-shot images (seed 003's one request for images under 100 MiB): the datafile is
//! streamed into the image's object while it is hashed, then the image row is written with the
//! name and quota checks in one transaction. Any failure removes the object, so a refused or
//! broken upload leaves no object and no row. The multipart form is read by
//! `routes::image_upload`.

use airlift_core::error::ApiError;
use bytes::Bytes;
use futures_util::Stream;
use object_store::path::Path;

use super::uploads::{image_description, image_name};
use crate::artifacts::{keys, Artifacts};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{ImageRecord, UploadStore};

/// The form's text fields, as received (absent when the form had none).
#[derive(Debug, Default)]
pub struct ImageForm {
    pub name: Option<String>,
    pub description: Option<String>,
    pub datafile_encryption: Option<String>,
}

/// A datafile stored under its image's key; not an image until [`create`] records it.
#[derive(Debug)]
pub struct StoredDatafile {
    image_id: String,
    key: Path,
    size: u64,
    sha256: String,
}

/// Checks a name as soon as the form names it, before any datafile byte is stored: a taken
/// name (409) or a full quota (429) is refused early. [`create`] checks again.
pub async fn precheck_name(
    store: &dyn UploadStore,
    tenant_id: &str,
    name: &str,
    max_images: u64,
) -> AppResult<()> {
    let name = image_name(name)?;
    Ok(store.check_new_image(tenant_id, &name, max_images).await?)
}

/// Streams the datafile into a fresh image object, hashing it (SHA-256) on the way. On error
/// nothing is left under the key (`write_stream` aborts the partial object).
pub async fn store_datafile<S>(
    artifacts: &Artifacts,
    tenant_id: &str,
    body: S,
) -> AppResult<StoredDatafile>
where
    S: Stream<Item = Result<Bytes, AppError>>,
{
    let image_id = ids::new_id("img");
    let key = keys::image(tenant_id, &image_id);
    let mut hasher = crate::hashing::Sha256::new();
    let size = artifacts
        .write_stream(&key, body, |piece| {
            hasher.update(piece);
            Ok(())
        })
        .await?;
    Ok(StoredDatafile {
        image_id,
        key,
        size,
        sha256: hex::encode(hasher.finish()),
    })
}

/// Removes a stored datafile that will not become an image.
pub async fn discard(artifacts: &Artifacts, stored: StoredDatafile) {
    artifacts.delete(&stored.key).await;
}

/// Validates the form and records the image; on any refusal the stored datafile is removed.
pub async fn create(
    store: &dyn UploadStore,
    artifacts: &Artifacts,
    tenant_id: &str,
    max_images: u64,
    form: ImageForm,
    stored: Option<StoredDatafile>,
) -> AppResult<ImageRecord> {
    let Some(stored) = stored else {
        return Err(ApiError::invalid_argument(
            "the form has no datafile field: send the image's bytes as the multipart field \
             'datafile'",
        )
        .into());
    };
    let key = stored.key.clone();
    let result = record(store, tenant_id, max_images, form, stored).await;
    if result.is_err() {
        artifacts.delete(&key).await;
    }
    result
}

async fn record(
    store: &dyn UploadStore,
    tenant_id: &str,
    max_images: u64,
    form: ImageForm,
    stored: StoredDatafile,
) -> AppResult<ImageRecord> {
    let name = form.name.ok_or_else(|| {
        ApiError::invalid_argument("the form has no name field: every image needs a name")
    })?;
    let name = image_name(&name)?;
    let description = image_description(form.description.as_deref().unwrap_or(""))?;
    encryption_off(form.datafile_encryption.as_deref())?;
    if stored.size == 0 {
        return Err(
            ApiError::invalid_argument("the datafile is empty: an image needs bytes").into(),
        );
    }
    let image = ImageRecord {
        id: stored.image_id,
        tenant_id: tenant_id.to_owned(),
        name,
        description,
        object_key: stored.key.to_string(),
        sha256: stored.sha256,
        size: stored.size,
        // Seed 003 answers "" for a job's image id until there is one; an image that no job
        // made answers "" for its job the same way.
        upload_job_id: String::new(),
        created_at: ids::now(),
    };
    store.create_image(image.clone(), max_images).await?;
    tracing::info!(tenant = %tenant_id, image = %image.id, size = image.size, "firmware image uploaded");
    Ok(image)
}

/// `datafile_encryption`: `true` / `false` (default `false`). Encrypted storage is not built
/// yet, so `true` is refused rather than storing plain bytes the client asked to encrypt.
pub fn encryption_off(value: Option<&str>) -> Result<(), ApiError> {
    match value.map(str::trim) {
        None => Ok(()),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(()),
        Some(v) if v.eq_ignore_ascii_case("true") => Err(ApiError::invalid_argument(
            "datafile_encryption=true is not supported by this server yet: the image would be \
             stored in plain; upload it with datafile_encryption=false",
        )),
        Some(v) => Err(ApiError::invalid_argument(format!(
            "datafile_encryption must be true or false, got {v:?}"
        ))),
    }
}
