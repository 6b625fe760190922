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

    /// Devices per state as they stand now, each counted once: a device a rollback reached
    /// ([`Self::rollback_reach`]) is counted in its rollback state (`rollback`, the rollback
    /// track's counters), every other device in its state here. These are the rows a state
    /// filter of the rollout's device list shows (it filters on the rollback state where there
    /// is one), so per state they equal the rows, and together they are every device in the
    /// slice. Without a rollback they are these counters.
    pub fn current(&self, rollback: Option<&DeviceCounters>) -> DeviceCounters {
        let Some(rollback) = rollback else {
            return *self;
        };
        // A rollback reaches every device in these states and leaves them there (their later
        // reports go to the rollback track), so they are all in `rollback` now.
        DeviceCounters {
            scheduled: self.scheduled + rollback.scheduled,
            command_sent: rollback.command_sent,
            in_progress: rollback.in_progress,
            successful: rollback.successful,
            failed: self.failed + rollback.failed,
            timed_out: rollback.timed_out,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_counts_each_device_once_in_the_state_it_shows() {
        let main = DeviceCounters {
            scheduled: 3,
            command_sent: 1,
            in_progress: 2,
            successful: 47,
            failed: 5,
            timed_out: 2,
        };
        assert_eq!(main.current(None), main);
        // The rollback reached the 52 devices the update reached; 47 are back, 3 still on
        // their way, 2 failed to roll back.
        let rollback = DeviceCounters {
            command_sent: 3,
            successful: 47,
            failed: 2,
            ..DeviceCounters::default()
        };
        assert_eq!(rollback.total(), main.rollback_reach());
        let now = main.current(Some(&rollback));
        assert_eq!(
            now,
            DeviceCounters {
                scheduled: 3,
                command_sent: 3,
                in_progress: 0,
                successful: 47,
                failed: 7,
                timed_out: 0,
            }
        );
        assert_eq!(now.total(), main.total(), "every device counted once");
    }
}
