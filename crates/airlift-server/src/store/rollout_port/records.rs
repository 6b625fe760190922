//! The rows the rollout port reads and writes.

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::{RolloutOutcome, RolloutStatus};
use airlift_core::wire::RolloutStrategy;

/// A stored rollout: its settings, status, target count and per-state counters.
#[derive(Debug, Clone)]
pub struct RolloutRow {
    pub id: String,
    pub tenant_id: String,
    pub package_id: String,
    pub rollback_package_id: Option<String>,
    pub target_profile_id: Option<String>,
    pub target_kind: String,
    pub strategy: RolloutStrategy,
    pub status: RolloutStatus,
    pub canary_percent: u32,
    pub failure_threshold_percent: u32,
    pub batch_percent: Option<u32>,
    pub min_batch_success_percent: Option<u32>,
    pub force: bool,
    pub device_timeout_seconds: u64,
    pub skipped_json: String,
    pub version: u64,
    pub change_seq: u64,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// Every eligible device, scheduled or not.
    pub target_count: u64,
    /// Devices of the slice per state (kept in step with the targets' states).
    pub counters: DeviceCounters,
    /// How it ended, once completed.
    pub outcome: Option<RolloutOutcome>,
    /// The completed rollout whose failed devices this one retries.
    pub retry_of: Option<String>,
    pub allow_downgrade: bool,
}

/// What a change writes back to the rollout row (checked against `expected_version`).
#[derive(Debug, Clone)]
pub struct RolloutUpdate {
    pub id: String,
    pub expected_version: u64,
    pub status: RolloutStatus,
    pub canary_percent: u32,
    pub target_count: u64,
    pub counters: DeviceCounters,
    pub outcome: Option<RolloutOutcome>,
    pub at: String,
}

/// One target of a rollout: its place in the scheduling order, its states and the last
/// report it sent (to recognise an exact repeat).
#[derive(Debug, Clone)]
pub struct TargetRow {
    pub position: u64,
    pub state: Option<DeviceRolloutState>,
    pub rollback_state: Option<DeviceRolloutState>,
    pub progress: Option<u32>,
    pub last_status: Option<String>,
    pub last_message: Option<String>,
    pub reported_version: Option<String>,
}

/// A target whose deadline passed.
#[derive(Debug, Clone)]
pub struct OverdueTarget {
    pub device_id: String,
    pub state: Option<DeviceRolloutState>,
    pub rollback_state: Option<DeviceRolloutState>,
}

/// One entry of a device's history.
#[derive(Debug, Clone, Default)]
pub struct HistoryEntry {
    pub tenant_id: String,
    pub device_id: String,
    pub kind: &'static str,
    pub rollout_id: Option<String>,
    pub package_id: Option<String>,
    pub command_id: Option<String>,
    pub status: Option<String>,
    pub message: Option<String>,
    pub progress: Option<u32>,
    pub firmware_version: Option<String>,
    pub at: String,
}

/// One recorded status change of a rollout (the adapter numbers them).
#[derive(Debug, Clone)]
pub struct TransitionRecord {
    pub from: Option<RolloutStatus>,
    pub to: RolloutStatus,
    pub trigger: String,
    pub actor: String,
    pub actor_role: String,
    pub canary_percent: u32,
    pub at: String,
}

/// A set-based change over the targets of one rollout.
#[derive(Debug, Clone)]
pub struct RangeChange<'a> {
    pub tenant_id: &'a str,
    pub rollout_id: &'a str,
    pub package_id: &'a str,
    pub at: &'a str,
}
