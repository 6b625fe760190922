//! Rollouts (seed 000, seed 001's strategies): create, preview, read, transitions, per-device
//! state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::device_counters::DeviceCounters;
use crate::device_state::DeviceRolloutState;
use crate::eligibility::SkipReason;
use crate::maintenance_window::MaintenanceWindow;
use crate::phases::Phase;
use crate::retry_policy::RetryPolicy;
use crate::rollout::{RolloutOutcome, RolloutStatus, RolloutTrigger};

/// Seed 001's bulk update strategies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutStrategy {
    /// A `canary_percent` slice first; the operator raises it with `advance`.
    #[default]
    Canary,
    /// Batches of `batch_percent` that advance automatically while each finished batch's
    /// success rate is at least `min_batch_success_percent`.
    Rolling,
    /// Every eligible device at once (`canary_percent` is 100).
    AllAtOnce,
}

impl RolloutStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutStrategy::Canary => "canary",
            RolloutStrategy::Rolling => "rolling",
            RolloutStrategy::AllAtOnce => "all_at_once",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "canary" => Some(RolloutStrategy::Canary),
            "rolling" => Some(RolloutStrategy::Rolling),
            "all_at_once" => Some(RolloutStrategy::AllAtOnce),
            _ => None,
        }
    }
}

/// `POST /api/v1/ota/rollouts` and `POST /api/v1/ota/rollouts/preview`.
///
/// Targets are `target_profile_id`'s devices, or (device-level assignment) exactly
/// `device_ids`; one of the two is required. For `rolling`, `canary_percent` is the first
/// batch and defaults to `batch_percent`; for `all_at_once` it is 100.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRollout {
    pub package_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_profile_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_percent: Option<u32>,
    pub failure_threshold_percent: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_package_id: Option<String>,
    #[serde(default)]
    pub force: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<RolloutStrategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_percent: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_batch_success_percent: Option<u32>,
    /// A device that gives no verdict this long after its command (or its last report) is
    /// `timed_out`. Defaults to the server's `--device-timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_timeout_seconds: Option<u64>,
    /// Include devices that run a newer version than the package's (otherwise skipped as
    /// `would_downgrade`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_downgrade: bool,
    /// RFC 3339, in the future: the rollout is `scheduled` and tells no device anything until
    /// then, when it becomes `active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    /// A phased rollout: it starts with the first phase's slice and advances itself (see
    /// `airlift_core::phases`). Canary strategy only; `canary_percent`, when given, must be the
    /// first phase's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<Vec<Phase>>,
    /// The failure threshold applies only once this many devices of the slice have a verdict
    /// (default 0: from the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_devices: Option<u64>,
    /// Per-device retries: a failed device is told again after `backoff_seconds ×
    /// 2^(attempt-1)` and counts as failed only when its last attempt fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    /// Devices are told to start only inside this window (the fleet's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window: Option<MaintenanceWindow>,
}

/// `POST /api/v1/ota/rollouts/{id}/retry-failed`: a new rollout of the same package (and
/// rollback package) over exactly the failed and timed-out devices of a completed one. Every
/// field is optional: by default all of them at once (100 %), with the old rollout's failure
/// threshold and device timeout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryFailedRollout {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_percent: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold_percent: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_timeout_seconds: Option<u64>,
}

/// `POST /api/v1/ota/rollouts/{id}/advance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceRollout {
    pub canary_percent: u32,
}

/// A device left out of a rollout, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDevice {
    pub device_id: String,
    pub reason: SkipReason,
}

/// The answer to `POST /api/v1/ota/rollouts` (seed 000's fields first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedRollout {
    pub rollout_id: String,
    pub status: RolloutStatus,
    pub canary_percent: u32,
    pub scheduled_count: u64,
    pub strategy: RolloutStrategy,
    pub eligible_count: u64,
    pub skipped_count: u64,
    pub skipped: Vec<SkippedDevice>,
    /// The rollout whose failed devices this one retries (`retry-failed`), else `null`.
    #[serde(default)]
    pub retry_of: Option<String>,
}

/// The answer to `POST /api/v1/ota/rollouts/preview`: what creating would do, without doing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutPreview {
    pub strategy: RolloutStrategy,
    pub canary_percent: u32,
    pub eligible_count: u64,
    pub scheduled_count: u64,
    pub skipped_count: u64,
    /// `wrong_device_type`, `below_min_version`, `already_on_version`, `unparsable_version`,
    /// `would_downgrade`.
    pub skipped_by_reason: BTreeMap<String, u64>,
    pub skipped: Vec<SkippedDevice>,
    /// An unfinished rollout that already targets one of these devices: creating this one
    /// would be refused (409) until it completes. `null` when there is none.
    #[serde(default)]
    pub conflicting_rollout_id: Option<String>,
    /// A phased rollout's dry run: how many devices each phase will hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_sizes: Option<Vec<u64>>,
    /// With a maintenance window: when it next opens (RFC 3339; now if it is open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_opens_at: Option<String>,
}

/// One status change, who made it and when. The first entry (`trigger` = `start`) has no
/// `from`. `actor` is the JWT subject, or `system` for auto-pause, timeouts, automatic batch
/// advances and completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutTransition {
    pub seq: u64,
    pub from: Option<RolloutStatus>,
    pub to: RolloutStatus,
    pub trigger: String,
    pub actor: String,
    pub actor_role: String,
    pub canary_percent: u32,
    pub at: String,
}

