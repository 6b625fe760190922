//! One change to one rollout, inside the caller's transaction: restore the aggregate from the
//! rollout row, track the devices the change is about, apply the events it returns (device
//! states, commands, history, rollback commands), run the strategy's automatic steps, then
//! write the rollout row (version-checked, with its counters), its transitions and its events.

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::error::ApiError;
use airlift_core::phases::{self, Phase, PhaseGate};
use airlift_core::rollout::{
    event_subject, RolloutEventKind, RolloutOutcome, RolloutStatus, RolloutTrigger,
};
use airlift_core::rollout_aggregate::{RolloutAggregate, RolloutEvent};
use airlift_core::wire::{CommandKind, RolloutEventData, TimelinePoint};

use crate::rollouts::drive::{self, StrategySettings};
use crate::rollouts::{Actor, Ctx};
use crate::store::rollout_port::{
    HistoryEntry, RangeChange, RolloutRow, RolloutTx, RolloutUpdate, TargetRow, TransitionRecord,
};
use crate::store::StoreResult;

/// Devices that were sent the update (or installed it) get `ota_rollback` when the rollout
/// rolls back; devices that failed stayed on their previous build (seed 001).
const ROLLED_BACK: [DeviceRolloutState; 4] = [
    DeviceRolloutState::CommandSent,
    DeviceRolloutState::InProgress,
    DeviceRolloutState::Successful,
    DeviceRolloutState::TimedOut,
];

/// Devices that were told to update and may still be at it when the rollout is cancelled:
/// they get `ota_cancel` (a timed-out device may only be slow).
const TOLD: [DeviceRolloutState; 3] = [
    DeviceRolloutState::CommandSent,
    DeviceRolloutState::InProgress,
    DeviceRolloutState::TimedOut,
];

/// The failure reason of a device that gave no verdict in time.
const TIMED_OUT_REASON: &str = "no verdict before the device timeout";

/// A device whose command is out and has no verdict yet (it has a deadline).
pub const OPEN: [DeviceRolloutState; 2] = [
    DeviceRolloutState::CommandSent,
    DeviceRolloutState::InProgress,
];

struct PendingTransition {
    from: Option<RolloutStatus>,
    to: RolloutStatus,
    trigger: String,
    kind: RolloutEventKind,
    actor: Actor,
    /// How the rollout ended, for a transition to `completed`.
    outcome: Option<RolloutOutcome>,
}

pub struct Session<'t> {
    pub tx: &'t mut dyn RolloutTx,
    pub row: RolloutRow,
    pub agg: RolloutAggregate,
    pub ctx: Ctx,
    tenant_name: String,
    transitions: Vec<PendingTransition>,
}

impl<'t> Session<'t> {
    /// Loads rollout `id` of `tenant` (NOT_FOUND if it is not the tenant's), tracking no
    /// device yet (see [`Session::track`]).
    pub fn open(tx: &'t mut dyn RolloutTx, tenant: &str, id: &str, ctx: Ctx) -> StoreResult<Self> {
        let row = tx.rollout(tenant, id)?;
        Self::restore(tx, row, ctx)
    }

    /// [`Session::open`] over a rollout row the caller already read in this transaction
    /// (`None`: not the tenant's, NOT_FOUND).
    pub fn restore(
        tx: &'t mut dyn RolloutTx,
        row: Option<RolloutRow>,
        ctx: Ctx,
    ) -> StoreResult<Self> {
        let row = row.ok_or_else(|| ApiError::not_found("rollout not found"))?;
        let agg = RolloutAggregate::restore(
            row.status,
            row.canary_percent,
            row.failure_threshold_percent,
            row.target_count,
            row.counters,
        )?
        .with_min_devices(row.min_devices);
        Self::with(tx, row, agg, ctx)
    }

    /// A session over a rollout row and aggregate the caller just built (create).
    pub fn with(
        tx: &'t mut dyn RolloutTx,
        row: RolloutRow,
        agg: RolloutAggregate,
        ctx: Ctx,
    ) -> StoreResult<Self> {
        let tenant_name = tx.tenant_name(&row.tenant_id)?;
        Ok(Session {
            tx,
            row,
            agg,
            ctx,
            tenant_name,
            transitions: Vec::new(),
        })
    }

    /// Lets the aggregate see `device` (its position and state), if it is a target; a device
    /// that is not stays unknown and the aggregate answers NOT_FOUND for it.
    pub fn track(&mut self, device: &str) -> StoreResult<()> {
        if let Some(t) = self.tx.target(&self.row.id, device)? {
            self.track_row(device, &t)?;
        }
        Ok(())
    }

