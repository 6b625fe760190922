//! Completing an upload job: its parts 1..=N become the image, whose SHA-256 is known before
//! the image row exists (nothing unverified is ever visible), then the image is recorded and
//! the job completed in one transaction.
//!
//! How the parts become the image depends on where they are (`parts.rs`):
//! - S3 upload parts: CompleteMultipartUpload; S3 assembles, nothing is copied through the
//!   server.
//! - local parts all in place in the job's file: the file is cut to length and linked under
//!   the image's key; nothing is copied.
//! - anything else (encrypted jobs, parts stored alone): the parts are streamed, in order,
//!   into a new object.
//!
//! The SHA-256 comes from the job's running digest (`services::upload_digest`) as far as it
//! matches the recorded parts, and from reading the stored bytes for the rest.

use std::sync::Arc;

use airlift_core::encryption::SealedDataKey;
use airlift_core::error::ApiError;
use airlift_core::upload_parts::{self, PartSize};
use futures_util::StreamExt as _;
use md5::{Digest as _, Md5};
use object_store::path::Path;

use super::job;
use crate::artifacts::{keys, slot_part_size, Artifacts, RecordedPart, Slots};
use crate::crypto::streams::{decrypting_part, encrypting, part_stored_len};
use crate::crypto::DataKeys;
use crate::error::{AppError, AppResult};
use crate::hashing::Sha256;
use crate::ids;
use crate::services::upload_digest::{Prefix, UploadDigests};
use crate::store::{ChunkRecord, ImageRecord, Store};

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

/// What completion needs besides the store.
#[derive(Clone)]
pub struct CompletionParts {
    pub artifacts: Artifacts,
    pub data_keys: DataKeys,
    pub digests: UploadDigests,
}

/// Seed 003: a zero-length chunk completes the job (its Content-MD5 is still checked). Runs
/// in a task of its own, so a client that goes away cannot leave a job half-assembled.
pub async fn complete(
    store: Arc<dyn Store>,
    parts: CompletionParts,
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
    tokio::spawn(async move { assemble_job(&*store, &parts, &tenant, &job_id, limits).await })
        .await
        .map_err(|e| AppError::internal("completing an upload job", e))?
}

/// How a job's parts lie.
enum Layout {
    /// Parts of the job's S3 multipart upload (the image's key).
    S3Upload(Path),
    /// Every part in place in the job's file.
    Slots(Slots),
    /// Parts to stream into a new object.
    Objects,
}

fn layout(tenant: &str, job_id: &str, chunks: &[ChunkRecord]) -> Layout {
    let upload = keys::job_upload(tenant, job_id);
    if chunks.iter().any(|c| c.object_key == upload.as_ref()) {
        return Layout::S3Upload(upload);
    }
    let Some(first) = chunks.first() else {
        return Layout::Objects;
    };
    let Some(part_size) = slot_part_size(&first.object_key) else {
        return Layout::Objects;
    };
    let last = chunks.len() - 1;
    let in_place = chunks
        .iter()
        .enumerate()
        .all(|(i, c)| c.object_key == first.object_key && (i == last || c.length == part_size));
    match (in_place, Artifacts::key(&first.object_key)) {
        (true, Ok(key)) => Layout::Slots(Slots { key, part_size }),
        _ => Layout::Objects,
    }
}

