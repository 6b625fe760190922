//! Each simulated device's live state, kept in one atomic per device so the progress line
//! and the stop conditions read 10,000 devices without locks.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum DeviceState {
    /// Polling, nothing to do yet.
    Idle = 0,
    Downloading = 1,
    Installing = 2,
    Rebooting = 3,
    /// Away for `--offline-for` (link down).
    Offline = 4,
    /// Took a command and went silent for good.
    Hung = 5,
    /// Its last job installed the package and it runs the new version.
    Installed = 6,
    /// Its last job failed to download or install.
    Failed = 7,
    /// Its last download failed verification (checksum or signature) and was not installed.
    Rejected = 8,
    /// The server refuses this device's token (deleted device, wrong server).
    Unauthorized = 9,
    /// Has a job and waits for one of the fleet's job slots.
    Queued = 10,
}

impl DeviceState {
    pub const ALL: [DeviceState; 11] = [
        Self::Idle,
        Self::Downloading,
        Self::Installing,
        Self::Rebooting,
        Self::Offline,
        Self::Hung,
        Self::Installed,
        Self::Failed,
        Self::Rejected,
        Self::Unauthorized,
        Self::Queued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Downloading => "downloading",
            Self::Installing => "installing",
            Self::Rebooting => "rebooting",
            Self::Offline => "offline",
            Self::Hung => "hung",
            Self::Installed => "installed",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Unauthorized => "unauthorized",
            Self::Queued => "queued",
        }
    }

    fn from_u8(v: u8) -> Self {
        Self::ALL.get(usize::from(v)).copied().unwrap_or(Self::Idle)
    }

    /// Working on a job (what `Settled` waits out).
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            Self::Queued | Self::Downloading | Self::Installing | Self::Rebooting | Self::Offline
        )
    }
}

/// The shared board: one state per device, plus activity clocks for stop conditions.
#[derive(Debug)]
pub struct Board {
    states: Vec<AtomicU8>,
    started: Instant,
    /// Milliseconds since `started` of the last job start or finish.
    last_activity_ms: AtomicU64,
    jobs_started: AtomicU64,
    jobs_finished: AtomicU64,
}

impl Board {
    pub fn new(devices: usize) -> Self {
        Self {
            states: (0..devices).map(|_| AtomicU8::new(0)).collect(),
            started: Instant::now(),
            last_activity_ms: AtomicU64::new(0),
            jobs_started: AtomicU64::new(0),
            jobs_finished: AtomicU64::new(0),
        }
    }

    pub fn set(&self, index: usize, state: DeviceState) {
        if let Some(s) = self.states.get(index) {
            s.store(state as u8, Ordering::Relaxed);
        }
    }

    pub fn get(&self, index: usize) -> DeviceState {
        self.states.get(index).map_or(DeviceState::Idle, |s| {
            DeviceState::from_u8(s.load(Ordering::Relaxed))
        })
    }

    pub fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn touch(&self) {
        self.last_activity_ms
            .store(self.elapsed_ms(), Ordering::Relaxed);
    }

    pub fn job_started(&self) {
        self.jobs_started.fetch_add(1, Ordering::Relaxed);
        self.touch();
    }

    pub fn job_finished(&self) {
        self.jobs_finished.fetch_add(1, Ordering::Relaxed);
        self.touch();
    }

    pub fn jobs_started(&self) -> u64 {
        self.jobs_started.load(Ordering::Relaxed)
    }

    pub fn jobs_finished(&self) -> u64 {
        self.jobs_finished.load(Ordering::Relaxed)
    }

    pub fn quiet_for_ms(&self) -> u64 {
        self.elapsed_ms()
            .saturating_sub(self.last_activity_ms.load(Ordering::Relaxed))
    }

    /// Devices per state, in [`DeviceState::ALL`] order.
    pub fn counts(&self) -> [u64; 11] {
        let mut c = [0u64; 11];
        for s in &self.states {
            let i = usize::from(s.load(Ordering::Relaxed));
            if let Some(slot) = c.get_mut(i) {
                *slot += 1;
            }
        }
        c
    }

    pub fn any_busy(&self) -> bool {
        self.states
            .iter()
            .any(|s| DeviceState::from_u8(s.load(Ordering::Relaxed)).is_busy())
    }

    /// One status line: elapsed time and the non-zero states.
    pub fn line(&self) -> String {
        let counts = self.counts();
        let parts: Vec<String> = DeviceState::ALL
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{} {n}", s.as_str()))
            .collect();
        format!(
            "[{:>6.1}s] {} devices: {}",
            self.elapsed_ms() as f64 / 1000.0,
            self.states.len(),
            parts.join(" · ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_line() {
        let b = Board::new(3);
        b.set(1, DeviceState::Downloading);
        b.set(2, DeviceState::Installed);
        assert_eq!(b.counts()[0], 1);
        assert!(b.any_busy());
        assert!(
            b.line().contains("downloading 1 · installed 1"),
            "{}",
            b.line()
        );
        b.set(7, DeviceState::Hung); // out of range: ignored
        assert_eq!(b.get(2), DeviceState::Installed);
    }
}
