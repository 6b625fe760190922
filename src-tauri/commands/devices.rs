//! The devices screen: search the cached fleet, refresh it from the server, open a device
//! (its OTA record and full history, kept in the cache for offline reading) and export that
//! history as CSV.

use airlift_desk::cache::Collection;
use airlift_desk::device_history::{cached_history, rollout_label};
use airlift_desk::ops::devices::{refresh_device, search_devices, DeviceSearch as Search};
use airlift_desk::ops::sync::sync_fleet;
use airlift_desk::ops::{self, Session};
use airlift_desk::sync::read_through;
use airlift_desk::{DeskError, DeskErrorCode};
use tauri::{AppHandle, State};

use crate::dto::devices::{
    DeviceDetail, DeviceListItem, DeviceOverview, DevicePage, DeviceRolloutInfo, DeviceSearch,
    HistoryEntry,
};
use crate::state::{lock, AppState};

/// One page of the cached fleet matching `search` (no network: instant, and works offline).
#[tauri::command]
pub fn devices_search(
    state: State<'_, AppState>,
    search: DeviceSearch,
) -> Result<DevicePage, DeskError> {
    let Some(active) = state.active()? else {
        return Ok(DevicePage {
            items: Vec::new(),
            next: None,
        });
    };
    let search = Search {
        text: search.text,
        version: search.version,
        state: search.state,
        after: search.after.map(Into::into),
        limit: search.limit,
    };
    let cache = lock(&state.cache)?;
    let page = search_devices(&cache, &active.name, &search)?;
    Ok(DevicePage {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next.map(Into::into),
    })
}

/// The cached fleet's counts per version and state, and how old they are.
#[tauri::command]
pub fn devices_overview(state: State<'_, AppState>) -> Result<DeviceOverview, DeskError> {
    let Some(active) = state.active()? else {
        return Ok(DeviceOverview::new(None, Default::default()));
    };
    let cache = lock(&state.cache)?;
    let mut overview = DeviceOverview::new(
        Some(active.name.clone()),
        cache.device_facets(&active.name)?,
    );
    overview.synced_at_ms = cache.synced_at_ms(&active.name, Collection::Devices)?;
    Ok(overview)
}

/// Syncs devices (only what changed) and their OTA states from the rollouts; offline, answers
/// from the cache with the reason.
#[tauri::command]
pub async fn devices_refresh(state: State<'_, AppState>) -> Result<DeviceOverview, DeskError> {
    if state.active()?.is_none() {
        return Ok(DeviceOverview::new(None, Default::default()));
    }
    let (name, client) = state.client()?;
    let session = Session {
        client: &client,
        cache: &state.cache,
        connection_id: &name,
    };
    let cached = read_through(
        &state.cache,
        &name,
        Collection::Devices,
        sync_fleet(session),
        |c| c.device_facets(&name),
    )
    .await?;
    let mut overview = DeviceOverview::new(Some(name), cached.data);
    overview.fresh = cached.fresh;
    overview.synced_at_ms = cached.synced_at_ms;
    overview.offline_reason = cached.offline_reason;
    Ok(overview)
}

/// A device's page. With `refresh`, the device and its full history are fetched first (and
/// cached); without, or when the server cannot be reached, the cached copy answers.
#[tauri::command]
pub async fn device_detail(
    state: State<'_, AppState>,
    id: String,
    refresh: bool,
) -> Result<DeviceDetail, DeskError> {
    let name = state.active_name()?;
    let cache = state.cache.clone();
    let mut fresh = false;
    let mut offline_reason = None;
    let mut download_url_expires_at = None;
    if refresh {
        let (_, client) = state.client()?;
        let session = Session {
            client: &client,
            cache: &cache,
            connection_id: &name,
        };
        match refresh_device(session, &id).await {
            Ok(expires_at) => {
                fresh = true;
                download_url_expires_at = expires_at;
            }
            Err(err) if err.code() == DeskErrorCode::Offline => {
                offline_reason = Some(err.message().to_owned())
            }
            Err(err) => return Err(err),
        }
    }
    let cache = lock(&cache)?;
    let device = cache.device(&name, &id)?.ok_or_else(|| {
        DeskError::new(
            DeskErrorCode::NotFound,
            format!("device {id} is not in the offline copy of this fleet; connect to the server and refresh"),
        )
    })?;
    let history = cached_history(&cache, &name, &id)?;
    let version_of = |package_id: &str| {
        cache
            .package(&name, package_id)
            .ok()
            .flatten()
            .map(|p| p.version)
    };
    let history = history
        .into_iter()
        .map(|e| {
            let version = e.package_id.as_deref().and_then(version_of);
            HistoryEntry::new(e, version)
        })
        .collect();
    let profile_name = match &device.profile_id {
        Some(profile) => cache.profile_name(&name, profile)?,
        None => None,
    };
    let rollout = match cache.device_ota(&name, &id)? {
        Some(ota) => {
            let label = rollout_label(&cache, &name, &ota.rollout_id)?;
            Some(DeviceRolloutInfo {
                label,
                ..ota.into()
            })
        }
        None => None,
    };
    Ok(DeviceDetail {
        device: DeviceListItem::from(device),
        profile_name,
        rollout,
        history,
        fresh,
        synced_at_ms: cache.synced_at_ms(&name, Collection::DeviceHistory)?,
        offline_reason,
        download_url_expires_at,
    })
}

/// Writes the device's history as CSV (`ops::history`: synced first, the cached copy when the
/// server is away) to a file the person chooses; `None` when they close the dialog.
#[tauri::command]
pub async fn device_history_export(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
) -> Result<Option<String>, DeskError> {
    let (name, client) = state.client()?;
    let session = Session {
        client: &client,
        cache: &state.cache,
        connection_id: &name,
    };
    let export = ops::history::export_history(session, &id, None).await?.data;
    let chosen = crate::dialog::save_file(
        &app,
        "Export the device's history",
        &export.file_name,
        ("CSV", &["csv"]),
    )
    .await;
    let Some(path) = chosen else {
        return Ok(None);
    };
    std::fs::write(&path, export.csv).map_err(|err| DeskError::io("save the CSV", &path, &err))?;
    Ok(Some(path.display().to_string()))
}

/// The UI's subscription to background events (notification clicks, rollout changes).
#[tauri::command]
pub fn app_events_subscribe(
    events: State<'_, crate::watch::Events>,
    on_event: tauri::ipc::Channel<crate::dto::devices::AppEvent>,
) {
    events.subscribe(on_event);
}
