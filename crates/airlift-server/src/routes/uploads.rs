//! Upload jobs (seed 003) with parallel, resumable parts: the HTTP side (headers, the body
//! stream and its cap); the rules are `services::uploads`.
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
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures_util::{Stream, StreamExt as _};

use super::{created, list_response, record_change, ListQuery};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::body_stream::{
    body_error, capped, check_declared_length, declared_length, drain,
};
use crate::extract::{self, Path, Query};
use crate::services::uploads::{self as service, Part};
use crate::state::AppState;
use crate::store::{ChunkRecord, UploadJobRecord};
use airlift_core::audit::AuditAction;

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
        datafile_encryption: j.data_key.is_some(),
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
    let job = service::create_job(
        &*state.store,
        &state.data_keys,
        caller.tenant_id(),
        &body.name,
        &body.description,
        body.datafile_encryption,
    )
    .await?;
    let summary = format!(
        "upload job {:?} created{}",
        job.name,
        if body.datafile_encryption {
            " (encrypted)"
        } else {
            ""
        }
    );
    record_change(
        &state,
        &caller,
        AuditAction::UploadJobCreate,
        &job.id,
        &summary,
    )
    .await;
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
    let items = service::list_jobs(&*state.store, caller.tenant_id(), page.clone()).await?;
    Ok(Json(list_response(&page, items, job_to_wire)))
}

pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<UploadJob>> {
    caller.require(Permission::Read)?;
    let job = service::job(&*state.store, caller.tenant_id(), &id).await?;
    Ok(Json(job_to_wire(job)))
}

/// Cancels the job and drops its parts (see [`service::delete_job`]).
pub async fn delete_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    caller.require(Permission::Publish)?;
    service::delete_job(
        &*state.store,
        &state.artifacts,
        &state.upload_digests,
        caller.tenant_id(),
        &id,
    )
    .await?;
    record_change(
        &state,
        &caller,
        AuditAction::UploadJobDelete,
        &id,
        "upload job deleted with its parts",
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_chunks(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<ListResponse<UploadChunk>>> {
    caller.require(Permission::Read)?;
    // `after` is a chunk id (an integer): an empty one is malformed, not absent.
    if q.after.as_deref() == Some("") {
        return Err(ApiError::invalid_argument("after must be a chunk id, got \"\"").into());
    }
    let page = q.page()?;
    let items = service::list_chunks(&*state.store, caller.tenant_id(), &id, page.clone()).await?;
    Ok(Json(list_response(&page, items, chunk_to_wire)))
}

pub async fn get_chunk(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, chunk_id)): Path<(String, u32)>,
) -> AppResult<Json<UploadChunk>> {
    caller.require(Permission::Read)?;
    let c = service::chunk(&*state.store, caller.tenant_id(), &id, chunk_id).await?;
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
    check_declared_length(headers, state.config.max_chunk_bytes, "a chunk")?;
    service::check_open(&*state.store, caller.tenant_id(), &id).await?;

    let first = loop {
        match body.next().await {
            Some(Ok(piece)) if piece.is_empty() => continue,
            Some(Ok(piece)) => break Some(piece),
            Some(Err(e)) => return Err(body_error(e)),
            None => break None,
        }
    };
    let Some(first) = first else {
        let done = service::complete(
            state.store.clone(),
            service::CompletionParts {
                artifacts: state.artifacts.clone(),
                data_keys: state.data_keys.clone(),
                digests: state.upload_digests.clone(),
            },
            caller.tenant_id(),
            &id,
            md5,
            service::CompletionLimits {
                max_images: state.config.max_images,
                min_chunk_bytes: state.config.min_chunk_bytes,
            },
        )
        .await?;
        let summary = format!(
            "image {:?} ({} bytes, SHA-256 {}) made by completing upload job {}",
            done.image.name, done.image.size, done.image.sha256, done.job_id
        );
        record_change(
            &state,
            &caller,
            AuditAction::ImageCreate,
            &done.image.id,
            &summary,
        )
        .await;
        return Ok(closing_chunk(done));
    };
    let min = state.config.min_chunk_bytes;
    service::check_part_follows(&*state.store, caller.tenant_id(), &id, None, min).await?;
    let rest = futures_util::stream::once(async { Ok(first) }).chain(body);
    let declared = declared_length(headers);
    let (record, _) = store_part(&state, &caller, &id, None, md5, declared, Box::pin(rest)).await?;
    let location = chunk_location(&id, record.chunk_id);
    Ok(created(&location, chunk_to_wire(record)))
}

/// The part's body, capped at `max_chunk_bytes`, to the upload service.
async fn store_part<S>(
    state: &AppState,
    caller: &Caller,
    job_id: &str,
    chunk_id: Option<u32>,
    md5: [u8; 16],
    declared_length: Option<u64>,
    body: S,
) -> AppResult<(ChunkRecord, bool)>
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    let part = Part {
        chunk_id,
        md5,
        declared_length,
        body: capped(body, state.config.max_chunk_bytes, "a chunk"),
        min_bytes: state.config.min_chunk_bytes,
        max_bytes: state.config.max_chunk_bytes,
    };
    let tenant = caller.tenant_id();
    let sources = service::PartStorage {
        store: &*state.store,
        artifacts: &state.artifacts,
        data_keys: &state.data_keys,
        digests: &state.upload_digests,
    };
    service::store_part(sources, tenant, job_id, part).await
}

/// The zero-length chunk that completed a job, as seed 003 shows it.
fn closing_chunk(done: service::Completed) -> Response {
    let now = done.image.created_at.clone();
    let body = UploadChunk {
        id: done.closing_chunk_id,
        length: 0,
        hash: hex::encode(service::empty_md5()),
        created_at: now.clone(),
        updated_at: now.clone(),
        etag: now,
    };
    created(&chunk_location(&done.job_id, done.closing_chunk_id), body)
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
    service::check_part_number(chunk_id)?;
    let md5 = content_md5(headers)?;
    check_declared_length(headers, state.config.max_chunk_bytes, "a chunk")?;
    service::check_open(&*state.store, caller.tenant_id(), &id).await?;
    let min = state.config.min_chunk_bytes;
    service::check_part_follows(&*state.store, caller.tenant_id(), &id, Some(chunk_id), min)
        .await?;
    let declared = declared_length(headers);
    let (record, replaced) =
        store_part(&state, &caller, &id, Some(chunk_id), md5, declared, body).await?;
    let location = chunk_location(&id, record.chunk_id);
    if replaced {
        Ok((StatusCode::OK, Json(chunk_to_wire(record))).into_response())
    } else {
        Ok(created(&location, chunk_to_wire(record)))
    }
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
