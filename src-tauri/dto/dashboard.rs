//! The dashboard (the start screen): rollouts under way with their health, recent
//! auto-pauses, the fleet's firmware versions per device type, and what the cache holds.

use serde::Serialize;
use ts_rs::TS;

use super::rollouts::RolloutItem;

/// A rollout that has not finished, as the dashboard shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DashboardRollout {
    pub rollout: RolloutItem,
    /// While paused: when it paused (from its cached history, when known).
    pub paused_at: Option<String>,
    /// While paused: its failure rate reached the threshold and it paused itself.
    pub auto_paused: bool,
}

/// A rollout that paused itself.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AutoPause {
    pub rollout_id: String,
    pub at: String,
    /// The rollout's package version and target, when cached.
    pub package_version: Option<String>,
    pub target: Option<String>,
    /// Its status now (it may have been resumed or rolled back since).
    pub status: Option<String>,
}

/// Devices of one type on one firmware version.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FleetVersionCount {
    pub device_type: String,
    pub firmware_version: String,
    pub devices: u64,
}

/// The dashboard of the active connection, with how old the copy is.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Dashboard {
    pub connection: Option<String>,
    /// Scheduled, active, paused and rolling-back rollouts, newest first.
    pub rollouts: Vec<DashboardRollout>,
    /// The newest automatic pauses, newest first.
    pub auto_pauses: Vec<AutoPause>,
    /// By device type, then most devices first.
    pub fleet_versions: Vec<FleetVersionCount>,
    pub fleet_synced_at_ms: Option<i64>,
    /// `false`: the cached copy (not refreshed yet, or the server could not be reached).
    pub fresh: bool,
    /// When the rollouts were last synced (Unix ms).
    pub synced_at_ms: Option<i64>,
    pub offline_reason: Option<String>,
}

/// How much of one kind the offline cache holds, and when it was last synced.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CachedKind {
    /// packages, rollouts, devices, device_history, fleet_versions, audit.
    pub kind: String,
    pub count: u64,
    pub synced_at_ms: Option<i64>,
}

/// What the offline cache of the active connection holds.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CacheSummary {
    pub connection: Option<String>,
    pub kinds: Vec<CachedKind>,
}
