//! Desktop notifications for events a person must act on even when the window is hidden.
//!
//! Today that is one event: a rollout paused itself because too many devices failed. The message
//! names the rollout, the package and the failure rate, so the person can judge from the
//! notification alone whether to drop everything.
//!
//! [`Notifier`] is a trait so the app can swap in a recording fake in its own tests; the real
//! [`DesktopNotifier`] talks to `org.freedesktop.Notifications` on the session bus through
//! `notify-rust`'s pure-Rust zbus backend (no libdbus needed).

use serde::{Deserialize, Serialize};

use crate::error::{DeskError, DeskErrorCode};

/// What the person needs to know about an automatically paused rollout. Every number is the
/// pause event's own, as the server counted at the moment it paused: later changes to the slice
/// (an advance, more reports) never leak into the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PausedRollout {
    /// The connection's display name (which fleet this is), e.g. "Production".
    pub connection_name: String,
    pub rollout_id: String,
    /// The package's device type ("temp-sensor"): what people call the build by.
    pub device_type: String,
    pub package_version: String,
    /// Devices of the slice that failed or timed out (what auto-pause counts).
    pub failed: u64,
    /// Of `failed`, how many timed out.
    pub timed_out: u64,
    /// Devices of the slice with a verdict: succeeded, failed or timed out.
    pub decided: u64,
    /// Every device of the slice, whatever its state: the auto-pause denominator.
    pub in_slice: u64,
    /// The rollout's auto-pause threshold, in percent.
    pub threshold_percent: u32,
}

impl PausedRollout {
    /// Failure rate in tenths of a percent, rounded up: a rate strictly above the threshold
    /// (what pauses) never reads as equal to it. Integer math: no "15.000000001".
    fn failure_permille(&self) -> u64 {
        if self.in_slice == 0 {
            return 0;
        }
        let permille = (u128::from(self.failed) * 1000).div_ceil(u128::from(self.in_slice));
        u64::try_from(permille).unwrap_or(u64::MAX)
    }

    /// "15 %", "33.4 %".
    pub fn failure_rate_text(&self) -> String {
        let p = self.failure_permille();
        match p % 10 {
            0 => format!("{} %", p / 10),
            tenth => format!("{}.{tenth} %", p / 10),
        }
    }

    /// "temp-sensor 2.1.0 paused"
    pub fn summary(&self) -> String {
        format!("{} {} paused", self.device_type, self.package_version)
    }

    /// "14 of 52 devices failed (27 %), above the 25 % threshold; 38 of 52 had finished. …"
    pub fn body(&self) -> String {
        let what = if self.timed_out > 0 {
            "failed or timed out"
        } else {
            "failed"
        };
        format!(
            "{failed} of {slice} devices {what} ({rate}), above the {threshold} % threshold; \
             {decided} of {slice} had finished. Rollout {id} on {connection} paused itself: \
             open Airlift to review the failures, then resume or roll back.",
            failed = self.failed,
            slice = self.in_slice,
            rate = self.failure_rate_text(),
            threshold = self.threshold_percent,
            decided = self.decided,
            id = self.rollout_id,
            connection = self.connection_name,
        )
    }
}

/// Something that can tell the person about events.
pub trait Notifier: Send + Sync {
    fn rollout_paused(&self, info: &PausedRollout) -> Result<(), DeskError>;
}

/// What to do when the person clicks a rollout's notification: called with the rollout id, on
/// a thread of the notifier's own.
pub type OnOpen = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// The action a click on the notification's body sends (freedesktop's "default" action).
pub const OPEN_ACTION: &str = "default";

/// Notifications through the freedesktop notification service on the session bus.
///
/// `rollout_paused` blocks until the service answers (milliseconds); call it from a blocking
/// worker, not from inside an async runtime's task.
#[derive(Clone)]
pub struct DesktopNotifier {
    app_name: String,
    on_open: Option<OnOpen>,
}

impl std::fmt::Debug for DesktopNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesktopNotifier")
            .field("app_name", &self.app_name)
            .field("on_open", &self.on_open.is_some())
            .finish()
    }
}

