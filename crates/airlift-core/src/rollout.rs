//! The rollout state machine of seed 000 (with the spec's completion when some devices failed),
//! how a completed rollout ended, and the event subjects it publishes.
//!
//! ```text
//! [*] --> active : start (canary %)
//! [*] --> scheduled : created with a future start_at
//! scheduled --> active : start_at reached (system)
//! scheduled --> cancelled : operator cancel
//! active --> cancelled : operator cancel
//! paused --> cancelled : operator cancel
//! active --> paused : operator pause
//! active --> paused : failure threshold exceeded (auto, alert)
//! paused --> active : resume
//! active --> active : advance (raise the canary slice)
//! active --> rolling_back : operator rollback
//! paused --> rolling_back : operator rollback
//! active --> completed : all target devices successful (outcome succeeded)
//! active --> completed : every target has a verdict, some failed (outcome some_failed)
//! rolling_back --> completed : rollback finished (outcome rolled_back)
//! completed --> [*]
//! cancelled --> [*]
//! ```
//!
//! `completed` and `cancelled` are the two end states: nothing leaves them.
//!
//! The completing trigger decides the [`RolloutOutcome`] ([`RolloutTrigger::outcome`]): a
//! completed rollout always says how it ended, and a rolled-back one is never a success.
//!
//! Only these edges exist; anything else is an [`IllegalTransition`], which the API reports as
//! `FAILED_PRECONDITION` (409). Keeping the table in one `match` means the server, the UI's
//! button enabling ([`RolloutStatus::allowed`]) and the tests all read the same rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::package::quoted;

/// Where a rollout is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutStatus {
    Active,
    Paused,
    RollingBack,
    Completed,
    /// Created with a `start_at` in the future: it tells no device anything until then.
    Scheduled,
    /// Cancelled by an operator: final; devices not yet told are never told.
    Cancelled,
}

/// What asks a rollout to change status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutTrigger {
    /// Operator `POST .../pause`.
    Pause,
    /// The failure threshold was exceeded (see [`crate::policy::should_auto_pause`]).
    AutoPause,
    /// Operator `POST .../resume`.
    Resume,
    /// Operator `POST .../advance` (raise the canary slice).
    Advance,
    /// Operator `POST .../rollback`.
    Rollback,
    /// Every target device reported success.
    AllSucceeded,
    /// Every target device has a verdict (succeeded, failed or timed out) and some failed,
    /// without the failures pausing the rollout.
    FinishedWithFailures,
    /// Every rollback command was carried out.
    RollbackFinished,
    /// A scheduled rollout's `start_at` was reached (the server's own).
    Start,
    /// Operator `POST .../cancel`.
    Cancel,
}

impl RolloutStatus {
    /// Every status, for exhaustive tests.
    pub const ALL: [RolloutStatus; 6] = [
        RolloutStatus::Active,
        RolloutStatus::Paused,
        RolloutStatus::RollingBack,
        RolloutStatus::Completed,
        RolloutStatus::Scheduled,
        RolloutStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RolloutStatus::Active => "active",
            RolloutStatus::Paused => "paused",
            RolloutStatus::RollingBack => "rolling_back",
            RolloutStatus::Completed => "completed",
            RolloutStatus::Scheduled => "scheduled",
            RolloutStatus::Cancelled => "cancelled",
        }
    }

    /// The status after `trigger`, or why it cannot happen.
    pub fn next(self, trigger: RolloutTrigger) -> Result<RolloutStatus, IllegalTransition> {
        use RolloutStatus::*;
        use RolloutTrigger::*;
        match (self, trigger) {
            (Active, Pause) | (Active, AutoPause) => Ok(Paused),
            (Paused, Resume) => Ok(Active),
            (Active, Advance) => Ok(Active),
            (Active, Rollback) | (Paused, Rollback) => Ok(RollingBack),
            (Active, AllSucceeded) | (Active, FinishedWithFailures) => Ok(Completed),
            (RollingBack, RollbackFinished) => Ok(Completed),
            (Scheduled, Start) => Ok(Active),
            (Scheduled, Cancel) | (Active, Cancel) | (Paused, Cancel) => Ok(Cancelled),
            (from, trigger) => Err(IllegalTransition { from, trigger }),
        }
    }

    /// The triggers accepted in this status (what a UI may offer).
    pub fn allowed(self) -> &'static [RolloutTrigger] {
        use RolloutTrigger::*;
        match self {
            RolloutStatus::Active => &[
                Pause,
                AutoPause,
                Advance,
                Rollback,
                AllSucceeded,
                FinishedWithFailures,
                Cancel,
            ],
            RolloutStatus::Paused => &[Resume, Rollback, Cancel],
            RolloutStatus::RollingBack => &[RollbackFinished],
            RolloutStatus::Completed | RolloutStatus::Cancelled => &[],
            RolloutStatus::Scheduled => &[Start, Cancel],
        }
    }

    /// The operator actions accepted in this status (the API's `allowed_actions`): the
    /// allowed triggers a person can pull, in [`RolloutTrigger::OPERATOR`] order.
    pub fn operator_actions(self) -> Vec<RolloutTrigger> {
        RolloutTrigger::OPERATOR
            .into_iter()
            .filter(|t| self.allowed().contains(t))
            .collect()
    }

    /// `completed` and `cancelled` are the end states: nothing leaves them.
    pub fn is_terminal(self) -> bool {
        matches!(self, RolloutStatus::Completed | RolloutStatus::Cancelled)
    }
}

