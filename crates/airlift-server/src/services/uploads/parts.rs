//! Where an upload job part's bytes go, and how it is recorded.
//!
//! - S3 (`--min-chunk-bytes` at least S3's 5 MiB): the part is a part of the job's one
//!   multipart upload (`artifacts::s3_jobs`). Its bytes are read whole first (within a
//!   server-wide memory budget), so its length and MD5 are checked before anything reaches
//!   the bucket: a refused part never replaces a part S3 holds.
//! - Local disk, a numbered part whose `Content-Length` fits the job's part size, whose slot is
//!   free and which has no row yet: written in place into the job's file
//!   (`artifacts::slots`), synced before it is recorded.
//!   A part sent again is stored and checked as an object of its own, then moved into its
//!   slot.
//! - Otherwise (encrypted jobs, appended parts on disk, bodies without a length, a
//!   `--min-chunk-bytes` below S3's minimum): an object of its own, as before.
//!
//! Either way a part is recorded only once its bytes are stored and its MD5 checked, and then
//! handed to the job's running SHA-256 (`services::upload_digest`).

use airlift_core::error::ApiError;
use airlift_core::upload_parts;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use md5::{Digest as _, Md5};
use object_store::path::Path;

use super::job;
use crate::artifacts::{keys, part_payload, slot_part_size, Artifacts, Slots};
use crate::crypto::streams::encrypting;
use crate::crypto::DataKeys;
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::services::upload_digest::{PartBytes, UploadDigests};
use crate::store::{ChunkRecord, NewChunk, UploadStore};

/// S3's smallest part but the last, and its largest part.
const S3_MIN_PART: u64 = 5 * 1024 * 1024;
const S3_MAX_PART: u64 = 5 * 1024 * 1024 * 1024;

/// One part's bytes, as the caller received them (already capped in length).
pub struct Part<S> {
    /// `None` appends (next id); `Some(n)` puts part `n`, replacing an earlier part `n`.
    pub chunk_id: Option<u32>,
    /// The MD5 the client declared (RFC 1864).
    pub md5: [u8; 16],
    /// The body's declared length (`Content-Length`), when it has one.
    pub declared_length: Option<u64>,
    pub body: S,
    /// Seed 003's minimum for every part but the last (`--min-chunk-bytes`).
    pub min_bytes: u64,
    /// The longest part accepted (`--max-chunk-bytes`).
    pub max_bytes: u64,
}

/// Where a part goes: the job's row, the object store, (for an encrypted job) its key, and the
/// job's running SHA-256.
#[derive(Clone, Copy)]
pub struct PartStorage<'a> {
    pub store: &'a dyn UploadStore,
    pub artifacts: &'a Artifacts,
    pub data_keys: &'a DataKeys,
    pub digests: &'a UploadDigests,
}

/// Where a part's bytes were stored, and so what a refusal must remove.
enum Stored {
    /// An object of its own: removed.
    Object(Path),
    /// The job's file or its S3 upload: nothing to remove (no row names the bytes).
    Shared(Path),
}

impl Stored {
    fn key(&self) -> &Path {
        match self {
            Stored::Object(k) | Stored::Shared(k) => k,
        }
    }

    async fn discard(&self, artifacts: &Artifacts) {
        if let Stored::Object(key) = self {
            artifacts.delete(key).await;
        }
    }
}

/// Stores one part (see the module docs), checks it is not empty and matches its MD5, then
/// records it. On any failure what it wrote is removed or left unnamed. Returns the part and
/// whether it replaced an earlier upload of the same part.
pub async fn store_part<S>(
    to: PartStorage<'_>,
    tenant_id: &str,
    job_id: &str,
    part: Part<S>,
) -> AppResult<(ChunkRecord, bool)>
where
    S: Stream<Item = Result<Bytes, AppError>>,
{
    let job = job(to.store, tenant_id, job_id).await?;
    if job.data_key.is_none() {
        if to.artifacts.has_job_uploads()
            && part.min_bytes >= S3_MIN_PART
            && part.max_bytes <= S3_MAX_PART
        {
            return store_s3_part(to, tenant_id, job_id, part).await;
        }
        if let (true, Some(n), Some(len)) = (
            to.artifacts.has_slots(),
            part.chunk_id,
            part.declared_length,
        ) {
            if len > 0 {
                if let Some(slots) = to.artifacts.job_slots(tenant_id, job_id, len).await? {
                    if len <= slots.part_size {
                        return store_slot_part(to, tenant_id, job_id, n, slots, part).await;
                    }
                }
            }
        }
    }
    store_object_part(to, tenant_id, job_id, &job.data_key, part).await
}

