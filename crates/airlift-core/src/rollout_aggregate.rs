//! A rollout's rules in one pure value: status, canary slice, counters and the per-device
//! states a change needs.
//!
//! The server persists a rollout and drives it from HTTP calls, device reports and a timeout
//! sweep; this type decides what each of those does, so the decisions are testable without a
//! database. Every method either applies its whole effect and returns the events to publish, or
//! returns an [`ApiError`] and changes nothing.
//!
//! Size: the aggregate holds the number of targets and the per-state counters, not the
//! targets. A caller loads (with [`RolloutAggregate::track`]) only the devices the change is
//! about: one device for a report, none for a pause. So a report costs the same for a rollout
//! over ten devices as over a million. Changes that cover many devices come out as ranges
//! ([`RolloutEvent::SliceScheduled`], [`RolloutEvent::CommandsSent`]) that the caller applies
//! with one set-based statement.
//!
//! The rules, all from seed 000 and the spec:
//! - Status moves only along [`RolloutStatus::next`]'s edges.
//! - Targets have positions `0..target_count` in scheduling order. The slice is always the
//!   first [`canary_slice`]`(targets, canary_percent)` positions: `start` schedules it, `advance`
//!   (only while active) raises it, a joining target may extend it. Nothing else schedules, so a
//!   paused, rolling-back or completed rollout never schedules a device.
//! - The `ota_start` command goes out ([`RolloutAggregate::send_commands`]) only while active:
//!   pausing holds back devices that were scheduled but not yet sent, and resuming releases them
//!   ("scheduling picks back up from where it stopped").
//! - Device reports and timeouts are recorded in any status but `completed`, so counters stay
//!   true during a pause or a rollback.
//! - Auto-pause: a report or timeout that newly counts a device as failed, while the rollout is
//!   active, pauses it iff [`should_auto_pause`]`(failed, slice size, threshold)` now holds. The
//!   first crossing therefore pauses at once and exactly once (the rollout is then paused, and
//!   paused rollouts never auto-pause). If an operator resumes while still over the threshold,
//!   the resume stands, but the next failure pauses again: a resume acknowledges the failures
//!   seen so far, it is not a licence to ignore new ones. With `min_devices`
//!   ([`RolloutAggregate::with_min_devices`]) the rule applies only once that many devices
//!   have a verdict: the verdict that reaches `min_devices` is checked too, whatever it is.
//! - Completion: once the slice covers every target and every target has a verdict
//!   (successful, failed or timed out) while active, the rollout completes: `all_succeeded`
//!   (outcome `succeeded`) when every one succeeded, else `finished_with_failures` (outcome
//!   `some_failed`). Auto-pause is decided first, so a last verdict that crosses the threshold
//!   pauses instead; a resume then completes at once (the operator has seen the failures), as it
//!   does when the last verdicts arrived during a pause. A rollback is finished by the caller
//!   ([`RolloutAggregate::finish_rollback`], outcome `rolled_back`) once its rollback commands
//!   are acknowledged; this aggregate tracks the forward update only.
//! - Completed is final: every method fails with `FAILED_PRECONDITION` and changes nothing.
//! - A rollout created with a start time is `scheduled` ([`RolloutAggregate::schedule`]): its
//!   slice is empty (no device is scheduled, so none is told anything) until
//!   [`RolloutAggregate::start_now`] makes it active and schedules the slice. Devices may join
//!   it meanwhile (outside the empty slice).
//! - Cancel ([`RolloutAggregate::cancel`]) from scheduled, active or paused ends the rollout
//!   (`cancelled`, final like completed): nothing is scheduled or sent afterwards; the caller
//!   withdraws open commands and tells the devices already told (`ota_cancel`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::device_counters::DeviceCounters;
use crate::device_state::{DeviceRolloutState, DeviceTrigger};
use crate::error::ApiError;
use crate::install_status::ReportOutcome;
use crate::package::quoted;
use crate::policy::{canary_slice, should_auto_pause, threshold_applies, validate_percent};
use crate::rollout::{RolloutEventKind, RolloutStatus, RolloutTrigger};

