//! A rollout's rules in one pure value: status, canary slice, per-device states and counters.
//!
//! The server persists a rollout and drives it from HTTP calls, device reports and a timeout
//! sweep; this type decides what each of those does, so the decisions are testable without a
//! database. Every method either applies its whole effect and returns the events to publish, or
//! returns an [`ApiError`] and changes nothing.
//!
//! The rules, all from seed 000 and the spec:
//! - Status moves only along [`RolloutStatus::next`]'s edges.
//! - The slice is always the first [`canary_slice`]`(targets, canary_percent)` targets: `start`
//!   schedules it, `advance` (only while active) raises it. Nothing else schedules, so a paused,
//!   rolling-back or completed rollout never schedules a device.
//! - The `ota_start` command goes out ([`RolloutAggregate::send_command`]) only while active:
//!   pausing holds back devices that were scheduled but not yet sent, and resuming releases them
//!   ("scheduling picks back up from where it stopped").
//! - Device reports and timeouts are recorded in any status but `completed`, so counters stay
//!   true during a pause or a rollback.
//! - Auto-pause: a report or timeout that newly counts a device as failed, while the rollout is
//!   active, pauses it iff [`should_auto_pause`]`(failed, slice size, threshold)` now holds. The
//!   first crossing therefore pauses at once and exactly once (the rollout is then paused, and
//!   paused rollouts never auto-pause). If an operator resumes while still over the threshold,
//!   the resume stands, but the next failure pauses again: a resume acknowledges the failures
//!   seen so far, it is not a licence to ignore new ones.
//! - Completion: once every target device is successful while active, the rollout completes
//!   (also right after a resume, if the last successes arrived during the pause). A rollback is
//!   finished by the caller ([`RolloutAggregate::finish_rollback`]) once its rollback commands
//!   are acknowledged; this aggregate tracks the forward update only.
//! - Completed is final: every method fails with `FAILED_PRECONDITION` and changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::device_counters::DeviceCounters;
use crate::device_state::{DeviceRolloutState, DeviceTrigger};
use crate::error::ApiError;
use crate::install_status::ReportOutcome;
use crate::package::quoted;
use crate::policy::{canary_slice, should_auto_pause, validate_percent};
use crate::rollout::{RolloutEventKind, RolloutStatus, RolloutTrigger};

/// Something that happened, for the caller to persist, publish or act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RolloutEvent {
    /// The rollout was created, active (publish `...rollout.started...`).
    Started,
    /// The status changed (or, for `advance`, stayed active with a bigger slice).
    Transitioned {
        from: RolloutStatus,
        to: RolloutStatus,
        trigger: RolloutTrigger,
    },
    /// A device joined the slice; the caller issues its `ota_start` command while active.
    DeviceScheduled { device_id: String },
    /// A device's rollout state changed.
    DeviceChanged {
        device_id: String,
        from: DeviceRolloutState,
        to: DeviceRolloutState,
    },
}

impl RolloutEvent {
    /// The rollout event subject kind to publish for this event, if any.
    pub fn published_kind(&self) -> Option<RolloutEventKind> {
        match self {
            RolloutEvent::Started => Some(RolloutEventKind::Started),
            RolloutEvent::Transitioned { trigger, .. } => Some(trigger.event_kind()),
            RolloutEvent::DeviceScheduled { .. } | RolloutEvent::DeviceChanged { .. } => None,
        }
    }
}

/// One rollout's decision state. See the module docs for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutAggregate {
    status: RolloutStatus,
    canary_percent: u32,
    failure_threshold_percent: u32,
    /// Eligible devices in scheduling order; the slice is always a prefix.
    targets: Vec<String>,
    /// Per-device state of every scheduled device (exactly the slice).
    devices: BTreeMap<String, DeviceRolloutState>,
    counters: DeviceCounters,
}

