//! Upload jobs (seed 003) with parallel, resumable parts.
//!
//! Seed 003's protocol is kept exactly: `POST .../chunks` appends the next chunk (ids from 1),
//! a zero-length chunk completes the job, `Content-MD5` guards every chunk.
//!
//! Beyond it, `PUT .../chunks/{n}` stores part `n` explicitly, so a client can send parts in
//! parallel and in any order, and re-send a part to replace it. Completion assembles parts
//! 1..=N in order and refuses (409 FAILED_PRECONDITION, naming the gaps) while any is missing.
//! To resume after an interruption (client or server), a client lists the job's chunks and
//! re-sends the parts that are not there, or whose `hash` differs from its own: a part is
//! listed only once its bytes are stored and its MD5 checked, so a listed part is whole.
//!
//! Bodies are streamed to the artifact store, never held whole in memory, and capped at
//! `max_chunk_bytes` (413). A chunk refused before its body is read (auth, role, unknown job,
//! bad header) still has a bounded amount of its body drained first, so the client reads the
//! error instead of a connection reset. Completion runs in its own task so a client that disconnects
//! cannot leave a job half-assembled.

use airlift_core::error::ApiError;
use airlift_core::wire::{CreateUploadJob, ListResponse, UploadChunk, UploadJob, UploadJobStatus};
use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::State;
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures_util::{Stream, StreamExt as _};
use md5::{Digest as _, Md5};

use super::{bounded_text, created, list_response, ListQuery};
use crate::app::AppState;
use crate::artifacts::{keys, Artifacts};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query};
use crate::ids;
use crate::store::{ChunkRecord, ImageRecord, NewChunk, UploadJobRecord};

/// Highest explicit part number (S3's limit too).
pub const MAX_PART: u32 = 10_000;

pub fn job_to_wire(j: UploadJobRecord) -> UploadJob {
    UploadJob {
        completed: j.status == UploadJobStatus::Completed,
        object: "upload-job".to_owned(),
        firmware_image_id: j.firmware_image_id.unwrap_or_default(),
        etag: j.updated_at.clone(),
        id: j.id,
        name: j.name,
        description: j.description,
        status: j.status,
        chunk_count: j.chunk_count,
        bytes_received: j.bytes_received,
        created_at: j.created_at,
        updated_at: j.updated_at,
    }
}