/// Something that happened, for the caller to persist, publish or act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RolloutEvent {
    /// The rollout was created, active (publish `...rollout.started...`).
    Started,
    /// The rollout was created `scheduled`: it starts at its start time
    /// (publish `...rollout.scheduled...`).
    Scheduled,
    /// The status changed (or, for `advance`, stayed active with a bigger slice).
    Transitioned {
        from: RolloutStatus,
        to: RolloutStatus,
        trigger: RolloutTrigger,
    },
    /// The targets at positions `from..to` joined the slice and are now `scheduled`.
    SliceScheduled { from: u64, to: u64 },
    /// Every device that was `scheduled` is now `command_sent`: the caller issues their
    /// `ota_start` commands (`count` of them).
    CommandsSent { count: u64 },
    /// One device's rollout state changed.
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
            RolloutEvent::Scheduled => Some(RolloutEventKind::Scheduled),
            RolloutEvent::Transitioned { trigger, .. } => Some(trigger.event_kind()),
            RolloutEvent::SliceScheduled { .. }
            | RolloutEvent::CommandsSent { .. }
            | RolloutEvent::DeviceChanged { .. } => None,
        }
    }
}

/// A target the caller loaded: its place in the scheduling order and, once the slice covers
/// it, its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracked {
    pub position: u64,
    pub state: Option<DeviceRolloutState>,
}

/// One rollout's decision state. See the module docs for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutAggregate {
    status: RolloutStatus,
    canary_percent: u32,
    failure_threshold_percent: u32,
    /// Eligible devices; the slice is the first `slice_len()` positions.
    target_count: u64,
    /// Devices per state, over exactly the slice.
    counters: DeviceCounters,
    /// The targets this change is about, by device id.
    tracked: BTreeMap<String, Tracked>,
    /// No slice was ever scheduled: a scheduled rollout (or one cancelled before it started).
    unscheduled: bool,
    /// Verdicts needed before the failure threshold applies (0: from the first).
    min_devices: u64,
}

impl RolloutAggregate {
    /// Start a rollout over `target_count` eligible devices, scheduling the first
    /// `ceil(canary_percent × targets / 100)`.
    ///
    /// `canary_percent` must be 1..=100 (0 would schedule nothing and never finish);
    /// `failure_threshold_percent` 0..=100 (0 pauses on the first failure, 100 never pauses).
    /// A rollout with no eligible device is refused: it could never make progress, and "all
    /// target devices successful" would be vacuously true.
    pub fn start(
        target_count: u64,
        canary_percent: u32,
        failure_threshold_percent: u32,
    ) -> Result<(Self, Vec<RolloutEvent>), ApiError> {
        validate_percent("canary_percent", canary_percent, 1)?;
        validate_percent("failure_threshold_percent", failure_threshold_percent, 0)?;
        if target_count == 0 {
            return Err(ApiError::failed_precondition(
                "no eligible devices: the profile has no device of the package's type at or above its min_version that is not already on its version (use force to reinstall)",
            ));
        }
        let mut agg = RolloutAggregate {
            status: RolloutStatus::Active,
            canary_percent,
            failure_threshold_percent,
            target_count,
            counters: DeviceCounters::default(),
            tracked: BTreeMap::new(),
            unscheduled: false,
            min_devices: 0,
        };
        let mut events = vec![RolloutEvent::Started];
        agg.schedule_slice(&mut events);
        Ok((agg, events))
    }

    /// Create a rollout that starts later: `scheduled`, with the same checks as [`Self::start`]
    /// but an empty slice, so no device is scheduled or told anything until
    /// [`Self::start_now`].
    pub fn schedule(
        target_count: u64,
        canary_percent: u32,
        failure_threshold_percent: u32,
    ) -> Result<(Self, Vec<RolloutEvent>), ApiError> {
        let (mut agg, _) = Self::start(target_count, canary_percent, failure_threshold_percent)?;
        agg.status = RolloutStatus::Scheduled;
        agg.counters = DeviceCounters::default();
        agg.unscheduled = true;
        Ok((agg, vec![RolloutEvent::Scheduled]))
    }

    /// A scheduled rollout's start time came: scheduled → active, and its first slice is
    /// scheduled (the caller's `drive` then sends the commands).
    pub fn start_now(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        let event = self.transition(RolloutTrigger::Start)?;
        self.unscheduled = false;
        let mut events = vec![event];
        self.schedule_slice(&mut events);
        Ok(events)
    }