/// A part as an object of its own (encrypted as it arrives for an encrypted job).
///
/// A part of an encrypted job is encrypted under the job's data key with a fresh nonce prefix
/// written in front of it (`crypto::streams::part_stored_len`): parts may arrive in any order
/// and be re-sent, so each is a stream of its own; no plain byte is stored. Its length and MD5
/// are the plain bytes'.
async fn store_object_part<S>(
    to: PartStorage<'_>,
    tenant_id: &str,
    job_id: &str,
    data_key: &Option<airlift_core::encryption::SealedDataKey>,
    part: Part<S>,
) -> AppResult<(ChunkRecord, bool)>
where
    S: Stream<Item = Result<Bytes, AppError>>,
{
    let artifacts = to.artifacts;
    let key = keys::chunk(tenant_id, job_id);
    let mut hasher = Md5::new();
    let length = match data_key {
        None => {
            artifacts
                .write_stream(&key, part.body, |piece| {
                    hasher.update(piece);
                    Ok(())
                })
                .await?
        }
        Some(sealed) => {
            let part_key = to.data_keys.open(sealed)?.fresh_prefix()?;
            let mut plain_len = 0u64;
            let prefix = part_key.nonce_prefix();
            let header =
                futures_util::stream::once(async move { Ok(Bytes::copy_from_slice(&prefix)) });
            let body = encrypting(Box::pin(part.body), part_key.encryptor(), |piece| {
                hasher.update(piece);
                plain_len += piece.len() as u64;
            });
            artifacts
                .write_stream(&key, header.chain(body), |_| Ok(()))
                .await?;
            plain_len
        }
    };
    let stored = Stored::Object(key.clone());
    if let Err(e) = check_body(length, hasher.finalize().into(), part.md5) {
        stored.discard(artifacts).await;
        return Err(e);
    }
    let recorded = record(
        to,
        tenant_id,
        job_id,
        part.chunk_id,
        length,
        &part.md5,
        &stored,
        part.min_bytes,
    )
    .await?;
    if data_key.is_none() {
        if let Some(path) = artifacts.local_path(key.as_ref()) {
            let (n, md5) = (recorded.0.chunk_id, recorded.0.md5_hex.clone());
            to.digests
                .recorded(job_id, n, &md5, length, PartBytes::File { path, offset: 0 });
        }
    }
    Ok(recorded)
}

/// A part written in place into the job's file (see `artifacts::slots`); falls back to an
/// object of its own when its slot is taken or already holds an acknowledged part.
async fn store_slot_part<S>(
    to: PartStorage<'_>,
    tenant_id: &str,
    job_id: &str,
    number: u32,
    slots: Slots,
    part: Part<S>,
) -> AppResult<(ChunkRecord, bool)>
where
    S: Stream<Item = Result<Bytes, AppError>>,
{
    let artifacts = to.artifacts;
    // A completion waits for this part; one that began first has closed the job.
    let _writing = artifacts.slot_writing(tenant_id, job_id).await;
    to.store.check_accepts_chunks(tenant_id, job_id).await?;
    let claim = artifacts.claim_slot(tenant_id, job_id, number);
    let held = to.store.part_sizes(tenant_id, job_id).await?;
    if claim.is_none() {
        // Never write a slot another request is writing.
        return store_object_part(to, tenant_id, job_id, &None, part).await;
    }
    if held.iter().any(|p| p.id == number) {
        // A part sent again: stored and checked as an object of its own first, so a refused
        // one never touches the part its row names; then moved into its slot (the claim is
        // still held), so that completion links the job's file instead of copying every part.
        let (record, replaced) = store_object_part(to, tenant_id, job_id, &None, part).await?;
        let moved = move_into_slot(to, tenant_id, job_id, &slots, &record).await;
        return Ok((moved.unwrap_or(record), replaced));
    }
    let mut hasher = Md5::new();
    let length = artifacts
        .write_slot(&slots, number, part.body, |piece| {
            hasher.update(piece);
            Ok(())
        })
        .await?;
    check_body(length, hasher.finalize().into(), part.md5)?;
    let stored = Stored::Shared(slots.key.clone());
    let recorded = record(
        to,
        tenant_id,
        job_id,
        Some(number),
        length,
        &part.md5,
        &stored,
        part.min_bytes,
    )
    .await?;
    if let Some(path) = artifacts.local_path(slots.key.as_ref()) {
        let offset = slots.offset(number);
        to.digests.recorded(
            job_id,
            number,
            &recorded.0.md5_hex,
            length,
            PartBytes::File { path, offset },
        );
    }
    Ok(recorded)
}

