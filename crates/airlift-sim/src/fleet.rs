//! The fleet: provisioning (bulk API) or loading devices, and running them all in one tokio
//! runtime, sharing one HTTP client; idle devices wait in one deadline queue
//! ([`crate::schedule`]), busy ones run a task each.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use airlift_core::wire::CreateDevice;
use tokio::sync::Semaphore;

use crate::config::{RunConfig, StopCondition, StopHandle};
use crate::creds::{self, DeviceCreds, DeviceToken};
use crate::device::{Device, Shared};
use crate::http::Http;
use crate::state::Board;
use crate::summary::Summary;
use crate::user_api::UserApi;

/// What to provision.
#[derive(Debug, Clone)]
pub struct ProvisionSpec {
    pub profile_id: String,
    pub device_type: String,
    pub firmware_version: String,
    pub count: usize,
    /// Devices are named `{name_prefix}-{n}` (n from `first_number`).
    pub name_prefix: String,
    pub first_number: usize,
}

/// A set of simulated devices (ids, tokens, starting firmware).
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    devices: Vec<DeviceCreds>,
}

impl Fleet {
    pub fn new(devices: Vec<DeviceCreds>) -> Self {
        Self { devices }
    }

    pub fn devices(&self) -> &[DeviceCreds] {
        &self.devices
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    pub fn extend(&mut self, other: Fleet) {
        self.devices.extend(other.devices);
    }

    /// Takes each device's current firmware version from the server (a device updated in an
    /// earlier run starts on what it runs now, not on what it was provisioned with). Returns
    /// how many devices of the fleet the server does not know.
    pub async fn refresh_firmware(&mut self, api: &UserApi) -> anyhow::Result<usize> {
        let listed = api
            .devices()
            .await
            .map_err(|e| anyhow::anyhow!("listing devices: {e}"))?;
        let by_id: std::collections::HashMap<&str, &str> = listed
            .iter()
            .map(|d| (d.device_id.as_str(), d.firmware_version.as_str()))
            .collect();
        let mut unknown = 0;
        for d in &mut self.devices {
            match by_id.get(d.device_id.as_str()) {
                Some(fw) => d.firmware_version = (*fw).to_owned(),
                None => unknown += 1,
            }
        }
        Ok(unknown)
    }

    /// Reads a devices file (JSON lines, see [`creds`]).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        Ok(Self::new(creds::load(path)?))
    }

    /// Writes the devices file, mode 0600.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        creds::save(path, &self.devices)
    }

    /// Provisions `spec.count` devices with the bulk API.
    pub async fn provision(api: &UserApi, spec: &ProvisionSpec) -> anyhow::Result<Self> {
        let reqs = (0..spec.count)
            .map(|i| CreateDevice {
                name: format!("{}-{}", spec.name_prefix, spec.first_number + i),
                profile_id: spec.profile_id.clone(),
                device_type: spec.device_type.clone(),
                firmware_version: spec.firmware_version.clone(),
            })
            .collect();
        let provisioned = api
            .provision(reqs)
            .await
            .map_err(|e| anyhow::anyhow!("bulk provisioning: {e}"))?;
        Ok(Self::new(
            provisioned
                .into_iter()
                .map(|p| DeviceCreds {
                    device_id: p.device.device_id,
                    device_token: DeviceToken::new(p.device_token),
                    name: p.device.name,
                    profile_id: p.device.profile_id,
                    device_type: p.device.device_type,
                    firmware_version: p.device.firmware_version,
                })
                .collect(),
        ))
    }

    /// Runs every device until `until` holds, then returns the summary. The device at
    /// position `i` of this fleet has index `i` (its random streams and faults derive from
    /// the seed and `i`).
    pub async fn run(&self, config: RunConfig, until: StopCondition) -> anyhow::Result<Summary> {
        config.faults.validate().map_err(|e| anyhow::anyhow!(e))?;
        let http = Http::with_ca(
            &config.server,
            config.max_in_flight,
            crate::USER_AGENT,
            config.ca_cert_pem.as_deref(),
        )
        .map_err(|e| anyhow::anyhow!("HTTP client: {e}"))?;
        let run_nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u32);
        let shared = Arc::new(Shared {
            http,
            board: Board::new(self.devices.len()),
            jobs: Arc::new(Semaphore::new(config.max_active_jobs.max(1))),
            cfg: config.clone(),
            run_nonce,
        });
        let stop = StopHandle::new();
        let mut outcomes = Vec::with_capacity(self.devices.len());
        let mut devices = Vec::with_capacity(self.devices.len());
        for (i, d) in self.devices.iter().enumerate() {
            let (device, outcome) = Device::new(i as u64, d.clone(), shared.clone());
            outcomes.push(outcome);
            devices.push(device);
        }
        let scheduler = tokio::spawn(crate::schedule::run(devices, stop.subscribe()));
        let started = Instant::now();
        let show = config.progress;
        let live = LiveLine::new(stderr_is_tty());
        let mut last_line = Instant::now();
        loop {
            if met(&until, &shared.board, started) {
                break;
            }
            if show && last_line.elapsed() >= live.every() {
                last_line = Instant::now();
                live.draw(&shared.board.line());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // No queued device may start a job while the others are being stopped.
        shared.jobs.close();
        stop.stop();
        let _ = scheduler.await;
        if show {
            live.finish(&shared.board.line());
        }
        let outcomes = outcomes
            .into_iter()
            .map(|o| o.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect();
        let mut summary = Summary::build(
            config.seed,
            started.elapsed().as_millis() as u64,
            outcomes,
            config.per_device,
        );
        summary.key_refreshes = config.verifier.refreshes();
        Ok(summary)
    }
}

/// The progress line on stderr: redrawn in place once a second on a terminal; elsewhere (a CI
/// log, a file) a plain line every 5 s, with no escape codes.
struct LiveLine {
    tty: bool,
}

impl LiveLine {
    fn new(tty: bool) -> Self {
        Self { tty }
    }

    fn every(&self) -> Duration {
        Duration::from_secs(if self.tty { 1 } else { 5 })
    }

    fn draw(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        let _ = if self.tty {
            write!(err, "\r\x1b[2K{line}")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }

    fn finish(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        let _ = if self.tty {
            writeln!(err, "\r\x1b[2K{line}")
        } else {
            writeln!(err, "{line}")
        };
    }
}

/// Whether stderr should get the live line without `--progress`.
pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}

fn met(c: &StopCondition, board: &Board, started: Instant) -> bool {
    match c {
        StopCondition::Handle(h) => h.is_stopped(),
        StopCondition::After(d) => started.elapsed() >= *d,
        StopCondition::Settled { quiet } => {
            board.jobs_started() > 0
                && !board.any_busy()
                && board.quiet_for_ms() >= quiet.as_millis() as u64
        }
        StopCondition::Any(cs) => cs.iter().any(|c| met(c, board, started)),
    }
}
