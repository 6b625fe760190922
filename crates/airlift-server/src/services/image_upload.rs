//! Single-shot images (seed 003's one request for images under 100 MiB): the datafile is
//! streamed into the image's object while it is hashed, then the image row is written with the
//! name and quota checks in one transaction. Any failure removes the object, so a refused or
//! broken upload leaves no object and no row. The multipart form is read by
//! `routes::image_upload`.
//!
//! `datafile_encryption=true`: the datafile is encrypted as it streams (`crate::crypto`), so no
//! plain byte reaches storage; `sha256` and `size` are the plain bytes'. A form may send
//! `datafile_encryption` after the datafile (seed 003 lists it last): a datafile whose flag is
//! not known yet is stored encrypted all the same, and rewritten in plain at the end only if
//! the flag turns out absent or `false` (one more pass, which a client avoids by sending the
//! flag first, as Airlift's clients do).

use airlift_core::error::ApiError;
use bytes::Bytes;
use futures_util::Stream;
use object_store::path::Path;

use airlift_core::encryption::{SealedDataKey, SegmentDecryptor};

use super::uploads::{image_description, image_name};
use crate::artifacts::{keys, Artifacts};
use crate::crypto::data_keys::parse_flag;
use crate::crypto::streams::{encrypting, Decrypting};
use crate::crypto::DataKeys;
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
    /// Plain bytes.
    size: u64,
    sha256: String,
    /// Set when the object holds the datafile encrypted under this key.
    data_key: Option<SealedDataKey>,
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

/// Streams the datafile into a fresh image object, hashing it (SHA-256) on the way; encrypted
/// unless the form already said `datafile_encryption=false` (`encrypt` is what it said, `None`
/// when it has not said yet). On error nothing is left under the key (`write_stream` aborts
/// the partial object).
pub async fn store_datafile<S>(
    artifacts: &Artifacts,
    data_keys: &DataKeys,
    tenant_id: &str,
    body: S,
    encrypt: Option<bool>,
) -> AppResult<StoredDatafile>
where
    S: Stream<Item = Result<Bytes, AppError>> + Unpin,
{
    let image_id = ids::new_id("img");
    let key = keys::image(tenant_id, &image_id);
    let mut hasher = crate::hashing::Sha256::new();
    let mut plain_size = 0u64;
    let data_key = if encrypt == Some(false) {
        plain_size = artifacts
            .write_stream(&key, body, |piece| {
                hasher.update(piece);
                Ok(())
            })
            .await?;
        None
    } else {
        let (data_key, sealed) = data_keys.create()?;
        let stored = encrypting(body, data_key.encryptor(), |piece| {
            hasher.update(piece);
            plain_size += piece.len() as u64;
        });
        artifacts.write_stream(&key, stored, |_| Ok(())).await?;
        Some(sealed)
    };
    Ok(StoredDatafile {
        image_id,
        key,
        size: plain_size,
        sha256: hex::encode(hasher.finish()),
        data_key,
    })
}

/// Rewrites an encrypted datafile in plain (its form said `datafile_encryption=false` only
/// after the datafile): decrypted piece by piece into a staging object that then replaces it.
async fn store_plain(
    artifacts: &Artifacts,
    data_keys: &DataKeys,
    stored: StoredDatafile,
) -> AppResult<StoredDatafile> {
    let Some(sealed) = &stored.data_key else {
        return Ok(stored);
    };
    let cipher = data_keys.open(sealed)?.cipher(stored.size);
    let stored_size = cipher.layout().stored_size();
    let mut decrypting = Decrypting::new(SegmentDecryptor::new(cipher));
    let encrypted = artifacts.read(stored.key.clone(), stored_size);
    let mut encrypted = Box::pin(encrypted);
    let plain = futures_util::stream::poll_fn(move |cx| {
        use futures_util::StreamExt as _;
        match encrypted.poll_next_unpin(cx) {
            std::task::Poll::Ready(Some(Ok(piece))) => {
                std::task::Poll::Ready(Some(decrypting.push(&piece).map(Bytes::from)))
            }
            other => other,
        }
    });
    let staging = keys::staging();
    artifacts.write_stream(&staging, plain, |_| Ok(())).await?;
    if let Err(e) = artifacts.rename(&staging, &stored.key).await {
        artifacts.delete(&staging).await;
        return Err(e);
    }
    Ok(StoredDatafile {
        data_key: None,
        ..stored
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
    data_keys: &DataKeys,
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
    let result = async {
        let encrypt = parse_flag(form.datafile_encryption.as_deref())?;
        let stored = if encrypt {
            stored
        } else {
            store_plain(artifacts, data_keys, stored).await?
        };
        record(store, tenant_id, max_images, form, stored).await
    }
    .await;
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
        data_key: stored.data_key,
    };
    store.create_image(image.clone(), max_images).await?;
    tracing::info!(tenant = %tenant_id, image = %image.id, size = image.size, encrypted = image.data_key.is_some(), "firmware image uploaded");
    Ok(image)
}