impl RolloutAggregate {
    /// Start a rollout over `targets` (the eligible devices, in the order they should be
    /// scheduled), scheduling the first `ceil(canary_percent × targets / 100)`.
    ///
    /// `canary_percent` must be 1..=100 (0 would schedule nothing and never finish);
    /// `failure_threshold_percent` 0..=100 (0 pauses on the first failure, 100 never pauses).
    /// A rollout with no eligible device is refused: it could never make progress, and "all
    /// target devices successful" would be vacuously true.
    pub fn start(
        targets: Vec<String>,
        canary_percent: u32,
        failure_threshold_percent: u32,
    ) -> Result<(Self, Vec<RolloutEvent>), ApiError> {
        validate_percent("canary_percent", canary_percent, 1)?;
        validate_percent("failure_threshold_percent", failure_threshold_percent, 0)?;
        if targets.is_empty() {
            return Err(ApiError::failed_precondition(
                "no eligible devices: the profile has no device of the package's type at or above its min_version that is not already on its version (use force to reinstall)",
            ));
        }
        check_unique(&targets)?;
        let mut agg = RolloutAggregate {
            status: RolloutStatus::Active,
            canary_percent,
            failure_threshold_percent,
            targets,
            devices: BTreeMap::new(),
            counters: DeviceCounters::default(),
        };
        let mut events = vec![RolloutEvent::Started];
        agg.schedule_slice(&mut events);
        Ok((agg, events))
    }

    /// Rebuild an aggregate from persisted state, checking that it is one this type could have
    /// produced (the slice is the right prefix of `targets`). A mismatch is `INTERNAL`: stored
    /// data is corrupt, which no request can fix.
    pub fn restore(
        status: RolloutStatus,
        canary_percent: u32,
        failure_threshold_percent: u32,
        targets: Vec<String>,
        devices: BTreeMap<String, DeviceRolloutState>,
    ) -> Result<Self, ApiError> {
        let corrupt =
            |what: String| ApiError::internal(format!("stored rollout is inconsistent: {what}"));
        validate_percent("canary_percent", canary_percent, 1).map_err(|e| corrupt(e.message))?;
        validate_percent("failure_threshold_percent", failure_threshold_percent, 0)
            .map_err(|e| corrupt(e.message))?;
        if targets.is_empty() {
            return Err(corrupt("no targets".to_owned()));
        }
        check_unique(&targets).map_err(|e| corrupt(e.message))?;
        let slice = slice_len(targets.len(), canary_percent);
        let prefix_ok =
            devices.len() == slice && targets[..slice].iter().all(|t| devices.contains_key(t));
        if !prefix_ok {
            return Err(corrupt(format!(
                "{} per-device states, expected exactly the first {slice} targets",
                devices.len()
            )));
        }
        let counters = DeviceCounters::from_states(devices.values().copied());
        Ok(RolloutAggregate {
            status,
            canary_percent,
            failure_threshold_percent,
            targets,
            devices,
            counters,
        })
    }

    pub fn status(&self) -> RolloutStatus {
        self.status
    }

    pub fn canary_percent(&self) -> u32 {
        self.canary_percent
    }

    pub fn failure_threshold_percent(&self) -> u32 {
        self.failure_threshold_percent
    }

    /// All eligible devices, in scheduling order.
    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    /// Per-device state of every scheduled device.
    pub fn devices(&self) -> &BTreeMap<String, DeviceRolloutState> {
        &self.devices
    }

    /// `None` for a device outside the slice (not yet scheduled, or not a target).
    pub fn device_state(&self, device_id: &str) -> Option<DeviceRolloutState> {
        self.devices.get(device_id).copied()
    }

    pub fn counters(&self) -> DeviceCounters {
        self.counters
    }

    /// Targets not yet scheduled (waiting for an `advance`).
    pub fn pending(&self) -> &[String] {
        &self.targets[self.devices.len().min(self.targets.len())..]
    }

    /// Would the auto-pause rule hold right now? (For display; the aggregate applies it itself.)
    pub fn over_threshold(&self) -> bool {
        should_auto_pause(
            self.counters.failed_total(),
            self.counters.total(),
            self.failure_threshold_percent,
        )
    }

    /// Operator pause: active → paused.
    pub fn pause(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        Ok(vec![self.transition(RolloutTrigger::Pause)?])
    }

    /// Operator resume: paused → active. Completes at once if every target succeeded meanwhile.
    pub fn resume(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        let mut events = vec![self.transition(RolloutTrigger::Resume)?];
        self.complete_if_all_succeeded(&mut events);
        Ok(events)
    }

    /// Operator advance: raise the slice to `canary_percent` (only while active) and schedule
    /// the newly covered targets. The new percentage must be above the current one: lowering a
    /// slice cannot unschedule devices that may already be installing.
    pub fn advance(&mut self, canary_percent: u32) -> Result<Vec<RolloutEvent>, ApiError> {
        let to = self.status.next(RolloutTrigger::Advance)?;
        validate_percent("canary_percent", canary_percent, 1)?;
        if canary_percent <= self.canary_percent {
            return Err(ApiError::invalid_argument(format!(
                "canary_percent must be above the current {} to advance, got {canary_percent}",
                self.canary_percent
            )));
        }
        self.canary_percent = canary_percent;
        let mut events = vec![RolloutEvent::Transitioned {
            from: self.status,
            to,
            trigger: RolloutTrigger::Advance,
        }];
        self.status = to;
        self.schedule_slice(&mut events);
        Ok(events)
    }

