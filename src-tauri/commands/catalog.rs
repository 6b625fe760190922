//! The package catalog: instantly from the cache, then refreshed from the server.

use airlift_desk::cache::Collection;
use airlift_desk::sync::{read_through, sync_packages};
use airlift_desk::DeskError;
use tauri::State;

use crate::dto::catalog::{Catalog, PackageDetail, PackageSummary};
use crate::state::{lock, AppState};

/// The cached catalog of the active connection, without touching the network.
#[tauri::command]
pub fn catalog_cached(state: State<'_, AppState>) -> Result<Catalog, DeskError> {
    let Some(active) = state.active()? else {
        return Ok(empty());
    };
    let cache = lock(&state.cache)?;
    Ok(Catalog {
        packages: summaries(cache.packages(&active.name)?),
        fresh: false,
        synced_at_ms: cache.synced_at_ms(&active.name, Collection::Packages)?,
        offline_reason: None,
        connection: Some(active.name),
    })
}

/// Syncs the catalog from the server; when it cannot be reached, answers from the cache with
/// `fresh: false` and the reason.
#[tauri::command]
pub async fn catalog_refresh(state: State<'_, AppState>) -> Result<Catalog, DeskError> {
    if state.active()?.is_none() {
        return Ok(empty());
    }
    let (name, client) = state.client()?;
    let cache = state.cache.clone();
    let cached = read_through(
        &cache,
        &name,
        Collection::Packages,
        sync_packages(&client, &cache, &name),
        |c| c.packages(&name),
    )
    .await?;
    Ok(Catalog {
        connection: Some(name.clone()),
        packages: summaries(cached.data),
        fresh: cached.fresh,
        synced_at_ms: cached.synced_at_ms,
        offline_reason: cached.offline_reason,
    })
}

/// One package (from the cache) and the rollouts that used it.
#[tauri::command]
pub fn package_detail(state: State<'_, AppState>, id: String) -> Result<PackageDetail, DeskError> {
    let name = state.active_name()?;
    let cache = lock(&state.cache)?;
    let package = cache.package(&name, &id)?.ok_or_else(|| {
        DeskError::new(
            airlift_desk::DeskErrorCode::NotFound,
            format!("package {id} is not in the catalog"),
        )
    })?;
    let rollouts = cache
        .rollouts(&name)?
        .into_iter()
        .filter(|r| r.package_id == id)
        .map(Into::into)
        .collect();
    Ok(PackageDetail {
        package: package.into(),
        rollouts,
    })
}

fn summaries(rows: Vec<airlift_desk::cache::rows::PackageRow>) -> Vec<PackageSummary> {
    rows.into_iter().map(Into::into).collect()
}

fn empty() -> Catalog {
    Catalog {
        connection: None,
        packages: Vec::new(),
        fresh: false,
        synced_at_ms: None,
        offline_reason: None,
    }
}