fn chunk_to_wire(c: ChunkRecord) -> UploadChunk {
    UploadChunk {
        id: c.chunk_id,
        length: c.length,
        hash: c.md5_hex,
        etag: c.updated_at.clone(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

fn chunk_location(job_id: &str, chunk_id: u32) -> String {
    format!("/api/v1/ota/upload-jobs/{job_id}/chunks/{chunk_id}")
}

pub async fn create_job(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreateUploadJob>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Publish)?;
    let extract::Json(body) = body?;
    // Seed 003: the name defaults to "" and must be unique (so "" is usable once).
    let name = bounded_text("name", body.name.trim(), 256)?;
    let description = bounded_text("description", &body.description, 4096)?;
    let now = ids::now();
    let job = UploadJobRecord {
        id: ids::new_id("job"),
        tenant_id: caller.tenant.id.clone(),
        name,
        description,
        status: UploadJobStatus::NotStarted,
        firmware_image_id: None,
        chunk_count: 0,
        bytes_received: 0,
        created_at: now.clone(),
        updated_at: now,
    };
    state.store.create_upload_job(job.clone()).await?;
    Ok(created(
        &format!("/api/v1/ota/upload-jobs/{}", job.id),
        job_to_wire(job),
    ))
}

pub async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<ListResponse<UploadJob>>> {
    caller.require(Permission::Read)?;
    let page = q.page()?;
    let items = state
        .store
        .list_upload_jobs(caller.tenant_id(), page.clone())
        .await?;
    Ok(Json(list_response(&page, items, job_to_wire)))
}

async fn load_job(state: &AppState, caller: &Caller, id: &str) -> AppResult<UploadJobRecord> {
    Ok(state
        .store
        .upload_job(caller.tenant_id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("upload job not found"))?)
}

pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<UploadJob>> {
    caller.require(Permission::Read)?;
    Ok(Json(job_to_wire(load_job(&state, &caller, &id).await?)))
}

/// Cancels the job and drops its parts (seed 003: it cannot be continued). The firmware image
/// of a completed job is a resource of its own and stays.
pub async fn delete_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    caller.require(Permission::Publish)?;
    let keys = state
        .store
        .delete_upload_job(caller.tenant_id(), &id)
        .await?;
    state.artifacts.delete_stored(&keys).await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_chunks(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<ListResponse<UploadChunk>>> {
    caller.require(Permission::Read)?;
    if let Some(after) = q.after.as_deref().filter(|a| !a.is_empty()) {
        if after.parse::<u32>().is_err() {
            return Err(ApiError::invalid_argument(format!(
                "after must be a chunk id, got {after:?}"
            ))
            .into());
        }
    }
    let page = q.page()?;
    let items = state
        .store
        .list_chunks(caller.tenant_id(), &id, page.clone())
        .await?;
    Ok(Json(list_response(&page, items, chunk_to_wire)))
}

pub async fn get_chunk(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, chunk_id)): Path<(String, u32)>,
) -> AppResult<Json<UploadChunk>> {
    caller.require(Permission::Read)?;
    let c = state
        .store
        .chunk(caller.tenant_id(), &id, chunk_id)
        .await?
        .ok_or_else(|| ApiError::not_found("chunk not found"))?;
    Ok(Json(chunk_to_wire(c)))
}

/// `POST .../chunks`: append the next chunk, or complete the job with a zero-length one.
pub async fn append_chunk(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let mut body = body.into_data_stream();
    let result = append(state, caller, id, &headers, &mut body).await;
    if result.is_err() {
        drain(&mut body).await;
    }
    result
}

async fn append(
    state: AppState,
    caller: Result<Caller, AppError>,
    id: String,
    headers: &HeaderMap,
    body: &mut BodyDataStream,
) -> AppResult<Response> {
    let caller = caller?;
    caller.require(Permission::Publish)?;
    let md5 = content_md5(headers)?;
    check_declared_length(headers, state.config.max_chunk_bytes)?;
    state
        .store
        .check_accepts_chunks(caller.tenant_id(), &id)
        .await?;

    let first = loop {
        match body.next().await {
            Some(Ok(piece)) if piece.is_empty() => continue,
            Some(Ok(piece)) => break Some(piece),
            Some(Err(e)) => return Err(body_error(e)),
            None => break None,
        }
    };
    let Some(first) = first else {
        // Seed 003: the zero-length chunk ends the upload (its Content-MD5 is still checked).
        if md5 != <[u8; 16]>::from(Md5::digest(b"")) {
            return Err(
                ApiError::invalid_argument("Content-MD5 does not match the (empty) body").into(),
            );
        }
        return complete(state, caller, id).await;
    };
    let rest = futures_util::stream::once(async { Ok(first) }).chain(body);
    let (record, _) = store_part(&state, &caller, &id, None, md5, Box::pin(rest)).await?;
    let location = chunk_location(&id, record.chunk_id);
    Ok(created(&location, chunk_to_wire(record)))
}

/// `PUT .../chunks/{n}`: store part `n` (parallel / out of order / re-send). 201 when the
/// part is new, 200 when it replaced an earlier upload of the same part.
pub async fn put_chunk(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path((id, chunk_id)): Path<(String, u32)>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let mut body = body.into_data_stream();
    let result = put(state, caller, id, chunk_id, &headers, &mut body).await;
    if result.is_err() {
        drain(&mut body).await;
    }
    result
}

async fn put(
    state: AppState,
    caller: Result<Caller, AppError>,
    id: String,
    chunk_id: u32,
    headers: &HeaderMap,
    body: &mut BodyDataStream,
) -> AppResult<Response> {
    let caller = caller?;
    caller.require(Permission::Publish)?;
    if !(1..=MAX_PART).contains(&chunk_id) {
        return Err(ApiError::invalid_argument(format!(
            "part number must be between 1 and {MAX_PART}, got {chunk_id}"
        ))
        .into());
    }
    let md5 = content_md5(headers)?;
    check_declared_length(headers, state.config.max_chunk_bytes)?;
    state
        .store
        .check_accepts_chunks(caller.tenant_id(), &id)
        .await?;
    let (record, replaced) = store_part(&state, &caller, &id, Some(chunk_id), md5, body).await?;
    let location = chunk_location(&id, record.chunk_id);
    if replaced {
        Ok((StatusCode::OK, Json(chunk_to_wire(record))).into_response())
    } else {
        Ok(created(&location, chunk_to_wire(record)))
    }
}

/// Streams one part into a fresh object, checks its length cap and MD5, then records it.
/// On any failure the object is removed: a part is listed only when it is whole.
async fn store_part<S>(
    state: &AppState,
    caller: &Caller,
    job_id: &str,
    chunk_id: Option<u32>,
    md5: [u8; 16],
    body: S,
) -> AppResult<(ChunkRecord, bool)>
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    let key = keys::chunk(caller.tenant_id(), job_id);
    let mut hasher = Md5::new();
    let length = state
        .artifacts
        .write_stream(&key, capped(body, state.config.max_chunk_bytes), |piece| {
            hasher.update(piece);
            Ok(())
        })
        .await?;
    if length == 0 {
        state.artifacts.delete(&key).await;
        return Err(ApiError::invalid_argument(
            "a part cannot be empty; complete the job with a zero-length POST to .../chunks",
        )
        .into());
    }
    let digest: [u8; 16] = hasher.finalize().into();
    if digest != md5 {
        state.artifacts.delete(&key).await;
        return Err(ApiError::invalid_argument(format!(
            "Content-MD5 does not match the body (body MD5 is {})",
            STANDARD.encode(digest)
        ))
        .into());
    }
    let chunk = NewChunk {
        chunk_id,
        length,
        md5_hex: hex::encode(digest),
        object_key: key.to_string(),
        at: ids::now(),
    };
    match state
        .store
        .put_chunk(caller.tenant_id(), job_id, chunk)
        .await
    {
        Ok((record, previous)) => {
            let replaced = previous.is_some();
            if let Some(old) = previous {
                state.artifacts.delete_stored(&[old]).await;
            }
            Ok((record, replaced))
        }
        Err(e) => {
            state.artifacts.delete(&key).await;
            Err(e.into())
        }
    }
}

