//! Device provisioning (single and bulk) and device listing: HTTP over `services::fleet`.

use std::collections::HashMap;

use airlift_core::wire::{
    BulkCreateDevices, BulkProvisioned, CreateDevice, Device, DeviceHistoryEntry, ListResponse,
    ProvisionedDevice,
};
use axum::extract::State;
use axum::response::Response;
use axum::Json;

use super::{created, list_response, record_change, ListQuery, SyncListQuery};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query};
use crate::services::fleet::{self, Provisioned};
use crate::state::AppState;
use crate::store::DeviceRecord;
use airlift_core::audit::AuditAction;

fn to_wire(d: DeviceRecord) -> Device {
    Device {
        last_seen_at: None,
        download_url_expires_at: None,
        user_agent: None,
        device_id: d.id,
        name: d.name,
        profile_id: d.profile_id,
        device_type: d.device_type,
        firmware_version: d.firmware_version,
        created_at: d.created_at,
        change_seq: d.change_seq,
    }
}

fn provisioned_to_wire(p: Provisioned) -> ProvisionedDevice {
    ProvisionedDevice {
        device: to_wire(p.device),
        device_token: p.token,
    }
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreateDevice>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Provision)?;
    let extract::Json(body) = body?;
    let mut done = fleet::provision(&*state.store, caller.tenant_id(), vec![body], false).await?;
    let device = provisioned_to_wire(done.remove(0));
    // Never the token: it is a secret shown once, to this caller only.
    let d = &device.device;
    let summary = format!(
        "device {:?} ({} on {}) provisioned into profile {}",
        d.name, d.device_type, d.firmware_version, d.profile_id
    );
    record_change(
        &state,
        &caller,
        AuditAction::DeviceCreate,
        &d.device_id,
        &summary,
    )
    .await;
    let location = format!("/api/v1/devices/{}", device.device.device_id);
    Ok(created(&location, device))
}

pub async fn create_bulk(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<BulkCreateDevices>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Provision)?;
    let extract::Json(body) = body?;
    let done = fleet::provision(&*state.store, caller.tenant_id(), body.devices, true).await?;
    let data: Vec<ProvisionedDevice> = done.into_iter().map(provisioned_to_wire).collect();
    if let (Some(first), Some(last)) = (data.first(), data.last()) {
        // One entry for the batch (never a token), named by its first device.
        let summary = match data.len() {
            1 => format!("1 device provisioned ({})", first.device.device_id),
            n => format!(
                "{n} devices provisioned in one batch ({} to {})",
                first.device.device_id, last.device.device_id
            ),
        };
        record_change(
            &state,
            &caller,
            AuditAction::DeviceCreate,
            &first.device.device_id,
            &summary,
        )
        .await;
    }
    Ok(created(
        "/api/v1/devices",
        BulkProvisioned {
            count: data.len(),
            data,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SyncListQuery>,
) -> AppResult<Json<ListResponse<Device>>> {
    caller.require(Permission::Read)?;
    let (page, since) = q.split()?;
    let items = fleet::devices(&*state.store, caller.tenant_id(), page.clone(), since).await?;
    let ids = items.items.iter().map(|d| d.id.clone()).collect();
    let stored = stored_last_seen(&state, caller.tenant_id(), ids).await?;
    Ok(Json(list_response(&page, items, |d| {
        with_last_seen(&state, to_wire(d), &stored)
    })))
}

/// The last contacts the database keeps for `ids` (every server writes them).
async fn stored_last_seen(
    state: &AppState,
    tenant_id: &str,
    ids: Vec<String>,
) -> AppResult<HashMap<String, i64>> {
    Ok(state
        .store
        .devices_last_seen(tenant_id, ids)
        .await?
        .into_iter()
        .collect())
}

/// The device with its last contact: the later of this server's and the database's (see
/// `device_protocol::last_seen`).
fn with_last_seen(state: &AppState, mut device: Device, stored: &HashMap<String, i64>) -> Device {
    let kept = stored.get(&device.device_id).copied();
    device.last_seen_at = state.last_seen.get(&device.device_id, kept);
    device
}

/// `GET /api/v1/devices/{device_id}/history`: newest first; `after` is a `seq` from the
/// previous page (older entries follow).
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<ListResponse<DeviceHistoryEntry>>> {
    caller.require(Permission::Read)?;
    let page = q.page_any_order()?;
    let items = fleet::history(&*state.store, caller.tenant_id(), &id, page.clone()).await?;
    let mut out = list_response(&page, items, |e| e);
    out.order = "DESC".to_owned();
    Ok(Json(out))
}

pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Device>> {
    caller.require(Permission::Read)?;
    let d = fleet::device(&*state.store, caller.tenant_id(), &id).await?;
    let stored = stored_last_seen(&state, caller.tenant_id(), vec![id.clone()]).await?;
    let mut device = with_last_seen(&state, to_wire(d), &stored);
    // The agent it sent since the start (fresher), else the one kept in the database.
    device.user_agent = match state.last_seen.agent(&id) {
        Some(agent) => Some(agent),
        None => state.store.device_agent(caller.tenant_id(), &id).await?,
    };
    // Support staff see how long the device's download URL lasts (seed 001's expiring URLs):
    // the one its polls get now, renewed by polling. A URL that cannot be made is left out.
    if let Some(a) = state.store.assignment(caller.tenant_id(), &id).await? {
        if let Ok(url) = state.download_urls.url_for(&a.package.storage_key).await {
            device.download_url_expires_at = Some(url.expires_at_rfc3339);
        }
    }
    Ok(Json(device))
}
