//! Finding devices in the cached fleet and opening one: the app's devices screen and
//! `airlift-cli devices` ask the same questions here.
//!
//! A search reads the cache only (instant, and offline too); opening a device fetches it and
//! its whole history first, so its page and its OTA record are as fresh as the server's.

use super::Session;
use crate::cache::rows::DeviceRow;
use crate::cache::{lock, Cache, DeviceCursor, DeviceQuery, DeviceSort, Page};
use crate::device_history::{cached_history, ota_from_history};
use crate::error::DeskError;
use crate::sync::{device_row, sync_device_history, sync_packages, sync_profiles};

/// What a person types and picks to find devices. Blank fields filter nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceSearch {
    /// Any part of the id or the name, ignoring ASCII case.
    pub text: String,
    /// Exactly this firmware version.
    pub version: Option<String>,
    /// Seed 001's OTA status: idle, updating, completed, failed.
    pub state: Option<String>,
    /// Continue after this cursor (the previous page's `next`).
    pub after: Option<DeviceCursor>,
    /// Rows per page (0: 100; capped at [`crate::cache::MAX_PAGE`]).
    pub limit: u32,
}

impl DeviceSearch {
    /// The cache query: trimmed text, blank filters dropped, in name order.
    pub fn query(&self) -> DeviceQuery {
        let non_blank = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        DeviceQuery {
            sort: DeviceSort::Name,
            text: non_blank(Some(&self.text)),
            version: non_blank(self.version.as_deref()),
            state: non_blank(self.state.as_deref()),
            after: self.after.clone(),
            limit: self.limit,
        }
    }
}

/// One page of the cached fleet matching `search`.
pub fn search_devices(
    cache: &Cache,
    connection_id: &str,
    search: &DeviceSearch,
) -> Result<Page<DeviceRow>, DeskError> {
    cache.list_devices(connection_id, &search.query())
}

/// Every cached device whose id or name starts with `prefix` (ignoring ASCII case), in name
/// order, page by page.
pub fn devices_starting_with(
    cache: &Cache,
    connection_id: &str,
    prefix: Option<&str>,
) -> Result<Vec<DeviceRow>, DeskError> {
    let lower = prefix.map(str::to_ascii_lowercase);
    let starts = |s: &str| {
        lower
            .as_deref()
            .is_none_or(|p| s.to_ascii_lowercase().starts_with(p))
    };
    let mut search = DeviceSearch {
        text: prefix.unwrap_or_default().to_owned(),
        limit: crate::cache::MAX_PAGE,
        ..DeviceSearch::default()
    };
    let mut rows = Vec::new();
    loop {
        let page = search_devices(cache, connection_id, &search)?;
        rows.extend(
            page.items
                .into_iter()
                .filter(|d| starts(&d.id) || starts(&d.name)),
        );
        match page.next {
            Some(next) => search.after = Some(next),
            None => return Ok(rows),
        }
    }
}

/// Fetches the device and its whole history into the cache, with the catalog and profiles
/// that name its versions and profile, and derives its OTA record from that history (fresher
/// than the last fleet-wide state sync). Answers until when the download URL of its current
/// assignment works, which is not cached (it changes every half lifetime).
pub async fn refresh_device(s: Session<'_>, id: &str) -> Result<Option<String>, DeskError> {
    let device = s.client.device(id).await?;
    lock(s.cache)?.upsert_devices(s.connection_id, &[device_row(&device)])?;
    sync_packages(s.client, s.cache, s.connection_id).await?;
    sync_profiles(s.client, s.cache, s.connection_id).await?;
    sync_device_history(s.client, s.cache, s.connection_id, id, usize::MAX).await?;
    let mut cache = lock(s.cache)?;
    let entries = cached_history(&cache, s.connection_id, id)?;
    let ota = ota_from_history(
        id,
        &entries,
        |p| {
            cache
                .package(s.connection_id, p)
                .ok()
                .flatten()
                .map(|p| p.version)
        },
        |r| {
            cache
                .rollout(s.connection_id, r)
                .ok()
                .flatten()
                .map(|r| r.created_at)
        },
    );
    if let Some(ota) = ota {
        cache.set_device_ota(s.connection_id, &[ota])?;
    }
    Ok(device.download_url_expires_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_filters_filter_nothing_and_text_is_trimmed() {
        let q = DeviceSearch {
            text: "  sensor-1 ".into(),
            version: Some(" ".into()),
            state: Some("failed".into()),
            ..DeviceSearch::default()
        }
        .query();
        assert_eq!(q.text.as_deref(), Some("sensor-1"));
        assert_eq!(q.version, None);
        assert_eq!(q.state.as_deref(), Some("failed"));
        assert_eq!(DeviceSearch::default().query().text, None);
    }
}
