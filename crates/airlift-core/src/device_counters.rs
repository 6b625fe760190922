//! How many devices of a rollout are in each per-device state.
//!
//! The auto-pause rule and the rollout API (`GET /rollouts/{id}`: "counters per device state")
//! both read these, so they are kept in one small type that the aggregate updates on every
//! per-device change and that tests can recompute from the per-device states.

use serde::{Deserialize, Serialize};

use crate::device_state::DeviceRolloutState;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeviceCounters {
    pub scheduled: u64,
    pub command_sent: u64,
    pub in_progress: u64,
    pub successful: u64,
    pub failed: u64,
    pub timed_out: u64,
}

impl DeviceCounters {
    /// Count a collection of per-device states from scratch.
    pub fn from_states<I: IntoIterator<Item = DeviceRolloutState>>(states: I) -> Self {
        let mut c = DeviceCounters::default();
        for s in states {
            c.add(s);
        }
        c
    }

    /// The number of devices in `state`.
    pub fn get(&self, state: DeviceRolloutState) -> u64 {
        match state {
            DeviceRolloutState::Scheduled => self.scheduled,
            DeviceRolloutState::CommandSent => self.command_sent,
            DeviceRolloutState::InProgress => self.in_progress,
            DeviceRolloutState::Successful => self.successful,
            DeviceRolloutState::Failed => self.failed,
            DeviceRolloutState::TimedOut => self.timed_out,
        }
    }

    /// Every device in the slice, whatever its state: the auto-pause denominator
    /// ("scheduled devices" in the spec means every device ever scheduled, not only those
    /// still waiting in the `scheduled` state).
    pub fn total(&self) -> u64 {
        self.scheduled
            + self.command_sent
            + self.in_progress
            + self.successful
            + self.failed
            + self.timed_out
    }

    /// Devices that count as failed for auto-pause: `failed` plus `timed_out`.
    pub fn failed_total(&self) -> u64 {
        self.failed + self.timed_out
    }

    /// Devices a rollback sends `ota_rollback` to: every device the update reached (command
    /// sent, in progress, successful, timed out). Failed devices stayed on their previous build
    /// and scheduled ones never got the update, so neither is touched.
    pub fn rollback_reach(&self) -> u64 {
        self.command_sent + self.in_progress + self.successful + self.timed_out
    }

    pub(crate) fn add(&mut self, state: DeviceRolloutState) {
        self.add_n(state, 1);
    }

    pub(crate) fn add_n(&mut self, state: DeviceRolloutState, n: u64) {
        *self.slot(state) += n;
    }

    /// Move one device from `from` to `to`. Saturating, because the counters are derived data:
    /// an underflow would mean a bug elsewhere, and the tests compare against a recount.
    pub(crate) fn shift(&mut self, from: DeviceRolloutState, to: DeviceRolloutState) {
        self.shift_n(from, to, 1);
    }

    /// Move `n` devices from `from` to `to` (saturating, like [`Self::shift`]).
    pub(crate) fn shift_n(&mut self, from: DeviceRolloutState, to: DeviceRolloutState, n: u64) {
        let slot = self.slot(from);
        *slot = slot.saturating_sub(n);
        self.add_n(to, n);
    }

    fn slot(&mut self, state: DeviceRolloutState) -> &mut u64 {
        match state {
            DeviceRolloutState::Scheduled => &mut self.scheduled,
            DeviceRolloutState::CommandSent => &mut self.command_sent,
            DeviceRolloutState::InProgress => &mut self.in_progress,
            DeviceRolloutState::Successful => &mut self.successful,
            DeviceRolloutState::Failed => &mut self.failed,
            DeviceRolloutState::TimedOut => &mut self.timed_out,
        }
    }
}
