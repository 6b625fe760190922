//! One simulated device: an async state machine that polls for its assignment, downloads the
//! package in shuffled ranges (resuming after a link drop), verifies it, installs, reboots,
//! reports seed 002's statuses and acknowledges its commands. Injected faults bend that path.
//! Seed 002's package types: a FILE package is that artifact; a JSON package is checked
//! (its canonical JSON against the checksum and signature) and counts as installed once
//! applied, without a reboot; a URL list is checked the same way, then every file is downloaded
//! and verified against it before the install.
//!
//! Split by concern: this file polls and keeps the job's books; `install.rs` takes a job from
//! start to installed, `fetch.rs` gets its bytes per payload type, `download.rs` the ranged
//! download, `reports.rs` what the device tells the server.

mod download;
mod fetch;
mod install;
mod reports;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::proto::{CommandKind, OtaAssignment};
use airlift_core::wire::{AssignmentEncryption, ConfigOtau};
use rand::Rng as _;
use rand_chacha::ChaCha8Rng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::RunConfig;
use crate::creds::DeviceCreds;
use crate::faults::{DeviceFaults, FaultKind};
use crate::http::{CallError, Http};
use crate::retry::retry;
use crate::rng::{device_rng, Stream};
use crate::state::{Board, DeviceState};
use crate::summary::{DeviceOutcome, JobOutcome, JobResult};

/// What every device shares.
pub(crate) struct Shared {
    pub http: Http,
    pub cfg: RunConfig,
    pub board: Board,
    /// Slots for devices working on a job (download to reboot): a device waits `queued` for
    /// one, so a large fleet finishes in waves instead of all crawling in lockstep.
    pub jobs: Arc<Semaphore>,
    /// Distinguishes this run's report ids from an earlier run's (see `report`).
    pub run_nonce: u32,
}

/// The job a device is working on.
struct Job {
    rollout_id: String,
    package_id: String,
    version: String,
    size: u64,
    checksum: String,
    signature: Option<String>,
    kind: Option<CommandKind>,
    /// Set for an encrypted package: the download is its stored (encrypted) bytes.
    encryption: Option<AssignmentEncryption>,
    /// Seed 001's download URL as last polled (renewed when it expires).
    download_url: Option<String>,
    /// Seed 002's view: the package type and its payload.
    config: ConfigOtau,
}

/// Why a job stopped: its result, the message reported with it (None: nothing to report) and
/// how many link drops the download survived.
type Stop = (JobResult, Option<String>, u32);

pub(crate) struct Device {
    index: u64,
    creds: DeviceCreds,
    shared: Arc<Shared>,
    rng: ChaCha8Rng,
    faults: DeviceFaults,
    firmware: String,
    /// Written as the device goes, so a run stopped mid-job still has it.
    outcome: Arc<Mutex<DeviceOutcome>>,
    handled: HashSet<String>,
    to_ack: Vec<String>,
    attempted: HashSet<(String, String)>,
    offline_spent: bool,
    report_seq: u64,
    /// This device's job slot while it works.
    slot: Option<OwnedSemaphorePermit>,
}

fn lock(o: &Mutex<DeviceOutcome>) -> std::sync::MutexGuard<'_, DeviceOutcome> {
    o.lock().unwrap_or_else(|p| p.into_inner())
}

impl Device {
    pub fn new(
        index: u64,
        creds: DeviceCreds,
        shared: Arc<Shared>,
    ) -> (Self, Arc<Mutex<DeviceOutcome>>) {
        let faults = shared.cfg.faults.for_device(shared.cfg.seed, index);
        let outcome = Arc::new(Mutex::new(DeviceOutcome {
            index,
            device_id: creds.device_id.clone(),
            faults,
            state: DeviceState::Idle,
            firmware_version: creds.firmware_version.clone(),
            jobs: Vec::new(),
            errors: 0,
            last_error: None,
        }));
        let device = Self {
            index,
            firmware: creds.firmware_version.clone(),
            rng: device_rng(shared.cfg.seed, index, Stream::Behaviour),
            creds,
            shared,
            faults,
            outcome: outcome.clone(),
            handled: HashSet::new(),
            to_ack: Vec::new(),
            attempted: HashSet::new(),
            offline_spent: false,
            report_seq: 0,
            slot: None,
        };
        (device, outcome)
    }

    /// The device's position in its fleet.
    pub fn index(&self) -> u64 {
        self.index
    }

    fn set_state(&self, s: DeviceState) {
        self.shared.board.set(self.index as usize, s);
        lock(&self.outcome).state = s;
    }

    fn note_error(&self, e: &CallError) {
        let mut o = lock(&self.outcome);
        o.errors += 1;
        o.last_error = Some(e.to_string());
    }