    /// Operator cancel: scheduled, active or paused → cancelled, final. The aggregate
    /// schedules nothing afterwards; the caller withdraws what was sent.
    pub fn cancel(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        Ok(vec![self.transition(RolloutTrigger::Cancel)?])
    }

    /// Rebuild an aggregate from persisted state, checking that it is one this type could have
    /// produced (the counters cover exactly the slice). A mismatch is `INTERNAL`: stored data is
    /// corrupt, which no request can fix.
    pub fn restore(
        status: RolloutStatus,
        canary_percent: u32,
        failure_threshold_percent: u32,
        target_count: u64,
        counters: DeviceCounters,
    ) -> Result<Self, ApiError> {
        validate_percent("canary_percent", canary_percent, 1).map_err(|e| corrupt(e.message))?;
        validate_percent("failure_threshold_percent", failure_threshold_percent, 0)
            .map_err(|e| corrupt(e.message))?;
        if target_count == 0 {
            return Err(corrupt("no targets".to_owned()));
        }
        // A started rollout always has a non-empty slice, so an empty one after a cancel
        // means it was cancelled while still scheduled.
        let unscheduled = status == RolloutStatus::Scheduled
            || (status == RolloutStatus::Cancelled && counters.total() == 0);
        let slice = if unscheduled {
            0
        } else {
            canary_slice(target_count, canary_percent)
        };
        if counters.total() != slice {
            return Err(corrupt(format!(
                "{} per-device states, expected exactly the first {slice} targets",
                counters.total()
            )));
        }
        Ok(RolloutAggregate {
            status,
            canary_percent,
            failure_threshold_percent,
            target_count,
            counters,
            tracked: BTreeMap::new(),
            unscheduled,
            min_devices: 0,
        })
    }

    /// The failure threshold applies only once `min_devices` devices have a verdict (see
    /// [`threshold_applies`]); a stored rollout is restored with its own.
    pub fn with_min_devices(mut self, min_devices: u64) -> Self {
        self.min_devices = min_devices;
        self
    }

    pub fn min_devices(&self) -> u64 {
        self.min_devices
    }

    /// Devices of the slice with a verdict (succeeded, failed or timed out).
    pub fn verdicts(&self) -> u64 {
        self.counters.successful + self.counters.failed_total()
    }

