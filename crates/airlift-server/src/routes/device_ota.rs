//! The device protocol (device token): assignment, chunks, reports, persistent commands.

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::error::ApiError;
use airlift_core::wire::{CommandAck, DeviceCommands, OtaAssignment, OtaReport, ReportAccepted};
use axum::extract::State;
use axum::http::header::{CONTENT_RANGE, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::auth::{DeviceCaller, DeviceToken};
use crate::device_protocol::assignments::Readable;
use crate::device_protocol::config_otau::{config_otau, device_download_urls, DownloadUrls};
use crate::engine;
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query, UserAgent};
use crate::ids;
use crate::rollouts::{Actor, Ctx};
use crate::services::device_reports;
use crate::state::AppState;
use crate::store::Assignment;

/// The largest range one chunk request returns (seed 000: 64 KiB).
pub const MAX_CHUNK: u64 = 64 * 1024;

/// The poll: reads only; a poll that hands out commands waits for the batched write of their
/// delivery counts (see `device_protocol::deliveries`).
/// A token the cache does not know is looked up in the same read as the poll itself.
pub async fn get_ota(
    State(state): State<AppState>,
    token: DeviceToken,
    agent: UserAgent,
    Path(id): Path<String>,
) -> AppResult<Response> {
    // The epoch is taken before each read of the commands (see `Deliveries::deliver`).
    let mut epoch = state.deliveries.epoch();
    let (device, mut first_read) = match token.known.clone() {
        Some(device) => (DeviceCaller { device }, None),
        None => match state.store.device_poll_by_token(&token.hash, &id).await? {
            Some((device, polled)) => (
                token.resolve(&state.device_tokens, Some(device))?,
                Some(polled),
            ),
            None => (token.resolve(&state.device_tokens, None)?, None),
        },
    };
    device.require_self(&id)?;
    state
        .last_seen
        .touch(device.tenant_id(), &id, agent.as_str());
    let (a, commands, ticket) = loop {
        let polled = match first_read.take() {
            Some(polled) => polled,
            None => {
                epoch = state.deliveries.epoch();
                state.store.device_poll(device.tenant_id(), &id).await?
            }
        };
        let Some((a, mut commands)) = polled else {
            state.assignments.forget(&id);
            return Ok(StatusCode::NO_CONTENT.into_response());
        };
        if let Ok(ticket) = state.deliveries.deliver(epoch, &mut commands) {
            break (a, commands, ticket);
        }
    };
    // The deliveries this answer counts are written before the device hears of them.
    if let Some(ticket) = ticket {
        state.deliveries.durable(ticket).await?;
    }
    state.assignments.keep_only(&id, &a.package.id);
    let encryption = match &a.package.data_key {
        Some(k) => Some(state.data_keys.assignment(k, a.package.size_bytes)?),
        None => None,
    };
    // A URL that cannot be made now (S3 credentials briefly unavailable) must not cost the
    // device its assignment and commands: it gets none this time and can use the chunks.
    let download = match state.download_urls.url_for(&a.package.storage_key).await {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(error = ?e, package = %a.package.id, "could not make a download URL");
            None
        }
    };
    // config_otau names the signed download URLs where they can be made, else the device
    // protocol's own download route (device token).
    let fallback = device_download_urls(&id, &a.package);
    let mut files = Vec::with_capacity(a.package.file_keys.len());
    for (key, fallback) in a.package.file_keys.iter().zip(fallback.files) {
        files.push(match state.download_urls.url_for(key).await {
            Ok(d) => d.url,
            Err(_) => fallback,
        });
    }
    let urls = DownloadUrls {
        package: download
            .as_ref()
            .map_or(fallback.package, |d| d.url.clone()),
        files,
    };
    let config_otau = config_otau(&a.package, urls);
    Ok(Json(OtaAssignment {
        package_id: a.package.id,
        package_type: a.package.key.package_type,
        version: a.package.key.version,
        size_bytes: a.package.size_bytes,
        checksum: a.package.sha256,
        signature: a.package.signature,
        rollout_id: a.rollout_id,
        command: a.command,
        commands,
        encryption,
        download_url_expires_at: download.as_ref().map(|d| d.expires_at_rfc3339.clone()),
        download_url: download.map(|d| d.url),
        config_otau,
    })
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct ChunkQuery {
    pub package_id: String,
    pub offset: u64,
    pub length: Option<u64>,
}

fn readable(a: &Assignment) -> Readable {
    Readable {
        package_id: a.package.id.clone(),
        storage_key: a.package.storage_key.clone(),
        size_bytes: a.package.stored_size_bytes(),
    }
}

fn not_assigned() -> AppError {
    ApiError::permission_denied("package_id is not the package assigned to this device").into()
}

pub async fn get_chunk(
    State(state): State<AppState>,
    device: DeviceCaller,
    Path(id): Path<String>,
    Query(q): Query<ChunkQuery>,
) -> AppResult<Response> {
    device.require_self(&id)?;
    let a = match state.assignments.get(&id, &q.package_id) {
        Some(a) => a,
        None => {
            let assigned = state.store.assignment(device.tenant_id(), &id).await?;
            let Some(a) = assigned.map(|a| readable(&a)) else {
                state.assignments.forget(&id);
                return Err(not_assigned());
            };
            state.assignments.put(&id, a.clone());
            if a.package_id != q.package_id {
                return Err(not_assigned());
            }
            a
        }
    };
    let total = a.size_bytes;
    if q.offset >= total {
        let mut r = AppError::with_status(
            StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::invalid_argument(format!(
                "offset {} is at or past the end of the {total}-byte artifact",
                q.offset
            )),
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
            r.headers_mut().insert(CONTENT_RANGE, v);
        }
        return Ok(r);
    }
    let want = q.length.unwrap_or(MAX_CHUNK);
    if want == 0 {
        return Err(ApiError::invalid_argument("length must be at least 1").into());
    }
    let len = want.min(MAX_CHUNK).min(total - q.offset);
    let bytes = state
        .files
        .read(
            &state.artifacts,
            &a.storage_key,
            total,
            q.offset,
            usize::try_from(len).unwrap_or(0),
        )
        .await?;
    let end = q.offset + len;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{total}", q.offset, end - 1)) {
        h.insert(CONTENT_RANGE, v);
    }
    if end == total {
        h.insert("x-ota-complete", HeaderValue::from_static("true"));
    }
    Ok(r)
}