impl Default for DesktopNotifier {
    fn default() -> Self {
        Self::new("Airlift")
    }
}

impl DesktopNotifier {
    pub fn new(app_name: &str) -> Self {
        Self {
            app_name: app_name.to_string(),
            on_open: None,
        }
    }

    /// Offers an "Open rollout" action (a click on the notification, where the service supports
    /// actions) that calls `on_open` with the rollout id.
    pub fn with_on_open(mut self, on_open: OnOpen) -> Self {
        self.on_open = Some(on_open);
        self
    }
}

impl Notifier for DesktopNotifier {
    fn rollout_paused(&self, info: &PausedRollout) -> Result<(), DeskError> {
        let mut notification = notify_rust::Notification::new();
        notification
            .appname(&self.app_name)
            .summary(&info.summary())
            .body(&info.body())
            .icon("dialog-warning");
        if self.on_open.is_some() {
            notification.action(OPEN_ACTION, "Open rollout");
        }
        // Urgency and hints are freedesktop concepts; macOS and Windows have no such setters.
        #[cfg(all(unix, not(target_os = "macos")))]
        notification
            // Critical: a paused rollout stays on screen until the person dismisses it.
            .urgency(notify_rust::Urgency::Critical)
            .hint(notify_rust::Hint::Category("transfer.error".to_string()));
        let handle = notification.show().map_err(|err| {
            DeskError::new(
                DeskErrorCode::Notification,
                format!(
                    "could not show a desktop notification (is a notification service \
                         running?): {err}"
                ),
            )
        })?;
        if let Some(on_open) = self.on_open.clone() {
            // Waiting for the click blocks until the notification is acted on or closed, so it
            // gets a thread of its own; the watcher goes on at once.
            let rollout_id = info.rollout_id.clone();
            let spawned = std::thread::Builder::new()
                .name("notification-action".into())
                .spawn(move || {
                    handle.wait_for_action(|action| {
                        if action == OPEN_ACTION {
                            on_open(&rollout_id);
                        }
                    })
                });
            if let Err(err) = spawned {
                tracing::warn!(error = %err, "cannot wait for a click on the notification");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paused(failed: u64, in_slice: u64) -> PausedRollout {
        PausedRollout {
            connection_name: "Production".into(),
            rollout_id: "rol_42".into(),
            device_type: "gateway".into(),
            package_version: "2.1.0".into(),
            failed,
            timed_out: 0,
            decided: failed.saturating_add(2),
            in_slice,
            threshold_percent: 10,
        }
    }

    #[test]
    fn failure_rate_is_rounded_up_to_a_tenth_of_a_percent() {
        assert_eq!(paused(3, 20).failure_rate_text(), "15 %");
        assert_eq!(paused(1, 3).failure_rate_text(), "33.4 %");
        assert_eq!(paused(14, 52).failure_rate_text(), "27 %");
        assert_eq!(paused(0, 0).failure_rate_text(), "0 %");
        assert_eq!(paused(u64::MAX, u64::MAX).failure_rate_text(), "100 %");
        // 1001 of 10000 is 10.01 %: strictly above 10 %, so it must not read "10 %".
        assert_eq!(paused(1001, 10_000).failure_rate_text(), "10.1 %");
    }

    #[test]
    fn the_text_states_the_slice_at_the_pause_and_the_threshold() {
        let info = paused(3, 20);
        assert_eq!(info.summary(), "gateway 2.1.0 paused");
        assert_eq!(
            info.body(),
            "3 of 20 devices failed (15 %), above the 10 % threshold; 5 of 20 had finished. \
             Rollout rol_42 on Production paused itself: open Airlift to review the failures, \
             then resume or roll back."
        );
        let timed_out = PausedRollout {
            timed_out: 1,
            ..paused(3, 20)
        };
        assert!(
            timed_out
                .body()
                .starts_with("3 of 20 devices failed or timed out (15 %)"),
            "{}",
            timed_out.body()
        );
    }
}
