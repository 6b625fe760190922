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
    /// Devices left out of the rollout (their list is stored beside the row, read only by the
    /// rollout's own view: the row is read by every report).
    pub skipped_count: u64,
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
    /// A scheduled rollout's start (RFC 3339 as asked, and in Unix seconds for the sweep).
    pub start_at: Option<String>,
    pub start_at_unix: Option<i64>,
    /// A phased rollout's plan, as JSON (`airlift_core::phases::Phase` list).
    pub phases_json: Option<String>,
    /// When the slice's last verdict came (phases soak from it).
    pub last_verdict_unix: Option<i64>,
    /// When the next automatic phase advance is due (the sweep's index).
    pub next_advance_unix: Option<i64>,
    /// Verdicts before the failure threshold applies.
    pub min_devices: u64,
    /// Per-device retries, if the rollout has them.
    pub retry: Option<airlift_core::retry_policy::RetryPolicy>,
    /// The maintenance window, as JSON (`airlift_core::maintenance_window::MaintenanceWindow`).
    pub window_json: Option<String>,
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
    pub last_verdict_unix: Option<i64>,
    pub next_advance_unix: Option<i64>,
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
    /// The attempt the device is on (1 until a retry).
    pub attempts: u32,
    /// A failed attempt's retry is waiting for its backoff.
    pub retry_pending: bool,
}

/// What a device report reads first (see `RolloutTx::report_rows`).
#[derive(Debug, Clone, Default)]
pub struct ReportRows {
    /// The rollout, if it is the tenant's; nothing else is read without it.
    pub rollout: Option<RolloutRow>,
    /// The device's target in it, if the device is one.
    pub target: Option<TargetRow>,
    /// The device already sent a report with the id asked about.
    pub seen: bool,
}

/// A target whose deadline passed.
#[derive(Debug, Clone)]
pub struct OverdueTarget {
    pub device_id: String,
    pub state: Option<DeviceRolloutState>,
    pub rollback_state: Option<DeviceRolloutState>,
    /// The deadline was a retry's backoff (tell the device again), not a timeout.
    pub retry_due: bool,
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

/// What the API shows of a phased rollout: the plan, the phase the slice is in, and when the
/// next automatic advance is due.
#[derive(Debug, Clone, Default)]
pub struct PhaseView {
    pub phases: Option<Vec<airlift_core::phases::Phase>>,
    pub current_phase: Option<u32>,
    pub next_advance_at: Option<String>,
}

impl RolloutRow {
    /// The row's phase fields as the API shows them (an unreadable plan shows as none: the
    /// engine refuses to act on it, see `engine::session`).
    pub fn phase_view(&self) -> PhaseView {
        let phases: Option<Vec<airlift_core::phases::Phase>> = self
            .phases_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok());
        let current_phase = phases.as_ref().map(|p| {
            u32::try_from(airlift_core::phases::current_phase(p, self.canary_percent))
                .unwrap_or(u32::MAX)
        });
        let next_advance_at = self
            .next_advance_unix
            .filter(|_| self.status == RolloutStatus::Active)
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            });
        PhaseView {
            phases,
            current_phase,
            next_advance_at,
        }
    }
}
