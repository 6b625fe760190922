//! The state of one device inside one rollout (seed 000: "scheduled → (update command sent) →
//! successful or failure"), plus `in_progress` for seed 002's progress reports and `timed_out`
//! for devices that stop answering.
//!
//! ```text
//! scheduled --send_command--> command_sent
//! command_sent | in_progress --progress--> in_progress
//! command_sent | in_progress --succeed-->  successful
//! command_sent | in_progress --fail-->     failed
//! command_sent | in_progress --time_out--> timed_out
//! ```
//!
//! `successful`, `failed` and `timed_out` are terminal: a device's verdict in a rollout does not
//! flip back and forth, which is what keeps the auto-pause counters trustworthy.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRolloutState {
    /// In the slice; the `ota_start` command is not issued yet.
    Scheduled,
    /// The persistent `ota_start` command is issued; the device gets it when it next connects.
    CommandSent,
    /// The device reported progress (test, download, install steps).
    InProgress,
    Successful,
    Failed,
    /// The device stopped answering before a verdict; counts as a failure.
    TimedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceTrigger {
    SendCommand,
    Progress,
    Succeed,
    Fail,
    TimeOut,
}

impl DeviceRolloutState {
    pub const ALL: [DeviceRolloutState; 6] = [
        DeviceRolloutState::Scheduled,
        DeviceRolloutState::CommandSent,
        DeviceRolloutState::InProgress,
        DeviceRolloutState::Successful,
        DeviceRolloutState::Failed,
        DeviceRolloutState::TimedOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRolloutState::Scheduled => "scheduled",
            DeviceRolloutState::CommandSent => "command_sent",
            DeviceRolloutState::InProgress => "in_progress",
            DeviceRolloutState::Successful => "successful",
            DeviceRolloutState::Failed => "failed",
            DeviceRolloutState::TimedOut => "timed_out",
        }
    }

    /// The state after `trigger`, or why it cannot happen.
    pub fn next(self, trigger: DeviceTrigger) -> Result<Self, IllegalDeviceTransition> {
        use DeviceRolloutState::*;
        use DeviceTrigger::*;
        match (self, trigger) {
            (Scheduled, SendCommand) => Ok(CommandSent),
            (CommandSent | InProgress, Progress) => Ok(InProgress),
            (CommandSent | InProgress, Succeed) => Ok(Successful),
            (CommandSent | InProgress, Fail) => Ok(Failed),
            (CommandSent | InProgress, TimeOut) => Ok(TimedOut),
            (from, trigger) => Err(IllegalDeviceTransition { from, trigger }),
        }
    }

    /// A verdict was reached; nothing changes this device's state in this rollout any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            DeviceRolloutState::Successful
                | DeviceRolloutState::Failed
                | DeviceRolloutState::TimedOut
        )
    }

    /// Counts toward the auto-pause numerator: an explicit failure or silence past the deadline.
    pub fn counts_as_failed(self) -> bool {
        matches!(
            self,
            DeviceRolloutState::Failed | DeviceRolloutState::TimedOut
        )
    }
}

impl fmt::Display for DeviceRolloutState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DeviceTrigger {
    pub const ALL: [DeviceTrigger; 5] = [
        DeviceTrigger::SendCommand,
        DeviceTrigger::Progress,
        DeviceTrigger::Succeed,
        DeviceTrigger::Fail,
        DeviceTrigger::TimeOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceTrigger::SendCommand => "send_command",
            DeviceTrigger::Progress => "progress",
            DeviceTrigger::Succeed => "succeed",
            DeviceTrigger::Fail => "fail",
            DeviceTrigger::TimeOut => "time_out",
        }
    }
}

impl fmt::Display for DeviceTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A per-device transition the diagram does not have (e.g. a report after a verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IllegalDeviceTransition {
    pub from: DeviceRolloutState,
    pub trigger: DeviceTrigger,
}

impl fmt::Display for IllegalDeviceTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "device rollout state {} does not accept {}",
            self.from, self.trigger
        )?;
        if self.from.is_terminal() {
            write!(f, " (the device already has a final verdict)")?;
        }
        Ok(())
    }
}

impl std::error::Error for IllegalDeviceTransition {}

impl From<IllegalDeviceTransition> for ApiError {
    fn from(e: IllegalDeviceTransition) -> ApiError {
        ApiError::failed_precondition(e.to_string())
    }
}