/// Completion: assemble parts in order into the image object while hashing (once), then
/// atomically create the image and mark the job completed. Runs detached from the request.
async fn complete(state: AppState, caller: Caller, job_id: String) -> AppResult<Response> {
    let task = tokio::spawn(async move {
        let tenant = caller.tenant_id().to_owned();
        let chunks = state.store.begin_completion(&tenant, &job_id).await?;
        let job = load_job(&state, &caller, &job_id).await?;
        let image_id = ids::new_id("img");
        let key = keys::image(&tenant, &image_id);
        let assembled = assemble(&state.artifacts, &key, &chunks).await;
        let (size, sha256) = match assembled {
            Ok(v) => v,
            Err(e) => {
                state.artifacts.delete(&key).await;
                if let Err(abort) = state.store.abort_completion(&tenant, &job_id).await {
                    tracing::error!(error = %abort, job = %job_id, "could not reopen an upload job");
                }
                return Err(e);
            }
        };
        let image = ImageRecord {
            id: image_id,
            tenant_id: tenant.clone(),
            name: job.name.clone(),
            description: job.description.clone(),
            object_key: key.to_string(),
            sha256,
            size,
            upload_job_id: job_id.clone(),
            created_at: ids::now(),
        };
        let (_, part_keys) = match state.store.finish_completion(image.clone()).await {
            Ok(v) => v,
            Err(e) => {
                state.artifacts.delete(&key).await;
                let _ = state.store.abort_completion(&tenant, &job_id).await;
                return Err(e.into());
            }
        };
        state.artifacts.delete_stored(&part_keys).await;
        tracing::info!(job = %job_id, image = %image.id, size, "upload job completed");
        let last = chunks.last().map_or(0, |c| c.chunk_id);
        Ok::<_, AppError>((job_id, last + 1, image))
    });
    let (job_id, chunk_id, image) = task
        .await
        .map_err(|e| AppError::internal("completing an upload job", e))??;
    let now = image.created_at.clone();
    let body = UploadChunk {
        id: chunk_id,
        length: 0,
        hash: hex::encode(Md5::digest(b"")),
        created_at: now.clone(),
        updated_at: now.clone(),
        etag: now,
    };
    Ok(created(&chunk_location(&job_id, chunk_id), body))
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

/// RFC 1864: the base64 of the body's 16-byte MD5. Required on every chunk.
fn content_md5(headers: &HeaderMap) -> Result<[u8; 16], AppError> {
    let value = headers
        .get("content-md5")
        .ok_or_else(|| ApiError::invalid_argument("missing Content-MD5 header (RFC 1864)"))?;
    let decoded = value
        .to_str()
        .ok()
        .and_then(|v| STANDARD.decode(v.trim()).ok())
        .ok_or_else(|| ApiError::invalid_argument("Content-MD5 is not base64"))?;
    decoded.try_into().map_err(|_| {
        ApiError::invalid_argument("Content-MD5 must be the base64 of 16 bytes").into()
    })
}

/// Refuses a too-large body before reading it, when the client declared its length.
fn check_declared_length(headers: &HeaderMap, cap: u64) -> Result<(), AppError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > cap => Err(AppError::payload_too_large(format!(
            "a chunk may be at most {cap} bytes, this one is {n}"
        ))),
        _ => Ok(()),
    }
}