/// A rollout as listed (`GET /api/v1/ota/rollouts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutSummary {
    pub rollout_id: String,
    pub package_id: String,
    pub package_version: String,
    pub rollback_package_id: Option<String>,
    pub target_profile_id: Option<String>,
    /// `profile` or `devices` (an explicit device list: device-level assignment).
    pub target_kind: String,
    pub strategy: RolloutStrategy,
    pub status: RolloutStatus,
    /// How it ended: `null` until `completed`.
    #[serde(default)]
    pub outcome: Option<RolloutOutcome>,
    /// The rollout whose failed devices this one retries (`retry-failed`), if any.
    #[serde(default)]
    pub retry_of: Option<String>,
    pub canary_percent: u32,
    pub failure_threshold_percent: u32,
    pub batch_percent: Option<u32>,
    pub min_batch_success_percent: Option<u32>,
    pub force: bool,
    /// Devices on a newer version were included (see `CreateRollout::allow_downgrade`).
    #[serde(default)]
    pub allow_downgrade: bool,
    pub device_timeout_seconds: u64,
    pub eligible_count: u64,
    pub scheduled_count: u64,
    pub skipped_count: u64,
    /// Per-device state counts of the update (the way up).
    pub counters: DeviceCounters,
    /// Per-device state counts of the rollback commands (the way down), once rolling back.
    pub rollback_counters: Option<DeviceCounters>,
    /// What the status accepts now (for enabling buttons).
    pub allowed_actions: Vec<RolloutTrigger>,
    /// Optimistic-concurrency version: bumped by every change.
    pub version: u64,
    /// Incremental-sync cursor: increases whenever this rollout (or its counters) change.
    pub change_seq: u64,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// When a rollout created with `start_at` starts (it is `scheduled` until then); `null`
    /// for one that started at creation.
    #[serde(default)]
    pub start_at: Option<String>,
    /// A phased rollout's plan; `null` otherwise.
    #[serde(default)]
    pub phases: Option<Vec<Phase>>,
    /// The phase the slice is in (0-based), for a phased rollout.
    #[serde(default)]
    pub current_phase: Option<u32>,
    /// When the next automatic phase advance is due (RFC 3339), once the current phase's
    /// slice is decided and healthy; `null` while it waits for verdicts, is held below its
    /// minimum success rate, is not active, or has no phase left.
    #[serde(default)]
    pub next_advance_at: Option<String>,
    /// Verdicts needed before the failure threshold applies (0: from the first).
    #[serde(default)]
    pub min_devices: u64,
    /// Per-device retries, if any.
    #[serde(default)]
    pub retry: Option<RetryPolicy>,
    /// When devices may be told to start, if limited.
    #[serde(default)]
    pub maintenance_window: Option<MaintenanceWindow>,
}

/// `GET /api/v1/ota/rollouts/{id}`: the summary plus skipped devices and transition history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollout {
    #[serde(flatten)]
    pub summary: RolloutSummary,
    pub skipped: Vec<SkippedDevice>,
    /// Oldest first.
    pub transitions: Vec<RolloutTransition>,
}

/// One device of a rollout (`GET /api/v1/ota/rollouts/{id}/devices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutDevice {
    pub device_id: String,
    /// Scheduling order (the keyset cursor of the list: pass it as `after`).
    pub position: u64,
    /// `null` while the device is outside the slice (waiting for an advance).
    pub state: Option<DeviceRolloutState>,
    /// The rollback command's state, once the rollout rolls back and the device was touched.
    pub rollback_state: Option<DeviceRolloutState>,
    pub progress: Option<u32>,
    pub last_status: Option<String>,
    pub last_message: Option<String>,
    pub reported_version: Option<String>,
    pub updated_at: String,
    /// The device's name and the firmware version it runs now (its record, not this rollout's
    /// reports), so a list of rollout devices reads without a lookup per row.
    #[serde(default)]
    pub device_name: Option<String>,
    #[serde(default)]
    pub firmware_version: Option<String>,
}

/// One failure reason of a rollout (`GET /api/v1/ota/rollouts/{id}/failures`): devices whose
/// failure message normalizes to the same reason (`airlift_core::failure_reason`) with the
/// same status, and a few of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureReason {
    pub reason: String,
    /// The report status (`INSTALL_ERROR`, `failure`, ...) or `TIMED_OUT`.
    pub status: String,
    pub count: u64,
    /// Up to five of the devices, first failed first.
    pub sample_device_ids: Vec<String>,
    /// The first failure's message as the device sent it (`null` for a failure without one,
    /// and for a timeout, whose reason says it all).
    #[serde(default)]
    pub example_message: Option<String>,
}

/// `GET /api/v1/ota/rollouts/{id}/failures`: largest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureReasons {
    pub data: Vec<FailureReason>,
}

/// One point of a rollout's timeline (`GET /api/v1/ota/rollouts/{id}/timeline`): the device
/// counts as they stood at the end of minute `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// The minute (RFC 3339, seconds zero).
    pub at: String,
    pub succeeded: u64,
    /// Failed and timed out.
    pub failed: u64,
    /// Told and not decided (command sent, in progress).
    pub in_progress: u64,
    /// Not told yet (scheduled, or outside the slice).
    pub pending: u64,
}

impl TimelinePoint {
    /// The point for `counters` over `targets` eligible devices.
    pub fn of(at: String, targets: u64, counters: &DeviceCounters) -> Self {
        let succeeded = counters.successful;
        let failed = counters.failed_total();
        let in_progress = counters.command_sent + counters.in_progress;
        TimelinePoint {
            at,
            succeeded,
            failed,
            in_progress,
            pending: targets.saturating_sub(succeeded + failed + in_progress),
        }
    }
}

/// `GET /api/v1/ota/rollouts/{id}/timeline`: oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    pub data: Vec<TimelinePoint>,
}