    /// Operator rollback: active or paused → rolling_back. Nothing is scheduled afterwards.
    pub fn rollback(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        Ok(vec![self.transition(RolloutTrigger::Rollback)?])
    }

    /// A device joined the target set while the rollout runs (e.g. it was added to the target
    /// profile). It goes to the end of the scheduling order, and the slice is re-applied, so it
    /// (or the next pending target) is scheduled when the current percentage now covers one
    /// more device. While paused a newly covered device is only `scheduled`: its command waits
    /// for resume like every held-back device. Rolling back or completed rollouts take no new
    /// targets (FAILED_PRECONDITION); a device that is already a target changes nothing.
    pub fn add_target(&mut self, device_id: &str) -> Result<Vec<RolloutEvent>, ApiError> {
        self.ensure_not_completed("add a device to")?;
        if self.status == RolloutStatus::RollingBack {
            return Err(ApiError::failed_precondition(format!(
                "device {} cannot join a rollout that is rolling back",
                quoted(device_id)
            )));
        }
        if self.targets.iter().any(|t| t == device_id) {
            return Ok(Vec::new());
        }
        self.targets.push(device_id.to_owned());
        let mut events = Vec::new();
        self.schedule_slice(&mut events);
        Ok(events)
    }

    /// The caller's rollback commands are all acknowledged: rolling_back → completed.
    pub fn finish_rollback(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        Ok(vec![self.transition(RolloutTrigger::RollbackFinished)?])
    }

    /// The `ota_start` command for a scheduled device was issued (persistent RPC). Only while
    /// active: a paused rollout holds its scheduled devices back.
    pub fn send_command(&mut self, device_id: &str) -> Result<Vec<RolloutEvent>, ApiError> {
        if self.status != RolloutStatus::Active {
            return Err(ApiError::failed_precondition(format!(
                "cannot send the update command to device {} while the rollout is {}; commands go out only while it is active",
                quoted(device_id),
                self.status
            )));
        }
        let from = self.scheduled_state(device_id)?;
        let to = from.next(DeviceTrigger::SendCommand).map_err(|e| {
            ApiError::failed_precondition(format!("device {}: {e}", quoted(device_id)))
        })?;
        let mut events = Vec::new();
        self.set_device(device_id, from, to, &mut events);
        Ok(events)
    }

    /// Record a device's classified report (see [`crate::install_status::classify`]).
    ///
    /// A report from a device still `scheduled` proves the command reached it (it may have
    /// fetched its assignment directly), so it counts as sent first. Repeating the verdict the
    /// device already has is accepted and changes nothing (a retried POST); any other report
    /// after a verdict is `FAILED_PRECONDITION`. `Observed` changes nothing.
    pub fn record_report(
        &mut self,
        device_id: &str,
        outcome: ReportOutcome,
    ) -> Result<Vec<RolloutEvent>, ApiError> {
        self.ensure_not_completed("record a device report for")?;
        let from = self.scheduled_state(device_id)?;
        match outcome.trigger() {
            None => Ok(Vec::new()),
            Some(trigger) => self.apply_device_trigger(device_id, from, trigger),
        }
    }

    /// The device gave no verdict before its deadline (the caller's sweep decides when).
    /// Only a device that was sent the command can time out; timing out twice is a no-op.
    pub fn time_out(&mut self, device_id: &str) -> Result<Vec<RolloutEvent>, ApiError> {
        self.ensure_not_completed("time out a device of")?;
        let from = self.scheduled_state(device_id)?;
        if from == DeviceRolloutState::Scheduled {
            return Err(ApiError::failed_precondition(format!(
                "device {} cannot time out: its update command was never sent",
                quoted(device_id)
            )));
        }
        self.apply_device_trigger(device_id, from, DeviceTrigger::TimeOut)
    }

    // ---- internals ----