/// Copies a re-sent part from its own object into its slot (synced) and records it there (the
/// object goes). While the slot is written the part's row names the object, so no row ever
/// names bytes being overwritten. Returns the new record, or `None` when the part stays an
/// object of its own (too long for its slot, replaced meanwhile by another request, or the
/// copy failed).
async fn move_into_slot(
    to: PartStorage<'_>,
    tenant_id: &str,
    job_id: &str,
    slots: &Slots,
    record: &ChunkRecord,
) -> Option<ChunkRecord> {
    let artifacts = to.artifacts;
    let number = record.chunk_id;
    if record.length > slots.part_size {
        return None;
    }
    let object = Artifacts::key(&record.object_key).ok()?;
    let body = artifacts.read(object.clone(), record.length);
    let copied = artifacts
        .write_slot(slots, number, body, |_| Ok(()))
        .await
        .ok()?;
    if copied != record.length {
        return None;
    }
    // Only if the row still names this request's object.
    let current = to.store.chunk(tenant_id, job_id, number).await.ok()??;
    if current.object_key != record.object_key || current.md5_hex != record.md5_hex {
        return None;
    }
    let chunk = NewChunk {
        chunk_id: Some(number),
        length: record.length,
        md5_hex: record.md5_hex.clone(),
        object_key: slots.key.to_string(),
        at: ids::now(),
    };
    let (moved, previous) = to.store.put_chunk(tenant_id, job_id, chunk).await.ok()?;
    if let Some(old) = previous.filter(|old| !is_shared_key(old, &slots.key)) {
        artifacts.delete_stored(&[old]).await;
    }
    if let Some(path) = artifacts.local_path(slots.key.as_ref()) {
        to.digests.recorded(
            job_id,
            number,
            &moved.md5_hex,
            moved.length,
            PartBytes::File {
                path,
                offset: slots.offset(number),
            },
        );
    }
    Some(moved)
}

