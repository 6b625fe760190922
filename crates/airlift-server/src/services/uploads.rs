//! Upload jobs (seed 003) with parallel, resumable parts: the rules of jobs, parts and
//! completion, over the upload port and the artifact store. The HTTP side (headers, the body
//! stream and its cap) is `routes::uploads`.
//!
//! A part is recorded only once its bytes are stored and its MD5 checked, so a listed part is
//! whole; completion assembles parts 1..=N in order while hashing, then atomically creates the
//! image and completes the job. Every failure removes the objects it wrote.

use std::sync::Arc;

use airlift_core::error::ApiError;
use airlift_core::upload_parts::{self, PartSize};
use airlift_core::wire::UploadJobStatus;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use md5::{Digest as _, Md5};

use super::found;
use super::text::bounded_text;
use crate::artifacts::{keys, Artifacts};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{
    ChunkRecord, ImageRecord, NewChunk, Page, PageOf, Store, UploadJobRecord, UploadStore,
};

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
    tenant_id: &str,
    name: &str,
    description: &str,
) -> AppResult<UploadJobRecord> {
    let name = image_name(name)?;
    let description = image_description(description)?;
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

/// Cancels the job and drops its parts (seed 003: it cannot be continued). The firmware image
/// of a completed job is a resource of its own and stays.
pub async fn delete_job(
    store: &dyn UploadStore,
    artifacts: &Artifacts,
    tenant_id: &str,
    id: &str,
) -> AppResult<()> {
    let keys = store.delete_upload_job(tenant_id, id).await?;
    artifacts.delete_stored(&keys).await;
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

/// One part's bytes, as the caller received them (already capped in length).
pub struct Part<S> {
    /// `None` appends (next id); `Some(n)` puts part `n`, replacing an earlier part `n`.
    pub chunk_id: Option<u32>,
    /// The MD5 the client declared (RFC 1864).
    pub md5: [u8; 16],
    pub body: S,
    /// Seed 003's minimum for every part but the last (`--min-chunk-bytes`).
    pub min_bytes: u64,
}

/// Streams one part into a fresh object, checks it is not empty and matches its MD5, then
/// records it. On any failure the object is removed. Returns the part and whether it replaced
/// an earlier upload of the same part.
pub async fn store_part<S>(
    store: &dyn UploadStore,
    artifacts: &Artifacts,
    tenant_id: &str,
    job_id: &str,
    part: Part<S>,
) -> AppResult<(ChunkRecord, bool)>
where
    S: Stream<Item = Result<Bytes, AppError>>,
{
    let key = keys::chunk(tenant_id, job_id);
    let mut hasher = Md5::new();
    let length = artifacts
        .write_stream(&key, part.body, |piece| {
            hasher.update(piece);
            Ok(())
        })
        .await?;
    if length == 0 {
        artifacts.delete(&key).await;
        return Err(ApiError::invalid_argument(
            "a part cannot be empty; complete the job with a zero-length POST to .../chunks",
        )
        .into());
    }
    let digest: [u8; 16] = hasher.finalize().into();
    if digest != part.md5 {
        artifacts.delete(&key).await;
        return Err(ApiError::invalid_argument(format!(
            "Content-MD5 does not match the body (body MD5 is {})",
            STANDARD.encode(digest)
        ))
        .into());
    }
    // A short explicit part is refused once a later part is held (an appended part is the
    // last so far, which may be short).
    if let Some(id) = part.chunk_id {
        let held = match store.part_sizes(tenant_id, job_id).await {
            Ok(held) => held,
            Err(e) => {
                artifacts.delete(&key).await;
                return Err(e.into());
            }
        };
        if let Err(e) = upload_parts::check_new_part(&held, id, Some(length), part.min_bytes) {
            artifacts.delete(&key).await;
            return Err(e.into());
        }
    }
    let chunk = NewChunk {
        chunk_id: part.chunk_id,
        length,
        md5_hex: hex::encode(digest),
        object_key: key.to_string(),
        at: ids::now(),
    };
    match store.put_chunk(tenant_id, job_id, chunk).await {
        Ok((record, previous)) => {
            let replaced = previous.is_some();
            if let Some(old) = previous {
                artifacts.delete_stored(&[old]).await;
            }
            Ok((record, replaced))
        }
        Err(e) => {
            artifacts.delete(&key).await;
            Err(e.into())
        }
    }
}

/// The bounds a completion obeys (`--max-images`, `--min-chunk-bytes`).
#[derive(Debug, Clone, Copy)]
pub struct CompletionLimits {
    pub max_images: u64,
    pub min_chunk_bytes: u64,
}

/// A completed job: the image it made and the id its zero-length closing chunk takes.
#[derive(Debug)]
pub struct Completed {
    pub job_id: String,
    pub closing_chunk_id: u32,
    pub image: ImageRecord,
}

/// The MD5 of the zero-length closing chunk.
pub fn empty_md5() -> [u8; 16] {
    Md5::digest(b"").into()
}

/// Seed 003: a zero-length chunk completes the job (its Content-MD5 is still checked).
/// Assembles parts in order into the image object while hashing (once), then atomically
/// creates the image and completes the job. Runs in a task of its own, so a client that goes
/// away cannot leave a job half-assembled.
pub async fn complete(
    store: Arc<dyn Store>,
    artifacts: Artifacts,
    tenant_id: &str,
    job_id: &str,
    md5: [u8; 16],
    limits: CompletionLimits,
) -> AppResult<Completed> {
    if md5 != empty_md5() {
        return Err(
            ApiError::invalid_argument("Content-MD5 does not match the (empty) body").into(),
        );
    }
    let (tenant, job_id) = (tenant_id.to_owned(), job_id.to_owned());
    tokio::spawn(async move { assemble_job(&*store, &artifacts, &tenant, &job_id, limits).await })
        .await
        .map_err(|e| AppError::internal("completing an upload job", e))?
}

async fn assemble_job(
    store: &dyn Store,
    artifacts: &Artifacts,
    tenant: &str,
    job_id: &str,
    limits: CompletionLimits,
) -> AppResult<Completed> {
    let max_images = limits.max_images;
    // Refused before any byte is assembled when the quota is already full; the writing
    // transaction checks it again (two completions may race for the last place).
    super::images::check_quota(store, tenant, max_images).await?;
    let chunks = store.begin_completion(tenant, job_id).await?;
    // Seed 003: only the last part may be short; a job that breaks it makes no image and
    // stays open, so the short part can be re-sent.
    let sizes: Vec<PartSize> = chunks
        .iter()
        .map(|c| PartSize {
            id: c.chunk_id,
            length: c.length,
        })
        .collect();
    if let Err(e) = upload_parts::check_complete(&sizes, limits.min_chunk_bytes) {
        if let Err(abort) = store.abort_completion(tenant, job_id).await {
            tracing::error!(error = %abort, job = %job_id, "could not reopen an upload job");
        }
        return Err(e.into());
    }
    let job = job(store, tenant, job_id).await?;
    let image_id = ids::new_id("img");
    let key = keys::image(tenant, &image_id);
    let (size, sha256) = match assemble(artifacts, &key, &chunks).await {
        Ok(v) => v,
        Err(e) => {
            artifacts.delete(&key).await;
            if let Err(abort) = store.abort_completion(tenant, job_id).await {
                tracing::error!(error = %abort, job = %job_id, "could not reopen an upload job");
            }
            return Err(e);
        }
    };
    let image = ImageRecord {
        id: image_id,
        tenant_id: tenant.to_owned(),
        name: job.name,
        description: job.description,
        object_key: key.to_string(),
        sha256,
        size,
        upload_job_id: job_id.to_owned(),
        created_at: ids::now(),
    };
    let (_, part_keys) = match store.finish_completion(image.clone(), max_images).await {
        Ok(v) => v,
        Err(e) => {
            artifacts.delete(&key).await;
            let _ = store.abort_completion(tenant, job_id).await;
            return Err(e.into());
        }
    };
    artifacts.delete_stored(&part_keys).await;
    tracing::info!(job = %job_id, image = %image.id, size, "upload job completed");
    let last = chunks.last().map_or(0, |c| c.chunk_id);
    Ok(Completed {
        job_id: job_id.to_owned(),
        closing_chunk_id: last + 1,
        image,
    })
}

/// Streams parts 1..=N into `key`, hashing as it goes. Returns (size, sha256 hex).
async fn assemble(
    artifacts: &Artifacts,
    key: &object_store::path::Path,
    chunks: &[ChunkRecord],
) -> AppResult<(u64, String)> {
    let mut sources = Vec::with_capacity(chunks.len());
    for c in chunks {
        sources.push((Artifacts::key(&c.object_key)?, c.length));
    }
    if artifacts.composable(&sources) {
        // On S3 the parts become the image by copies inside the bucket: the server reads
        // them once, to hash them, and writes nothing.
        let (composed, hashed) = tokio::join!(
            artifacts.compose(key, &sources),
            hash_objects(artifacts, &sources)
        );
        composed?;
        return hashed;
    }
    let reader = artifacts.clone();
    let body = futures_util::stream::iter(sources)
        .map(move |(k, len)| reader.read(k, len))
        .flatten();
    let mut hasher = crate::hashing::Sha256::new();
    let size = artifacts
        .write_stream(key, body, |piece| {
            hasher.update(piece);
            Ok(())
        })
        .await?;
    Ok((size, hex::encode(hasher.finish())))
}

/// The size and SHA-256 (hex) of `sources` read one after the other.
async fn hash_objects(
    artifacts: &Artifacts,
    sources: &[(object_store::path::Path, u64)],
) -> AppResult<(u64, String)> {
    let mut hasher = crate::hashing::Sha256::new();
    let mut size = 0u64;
    for (key, len) in sources {
        let mut pieces = std::pin::pin!(artifacts.read(key.clone(), *len));
        while let Some(piece) = pieces.next().await {
            let piece = piece?;
            hasher.update(&piece);
            size += piece.len() as u64;
        }
    }
    Ok((size, hex::encode(hasher.finish())))
}