    /// Tell the aggregate about one target the next change is about: its position and its
    /// state (`None` while outside the slice). Inconsistent with the slice is `INTERNAL`.
    pub fn track(
        &mut self,
        device_id: &str,
        position: u64,
        state: Option<DeviceRolloutState>,
    ) -> Result<(), ApiError> {
        if position >= self.target_count {
            return Err(corrupt(format!(
                "device {} has position {position} of {} targets",
                quoted(device_id),
                self.target_count
            )));
        }
        if state.is_some() != (position < self.slice_len()) {
            return Err(corrupt(format!(
                "device {} at position {position} is {} but the slice has {} targets",
                quoted(device_id),
                state.map_or("unscheduled", DeviceRolloutState::as_str),
                self.slice_len()
            )));
        }
        if let Some(other) = self
            .tracked
            .iter()
            .find(|(id, t)| t.position == position && id.as_str() != device_id)
        {
            return Err(corrupt(format!(
                "devices {} and {} share position {position}",
                quoted(other.0),
                quoted(device_id)
            )));
        }
        self.tracked
            .insert(device_id.to_owned(), Tracked { position, state });
        Ok(())
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

    /// Every eligible device, scheduled or not.
    pub fn target_count(&self) -> u64 {
        self.target_count
    }

    /// How many targets the current percentage covers (all of them scheduled); none before
    /// a scheduled rollout starts.
    pub fn slice_len(&self) -> u64 {
        if self.unscheduled {
            return 0;
        }
        canary_slice(self.target_count, self.canary_percent)
    }

    /// Targets not yet scheduled (waiting for an `advance`).
    pub fn pending_count(&self) -> u64 {
        self.target_count - self.slice_len()
    }

    /// The tracked targets.
    pub fn tracked(&self) -> &BTreeMap<String, Tracked> {
        &self.tracked
    }

    /// `None` for a device outside the slice, or one the caller did not track.
    pub fn device_state(&self, device_id: &str) -> Option<DeviceRolloutState> {
        self.tracked.get(device_id).and_then(|t| t.state)
    }

    pub fn counters(&self) -> DeviceCounters {
        self.counters
    }

    /// The slice covers every target and each one has a verdict (successful, failed or timed
    /// out): nothing is left to install.
    pub fn all_decided(&self) -> bool {
        let c = &self.counters;
        self.slice_len() == self.target_count
            && c.successful + c.failed + c.timed_out == self.target_count
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

    /// Operator resume: paused → active. Completes at once if every target has a verdict.
    pub fn resume(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        let mut events = vec![self.transition(RolloutTrigger::Resume)?];
        self.complete_if_all_decided(&mut events);
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
        let from = self.status;
        self.canary_percent = canary_percent;
        self.status = to;
        let mut events = vec![RolloutEvent::Transitioned {
            from,
            to,
            trigger: RolloutTrigger::Advance,
        }];
        self.schedule_slice(&mut events);
        Ok(events)
    }

    /// Operator rollback: active or paused → rolling_back. Nothing is scheduled afterwards.
    pub fn rollback(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        Ok(vec![self.transition(RolloutTrigger::Rollback)?])
    }

    /// A device joined the target set while the rollout runs (e.g. it was added to the target
    /// profile). It takes the next position, and the slice is re-applied, so it (or the next
    /// pending target) is scheduled when the current percentage now covers one more device.
    /// While paused a newly covered device is only `scheduled`: its command waits for resume
    /// like every held-back device. Rolling back or completed rollouts take no new targets
    /// (FAILED_PRECONDITION); a tracked device (already a target) changes nothing.
    pub fn add_target(&mut self, device_id: &str) -> Result<Vec<RolloutEvent>, ApiError> {
        self.ensure_not_completed("add a device to")?;
        if self.status == RolloutStatus::RollingBack {
            return Err(ApiError::failed_precondition(format!(
                "device {} cannot join a rollout that is rolling back",
                quoted(device_id)
            )));
        }
        if self.tracked.contains_key(device_id) {
            return Ok(Vec::new());
        }
        let position = self.target_count;
        self.target_count += 1;
        self.tracked.insert(
            device_id.to_owned(),
            Tracked {
                position,
                state: None,
            },
        );
        let mut events = Vec::new();
        self.schedule_slice(&mut events);
        Ok(events)
    }

    /// Completes an active rollout whose every target already has a verdict (what the last
    /// verdict or a resume does by itself): for rollouts stored by a server that completed only
    /// when every device succeeded. Anything else is left as it is, with no event.
    pub fn complete_if_finished(&mut self) -> Vec<RolloutEvent> {
        let mut events = Vec::new();
        self.complete_if_all_decided(&mut events);
        events
    }

    /// The caller's rollback commands are all acknowledged: rolling_back → completed.
    pub fn finish_rollback(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        Ok(vec![self.transition(RolloutTrigger::RollbackFinished)?])
    }

    /// The `ota_start` commands for every scheduled device go out (persistent RPC). Only while
    /// active: a paused rollout holds its scheduled devices back. Nothing to send is no event.
    pub fn send_commands(&mut self) -> Result<Vec<RolloutEvent>, ApiError> {
        if self.status != RolloutStatus::Active {
            return Err(ApiError::failed_precondition(format!(
                "cannot send update commands while the rollout is {}; commands go out only while it is active",
                self.status
            )));
        }
        let count = self.counters.scheduled;
        if count == 0 {
            return Ok(Vec::new());
        }
        let (from, to) = (
            DeviceRolloutState::Scheduled,
            DeviceRolloutState::CommandSent,
        );
        self.counters.shift_n(from, to, count);
        for t in self.tracked.values_mut() {
            if t.state == Some(from) {
                t.state = Some(to);
            }
        }
        Ok(vec![RolloutEvent::CommandsSent { count }])
    }

    /// Record a device's classified report (see [`crate::install_status::classify`]).
    ///
    /// A report from a device still `scheduled` proves the command reached it (it may have
    /// fetched its assignment directly), so it counts as sent first. Repeating the verdict the
    /// device already has is accepted and changes nothing (a retried POST); any other report
    /// after a verdict is `FAILED_PRECONDITION`. `Observed` changes nothing. The device must
    /// be tracked; an untracked one is not a target (NOT_FOUND).
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
        let reached_min = self.min_devices > 0
            && to.is_terminal()
            && !from.is_terminal()
            && self.verdicts() == self.min_devices;
        if (newly_failed || reached_min)
            && self.status == RolloutStatus::Active
            && threshold_applies(self.verdicts(), self.min_devices)
            && self.over_threshold()
        {
            // Infallible from active; `?` keeps it honest if the table ever changes.
            events.push(self.transition(RolloutTrigger::AutoPause)?);
        }
        if to.is_terminal() {
            self.complete_if_all_decided(&mut events);
        }
        Ok(events)
    }

    fn transition(&mut self, trigger: RolloutTrigger) -> Result<RolloutEvent, ApiError> {
        let from = self.status;
        let to = from.next(trigger)?;
        self.status = to;
        Ok(RolloutEvent::Transitioned { from, to, trigger })
    }

    /// While active, with the slice over every target and a verdict for each: complete, saying
    /// whether all succeeded.
    fn complete_if_all_decided(&mut self, events: &mut Vec<RolloutEvent>) {
        if self.status != RolloutStatus::Active || !self.all_decided() {
            return;
        }
        let trigger = if self.counters.successful == self.target_count {
            RolloutTrigger::AllSucceeded
        } else {
            RolloutTrigger::FinishedWithFailures
        };
        if let Ok(ev) = self.transition(trigger) {
            events.push(ev);
        }
    }

    /// Schedule every target the current percentage covers and that is not scheduled yet.
    fn schedule_slice(&mut self, events: &mut Vec<RolloutEvent>) {
        let have = self.counters.total();
        let want = self.slice_len();
        if want <= have {
            return;
        }
        self.counters
            .add_n(DeviceRolloutState::Scheduled, want - have);
        for t in self.tracked.values_mut() {
            if (have..want).contains(&t.position) {
                t.state = Some(DeviceRolloutState::Scheduled);
            }
        }
        events.push(RolloutEvent::SliceScheduled {
            from: have,
            to: want,
        });
    }

    fn set_device(
        &mut self,
        device_id: &str,
        from: DeviceRolloutState,
        to: DeviceRolloutState,
        events: &mut Vec<RolloutEvent>,
    ) {
        if let Some(t) = self.tracked.get_mut(device_id) {
            t.state = Some(to);
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
        match self.tracked.get(device_id) {
            Some(Tracked {
                state: Some(state), ..
            }) => Ok(*state),
            Some(Tracked { state: None, .. }) => Err(ApiError::failed_precondition(format!(
                "device {} is not scheduled yet: it is outside the current {}% slice",
                quoted(device_id),
                self.canary_percent
            ))),
            None => Err(ApiError::not_found(format!(
                "device {} is not a target of this rollout",
                quoted(device_id)
            ))),
        }
    }

    fn ensure_not_completed(&self, action: &str) -> Result<(), ApiError> {
        if self.status.is_terminal() {
            return Err(ApiError::failed_precondition(format!(
                "cannot {action} a rollout that is {}",
                self.status
            )));
        }
        Ok(())
    }
}

fn corrupt(what: String) -> ApiError {
    ApiError::internal(format!("stored rollout is inconsistent: {what}"))
}

/// A report from a device on the rollback track (it was sent `ota_rollback`; this aggregate
/// tracks the forward update only): the device state machine's edge for the report's verdict,
/// where the same verdict again stays put (a retried POST) exactly as on the way up, and
/// `Observed` changes nothing. Any other report after a verdict is `FAILED_PRECONDITION`.
pub fn rollback_report(
    from: DeviceRolloutState,
    outcome: ReportOutcome,
) -> Result<DeviceRolloutState, ApiError> {
    let Some(trigger) = outcome.trigger() else {
        return Ok(from);
    };
    match from.next(trigger) {
        Ok(to) => Ok(to),
        Err(_) if is_repeat_of_verdict(from, trigger) => Ok(from),
        Err(e) => Err(ApiError::failed_precondition(format!(
            "rollback of this device: {e}"
        ))),
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