/// A part of the job's S3 multipart upload (see `artifacts::s3_jobs`).
async fn store_s3_part<S>(
    to: PartStorage<'_>,
    tenant_id: &str,
    job_id: &str,
    part: Part<S>,
) -> AppResult<(ChunkRecord, bool)>
where
    S: Stream<Item = Result<Bytes, AppError>>,
{
    let artifacts = to.artifacts;
    let key = keys::job_upload(tenant_id, job_id);
    let expected = part
        .declared_length
        .unwrap_or(part.max_bytes)
        .min(part.max_bytes);
    artifacts.start_job_upload(tenant_id, job_id, &key).await?;
    let _budget = artifacts.part_buffer(expected).await;
    // Appends take the next number: one at a time per job on this server.
    let _appending = match part.chunk_id {
        None => Some(artifacts.job_appending(tenant_id, job_id).await),
        Some(_) => None,
    };
    // The body's pieces as they came (no copy into one buffer): they are the payload sent
    // to S3 and what the running SHA-256 reads.
    let mut pieces: Vec<Bytes> = Vec::new();
    let mut length = 0u64;
    let mut hasher = Md5::new();
    let mut body = std::pin::pin!(part.body);
    while let Some(piece) = body.next().await {
        let piece = piece?;
        hasher.update(&piece);
        length += piece.len() as u64;
        pieces.push(piece);
    }
    check_body(length, hasher.finalize().into(), part.md5)?;
    let number = match part.chunk_id {
        Some(n) => n,
        None => {
            let held = to.store.part_sizes(tenant_id, job_id).await?;
            let next = held.iter().map(|p| p.id).max().unwrap_or(0) + 1;
            upload_parts::check_new_part(&held, next, Some(length), part.min_bytes)?;
            next
        }
    };
    if part.chunk_id.is_some() {
        let held = to.store.part_sizes(tenant_id, job_id).await?;
        upload_parts::check_new_part(&held, number, Some(length), part.min_bytes)?;
    }
    to.store.check_accepts_chunks(tenant_id, job_id).await?;
    artifacts
        .put_job_part(
            tenant_id,
            job_id,
            &key,
            number,
            part_payload(pieces.clone()),
        )
        .await?;
    let stored = Stored::Shared(key);
    let recorded = match record(
        to,
        tenant_id,
        job_id,
        Some(number),
        length,
        &part.md5,
        &stored,
        part.min_bytes,
    )
    .await
    {
        Ok(recorded) => recorded,
        Err(e) => {
            // The job was deleted while this part was sent: its upload goes too.
            if let Ok(None) = to.store.upload_job(tenant_id, job_id).await {
                artifacts.discard_job(tenant_id, job_id).await;
            }
            return Err(e);
        }
    };
    let md5 = recorded.0.md5_hex.clone();
    to.digests
        .recorded(job_id, number, &md5, length, PartBytes::Memory(pieces));
    Ok(recorded)
}

/// A part is not empty and its MD5 is the declared one.
fn check_body(length: u64, digest: [u8; 16], declared: [u8; 16]) -> AppResult<()> {
    if length == 0 {
        return Err(ApiError::invalid_argument(
            "a part cannot be empty; complete the job with a zero-length POST to .../chunks",
        )
        .into());
    }
    if digest != declared {
        return Err(ApiError::invalid_argument(format!(
            "Content-MD5 does not match the body (body MD5 is {})",
            STANDARD.encode(digest)
        ))
        .into());
    }
    Ok(())
}

/// Records a stored, checked part: a short explicit part is refused once a later part is held
/// (an appended part is the last so far, which may be short); an earlier upload of the same
/// part that had an object of its own is removed.
#[allow(clippy::too_many_arguments)]
async fn record(
    to: PartStorage<'_>,
    tenant_id: &str,
    job_id: &str,
    chunk_id: Option<u32>,
    length: u64,
    md5: &[u8; 16],
    stored: &Stored,
    min_bytes: u64,
) -> AppResult<(ChunkRecord, bool)> {
    let (store, artifacts) = (to.store, to.artifacts);
    if let Some(id) = chunk_id {
        let held = match store.part_sizes(tenant_id, job_id).await {
            Ok(held) => held,
            Err(e) => {
                stored.discard(artifacts).await;
                return Err(e.into());
            }
        };
        if let Err(e) = upload_parts::check_new_part(&held, id, Some(length), min_bytes) {
            stored.discard(artifacts).await;
            return Err(e.into());
        }
    }
    let chunk = NewChunk {
        chunk_id,
        length,
        md5_hex: hex::encode(md5),
        object_key: stored.key().to_string(),
        at: ids::now(),
    };
    match store.put_chunk(tenant_id, job_id, chunk).await {
        Ok((record, previous)) => {
            let replaced = previous.is_some();
            if let Some(old) = previous.filter(|old| !is_shared_key(old, stored.key())) {
                artifacts.delete_stored(&[old]).await;
            }
            Ok((record, replaced))
        }
        Err(e) => {
            stored.discard(artifacts).await;
            Err(e.into())
        }
    }
}

/// Whether a part row's key names bytes other parts share (the job's file or its S3 upload),
/// which replacing one part must not remove.
fn is_shared_key(old: &str, new: &Path) -> bool {
    old == new.as_ref() || slot_part_size(old).is_some() || old.starts_with(keys::IMAGES)
}