async fn assemble_job(
    store: &dyn Store,
    with: &CompletionParts,
    tenant: &str,
    job_id: &str,
    limits: CompletionLimits,
) -> AppResult<Completed> {
    let artifacts = &with.artifacts;
    let max_images = limits.max_images;
    // Refused before any byte is assembled when the quota is already full; the writing
    // transaction checks it again (two completions may race for the last place).
    super::super::images::check_quota(store, tenant, max_images).await?;
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
        reopen(store, tenant, job_id).await;
        return Err(e.into());
    }
    let job = job(store, tenant, job_id).await?;
    let image_id = ids::new_id("img");
    let layout = match &job.data_key {
        Some(_) => Layout::Objects,
        None => layout(tenant, job_id, &chunks),
    };
    // Held until the image is recorded: no part is written into the job's file meanwhile.
    let _exclusive = match &layout {
        Layout::Slots(_) => Some(artifacts.slots_exclusive(tenant, job_id).await),
        _ => None,
    };
    let key = match &layout {
        Layout::S3Upload(upload) => upload.clone(),
        _ => keys::image(tenant, &image_id),
    };
    let assembled = match (&job.data_key, &layout) {
        (Some(sealed), _) => {
            assemble_encrypted(artifacts, &with.data_keys, sealed, &key, &chunks).await
        }
        (None, Layout::S3Upload(_)) => assemble_s3_upload(with, tenant, job_id, &key, &chunks)
            .await
            .map(|(s, h)| (s, h, None)),
        (None, Layout::Slots(slots)) => assemble_slots(store, with, job_id, slots, &key, &chunks)
            .await
            .map(|(s, h)| (s, h, None)),
        (None, Layout::Objects) => assemble(artifacts, &key, &chunks)
            .await
            .map(|(s, h)| (s, h, None)),
    };
    // The object S3 assembled from the job's upload is kept when recording fails: the parts
    // are in it now, and the next completion uses it.
    let keep_on_failure = matches!(layout, Layout::S3Upload(_));
    let (size, sha256, data_key) = match assembled {
        Ok(v) => v,
        Err(e) => {
            if !keep_on_failure {
                artifacts.delete(&key).await;
            }
            reopen(store, tenant, job_id).await;
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
        data_key,
    };
    let (_, part_keys) = match store.finish_completion(image.clone(), max_images).await {
        Ok(v) => v,
        Err(e) => {
            if !keep_on_failure {
                artifacts.delete(&key).await;
            }
            reopen(store, tenant, job_id).await;
            return Err(e.into());
        }
    };
    // The parts' objects (and the job's file, now linked as the image), never the image.
    let part_keys: Vec<String> = part_keys
        .into_iter()
        .filter(|k| k != key.as_ref())
        .collect();
    artifacts.delete_stored(&part_keys).await;
    artifacts.forget_job(tenant, job_id);
    with.digests.forget(job_id);
    tracing::info!(job = %job_id, image = %image.id, size, "upload job completed");
    let last = chunks.last().map_or(0, |c| c.chunk_id);
    Ok(Completed {
        job_id: job_id.to_owned(),
        closing_chunk_id: last + 1,
        image,
    })
}

async fn reopen(store: &dyn Store, tenant: &str, job_id: &str) {
    if let Err(abort) = store.abort_completion(tenant, job_id).await {
        tracing::error!(error = %abort, job = %job_id, "could not reopen an upload job");
    }
}

/// The job's S3 upload completed under `key`: parts stored alone (by an older layout) are
/// sent into it first. Returns (size, sha256 hex).
async fn assemble_s3_upload(
    with: &CompletionParts,
    tenant: &str,
    job_id: &str,
    key: &Path,
    chunks: &[ChunkRecord],
) -> AppResult<(u64, String)> {
    let artifacts = &with.artifacts;
    let mut recorded = Vec::with_capacity(chunks.len());
    for c in chunks {
        if c.object_key != key.as_ref() {
            let object = Artifacts::key(&c.object_key)?;
            let mut bytes = Vec::new();
            let mut pieces = std::pin::pin!(artifacts.read(object, c.length));
            while let Some(piece) = pieces.next().await {
                bytes.push(piece?);
            }
            artifacts
                .put_job_part(
                    tenant,
                    job_id,
                    key,
                    c.chunk_id,
                    crate::artifacts::part_payload(bytes),
                )
                .await?;
        }
        recorded.push(RecordedPart {
            number: c.chunk_id,
            length: c.length,
            md5: md5_of(c)?,
        });
    }
    let assembled = artifacts
        .complete_job_upload(tenant, job_id, key, &recorded)
        .await?;
    // Only when S3 proved the object is the recorded parts does their running digest count.
    let prefix = if assembled.matches_parts {
        with.digests.prefix(job_id, chunks).await
    } else {
        tracing::warn!(job = %job_id, "the assembled image is not provably the recorded parts: hashing it as stored");
        empty_prefix()
    };
    finish_hash(artifacts, key, prefix, assembled.size).await
}

