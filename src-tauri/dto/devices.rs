//! The devices screen: search, a device's OTA record and its update history; and the events
//! the watcher hands to the UI (a click on an auto-pause notification, live rollout changes).

use airlift_core::wire::DeviceHistoryEntry;
use airlift_desk::cache::rows::DeviceRow;
use airlift_desk::cache::{DeviceCursor, DeviceFacets, DeviceOta, FacetCount};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a page of the device list ended; passed back as is for the next page.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DeviceListCursor {
    pub key: String,
    pub id: String,
}

impl From<DeviceCursor> for DeviceListCursor {
    fn from(c: DeviceCursor) -> Self {
        DeviceListCursor {
            key: c.key,
            id: c.id,
        }
    }
}

impl From<DeviceListCursor> for DeviceCursor {
    fn from(c: DeviceListCursor) -> Self {
        DeviceCursor {
            key: c.key,
            id: c.id,
        }
    }
}

/// One search request: all filters combine.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct DeviceSearch {
    /// Device id or name prefix, any case; empty: every device.
    pub text: String,
    /// Exact firmware version.
    pub version: Option<String>,
    /// Seed 001's OTA status: idle, updating, completed, failed.
    pub state: Option<String>,
    pub after: Option<DeviceListCursor>,
    /// Rows per page (capped at 1000; 0: 100).
    pub limit: u32,
}

/// A device as the list shows it (seed 001's OTA record plus name and type).
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeviceListItem {
    pub id: String,
    pub name: String,
    pub device_type: String,
    pub profile_id: Option<String>,
    /// The version the device runs now (seed 001's `current_version`).
    pub current_version: Option<String>,
    pub target_version: Option<String>,
    /// idle, updating, completed or failed.
    pub ota_status: String,
    pub progress: Option<u8>,
    pub last_update_at: Option<String>,
    /// The device's last contact with the server (a poll, a report); `None`: none known.
    pub last_seen_at: Option<String>,
    /// The agent it last polled with (`User-Agent`, e.g. `airlift-agent/0.1.0`), as its page
    /// was last fetched; `None`: none known.
    pub user_agent: Option<String>,
}

impl From<DeviceRow> for DeviceListItem {
    fn from(d: DeviceRow) -> Self {
        DeviceListItem {
            id: d.id,
            name: d.name,
            device_type: d.device_type,
            profile_id: d.profile_id,
            current_version: d.firmware_version,
            target_version: d.target_version,
            ota_status: d.ota_status.unwrap_or_else(|| "idle".to_owned()),
            progress: d.progress,
            last_update_at: d.last_update_at,
            last_seen_at: d.last_seen_at,
            user_agent: d.user_agent,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DevicePage {
    pub items: Vec<DeviceListItem>,
    pub next: Option<DeviceListCursor>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct FilterCount {
    pub value: String,
    pub count: u64,
}

impl From<FacetCount> for FilterCount {
    fn from(f: FacetCount) -> Self {
        FilterCount {
            value: f.value,
            count: f.count,
        }
    }
}

/// The cached fleet at a glance: counts behind the filters and how old the copy is.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeviceOverview {
    /// The connection this came from (`None`: no connection yet).
    pub connection: Option<String>,
    pub total: u64,
    pub versions: Vec<FilterCount>,
    pub states: Vec<FilterCount>,
    /// `true` when the server answered just now; `false` for the cached copy.
    pub fresh: bool,
    /// When the devices were last synced (Unix ms; `None`: never).
    pub synced_at_ms: Option<i64>,
    /// Why the server could not be used, when it was tried and failed.
    pub offline_reason: Option<String>,
}

impl DeviceOverview {
    pub fn new(connection: Option<String>, facets: DeviceFacets) -> Self {
        DeviceOverview {
            connection,
            total: facets.total,
            versions: facets.versions.into_iter().map(Into::into).collect(),
            states: facets.states.into_iter().map(Into::into).collect(),
            fresh: false,
            synced_at_ms: None,
            offline_reason: None,
        }
    }
}

/// The device's state in its newest rollout.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeviceRolloutInfo {
    pub rollout_id: String,
    /// The rollout as a person names it ("temp-sensor 2.1.0"), when its package is cached.
    pub label: Option<String>,
    /// scheduled, command_sent, in_progress, successful, failed, timed_out.
    pub state: Option<String>,
    pub last_status: Option<String>,
    pub last_message: Option<String>,
}

impl From<DeviceOta> for DeviceRolloutInfo {
    fn from(o: DeviceOta) -> Self {
        DeviceRolloutInfo {
            rollout_id: o.rollout_id,
            label: None,
            state: o.rollout_state,
            last_status: o.last_status,
            last_message: o.last_message,
        }
    }
}

/// One line of a device's timeline.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HistoryEntry {
    pub seq: u64,
    /// assigned, command, command_acked, command_cancelled, report, version_changed, timed_out.
    pub kind: String,
    pub rollout_id: Option<String>,
    pub package_id: Option<String>,
    /// The package's version, when the catalog knows the package.
    pub package_version: Option<String>,
    pub command_id: Option<String>,
    /// The install status reported (seed 002), or the command's kind.
    pub status: Option<String>,
    pub message: Option<String>,
    pub progress: Option<u32>,
    pub firmware_version: Option<String>,
    pub at: String,
}

impl HistoryEntry {
    pub fn new(e: DeviceHistoryEntry, package_version: Option<String>) -> Self {
        HistoryEntry {
            seq: e.seq,
            kind: e.kind,
            rollout_id: e.rollout_id,
            package_id: e.package_id,
            package_version,
            command_id: e.command_id,
            status: e.status,
            message: e.message,
            progress: e.progress,
            firmware_version: e.firmware_version,
            at: e.at,
        }
    }
}

/// Everything the device page shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeviceDetail {
    pub device: DeviceListItem,
    /// The name of the device's profile, when the profiles are cached.
    pub profile_name: Option<String>,
    pub rollout: Option<DeviceRolloutInfo>,
    /// Newest first.
    pub history: Vec<HistoryEntry>,
    /// `true` when the server answered just now; `false` for the cached copy.
    pub fresh: bool,
    /// When this device's history was last fetched (Unix ms; `None`: never).
    pub synced_at_ms: Option<i64>,
    pub offline_reason: Option<String>,
    /// Until when the download URL of the device's current assignment works (RFC 3339), as
    /// the server said just now; `None` without an assignment or offline (not cached: it
    /// changes every half hour).
    pub download_url_expires_at: Option<String>,
}

/// What the app's background side tells the UI.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppEvent {
    /// The person clicked an auto-pause notification: show this rollout.
    OpenRollout { rollout_id: String },
    /// A rollout changed on the server (its transition `kind` and new `status`).
    RolloutChanged {
        rollout_id: String,
        kind: String,
        status: String,
    },
    /// The offline cache was damaged; it was moved to `moved_to` and an empty one took its
    /// place, so everything shown must be fetched again.
    CacheRebuilt { moved_to: String },
    /// The server rate-limited a call (429 with `Retry-After`): it is sent again in
    /// `retry_in_seconds`.
    RateLimited { call: String, retry_in_seconds: u64 },
    /// The server refused the active connection's token (revoked or expired); the live event
    /// stream has stopped until the connection gets a new token.
    TokenRefused { connection: String, message: String },
}