    fn apply_device_trigger(
        &mut self,
        device_id: &str,
        from: DeviceRolloutState,
        trigger: DeviceTrigger,
    ) -> Result<Vec<RolloutEvent>, ApiError> {
        // A report proves delivery: treat `scheduled` as `command_sent`.
        let effective_from = match from {
            DeviceRolloutState::Scheduled => DeviceRolloutState::CommandSent,
            other => other,
        };
        let to = match effective_from.next(trigger) {
            Ok(to) => to,
            Err(e) => {
                if is_repeat_of_verdict(from, trigger) {
                    return Ok(Vec::new());
                }
                return Err(ApiError::failed_precondition(format!(
                    "device {}: {e}",
                    quoted(device_id)
                )));
            }
        };
        let mut events = Vec::new();
        if to != from {
            self.set_device(device_id, from, to, &mut events);
        }
        let newly_failed = to.counts_as_failed() && !from.counts_as_failed();
        if newly_failed && self.status == RolloutStatus::Active && self.over_threshold() {
            // Infallible from active; `?` keeps it honest if the table ever changes.
            events.push(self.transition(RolloutTrigger::AutoPause)?);
        }
        if to == DeviceRolloutState::Successful {
            self.complete_if_all_succeeded(&mut events);
        }
        Ok(events)
    }

    fn transition(&mut self, trigger: RolloutTrigger) -> Result<RolloutEvent, ApiError> {
        let from = self.status;
        let to = from.next(trigger)?;
        self.status = to;
        Ok(RolloutEvent::Transitioned { from, to, trigger })
    }

    fn complete_if_all_succeeded(&mut self, events: &mut Vec<RolloutEvent>) {
        let all = self.counters.successful == self.targets.len() as u64;
        if all && self.status == RolloutStatus::Active {
            if let Ok(ev) = self.transition(RolloutTrigger::AllSucceeded) {
                events.push(ev);
            }
        }
    }

    /// Schedule every target the current percentage covers and that is not scheduled yet.
    fn schedule_slice(&mut self, events: &mut Vec<RolloutEvent>) {
        let want = slice_len(self.targets.len(), self.canary_percent);
        let have = self.devices.len();
        for id in self.targets.iter().take(want).skip(have) {
            self.devices
                .insert(id.clone(), DeviceRolloutState::Scheduled);
            self.counters.add(DeviceRolloutState::Scheduled);
            events.push(RolloutEvent::DeviceScheduled {
                device_id: id.clone(),
            });
        }
    }

    fn set_device(
        &mut self,
        device_id: &str,
        from: DeviceRolloutState,
        to: DeviceRolloutState,
        events: &mut Vec<RolloutEvent>,
    ) {
        if let Some(state) = self.devices.get_mut(device_id) {
            *state = to;
            self.counters.shift(from, to);
            events.push(RolloutEvent::DeviceChanged {
                device_id: device_id.to_owned(),
                from,
                to,
            });
        }
    }

    /// The state of a device in the slice, or a precise error for one outside it.
    fn scheduled_state(&self, device_id: &str) -> Result<DeviceRolloutState, ApiError> {
        if let Some(state) = self.devices.get(device_id) {
            return Ok(*state);
        }
        if self.targets.iter().any(|t| t == device_id) {
            Err(ApiError::failed_precondition(format!(
                "device {} is not scheduled yet: it is outside the current {}% slice",
                quoted(device_id),
                self.canary_percent
            )))
        } else {
            Err(ApiError::not_found(format!(
                "device {} is not a target of this rollout",
                quoted(device_id)
            )))
        }
    }

    fn ensure_not_completed(&self, action: &str) -> Result<(), ApiError> {
        if self.status.is_terminal() {
            return Err(ApiError::failed_precondition(format!(
                "cannot {action} a rollout that is completed"
            )));
        }
        Ok(())
    }
}

/// Same verdict again (e.g. `success` twice, or a second timeout): accepted as a no-op.
fn is_repeat_of_verdict(state: DeviceRolloutState, trigger: DeviceTrigger) -> bool {
    matches!(
        (state, trigger),
        (DeviceRolloutState::Successful, DeviceTrigger::Succeed)
            | (DeviceRolloutState::Failed, DeviceTrigger::Fail)
            | (DeviceRolloutState::TimedOut, DeviceTrigger::TimeOut)
    )
}

fn slice_len(targets: usize, percent: u32) -> usize {
    let n = targets as u64;
    usize::try_from(canary_slice(n, percent)).unwrap_or(targets)
}

fn check_unique(targets: &[String]) -> Result<(), ApiError> {
    let mut seen = BTreeSet::new();
    for t in targets {
        if !seen.insert(t.as_str()) {
            return Err(ApiError::invalid_argument(format!(
                "device {} is listed more than once in the rollout's targets",
                quoted(t)
            )));
        }
    }
    Ok(())
}