pub async fn report(
    State(state): State<AppState>,
    device: DeviceCaller,
    agent: UserAgent,
    Path(id): Path<String>,
    body: Result<extract::Json<OtaReport>, AppError>,
) -> AppResult<Json<ReportAccepted>> {
    device.require_self(&id)?;
    state
        .last_seen
        .touch(device.tenant_id(), &id, agent.as_str());
    let extract::Json(body) = body?;
    let report = device_reports::validate(&id, body)?;
    let rollout_id = report.rollout_id.clone();
    let status = report.status;
    let ctx = Ctx::now(Actor {
        name: format!("device:{id}"),
        role: "device".to_owned(),
    });
    let tenant = device.tenant_id().to_owned();
    let (accepted, events) =
        engine::record_report(&*state.store, &tenant, &id, report, ctx).await?;
    if !accepted.duplicate {
        state.metrics.device_report(status.as_str());
        state.events.publish(&tenant, events);
        state
            .events
            .progress(state.store.clone(), &tenant, &rollout_id);
    }
    // A report changes the device record the token cache holds only by its firmware version,
    // which moves when the device succeeds (on the update or the rollback track): every other
    // report keeps the cached device, so the device's next request reads no row for its token.
    if accepted.device_state.as_deref() == Some(DeviceRolloutState::Successful.as_str()) {
        state.device_tokens.invalidate_device(&id);
    }
    Ok(Json(accepted))
}

pub async fn commands(
    State(state): State<AppState>,
    device: DeviceCaller,
    agent: UserAgent,
    Path(id): Path<String>,
) -> AppResult<Json<DeviceCommands>> {
    device.require_self(&id)?;
    state
        .last_seen
        .touch(device.tenant_id(), &id, agent.as_str());
    let (data, ticket) = loop {
        let epoch = state.deliveries.epoch();
        let mut data = state
            .store
            .undelivered_commands(device.tenant_id(), &id)
            .await?;
        if let Ok(ticket) = state.deliveries.deliver(epoch, &mut data) {
            break (data, ticket);
        }
    };
    if let Some(ticket) = ticket {
        state.deliveries.durable(ticket).await?;
    }
    Ok(Json(DeviceCommands { data }))
}

pub async fn ack(
    State(state): State<AppState>,
    device: DeviceCaller,
    Path((id, command_id)): Path<(String, String)>,
) -> AppResult<Json<CommandAck>> {
    device.require_self(&id)?;
    Ok(Json(
        state
            .store
            .ack_command(device.tenant_id(), &id, &command_id, &ids::now())
            .await?,
    ))
}