    /// The poll interval with ±jitter from the device's own stream.
    fn interval(&mut self) -> Duration {
        let cfg = &self.shared.cfg;
        let j = cfg.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + j * (self.rng.random::<f64>() * 2.0 - 1.0);
        cfg.poll_interval.mul_f64(factor.max(0.01))
    }

    /// How long after the start the device first polls: spread evenly over one interval, so
    /// a fleet's polls arrive at a steady rate instead of all at once.
    pub fn first_wait(&mut self) -> Duration {
        self.shared
            .cfg
            .poll_interval
            .mul_f64(self.rng.random::<f64>())
    }

    /// One poll and whatever it leads to; returns how long to wait before the next. The
    /// fleet's scheduler ([`crate::schedule`]) calls it when the device is due.
    pub async fn step(&mut self) -> Duration {
        self.flush_acks().await;
        let shared = self.shared.clone();
        let creds = &self.creds;
        let polled = retry(|| shared.http.poll(creds)).await;
        let a = match polled {
            Ok(Some(a)) => a,
            Ok(None) => return self.interval(),
            Err(e) => {
                self.note_error(&e);
                if matches!(e.status(), Some(401 | 403 | 404)) {
                    self.set_state(DeviceState::Unauthorized);
                    return self.interval() * 4;
                }
                return self.interval();
            }
        };
        let Some(job) = self.pick_job(&a) else {
            return self.interval();
        };
        let applies =
            job.kind != Some(CommandKind::OtaRollback) || self.shared.cfg.faults_on_rollback;
        let fault = if applies { self.faults.fault } else { None };
        self.start_job(&job);
        if fault == Some(FaultKind::Hang) {
            self.set_state(DeviceState::Hung);
            self.finish_job(JobResult::Hung, None, 0);
            // Silent for good: no report, no ack, no poll.
            std::future::pending::<()>().await;
        }
        self.shared.board.job_started();
        self.take_slot().await;
        let (result, message, resumes) = self.execute(&job, fault).await;
        self.slot = None;
        self.shared.board.job_finished();
        self.finish_job(result, message, resumes);
        // Every command delivered with this assignment has been dealt with.
        for c in &a.commands {
            self.handled.insert(c.command_id.clone());
            if !self.to_ack.contains(&c.command_id) {
                self.to_ack.push(c.command_id.clone());
            }
        }
        self.flush_acks().await;
        self.interval()
    }

    /// The work an assignment asks for: its unhandled commands, or (for a server that sends
    /// none) an assignment not tried yet whose version the device does not run.
    fn pick_job(&mut self, a: &OtaAssignment) -> Option<Job> {
        let fresh: Vec<_> = a
            .commands
            .iter()
            .filter(|c| !self.handled.contains(&c.command_id))
            // An `ota_cancel` (of a cancelled rollout) is work to stop, never to install.
            .filter(|c| c.kind != CommandKind::OtaCancel)
            .collect();
        let key = (a.rollout_id.clone(), a.package_id.clone());
        let kind = if let Some(c) = fresh
            .iter()
            .find(|c| c.package_id == a.package_id)
            .or(fresh.last())
        {
            Some(c.kind)
        } else if a.commands.is_empty()
            && !self.attempted.contains(&key)
            && a.version != self.firmware
        {
            None
        } else {
            return None;
        };
        self.attempted.insert(key);
        Some(Job {
            rollout_id: a.rollout_id.clone(),
            package_id: a.package_id.clone(),
            version: a.version.clone(),
            size: a.size_bytes,
            checksum: a.checksum.clone(),
            signature: a.signature.clone(),
            kind,
            encryption: a.encryption.clone(),
            download_url: a.download_url.clone(),
            config: a.config_otau.clone(),
        })
    }

    async fn take_slot(&mut self) {
        self.set_state(DeviceState::Queued);
        match self.shared.jobs.clone().acquire_owned().await {
            Ok(permit) => self.slot = Some(permit),
            // Closed: the run is stopping; stay queued until this task is dropped.
            Err(_) => std::future::pending::<()>().await,
        }
    }

    fn start_job(&self, job: &Job) {
        lock(&self.outcome).jobs.push(JobOutcome {
            rollout_id: job.rollout_id.clone(),
            package_id: job.package_id.clone(),
            version: job.version.clone(),
            command: job.kind.map_or("none", CommandKind::as_str).to_owned(),
            result: JobResult::Interrupted,
            message: None,
            resumes: 0,
        });
    }

    fn finish_job(&self, result: JobResult, message: Option<String>, resumes: u32) {
        let mut o = lock(&self.outcome);
        o.firmware_version = self.firmware.clone();
        if let Some(j) = o.jobs.last_mut() {
            j.result = result;
            j.message = message;
            j.resumes = resumes;
        }
    }
}
