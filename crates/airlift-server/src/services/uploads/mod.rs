//! Upload jobs (seed 003) with parallel, resumable parts: the rules of jobs, parts and
//! completion, over the upload port and the artifact store. The HTTP side (headers, the body
//! stream and its cap) is `routes::uploads`.
//!
//! A part is recorded only once its bytes are stored (durably) and its MD5 checked, so a
//! listed part is whole; completion makes parts 1..=N the image, with its SHA-256, then
//! atomically creates the image and completes the job. Every failure removes what it wrote
//! that nothing names. Where the parts' bytes go is `parts.rs`; completion is `completion.rs`.

use airlift_core::error::ApiError;
use airlift_core::upload_parts;
use airlift_core::wire::UploadJobStatus;

use super::found;
use super::text::bounded_text;
use super::upload_digest::UploadDigests;
use crate::artifacts::Artifacts;
use crate::crypto::DataKeys;
use crate::error::AppResult;
use crate::ids;
use crate::store::{ChunkRecord, Page, PageOf, UploadJobRecord, UploadStore};

mod completion;
mod parts;
pub use completion::{complete, empty_md5, Completed, CompletionLimits, CompletionParts};
pub use parts::{store_part, Part, PartStorage};

/// Highest explicit part number (S3's limit too).
pub const MAX_PART: u32 = 10_000;

/// Seed 003's name rule, shared by jobs and single-shot images: trimmed, at most 256
/// characters; it defaults to "" and must be unique among the tenant's jobs and images (so
/// "" is usable once; the store checks uniqueness).
pub fn image_name(name: &str) -> Result<String, ApiError> {
    bounded_text("name", name.trim(), 256)
}

pub fn image_description(description: &str) -> Result<String, ApiError> {
    bounded_text("description", description, 4096)
}

pub async fn create_job(
    store: &dyn UploadStore,
    data_keys: &DataKeys,
    tenant_id: &str,
    name: &str,
    description: &str,
    datafile_encryption: bool,
) -> AppResult<UploadJobRecord> {
    let name = image_name(name)?;
    let description = image_description(description)?;
    let data_key = if datafile_encryption {
        Some(data_keys.create()?.1)
    } else {
        None
    };
    let now = ids::now();
    let job = UploadJobRecord {
        id: ids::new_id("job"),
        tenant_id: tenant_id.to_owned(),
        name,
        description,
        status: UploadJobStatus::NotStarted,
        firmware_image_id: None,
        chunk_count: 0,
        bytes_received: 0,
        created_at: now.clone(),
        updated_at: now,
        data_key,
    };
    store.create_upload_job(job.clone()).await?;
    Ok(job)
}

pub async fn job(store: &dyn UploadStore, tenant_id: &str, id: &str) -> AppResult<UploadJobRecord> {
    Ok(found(store.upload_job(tenant_id, id).await?, "upload job")?)
}

pub async fn list_jobs(
    store: &dyn UploadStore,
    tenant_id: &str,
    page: Page,
) -> AppResult<PageOf<UploadJobRecord>> {
    Ok(store.list_upload_jobs(tenant_id, page).await?)
}

/// Cancels the job and drops its parts (seed 003: it cannot be continued): their objects, the
/// job's file of parts (local disk) or its multipart upload (S3, aborted, so the bucket keeps
/// nothing of it). The firmware image of a completed job is a resource of its own and stays.
pub async fn delete_job(
    store: &dyn UploadStore,
    artifacts: &Artifacts,
    digests: &UploadDigests,
    tenant_id: &str,
    id: &str,
) -> AppResult<()> {
    let keys = store.delete_upload_job(tenant_id, id).await?;
    artifacts.delete_stored(&keys).await;
    artifacts.discard_job(tenant_id, id).await;
    digests.forget(id);
    Ok(())
}

/// A chunk list's `after` is a chunk id.
pub async fn list_chunks(
    store: &dyn UploadStore,
    tenant_id: &str,
    job_id: &str,
    page: Page,
) -> AppResult<PageOf<ChunkRecord>> {
    if let Some(after) = page.after.as_deref() {
        if after.parse::<u32>().is_err() {
            return Err(ApiError::invalid_argument(format!(
                "after must be a chunk id, got {after:?}"
            ))
            .into());
        }
    }
    Ok(store.list_chunks(tenant_id, job_id, page).await?)
}

pub async fn chunk(
    store: &dyn UploadStore,
    tenant_id: &str,
    job_id: &str,
    chunk_id: u32,
) -> AppResult<ChunkRecord> {
    Ok(found(
        store.chunk(tenant_id, job_id, chunk_id).await?,
        "chunk",
    )?)
}

/// Explicit part numbers run from 1 to [`MAX_PART`].
pub fn check_part_number(chunk_id: u32) -> Result<(), ApiError> {
    if (1..=MAX_PART).contains(&chunk_id) {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(format!(
            "part number must be between 1 and {MAX_PART}, got {chunk_id}"
        )))
    }
}

/// Ok if the job exists and takes parts: checked before a part's bytes are read.
pub async fn check_open(store: &dyn UploadStore, tenant_id: &str, job_id: &str) -> AppResult<()> {
    Ok(store.check_accepts_chunks(tenant_id, job_id).await?)
}

/// Seed 003's minimum part size, checked before a part's bytes are read: a held part shorter
/// than `min_bytes` that comes before the new one is not the last, so the new part is refused
/// (and the short one can be re-sent with PUT). `chunk_id` `None` appends after every part.
pub async fn check_part_follows(
    store: &dyn UploadStore,
    tenant_id: &str,
    job_id: &str,
    chunk_id: Option<u32>,
    min_bytes: u64,
) -> AppResult<()> {
    let held = store.part_sizes(tenant_id, job_id).await?;
    let id = chunk_id.unwrap_or_else(|| held.iter().map(|p| p.id).max().unwrap_or(0) + 1);
    Ok(upload_parts::check_new_part(&held, id, None, min_bytes)?)
}