    /// [`Session::track`] with the target the caller read in this transaction (unchanged
    /// since): the report path reads it once.
    pub fn track_row(&mut self, device: &str, t: &TargetRow) -> StoreResult<()> {
        self.agg.track(device, t.position, t.state)?;
        Ok(())
    }

    pub fn settings(&self) -> StrategySettings {
        StrategySettings {
            strategy: self.row.strategy,
            batch_percent: self.row.batch_percent,
            min_batch_success_percent: self.row.min_batch_success_percent,
            window_open: self.window_open(),
        }
    }

    /// Whether the rollout's maintenance window (if any) is open at this change's time. A
    /// stored window that no longer checks (a zone the database dropped) keeps devices waiting
    /// rather than telling them at the wrong time.
    pub fn window_open(&self) -> bool {
        let Some(json) = self.row.window_json.as_deref() else {
            return true;
        };
        serde_json::from_str::<airlift_core::maintenance_window::MaintenanceWindow>(json)
            .ok()
            .and_then(|w| w.check().ok())
            .is_some_and(|w| w.is_open(self.ctx.now_unix))
    }

    /// When a device sent a command now must have answered.
    pub fn deadline(&self) -> i64 {
        let timeout = i64::try_from(self.row.device_timeout_seconds).unwrap_or(i64::MAX);
        self.ctx.now_unix.saturating_add(timeout)
    }

    /// A history entry about this rollout, at this change's time.
    pub fn history(&self, device: &str, kind: &'static str) -> HistoryEntry {
        HistoryEntry {
            tenant_id: self.row.tenant_id.clone(),
            device_id: device.to_owned(),
            kind,
            rollout_id: Some(self.row.id.clone()),
            at: self.ctx.at.clone(),
            ..HistoryEntry::default()
        }
    }

    /// Writes the effects of `events`, made by `actor` (automatic ones by `system`).
    pub fn apply(&mut self, events: Vec<RolloutEvent>, actor: &Actor) -> StoreResult<()> {
        for ev in events {
            match ev {
                RolloutEvent::Started => self.transitions.push(PendingTransition {
                    from: None,
                    to: RolloutStatus::Active,
                    trigger: "start".to_owned(),
                    kind: RolloutEventKind::Started,
                    actor: actor.clone(),
                    outcome: None,
                }),
                RolloutEvent::Scheduled => self.transitions.push(PendingTransition {
                    from: None,
                    to: RolloutStatus::Scheduled,
                    trigger: "schedule".to_owned(),
                    kind: RolloutEventKind::Scheduled,
                    actor: actor.clone(),
                    outcome: None,
                }),
                RolloutEvent::Transitioned { from, to, trigger } => {
                    self.transitioned(from, to, trigger, actor)?
                }
                RolloutEvent::SliceScheduled { from, to } => {
                    let done = self
                        .tx
                        .schedule_range(change(&self.row, &self.ctx), from, to)?;
                    expect_rows("scheduled", done, to - from)?;
                }
                RolloutEvent::CommandsSent { count } => {
                    let deadline = self.deadline();
                    let done = self
                        .tx
                        .send_start_commands(change(&self.row, &self.ctx), deadline)?;
                    expect_rows("sent a command", done, count)?;
                }
                RolloutEvent::DeviceChanged { device_id, to, .. } => {
                    self.device_changed(&device_id, to)?
                }
            }
        }
        Ok(())
    }

    fn transitioned(
        &mut self,
        from: RolloutStatus,
        to: RolloutStatus,
        trigger: RolloutTrigger,
        actor: &Actor,
    ) -> StoreResult<()> {
        let automatic = matches!(
            trigger,
            RolloutTrigger::AutoPause
                | RolloutTrigger::AllSucceeded
                | RolloutTrigger::FinishedWithFailures
                | RolloutTrigger::RollbackFinished
                | RolloutTrigger::Start
        );
        let outcome = trigger.outcome().filter(|_| to == RolloutStatus::Completed);
        if outcome.is_some() {
            self.row.outcome = outcome;
        }
        self.transitions.push(PendingTransition {
            from: Some(from),
            to,
            trigger: trigger.as_str().to_owned(),
            kind: trigger.event_kind(),
            actor: if automatic {
                Actor::system()
            } else {
                actor.clone()
            },
            outcome,
        });
        if to == RolloutStatus::RollingBack {
            self.start_rollback()?;
        }
        if to == RolloutStatus::Completed {
            self.close()?;
        }
        if to == RolloutStatus::Cancelled {
            self.cancel_sent()?;
        }
        Ok(())
    }