/// Every part in place in the job's file: cut to length and linked as `dest`. The parts the
/// running digest did not cover (after a restart) are read back, and each is checked against
/// its MD5 on the way, so no image is made of bytes that are not the acknowledged parts (a
/// disk that lost or damaged them while the server was down). A part that differs is
/// forgotten: the job's part list asks the client for it again.
async fn assemble_slots(
    store: &dyn Store,
    with: &CompletionParts,
    job_id: &str,
    slots: &Slots,
    dest: &Path,
    chunks: &[ChunkRecord],
) -> AppResult<(u64, String)> {
    let size: u64 = chunks.iter().map(|c| c.length).sum();
    let prefix = with.digests.prefix(job_id, chunks).await;
    let mut hasher = prefix.sha256;
    for c in &chunks[prefix.parts..] {
        let start = slots.offset(c.chunk_id);
        let mut md5 = Md5::new();
        let mut pieces =
            std::pin::pin!(with
                .artifacts
                .read_range(slots.key.clone(), start, start + c.length));
        let mut read = 0u64;
        while let Some(piece) = pieces.next().await {
            let piece = piece?;
            read += piece.len() as u64;
            md5.update(&piece);
            hasher.update(&piece);
        }
        if read != c.length || hex::encode(md5.finalize()) != c.md5_hex {
            if let Err(e) = store.forget_part(job_id, c.chunk_id, &c.md5_hex).await {
                tracing::error!(error = %e, job = %job_id, part = c.chunk_id, "could not forget a damaged part");
            }
            tracing::warn!(job = %job_id, part = c.chunk_id, "an upload part's stored bytes no longer match its MD5");
            return Err(ApiError::failed_precondition(format!(
                "part {} was lost by the server's storage (its bytes no longer match its \
                 Content-MD5); send it again (PUT .../chunks/{}), then complete the job",
                c.chunk_id, c.chunk_id
            ))
            .into());
        }
    }
    with.artifacts.link_slots(slots, size, dest).await?;
    Ok((size, hex::encode(hasher.finish())))
}

fn empty_prefix() -> Prefix {
    Prefix {
        sha256: Sha256::new(),
        parts: 0,
        offset: 0,
    }
}

/// `prefix` carried on over bytes `prefix.offset..size` of `key`. Returns (size, sha256 hex).
async fn finish_hash(
    artifacts: &Artifacts,
    key: &Path,
    prefix: Prefix,
    size: u64,
) -> AppResult<(u64, String)> {
    let mut hasher = prefix.sha256;
    let mut pieces = std::pin::pin!(artifacts.read_range(key.clone(), prefix.offset, size));
    while let Some(piece) = pieces.next().await {
        hasher.update(&piece?);
    }
    Ok((size, hex::encode(hasher.finish())))
}

fn md5_of(c: &ChunkRecord) -> AppResult<[u8; 16]> {
    hex::decode(&c.md5_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            AppError::internal(
                "completing an upload job",
                "a part's MD5 is not 16 bytes of hex",
            )
        })
}

/// Where part `c`'s bytes are: its object, or its slot in the job's file.
fn source(c: &ChunkRecord) -> AppResult<(Path, u64)> {
    let key = Artifacts::key(&c.object_key)?;
    let offset = slot_part_size(&c.object_key).map_or(0, |p| u64::from(c.chunk_id - 1) * p);
    Ok((key, offset))
}

/// Streams parts 1..=N into `key`, hashing as it goes. Returns (size, sha256 hex).
async fn assemble(
    artifacts: &Artifacts,
    key: &Path,
    chunks: &[ChunkRecord],
) -> AppResult<(u64, String)> {
    let mut sources = Vec::with_capacity(chunks.len());
    for c in chunks {
        let (k, offset) = source(c)?;
        sources.push((k, offset, c.length));
    }
    let reader = artifacts.clone();
    let body = futures_util::stream::iter(sources)
        .map(move |(k, offset, len)| reader.read_range(k, offset, offset + len))
        .flatten();
    let mut hasher = Sha256::new();
    let size = artifacts
        .write_stream(key, body, |piece| {
            hasher.update(piece);
            Ok(())
        })
        .await?;
    Ok((size, hex::encode(hasher.finish())))
}

/// An encrypted job's parts decrypted in order (in memory, piece by piece) and encrypted again
/// as one stream under a fresh data key: the image's. Returns (plain size, plain sha256 hex,
/// the image's sealed key).
async fn assemble_encrypted(
    artifacts: &Artifacts,
    data_keys: &DataKeys,
    job_key: &SealedDataKey,
    key: &Path,
    chunks: &[ChunkRecord],
) -> AppResult<(u64, String, Option<SealedDataKey>)> {
    let job_key = data_keys.open(job_key)?;
    let mut sources = Vec::with_capacity(chunks.len());
    for c in chunks {
        sources.push((Artifacts::key(&c.object_key)?, c.length));
    }
    let reader = artifacts.clone();
    let plain = futures_util::stream::iter(sources)
        .map(move |(k, len)| {
            let stored = Box::pin(reader.read(k, part_stored_len(len)));
            decrypting_part(stored, job_key.clone(), len)
        })
        .flatten();
    let (image_key, sealed) = data_keys.create()?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let stored = encrypting(Box::pin(plain), image_key.encryptor(), |piece| {
        hasher.update(piece);
        size += piece.len() as u64;
    });
    artifacts.write_stream(key, stored, |_| Ok(())).await?;
    Ok((size, hex::encode(hasher.finish()), Some(sealed)))
}
