//! The per-transaction port, one trait per part of the rollout aggregate; [`RolloutTx`] is
//! all of them, what an engine unit of work receives.

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{CommandKind, FailureReason, Rollout, RolloutEventData, TimelinePoint};

use super::{
    HistoryEntry, OverdueTarget, RangeChange, ReportRows, RolloutRow, RolloutUpdate, TargetRow,
    TransitionRecord,
};
use crate::store::{DeviceRecord, NewDevice, PackageRecord, StoreResult, ValidatedReport};

/// Reads and writes of one transaction over rollouts. Errors from the data (a missing row the
/// engine expects) are the engine's to phrase; the adapter only reports what it found.
pub trait RolloutTx: RolloutRowTx + TargetTx + LookupTx + DeviceTx {
    /// What a device report reads before anything else: the rollout (as
    /// [`RolloutRowTx::rollout`]), the device's target in it, and whether the device already
    /// sent a report with `report_id`. One call so that an adapter whose every statement is a
    /// round trip (PostgreSQL) can send the three together; by default, one after the other.
    fn report_rows(
        &mut self,
        tenant_id: &str,
        rollout_id: &str,
        device_id: &str,
        report_id: Option<&str>,
    ) -> StoreResult<ReportRows> {
        let Some(rollout) = self.rollout(tenant_id, rollout_id)? else {
            return Ok(ReportRows::default());
        };
        let target = self.target(rollout_id, device_id)?;
        let seen = match (report_id, &target) {
            (Some(id), Some(_)) => self.report_seen(device_id, id)?,
            _ => false,
        };
        Ok(ReportRows {
            rollout: Some(rollout),
            target,
            seen,
        })
    }
}

/// The rollout row, its recorded transitions and its events.
pub trait RolloutRowTx {
    fn rollout(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<RolloutRow>>;
    /// Whether rollout `id` is the tenant's, without reading its row (whose skipped-device
    /// list holds every device a rollout over a big fleet left out): the analytics reads'
    /// check.
    fn rollout_exists(&mut self, tenant_id: &str, id: &str) -> StoreResult<bool>;
    /// The rollout as the API shows it (with transitions), as this transaction sees it.
    fn rollout_view(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>>;
    /// The first of `devices` (in their order) that a rollout of the tenant in none of the
    /// `done` statuses targets, with the oldest such rollout: (rollout id, device id). In a
    /// write unit, two units that check the same devices queue here, and the second sees the
    /// first's targets.
    fn first_targeted(
        &mut self,
        tenant_id: &str,
        devices: &[String],
        done: &[RolloutStatus],
    ) -> StoreResult<Option<(String, String)>>;
    /// Profile-level rollouts of the profile in one of `statuses`, oldest first.
    fn profile_rollouts(
        &mut self,
        tenant_id: &str,
        profile_id: &str,
        statuses: &[RolloutStatus],
    ) -> StoreResult<Vec<String>>;
    /// Rollouts in `status`, everywhere: (tenant id, rollout id), oldest first.
    fn rollouts_in_status(&mut self, status: RolloutStatus) -> StoreResult<Vec<(String, String)>>;
    /// `scheduled` rollouts whose start is at or before `now_unix`, everywhere: (tenant id,
    /// rollout id), earliest start first, at most 100 (index `rollouts_to_start`).
    fn rollouts_to_start(&mut self, now_unix: i64) -> StoreResult<Vec<(String, String)>>;
    /// `active` rollouts whose next automatic phase advance is at or before `now_unix`,
    /// everywhere, earliest first, at most 100 (index `rollouts_to_advance`).
    fn rollouts_to_advance(&mut self, now_unix: i64) -> StoreResult<Vec<(String, String)>>;
    /// `active` rollouts with a maintenance window and devices scheduled but not told (they
    /// wait for the window), everywhere: (tenant id, rollout id, window JSON), at most 100.
    fn rollouts_waiting_for_window(&mut self) -> StoreResult<Vec<(String, String, String)>>;
    /// Inserts the rollout row (status, counters and `version` as given) and its skipped
    /// devices (`skipped_json`: a JSON list of `SkippedDevice`, stored beside the row);
    /// returns its `change_seq`.
    fn insert_rollout(&mut self, row: &RolloutRow, skipped_json: &str) -> StoreResult<u64>;
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
}

/// A rollout's targets: their states, deadlines and last reports, and the set-based
/// changes over a range of them.
pub trait TargetTx {
    /// Targets without a state for `devices`, at positions `first_position..` in their order.
    fn insert_targets(
        &mut self,
        rollout_id: &str,
        first_position: u64,
        devices: &[String],
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
    /// The device's attempt number, and whether its deadline is a retry's (`retry_at` set: the
    /// deadline is that time) or an ordinary one (`None`: `deadline_unix` as given).
    fn set_retry(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        attempts: u32,
        retry_at_unix: Option<i64>,
        deadline_unix: Option<i64>,
    ) -> StoreResult<()>;
    /// Counts one more device failed for `reason` with `status` (keeping up to five sample
    /// devices, and the first failure's `message` as the group's example) and marks the
    /// device's target with them, so a group's devices are listed by an index: the failure
    /// reasons are kept as devices fail, never counted per request.
    fn count_failure(
        &mut self,
        rollout_id: &str,
        reason: &str,
        status: &str,
        device_id: &str,
        message: Option<&str>,
    ) -> StoreResult<()>;
    /// The rollout's failure reasons, largest first.
    fn failure_reasons(&mut self, rollout_id: &str) -> StoreResult<Vec<FailureReason>>;
    /// Keeps `point` as the rollout's counts for minute `minute_unix` (the last write of a
    /// minute wins): one point write per change, never a recount.
    fn record_timeline(
        &mut self,
        rollout_id: &str,
        minute_unix: i64,
        point: &TimelinePoint,
    ) -> StoreResult<()>;
    /// The rollout's timeline, oldest first, at most `limit` points (the newest ones).
    fn timeline(&mut self, rollout_id: &str, limit: u32) -> StoreResult<Vec<(i64, TimelinePoint)>>;
    /// No target of the rollout has a deadline any more.
    fn clear_deadlines(&mut self, rollout_id: &str) -> StoreResult<()>;
    /// Keeps the report's fields on the target (progress only when given); with
    /// `restart_deadline`, the target's deadline becomes it in the same update.
    fn store_last_report(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        report: &ValidatedReport,
        restart_deadline: Option<i64>,
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
}

/// What a rollout reads of the rest of the tenant (names, packages, profiles, devices).
pub trait LookupTx {
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
}

/// What a rollout writes about a device outside its targets: the device row, its commands
/// and its history.
pub trait DeviceTx {
    /// All devices or none (INVALID_ARGUMENT naming the first whose profile is not the
    /// tenant's).
    fn insert_devices(&mut self, tenant_id: &str, devices: &[NewDevice]) -> StoreResult<()>;
    fn firmware_version(&mut self, device_id: &str) -> StoreResult<Option<String>>;
    fn set_firmware_version(&mut self, device_id: &str, version: &str) -> StoreResult<()>;
    fn append_history(&mut self, entry: &HistoryEntry) -> StoreResult<()>;
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
}