    /// Cancelled: devices not yet told are never told (their `ota_start` commands, if any
    /// were issued and not acknowledged, are withdrawn), and every device that was told and
    /// may still be at it gets `ota_cancel` with this rollout's package. Then, as for a
    /// completed rollout, no deadline is left.
    fn cancel_sent(&mut self) -> StoreResult<()> {
        self.tx
            .cancel_commands(&self.row.id, Some(CommandKind::OtaStart), &self.ctx.at)?;
        let told = self.tx.targets_in_states(&self.row.id, &TOLD)?;
        let pkg = self.row.package_id.clone();
        for device in told {
            self.issue_command(&device, CommandKind::OtaCancel, &pkg)?;
        }
        self.tx.clear_deadlines(&self.row.id)
    }

    fn device_changed(&mut self, device: &str, to: DeviceRolloutState) -> StoreResult<()> {
        if to.is_terminal() {
            // A phase soaks from its slice's last verdict.
            self.row.last_verdict_unix = Some(self.ctx.now_unix);
        }
        let deadline = OPEN.contains(&to).then(|| self.deadline());
        self.tx
            .set_state(&self.row.id, device, to, deadline, &self.ctx.at)?;
        match to {
            DeviceRolloutState::CommandSent => {
                let pkg = self.row.package_id.clone();
                self.issue_command(device, CommandKind::OtaStart, &pkg)?;
            }
            DeviceRolloutState::Successful => {
                let pkg = self.row.package_id.clone();
                self.set_firmware(device, &pkg)?;
            }
            DeviceRolloutState::TimedOut => {
                self.tx
                    .count_failure(&self.row.id, TIMED_OUT_REASON, "TIMED_OUT", device, None)?;
                let entry = HistoryEntry {
                    package_id: Some(self.row.package_id.clone()),
                    message: Some(TIMED_OUT_REASON.to_owned()),
                    ..self.history(device, "timed_out")
                };
                self.tx.append_history(&entry)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The strategy's automatic steps (batch advances, sending commands), made by `system`.
    pub fn drive(&mut self) -> StoreResult<()> {
        let settings = self.settings();
        let events = drive::drive(&mut self.agg, settings)?;
        self.apply(events, &Actor::system())?;
        self.drive_phases()?;
        self.check_rollback_done()
    }

    /// A phased rollout advances itself (by `system`) to its next phase once the current
    /// phase's gate is open and its soak is over (core's `phases::gate`); otherwise it keeps
    /// when the next advance is due, for the sweep and for `GET`. Only while active: a pause
    /// (auto or by hand) holds the phase, and auto-pause is decided before this runs.
    fn drive_phases(&mut self) -> StoreResult<()> {
        let Some(json) = self.row.phases_json.clone() else {
            return Ok(());
        };
        let plan: Vec<Phase> = serde_json::from_str(&json)
            .map_err(|e| ApiError::internal(format!("stored phases are unreadable: {e}")))?;
        loop {
            let gate = phases::gate(
                &plan,
                self.agg.canary_percent(),
                self.agg.counters(),
                self.row.last_verdict_unix,
            );
            let active = self.agg.status() == RolloutStatus::Active;
            match gate {
                PhaseGate::Due {
                    due_unix,
                    next_percent,
                } if active => {
                    if due_unix > self.ctx.now_unix {
                        self.row.next_advance_unix = Some(due_unix);
                        return Ok(());
                    }
                    let mut events = self.agg.advance(next_percent)?;
                    if self.window_open() {
                        events.extend(self.agg.send_commands()?);
                    }
                    self.apply(events, &Actor::system())?;
                }
                _ => {
                    self.row.next_advance_unix = None;
                    return Ok(());
                }
            }
        }
    }

    pub fn issue_command(
        &mut self,
        device: &str,
        kind: CommandKind,
        package: &str,
    ) -> StoreResult<()> {
        let change = RangeChange {
            package_id: package,
            ..change(&self.row, &self.ctx)
        };
        let id = self.tx.insert_command(change, device, kind)?;
        let entry = HistoryEntry {
            package_id: Some(package.to_owned()),
            command_id: Some(id),
            status: Some(kind.as_str().to_owned()),
            ..self.history(device, "command")
        };
        self.tx.append_history(&entry)
    }

    /// Rolling back: pending `ota_start` commands are withdrawn, and every device the rollout
    /// touched gets `ota_rollback` with the rollback package.
    fn start_rollback(&mut self) -> StoreResult<()> {
        self.tx
            .cancel_commands(&self.row.id, Some(CommandKind::OtaStart), &self.ctx.at)?;
        let Some(pkg) = self.row.rollback_package_id.clone() else {
            return Ok(());
        };
        let touched = self.tx.targets_in_states(&self.row.id, &ROLLED_BACK)?;
        let deadline = self.deadline();
        for device in touched {
            self.tx.set_rollback_state(
                &self.row.id,
                &device,
                DeviceRolloutState::CommandSent,
                Some(deadline),
                &self.ctx.at,
            )?;
            self.issue_command(&device, CommandKind::OtaRollback, &pkg)?;
        }
        Ok(())
    }

    /// While rolling back: once every rollback command has a verdict, the rollback is finished.
    pub fn check_rollback_done(&mut self) -> StoreResult<()> {
        if self.agg.status() != RolloutStatus::RollingBack {
            return Ok(());
        }
        if self.tx.count_rollback_in_states(&self.row.id, &OPEN)? == 0 {
            let events = self.agg.finish_rollback()?;
            self.apply(events, &Actor::system())?;
        }
        Ok(())
    }

    /// A completed rollout asks nothing more of anyone: deadlines and open commands go.
    fn close(&mut self) -> StoreResult<()> {
        self.tx.cancel_commands(&self.row.id, None, &self.ctx.at)?;
        self.tx.clear_deadlines(&self.row.id)
    }

    /// On success the device's firmware version becomes the package's (seed 000).
    pub fn set_firmware(&mut self, device: &str, package: &str) -> StoreResult<()> {
        let version = self.tx.package_version(package)?;
        let old = self.tx.firmware_version(device)?;
        if old.as_deref() == Some(version.as_str()) {
            return Ok(());
        }
        self.tx.set_firmware_version(device, &version)?;
        let entry = HistoryEntry {
            package_id: Some(package.to_owned()),
            message: old.map(|o| format!("{o} -> {version}")),
            firmware_version: Some(version),
            ..self.history(device, "version_changed")
        };
        self.tx.append_history(&entry)
    }

    /// Writes the rollout row (version-checked), transitions and events; returns the events
    /// to publish once the transaction commits.
    pub fn finish(self) -> StoreResult<Vec<RolloutEventData>> {
        let counters = self.agg.counters();
        let update = RolloutUpdate {
            id: self.row.id.clone(),
            expected_version: self.row.version,
            status: self.agg.status(),
            canary_percent: self.agg.canary_percent(),
            target_count: self.agg.target_count(),
            counters,
            outcome: self.row.outcome,
            at: self.ctx.at.clone(),
            last_verdict_unix: self.row.last_verdict_unix,
            next_advance_unix: self.row.next_advance_unix,
        };
        let point = TimelinePoint::of(String::new(), self.agg.target_count(), &counters);
        let minute = self.ctx.now_unix - self.ctx.now_unix.rem_euclid(60);
        self.tx.record_timeline(&self.row.id, minute, &point)?;
        if !self.tx.update_rollout(&update)? {
            return Err(ApiError::failed_precondition(
                "the rollout was changed concurrently; retry",
            )
            .into());
        }
        if self.transitions.is_empty() {
            return Ok(Vec::new());
        }
        let rollback = self.tx.rollback_counters(&self.row.id)?;
        let mut out = Vec::new();
        for t in &self.transitions {
            self.tx.append_transition(
                &self.row.id,
                &TransitionRecord {
                    from: t.from,
                    to: t.to,
                    trigger: t.trigger.clone(),
                    actor: t.actor.name.clone(),
                    actor_role: t.actor.role.clone(),
                    canary_percent: self.agg.canary_percent(),
                    at: self.ctx.at.clone(),
                },
            )?;
            let data = RolloutEventData {
                id: None,
                subject: event_subject(t.kind, &self.tenant_name, &self.row.id),
                kind: t.kind.as_str().to_owned(),
                tenant: self.tenant_name.clone(),
                rollout_id: self.row.id.clone(),
                status: t.to,
                outcome: t.outcome,
                canary_percent: self.agg.canary_percent(),
                counters,
                rollback_counters: rollback,
                trigger: Some(t.trigger.clone()),
                actor: Some(t.actor.name.clone()),
                at: self.ctx.at.clone(),
            };
            out.push(self.tx.append_event(&self.row.tenant_id, data)?);
        }
        Ok(out)
    }
}

/// A set-based change touched `got` rows where the aggregate's counters said `want`: the
/// stored targets and counters disagree, so nothing of this change may be committed.
fn expect_rows(what: &str, got: u64, want: u64) -> StoreResult<()> {
    if got == want {
        return Ok(());
    }
    Err(ApiError::internal(format!(
        "stored rollout is inconsistent: {got} devices {what}, its counters say {want}"
    ))
    .into())
}

/// What a statement of this change is about: the rollout, its package, the change's time.
fn change<'a>(row: &'a RolloutRow, ctx: &'a Ctx) -> RangeChange<'a> {
    RangeChange {
        tenant_id: &row.tenant_id,
        rollout_id: &row.id,
        package_id: &row.package_id,
        at: &ctx.at,
    }
}
