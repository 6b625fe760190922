//! The dashboard (the start screen): read from the cache at once, then refreshed.

use airlift_desk::cache::{Cache, CachedCount};
use airlift_desk::ops::dashboard::{self, Overview};
use airlift_desk::ops::Session;
use airlift_desk::DeskError;
use tauri::State;

use super::rollouts::one_item;
use crate::dto::dashboard::{
    AutoPause, CacheSummary, CachedKind, Dashboard, DashboardRollout, FleetVersionCount,
};
use crate::state::{lock, AppState};

/// The dashboard of the active connection from the cache, without touching the network: the
/// start screen paints from this.
#[tauri::command]
pub fn dashboard_cached(state: State<'_, AppState>) -> Result<Dashboard, DeskError> {
    let Some(active) = state.active()? else {
        return Ok(empty());
    };
    let cache = lock(&state.cache)?;
    let overview = dashboard::overview(&cache, &active.name)?;
    let synced_at_ms =
        cache.synced_at_ms(&active.name, airlift_desk::cache::Collection::Rollouts)?;
    Ok(shown(
        &cache,
        &active.name,
        overview,
        false,
        synced_at_ms,
        None,
    ))
}

/// Syncs the rollouts and the fleet versions, then answers from the cache; offline, the
/// cached dashboard with the reason.
#[tauri::command]
pub async fn dashboard_refresh(state: State<'_, AppState>) -> Result<Dashboard, DeskError> {
    if state.active()?.is_none() {
        return Ok(empty());
    }
    let (name, client) = state.client()?;
    let cached = dashboard::refresh(Session {
        client: &client,
        cache: &state.cache,
        connection_id: &name,
    })
    .await?;
    let cache = lock(&state.cache)?;
    Ok(shown(
        &cache,
        &name,
        cached.data,
        cached.fresh,
        cached.synced_at_ms,
        cached.offline_reason,
    ))
}

/// How much of each kind the cache holds for the active connection, and when it was synced
/// (apart from the dashboard: counting a large fleet must not hold up the first paint; async,
/// so the count runs off the window's thread).
#[tauri::command]
pub async fn cache_summary(state: State<'_, AppState>) -> Result<CacheSummary, DeskError> {
    let Some(active) = state.active()? else {
        return Ok(CacheSummary {
            connection: None,
            kinds: Vec::new(),
        });
    };
    let counts = lock(&state.cache)?.cached_counts(&active.name)?;
    Ok(CacheSummary {
        connection: Some(active.name),
        kinds: counts.into_iter().map(kind).collect(),
    })
}

fn kind(c: CachedCount) -> CachedKind {
    CachedKind {
        kind: c.collection.as_str().to_owned(),
        count: c.count,
        synced_at_ms: c.synced_at_ms,
    }
}

fn shown(
    cache: &Cache,
    name: &str,
    overview: Overview,
    fresh: bool,
    synced_at_ms: Option<i64>,
    offline_reason: Option<String>,
) -> Dashboard {
    let auto_pauses = overview
        .auto_pauses
        .into_iter()
        .map(|p| {
            let summary = cache
                .rollout_detail(name, &p.rollout_id)
                .ok()
                .flatten()
                .map(|r| one_item(cache, name, &r.summary));
            AutoPause {
                rollout_id: p.rollout_id,
                at: p.at,
                package_version: summary.as_ref().map(|s| s.package_version.clone()),
                target: summary.as_ref().map(|s| s.target.clone()),
                status: summary.map(|s| s.status),
            }
        })
        .collect();
    Dashboard {
        connection: Some(name.to_owned()),
        rollouts: overview
            .rollouts
            .into_iter()
            .map(|r| DashboardRollout {
                rollout: one_item(cache, name, &r.summary),
                paused_at: r.pause.as_ref().map(|p| p.at.clone()),
                auto_paused: r.pause.is_some_and(|p| p.automatic),
            })
            .collect(),
        auto_pauses,
        fleet_versions: overview
            .fleet_versions
            .into_iter()
            .map(|v| FleetVersionCount {
                device_type: v.device_type,
                firmware_version: v.firmware_version,
                devices: v.devices,
            })
            .collect(),
        fleet_synced_at_ms: overview.fleet_synced_at_ms,
        fresh,
        synced_at_ms,
        offline_reason,
    }
}

fn empty() -> Dashboard {
    Dashboard {
        connection: None,
        rollouts: Vec::new(),
        auto_pauses: Vec::new(),
        fleet_versions: Vec::new(),
        fleet_synced_at_ms: None,
        fresh: false,
        synced_at_ms: None,
        offline_reason: None,
    }
}
