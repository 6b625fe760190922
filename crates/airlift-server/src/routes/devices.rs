//! Device provisioning (single and bulk) and device listing.

use airlift_core::error::ApiError;
use airlift_core::package::validate_device_type;
use airlift_core::wire::{
    BulkCreateDevices, BulkProvisioned, CreateDevice, Device, DeviceHistoryEntry, ListResponse,
    ProvisionedDevice,
};
use axum::extract::State;
use axum::response::Response;
use axum::Json;

use super::{created, list_response, required_text, ListQuery, SyncListQuery};
use crate::app::AppState;
use crate::auth::{device_token, Caller, Permission};
use crate::engine;
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query};
use crate::ids;
use crate::store::{DeviceRecord, NewDevice};

/// One bulk call provisions at most this many devices (one transaction, one response).
pub const MAX_BULK: usize = 10_000;

fn to_wire(d: DeviceRecord) -> Device {
    Device {
        last_seen_at: None,
        device_id: d.id,
        name: d.name,
        profile_id: d.profile_id,
        device_type: d.device_type,
        firmware_version: d.firmware_version,
        created_at: d.created_at,
        change_seq: d.change_seq,
    }
}

/// Validates one request and mints its token. `at` prefixes error messages in bulk calls.
fn prepare(
    tenant: &str,
    d: CreateDevice,
    at: &str,
    now: &str,
) -> Result<(NewDevice, String), AppError> {
    let name = required_text(&format!("{at}name"), &d.name, 128)?;
    let profile_id = required_text(&format!("{at}profile_id"), &d.profile_id, 64)?;
    validate_device_type(&d.device_type)
        .map_err(|e| ApiError::invalid_argument(format!("{at}{}", e.message)))?;
    // Devices may run builds that are not semver (they are then skipped by rollouts), so only
    // the shape is checked here.
    let firmware_version =
        required_text(&format!("{at}firmware_version"), &d.firmware_version, 64)?;
    let token =
        device_token::generate().map_err(|e| AppError::internal("minting a device token", e))?;
    let record = DeviceRecord {
        id: ids::new_id("dev"),
        tenant_id: tenant.to_owned(),
        profile_id,
        name,
        device_type: d.device_type,
        firmware_version,
        created_at: now.to_owned(),
        change_seq: 0,
    };
    let new = NewDevice {
        token_hash: device_token::hash(&token),
        record,
    };
    Ok((new, token))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreateDevice>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Provision)?;
    let extract::Json(body) = body?;
    let (new, token) = prepare(caller.tenant_id(), body, "", &ids::now())?;
    let device = new.record.clone();
    engine::create_devices(&*state.store, caller.tenant_id(), vec![new]).await?;
    let location = format!("/api/v1/devices/{}", device.id);
    Ok(created(
        &location,
        ProvisionedDevice {
            device: to_wire(device),
            device_token: token,
        },
    ))
}

pub async fn create_bulk(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<BulkCreateDevices>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Provision)?;
    let extract::Json(body) = body?;
    if body.devices.is_empty() || body.devices.len() > MAX_BULK {
        return Err(ApiError::invalid_argument(format!(
            "devices must hold 1 to {MAX_BULK} devices, got {}",
            body.devices.len()
        ))
        .into());
    }
    let now = ids::now();
    let mut news = Vec::with_capacity(body.devices.len());
    let mut out = Vec::with_capacity(body.devices.len());
    for (i, d) in body.devices.into_iter().enumerate() {
        let (new, token) = prepare(caller.tenant_id(), d, &format!("devices[{i}]."), &now)?;
        out.push(ProvisionedDevice {
            device: to_wire(new.record.clone()),
            device_token: token,
        });
        news.push(new);
    }
    engine::create_devices(&*state.store, caller.tenant_id(), news).await?;
    tracing::info!(tenant = %caller.tenant.id, count = out.len(), "devices provisioned");
    Ok(created(
        "/api/v1/devices",
        BulkProvisioned {
            count: out.len(),
            data: out,
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
    let items = match since {
        Some(since) => {
            state
                .store
                .list_devices_changed(caller.tenant_id(), since, page.limit)
                .await?
        }
        None => {
            state
                .store
                .list_devices(caller.tenant_id(), page.clone())
                .await?
        }
    };
    Ok(Json(list_response(&page, items, |d| {
        with_last_seen(&state, to_wire(d))
    })))
}

/// The device with its last contact (see `device_protocol::last_seen`).
fn with_last_seen(state: &AppState, mut device: Device) -> Device {
    device.last_seen_at = state.last_seen.get(&device.device_id);
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
    if state.store.device(caller.tenant_id(), &id).await?.is_none() {
        return Err(ApiError::not_found("device not found").into());
    }
    let items = state
        .store
        .device_history(caller.tenant_id(), &id, page.clone())
        .await?;
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
    let d = state
        .store
        .device(caller.tenant_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("device not found"))?;
    Ok(Json(with_last_seen(&state, to_wire(d))))
}
