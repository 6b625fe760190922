//! The fleet: profiles, and devices provisioned into them (one or in bulk, all or none; a new
//! device joins its profile's running rollout, which is the engine's part).

use airlift_core::error::ApiError;
use airlift_core::package::validate_device_type;
use airlift_core::wire::{CreateDevice, CreateProfile, DeviceHistoryEntry};

use super::found;
use super::text::required_text;
use crate::auth::device_token;
use crate::engine;
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::rollout_port::RolloutUnits;
use crate::store::{
    DeviceProtocolStore, DeviceRecord, FleetStore, NewDevice, Page, PageOf, ProfileRecord,
};

/// One bulk call provisions at most this many devices (one transaction, one response).
pub const MAX_BULK: usize = 10_000;

pub async fn create_profile(
    store: &dyn FleetStore,
    tenant_id: &str,
    body: CreateProfile,
) -> AppResult<ProfileRecord> {
    let name = required_text("name", &body.name, 128)?;
    validate_device_type(&body.device_type)?;
    let record = ProfileRecord {
        id: ids::new_id("prof"),
        tenant_id: tenant_id.to_owned(),
        name,
        device_type: body.device_type,
        created_at: ids::now(),
    };
    store.create_profile(record.clone()).await?;
    Ok(record)
}

pub async fn profiles(
    store: &dyn FleetStore,
    tenant_id: &str,
    page: Page,
) -> AppResult<PageOf<ProfileRecord>> {
    Ok(store.list_profiles(tenant_id, page).await?)
}

pub async fn profile(
    store: &dyn FleetStore,
    tenant_id: &str,
    id: &str,
) -> AppResult<ProfileRecord> {
    Ok(found(store.profile(tenant_id, id).await?, "profile")?)
}

/// A provisioned device and its token (shown once: only its hash is stored).
pub struct Provisioned {
    pub device: DeviceRecord,
    pub token: String,
}

/// Provisions devices, all or none; `bulk` numbers each one's errors (`devices[i].name`).
pub async fn provision(
    units: &dyn RolloutUnits,
    tenant_id: &str,
    devices: Vec<CreateDevice>,
    bulk: bool,
) -> AppResult<Vec<Provisioned>> {
    if bulk && (devices.is_empty() || devices.len() > MAX_BULK) {
        return Err(ApiError::invalid_argument(format!(
            "devices must hold 1 to {MAX_BULK} devices, got {}",
            devices.len()
        ))
        .into());
    }
    let now = ids::now();
    let mut news = Vec::with_capacity(devices.len());
    let mut out = Vec::with_capacity(devices.len());
    for (i, d) in devices.into_iter().enumerate() {
        let at = if bulk {
            format!("devices[{i}].")
        } else {
            String::new()
        };
        let (new, token) = prepare(tenant_id, d, &at, &now)?;
        out.push(Provisioned {
            device: new.record.clone(),
            token,
        });
        news.push(new);
    }
    engine::create_devices(units, tenant_id, news).await?;
    if bulk {
        tracing::info!(tenant = %tenant_id, count = out.len(), "devices provisioned");
    }
    Ok(out)
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

/// A page of devices: by id, or (with `changed_since`) those changed after that change.
pub async fn devices(
    store: &dyn FleetStore,
    tenant_id: &str,
    page: Page,
    changed_since: Option<u64>,
) -> AppResult<PageOf<DeviceRecord>> {
    Ok(match changed_since {
        Some(since) => {
            store
                .list_devices_changed(tenant_id, since, page.limit)
                .await?
        }
        None => store.list_devices(tenant_id, page).await?,
    })
}

pub async fn device(store: &dyn FleetStore, tenant_id: &str, id: &str) -> AppResult<DeviceRecord> {
    Ok(found(store.device(tenant_id, id).await?, "device")?)
}

/// A device's history, newest first (NOT_FOUND for a device that is not the tenant's).
pub async fn history<S: FleetStore + DeviceProtocolStore + ?Sized>(
    store: &S,
    tenant_id: &str,
    id: &str,
    page: Page,
) -> AppResult<PageOf<DeviceHistoryEntry>> {
    super::numeric_cursor(page.after.as_deref(), "a seq")?;
    if store.device(tenant_id, id).await?.is_none() {
        return Err(ApiError::not_found("device not found").into());
    }
    Ok(store.device_history(tenant_id, id, page).await?)
}
