//! The rollout engine's port: what one transaction over rollouts can read and write.
//!
//! The engine (`crate::engine`) decides; an adapter implements [`RolloutTx`] with plain reads
//! and writes and decides nothing. Every method is a point read, a point write or one
//! set-based statement over a range the engine names, so a report's cost does not depend on
//! the size of its rollout. [`RolloutUnits`] runs a unit of work in one transaction; how units
//! are batched (the report path's group commit) is the adapter's business.

use std::any::Any;

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::{RolloutOutcome, RolloutStatus};
use airlift_core::wire::{CommandKind, ReportAccepted, Rollout, RolloutEventData, RolloutStrategy};
use async_trait::async_trait;

use super::{DeviceRecord, NewDevice, PackageRecord, StoreResult, ValidatedReport};

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

/// Reads and writes of one transaction over rollouts. Errors from the data (a missing row the
/// engine expects) are the engine's to phrase; the adapter only reports what it found.
pub trait RolloutTx {
    fn rollout(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<RolloutRow>>;
    /// The rollout as the API shows it (with transitions), as this transaction sees it.
    fn rollout_view(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>>;
    fn tenant_name(&mut self, tenant_id: &str) -> StoreResult<String>;
    fn package(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<PackageRecord>>;
    /// The version of a package known to exist (a rollout's own package).
    fn package_version(&mut self, package_id: &str) -> StoreResult<String>;
    fn profile_exists(&mut self, tenant_id: &str, profile_id: &str) -> StoreResult<bool>;
    /// The profile's devices in id order.
    fn profile_devices(
        &mut self,
        tenant_id: &str,
        profile_id: &str,
    ) -> StoreResult<Vec<DeviceRecord>>;
    fn device(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<DeviceRecord>>;
    /// All devices or none (INVALID_ARGUMENT naming the first whose profile is not the
    /// tenant's).
    fn insert_devices(&mut self, tenant_id: &str, devices: &[NewDevice]) -> StoreResult<()>;

    /// The oldest rollout of the tenant not in `done` that targets `device` (one indexed read).
    fn rollout_targeting(
        &mut self,
        tenant_id: &str,
        device_id: &str,
        done: RolloutStatus,
    ) -> StoreResult<Option<String>>;
    /// Profile-level rollouts of the profile in one of `statuses`, oldest first.
    fn profile_rollouts(
        &mut self,
        tenant_id: &str,
        profile_id: &str,
        statuses: &[RolloutStatus],
    ) -> StoreResult<Vec<String>>;
    /// Rollouts in `status`, everywhere: (tenant id, rollout id), oldest first.
    fn rollouts_in_status(&mut self, status: RolloutStatus) -> StoreResult<Vec<(String, String)>>;

    /// Inserts the rollout row (status, counters and `version` as given); returns its
    /// `change_seq`.
    fn insert_rollout(&mut self, row: &RolloutRow) -> StoreResult<u64>;
    /// Writes the row if its version is still `expected_version` (then bumps it and takes a
    /// new `change_seq`); false when another change came first.
    fn update_rollout(&mut self, update: &RolloutUpdate) -> StoreResult<bool>;
    fn append_transition(&mut self, rollout_id: &str, t: &TransitionRecord) -> StoreResult<()>;
    /// Stores the event under the tenant's next event id; returns it with that id.
    fn append_event(
        &mut self,
        tenant_id: &str,
        event: RolloutEventData,
    ) -> StoreResult<RolloutEventData>;

    fn insert_target(
        &mut self,
        rollout_id: &str,
        position: u64,
        device_id: &str,
        at: &str,
    ) -> StoreResult<()>;
    fn target(&mut self, rollout_id: &str, device_id: &str) -> StoreResult<Option<TargetRow>>;
    /// Device ids of the targets in one of `states`, in position order.
    fn targets_in_states(
        &mut self,
        rollout_id: &str,
        states: &[DeviceRolloutState],
    ) -> StoreResult<Vec<String>>;
    /// How many targets have a rollback state in `states`.
    fn count_rollback_in_states(
        &mut self,
        rollout_id: &str,
        states: &[DeviceRolloutState],
    ) -> StoreResult<u64>;
    /// Counts of the rollback track's states, `None` before any rollback command.
    fn rollback_counters(&mut self, rollout_id: &str) -> StoreResult<Option<DeviceCounters>>;
    fn overdue_targets(
        &mut self,
        rollout_id: &str,
        now_unix: i64,
    ) -> StoreResult<Vec<OverdueTarget>>;

    /// Targets at positions `from..to` without a state become `scheduled`, each with an
    /// `assigned` history entry; returns how many.
    fn schedule_range(&mut self, change: RangeChange<'_>, from: u64, to: u64) -> StoreResult<u64>;
    /// Every `scheduled` target gets an `ota_start` command (with a history entry) and becomes
    /// `command_sent` with `deadline_unix`; returns how many.
    fn send_start_commands(
        &mut self,
        change: RangeChange<'_>,
        deadline_unix: i64,
    ) -> StoreResult<u64>;
    fn set_state(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        state: DeviceRolloutState,
        deadline_unix: Option<i64>,
        at: &str,
    ) -> StoreResult<()>;
    fn set_rollback_state(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        state: DeviceRolloutState,
        deadline_unix: Option<i64>,
        at: &str,
    ) -> StoreResult<()>;
    fn set_deadline(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        deadline_unix: Option<i64>,
    ) -> StoreResult<()>;
    /// No target of the rollout has a deadline any more.
    fn clear_deadlines(&mut self, rollout_id: &str) -> StoreResult<()>;
    /// Keeps the report's fields on the target (progress only when given).
    fn store_last_report(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        report: &ValidatedReport,
        at: &str,
    ) -> StoreResult<()>;
    /// Whether the device already sent a report with this id.
    fn report_seen(&mut self, device_id: &str, report_id: &str) -> StoreResult<bool>;
    fn insert_report(
        &mut self,
        device_id: &str,
        report_id: &str,
        rollout_id: &str,
        status: &str,
        at: &str,
    ) -> StoreResult<()>;

    /// Inserts an unacknowledged command; returns its id.
    fn insert_command(
        &mut self,
        change: RangeChange<'_>,
        device_id: &str,
        kind: CommandKind,
    ) -> StoreResult<String>;
    /// Cancels the rollout's unacknowledged commands of `kind` (every kind when `None`), each
    /// with a `command_cancelled` history entry.
    fn cancel_commands(
        &mut self,
        rollout_id: &str,
        kind: Option<CommandKind>,
        at: &str,
    ) -> StoreResult<()>;

    fn firmware_version(&mut self, device_id: &str) -> StoreResult<Option<String>>;
    fn set_firmware_version(&mut self, device_id: &str, version: &str) -> StoreResult<()>;
    fn append_history(&mut self, entry: &HistoryEntry) -> StoreResult<()>;
}

/// What a unit of work returns, type-erased so that [`RolloutUnits`] stays object-safe (the
/// engine's `run` helpers put the type back).
pub type AnyOutput = Box<dyn Any + Send>;

/// A unit of work: the engine's decisions over one transaction.
pub type Unit = Box<dyn FnOnce(&mut dyn RolloutTx) -> StoreResult<AnyOutput> + Send>;

/// A device report's unit of work.
pub type ReportUnit = Box<
    dyn FnOnce(&mut dyn RolloutTx) -> StoreResult<(ReportAccepted, Vec<RolloutEventData>)> + Send,
>;

/// Runs the engine's units of work, each in one transaction.
#[async_trait]
pub trait RolloutUnits: Send + Sync {
    /// One write transaction, committed iff `work` succeeds (nothing written otherwise).
    async fn write_unit(&self, work: Unit) -> StoreResult<AnyOutput>;
    /// Reads only (a preview).
    async fn read_unit(&self, work: Unit) -> StoreResult<AnyOutput>;
    /// A device report: durable when this returns Ok, and nothing of it written when `work`
    /// fails. The adapter may commit many reports together.
    async fn report_unit(
        &self,
        work: ReportUnit,
    ) -> StoreResult<(ReportAccepted, Vec<RolloutEventData>)>;
    /// Rollouts (tenant id, rollout id) not `completed` with a target whose deadline is at or
    /// before `now_unix`, at most 100.
    async fn rollouts_past_deadline(&self, now_unix: i64) -> StoreResult<Vec<(String, String)>>;
}