/// How much of an oversized body is read (and discarded) before answering 413. Answering
/// while the client is still sending makes most clients see a broken pipe instead of the
/// answer; draining a bounded amount lets modestly oversized requests get a proper 413, and
/// anything larger is cut off.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;

async fn drain<S>(body: &mut S)
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    let mut drained = 0u64;
    while drained < DRAIN_LIMIT {
        match body.next().await {
            Some(Ok(piece)) => drained += piece.len() as u64,
            _ => break,
        }
    }
}

/// The body with a length cap: past `cap` bytes it drains (bounded) and ends with 413.
fn capped<S>(body: S, cap: u64) -> impl Stream<Item = Result<Bytes, AppError>>
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    futures_util::stream::unfold(
        (body, 0u64, false),
        move |(mut body, seen, done)| async move {
            if done {
                return None;
            }
            match body.next().await {
                None => None,
                Some(Err(e)) => Some((Err(body_error(e)), (body, seen, true))),
                Some(Ok(piece)) => {
                    let seen = seen + piece.len() as u64;
                    if seen > cap {
                        drain(&mut body).await;
                        let e = AppError::payload_too_large(format!(
                            "a chunk may be at most {cap} bytes"
                        ));
                        Some((Err(e), (body, seen, true)))
                    } else {
                        Some((Ok(piece), (body, seen, false)))
                    }
                }
            }
        },
    )
}

fn body_error(e: axum::Error) -> AppError {
    // Length-limit errors from hyper/tower surface here too; anything else is a client that
    // went away mid-body.
    ApiError::invalid_argument(format!("could not read the request body: {e}")).into()
}
