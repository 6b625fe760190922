//! How a fleet runs ([`RunConfig`]) and when it stops ([`StopCondition`]).

use std::time::Duration;

use tokio::sync::watch;

use crate::faults::FaultPlan;
use crate::verify::Verifier;

/// Everything [`crate::Fleet::run`] needs besides the devices.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The server, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    /// A CA (PEM) trusted beside the built-in roots (`--ca-cert`).
    pub ca_cert_pem: Option<Vec<u8>>,
    /// Global seed: each device's randomness derives from it and the device's index.
    pub seed: u64,
    /// Mean time between two polls of one device; each wait is jittered by ±`jitter`.
    pub poll_interval: Duration,
    /// Jitter fraction in [0, 1].
    pub jitter: f64,
    /// Range length asked of the chunk endpoint (the server clamps at 64 KiB anyway).
    pub range_len: u64,
    /// How devices fetch their package: the assignment's download URL (default) or the
    /// 64 KiB chunk endpoint.
    pub download: DownloadVia,
    /// Range length asked of a download URL.
    pub url_range_len: u64,
    /// Simulated install time and reboot time.
    pub install_time: Duration,
    pub reboot_time: Duration,
    /// Report DOWNLOAD_STEP every this many percent.
    pub progress_step: u32,
    pub faults: FaultPlan,
    /// Whether injected faults also hit rollback commands (by default only `ota_start`).
    pub faults_on_rollback: bool,
    /// Keys the devices verify signatures with (empty: checksum only).
    pub verifier: Verifier,
    /// At most one fetch of the tenant's keys per this long (see [`Verifier::fetching`]).
    pub key_refresh_interval: Duration,
    /// Cap on HTTP requests in flight across the fleet.
    pub max_in_flight: usize,
    /// Cap on devices working on a job at once (and so holding a download in memory); the
    /// others wait `queued`.
    pub max_active_jobs: usize,
    /// Live summary line on stderr, about once a second.
    pub progress: bool,
    /// Per-device outcomes in the summary.
    pub per_device: bool,
}

impl RunConfig {
    pub fn new(server: impl Into<String>) -> Self {
        Self {
            server: server.into(),
            ca_cert_pem: None,
            seed: 0,
            poll_interval: Duration::from_secs(5),
            jitter: 0.5,
            range_len: crate::ranges::MAX_RANGE,
            download: DownloadVia::Url,
            url_range_len: airlift_device::download_url::URL_RANGE,
            install_time: Duration::from_millis(500),
            reboot_time: Duration::from_secs(1),
            progress_step: 25,
            faults: FaultPlan::default(),
            faults_on_rollback: false,
            verifier: Verifier::default(),
            key_refresh_interval: Duration::from_secs(10),
            max_in_flight: 128,
            max_active_jobs: 256,
            progress: false,
            per_device: false,
        }
    }
}

/// Where a device fetches its package's bytes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadVia {
    /// The assignment's `download_url` (seed 001), in `Range` requests, in order; the chunk
    /// endpoint when the server hands out no URL.
    Url,
    /// Seed 000's 64 KiB chunk endpoint, in shuffled ranges.
    Chunks,
}

/// Stops a running fleet from outside (a test, the demo's Ctrl-C handler).
#[derive(Debug, Clone)]
pub struct StopHandle {
    tx: watch::Sender<bool>,
}

impl Default for StopHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl StopHandle {
    pub fn new() -> Self {
        Self {
            tx: watch::channel(false).0,
        }
    }

    pub fn stop(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_stopped(&self) -> bool {
        *self.tx.borrow()
    }

    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.tx.subscribe()
    }
}

/// When [`crate::Fleet::run`] returns.
#[derive(Debug, Clone)]
pub enum StopCondition {
    /// Only when the handle is stopped.
    Handle(StopHandle),
    /// After this long.
    After(Duration),
    /// Once at least one job ran, no device is busy, and nothing started or finished for
    /// `quiet` (hung devices count as settled).
    Settled { quiet: Duration },
    /// Whichever comes first.
    Any(Vec<StopCondition>),
}

impl StopCondition {
    pub fn any(conditions: impl IntoIterator<Item = StopCondition>) -> Self {
        Self::Any(conditions.into_iter().collect())
    }
}