impl fmt::Display for RolloutStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RolloutStatus {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RolloutStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                ApiError::invalid_argument(format!(
                    "status must be one of scheduled, active, paused, rolling_back, completed, cancelled; got {}",
                    quoted(s)
                ))
            })
    }
}

impl RolloutTrigger {
    /// The triggers a person pulls (the others are the server's own).
    pub const OPERATOR: [RolloutTrigger; 5] = [
        RolloutTrigger::Pause,
        RolloutTrigger::Resume,
        RolloutTrigger::Advance,
        RolloutTrigger::Rollback,
        RolloutTrigger::Cancel,
    ];

    /// Every trigger, for exhaustive tests.
    pub const ALL: [RolloutTrigger; 10] = [
        RolloutTrigger::Pause,
        RolloutTrigger::AutoPause,
        RolloutTrigger::Resume,
        RolloutTrigger::Advance,
        RolloutTrigger::Rollback,
        RolloutTrigger::AllSucceeded,
        RolloutTrigger::FinishedWithFailures,
        RolloutTrigger::RollbackFinished,
        RolloutTrigger::Start,
        RolloutTrigger::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RolloutTrigger::Pause => "pause",
            RolloutTrigger::AutoPause => "auto_pause",
            RolloutTrigger::Resume => "resume",
            RolloutTrigger::Advance => "advance",
            RolloutTrigger::Rollback => "rollback",
            RolloutTrigger::AllSucceeded => "all_succeeded",
            RolloutTrigger::FinishedWithFailures => "finished_with_failures",
            RolloutTrigger::RollbackFinished => "rollback_finished",
            RolloutTrigger::Start => "start_at_reached",
            RolloutTrigger::Cancel => "cancel",
        }
    }

    /// How a rollout completed by this trigger ended; `None` for triggers that do not complete.
    pub fn outcome(self) -> Option<RolloutOutcome> {
        match self {
            RolloutTrigger::AllSucceeded => Some(RolloutOutcome::Succeeded),
            RolloutTrigger::FinishedWithFailures => Some(RolloutOutcome::SomeFailed),
            RolloutTrigger::RollbackFinished => Some(RolloutOutcome::RolledBack),
            RolloutTrigger::Pause
            | RolloutTrigger::AutoPause
            | RolloutTrigger::Resume
            | RolloutTrigger::Advance
            | RolloutTrigger::Rollback
            | RolloutTrigger::Start
            | RolloutTrigger::Cancel => None,
        }
    }

    /// The event a successful transition by this trigger publishes.
    pub fn event_kind(self) -> RolloutEventKind {
        match self {
            RolloutTrigger::Pause | RolloutTrigger::AutoPause => RolloutEventKind::Paused,
            RolloutTrigger::Resume => RolloutEventKind::Resumed,
            RolloutTrigger::Advance => RolloutEventKind::Advanced,
            RolloutTrigger::Rollback => RolloutEventKind::RollingBack,
            RolloutTrigger::AllSucceeded
            | RolloutTrigger::FinishedWithFailures
            | RolloutTrigger::RollbackFinished => RolloutEventKind::Completed,
            RolloutTrigger::Start => RolloutEventKind::Started,
            RolloutTrigger::Cancel => RolloutEventKind::Cancelled,
        }
    }

    /// A verb phrase for error messages ("cannot resume a rollout that is active").
    fn verb(self) -> &'static str {
        match self {
            RolloutTrigger::Pause => "pause",
            RolloutTrigger::AutoPause => "auto-pause",
            RolloutTrigger::Resume => "resume",
            RolloutTrigger::Advance => "advance",
            RolloutTrigger::Rollback => "roll back",
            RolloutTrigger::AllSucceeded => "complete (all devices succeeded)",
            RolloutTrigger::FinishedWithFailures => "complete (every device has a verdict)",
            RolloutTrigger::RollbackFinished => "finish rolling back",
            RolloutTrigger::Start => "start",
            RolloutTrigger::Cancel => "cancel",
        }
    }
}

impl fmt::Display for RolloutTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a completed rollout ended (`null` on the wire until it completes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutOutcome {
    /// Every target device succeeded.
    Succeeded,
    /// Every target device has a verdict; some failed or timed out, at or below the failure
    /// threshold (or after an operator resumed past it).
    SomeFailed,
    /// The rollout was rolled back and the rollback finished.
    RolledBack,
}

impl RolloutOutcome {
    /// Every outcome, for exhaustive tests.
    pub const ALL: [RolloutOutcome; 3] = [
        RolloutOutcome::Succeeded,
        RolloutOutcome::SomeFailed,
        RolloutOutcome::RolledBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RolloutOutcome::Succeeded => "succeeded",
            RolloutOutcome::SomeFailed => "some_failed",
            RolloutOutcome::RolledBack => "rolled_back",
        }
    }
}

impl fmt::Display for RolloutOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RolloutOutcome {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RolloutOutcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                ApiError::invalid_argument(format!(
                    "outcome must be one of succeeded, some_failed, rolled_back; got {}",
                    quoted(s)
                ))
            })
    }
}

/// A transition seed 000's diagram does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IllegalTransition {
    pub from: RolloutStatus,
    pub trigger: RolloutTrigger,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} a rollout that is {}",
            self.trigger.verb(),
            self.from
        )?;
        let allowed = self.from.allowed();
        if allowed.is_empty() {
            write!(f, " (a {} rollout accepts no further actions)", self.from)
        } else {
            let names: Vec<&str> = allowed.iter().map(|t| t.as_str()).collect();
            write!(f, " (allowed now: {})", names.join(", "))
        }
    }
}

impl std::error::Error for IllegalTransition {}

impl From<IllegalTransition> for ApiError {
    fn from(e: IllegalTransition) -> ApiError {
        ApiError::failed_precondition(e.to_string())
    }
}

/// The rollout events of the spec: `profile.ota.rollout.{kind}.{tenant}.{rollout_id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutEventKind {
    Started,
    Paused,
    Resumed,
    Advanced,
    RollingBack,
    Completed,
    /// Created with a future `start_at`.
    Scheduled,
    Cancelled,
}

impl RolloutEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutEventKind::Started => "started",
            RolloutEventKind::Paused => "paused",
            RolloutEventKind::Resumed => "resumed",
            RolloutEventKind::Advanced => "advanced",
            RolloutEventKind::RollingBack => "rolling_back",
            RolloutEventKind::Completed => "completed",
            RolloutEventKind::Scheduled => "scheduled",
            RolloutEventKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for RolloutEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The event subject: `profile.ota.rollout.{kind}.{tenant}.{rollout_id}`.
pub fn event_subject(kind: RolloutEventKind, tenant: &str, rollout_id: &str) -> String {
    format!(
        "profile.ota.rollout.{}.{tenant}.{rollout_id}",
        kind.as_str()
    )
}
