//! One simulated device: an async state machine that polls for its assignment, downloads the
//! package in shuffled ranges (resuming after a link drop), verifies it, installs, reboots,
//! reports seed 002's statuses and acknowledges its commands. Injected faults bend that path.
//! Seed 002's package types: a FILE package is that artifact; a JSON package is checked
//! (its canonical JSON against the checksum and signature) and counts as installed once
//! applied, without a reboot; a URL list is checked the same way, then every file is downloaded
//! and verified against it before the install.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::proto::{CommandKind, OtaAssignment, OtaReport};
use airlift_core::install_status::InstallStatus;
use airlift_core::payload::{canonical_json, PayloadType};
use airlift_core::wire::AssignmentEncryption;
use airlift_core::wire::{signed_url_list_json, ConfigOtau, OtauFile, OtauPayload};
use airlift_device::decrypt::Decryption;
use rand::Rng as _;
use rand_chacha::ChaCha8Rng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{DownloadVia, RunConfig};
use crate::creds::DeviceCreds;
use crate::faults::{DeviceFaults, FaultKind};
use crate::http::{CallError, Http};
use crate::ranges::Assembly;
use crate::retry::retry;
use crate::rng::{device_rng, Stream};
use crate::state::{Board, DeviceState};
use crate::summary::{DeviceOutcome, JobOutcome, JobResult};
use crate::verify::VerifyError;

/// Download URLs renewed (after a 403) within one download before it counts as failed.
const MAX_RENEWALS: u32 = 3;

/// Largest artifact a simulated device accepts to hold in memory.
const MAX_ARTIFACT: u64 = 512 * 1024 * 1024;

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

    async fn flush_acks(&mut self) {
        let mut left = Vec::new();
        for id in std::mem::take(&mut self.to_ack) {
            let shared = self.shared.clone();
            let creds = &self.creds;
            if let Err(e) = retry(|| shared.http.ack(creds, &id)).await {
                self.note_error(&e);
                if e.is_transient() {
                    left.push(id);
                }
            }
        }
        self.to_ack = left;
    }

    async fn report(
        &mut self,
        job: &Job,
        status: InstallStatus,
        message: Option<String>,
        progress: Option<u32>,
    ) {
        self.report_seq += 1;
        let report = OtaReport {
            // Unique per device and run, so a retried POST is recognised and a restarted
            // simulator is not mistaken for a retry.
            report_id: Some(format!(
                "sim-{:016x}-{:08x}-{}",
                crate::rng::device_seed(0, self.index, Stream::Behaviour)
                    ^ fxhash(&self.creds.device_id),
                self.shared.run_nonce,
                self.report_seq
            )),
            device_id: None,
            rollout_id: job.rollout_id.clone(),
            firmware_version: self.firmware.clone(),
            status: status.as_str().to_owned(),
            message,
            progress,
        };
        let shared = self.shared.clone();
        let creds = &self.creds;
        if let Err(e) = retry(|| shared.http.report(creds, &report)).await {
            self.note_error(&e);
        }
    }

    /// Downloads, verifies, installs and reboots; returns the result, the message reported
    /// with a failure, and how many link drops the download survived.
    async fn execute(
        &mut self,
        job: &Job,
        fault: Option<FaultKind>,
    ) -> (JobResult, Option<String>, u32) {
        // The package, and the key that signed it, existed before this moment.
        let job_started = tokio::time::Instant::now();
        self.set_state(DeviceState::Downloading);
        self.report(job, InstallStatus::Init, None, None).await;
        let fetched = match job.config.payload() {
            Ok(OtauPayload::Json(object)) => {
                let canonical =
                    canonical_json(&serde_json::Value::Object(object)).map_err(|e| e.message);
                self.verify_inline(job, canonical, job_started)
                    .await
                    .map(|()| 0)
            }
            Ok(OtauPayload::UrlList(files)) => {
                self.fetch_url_list(job, &files, fault, job_started).await
            }
            Ok(OtauPayload::File(_)) => self.fetch_artifact(job, fault, job_started).await,
            Err(m) => Err(self.reject(job, InstallStatus::TestError, m).await),
        };
        let resumes = match fetched {
            Ok(resumes) => resumes,
            Err(stop) => return stop,
        };
        if job.config.payload_type == PayloadType::Json {
            return self.apply(job, fault).await;
        }
        self.report(job, InstallStatus::DownloadSuccess, None, Some(100))
            .await;
        self.set_state(DeviceState::Installing);
        self.report(job, InstallStatus::Install, None, None).await;
        let t = self
            .shared
            .cfg
            .install_time
            .mul_f64(0.5 + self.rng.random::<f64>());
        tokio::time::sleep(t).await;
        if fault == Some(FaultKind::Install) {
            let msg = self.shared.cfg.faults.fail_message.clone();
            self.report(job, InstallStatus::InstallError, Some(msg.clone()), None)
                .await;
            self.set_state(DeviceState::Failed);
            return (JobResult::InstallError, Some(msg), resumes);
        }
        self.report(job, InstallStatus::InstallSuccess, None, Some(100))
            .await;
        self.set_state(DeviceState::Rebooting);
        tokio::time::sleep(self.shared.cfg.reboot_time).await;
        self.firmware = job.version.clone();
        self.report(
            job,
            InstallStatus::InstalledVersion,
            Some(String::new()),
            None,
        )
        .await;
        self.set_state(DeviceState::Installed);
        (JobResult::Installed, None, resumes)
    }

    /// A FILE package: its artifact downloaded and verified.
    async fn fetch_artifact(
        &mut self,
        job: &Job,
        fault: Option<FaultKind>,
        job_started: tokio::time::Instant,
    ) -> Result<u32, Stop> {
        self.report(job, InstallStatus::Download, None, Some(0))
            .await;
        let (bytes, resumes) = match self.download(job, fault).await {
            Ok(v) => v,
            Err((result, msg, resumes)) => {
                if let Some(m) = &msg {
                    self.report(job, InstallStatus::DownloadError, Some(m.clone()), None)
                        .await;
                }
                self.set_state(DeviceState::Failed);
                return Err((result, msg, resumes));
            }
        };
        self.verify(job, &bytes, job_started)
            .await
            .map_err(|(r, m, _)| (r, m, resumes))?;
        Ok(resumes)
    }

    /// A URL list: the list checked against the package's checksum and signature, then every
    /// file downloaded and checked against the list (size, SHA-256) before anything installs.
    async fn fetch_url_list(
        &mut self,
        job: &Job,
        files: &[OtauFile],
        fault: Option<FaultKind>,
        job_started: tokio::time::Instant,
    ) -> Result<u32, Stop> {
        let signed = signed_url_list_json(files).map_err(|e| e.message);
        self.verify_inline(job, signed, job_started).await?;
        self.report(job, InstallStatus::Download, None, Some(0))
            .await;
        let shared = self.shared.clone();
        for (i, file) in files.iter().enumerate() {
            let n = files.len();
            let msg = format!("Downloading file {} of {n}", i + 1);
            let pct = u32::try_from(i * 100 / n).unwrap_or(0);
            self.report(job, InstallStatus::DownloadStep, Some(msg), Some(pct))
                .await;
            let creds = &self.creds;
            let got = retry(|| {
                shared
                    .http
                    .download_file(creds, &file.url, file.size_bytes.min(MAX_ARTIFACT))
            })
            .await;
            let failure = match got {
                Err(e) if matches!(e.status(), Some(403 | 404)) => {
                    self.note_error(&e);
                    return Err((JobResult::Superseded, None, 0));
                }
                Err(e) => Some(format!("Download of file {} of {n} failed: {e}", i + 1)),
                Ok(_) if fault == Some(FaultKind::Download) => Some(format!(
                    "Connection lost during file {} of {n} (simulated link failure).",
                    i + 1
                )),
                Ok(mut bytes) => {
                    if fault == Some(FaultKind::Corrupt) && !bytes.is_empty() {
                        bytes[0] ^= 0xff;
                    }
                    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
                    (bytes.len() as u64 != file.size_bytes || sha != file.sha256.as_str()).then(
                        || {
                            format!(
                                "file {} of {n} ({}) does not match the list: {} bytes with \
                                 SHA-256 {sha}, the list says {} bytes with {}",
                                i + 1,
                                file.url,
                                bytes.len(),
                                file.size_bytes,
                                file.sha256
                            )
                        },
                    )
                }
            };
            if let Some(m) = failure {
                self.report(job, InstallStatus::DownloadError, Some(m.clone()), None)
                    .await;
                self.set_state(DeviceState::Failed);
                return Err((JobResult::DownloadError, Some(m), 0));
            }
        }
        Ok(0)
    }

    /// A JSON payload or a URL list: its canonical JSON checked like an artifact's bytes.
    async fn verify_inline(
        &mut self,
        job: &Job,
        canonical: Result<Vec<u8>, String>,
        job_started: tokio::time::Instant,
    ) -> Result<(), Stop> {
        match canonical {
            Ok(bytes) => self.verify(job, &bytes, job_started).await,
            Err(m) => Err(self.reject(job, InstallStatus::TestError, m).await),
        }
    }

    /// `bytes` against the job's checksum and signature; a mismatch is reported and rejects the
    /// job.
    async fn verify(
        &mut self,
        job: &Job,
        bytes: &[u8],
        job_started: tokio::time::Instant,
    ) -> Result<(), Stop> {
        let checked = self
            .shared
            .cfg
            .verifier
            .check_learning(bytes, &job.checksum, job.signature.as_deref(), job_started)
            .await;
        match checked {
            Ok(()) => Ok(()),
            Err(e) => {
                let status = match e {
                    VerifyError::Checksum { .. } => InstallStatus::DownloadError,
                    VerifyError::Unsigned
                    | VerifyError::Signature { .. }
                    | VerifyError::KeysUnavailable { .. } => InstallStatus::InstallAborted,
                };
                Err(self.reject(job, status, e.to_string()).await)
            }
        }
    }

    async fn reject(&mut self, job: &Job, status: InstallStatus, msg: String) -> Stop {
        self.report(job, status, Some(msg.clone()), None).await;
        self.set_state(DeviceState::Rejected);
        (JobResult::Rejected, Some(msg), 0)
    }

    /// A JSON package: applied at once, no reboot; it then counts as installed.
    async fn apply(&mut self, job: &Job, fault: Option<FaultKind>) -> Stop {
        self.set_state(DeviceState::Installing);
        self.report(job, InstallStatus::Install, None, None).await;
        if fault == Some(FaultKind::Install) {
            let msg = self.shared.cfg.faults.fail_message.clone();
            self.report(job, InstallStatus::InstallError, Some(msg.clone()), None)
                .await;
            self.set_state(DeviceState::Failed);
            return (JobResult::InstallError, Some(msg), 0);
        }
        self.report(job, InstallStatus::InstallSuccess, None, Some(100))
            .await;
        self.firmware = job.version.clone();
        self.report(
            job,
            InstallStatus::InstalledVersion,
            Some(String::new()),
            None,
        )
        .await;
        self.set_state(DeviceState::Installed);
        (JobResult::Installed, None, 0)
    }

    /// Fetches every range (shuffled), surviving link drops by keeping what arrived.
    /// Errors carry the result, the message to report (None: nothing to report) and resumes.
    async fn download(
        &mut self,
        job: &Job,
        fault: Option<FaultKind>,
    ) -> Result<(Vec<u8>, u32), (JobResult, Option<String>, u32)> {
        if job.size > MAX_ARTIFACT {
            let m = format!(
                "artifact of {} bytes is larger than this device holds",
                job.size
            );
            return Err((JobResult::DownloadError, Some(m), 0));
        }
        let decryption = match &job.encryption {
            None => None,
            Some(enc) => {
                let enc = if fault == Some(FaultKind::WrongKey) {
                    wrong_key(enc)
                } else {
                    enc.clone()
                };
                let d = Decryption::from_assignment(&enc, job.size)
                    .map_err(|e| (JobResult::DownloadError, Some(decrypt_message(&e)), 0))?;
                Some(d)
            }
        };
        // An encrypted package's download is its stored bytes (segments with their tags).
        let total = decryption
            .as_ref()
            .map_or(job.size, Decryption::stored_size);
        // Seed 001's URL by default (ranges in order, as a resuming HTTP client asks them);
        // the chunk endpoint when asked to, or when the server hands out no URL.
        let mut url = match self.shared.cfg.download {
            DownloadVia::Url => job.download_url.clone(),
            DownloadVia::Chunks => None,
        };
        let via_url = url.is_some();
        let mut renewals = 0u32;
        let mut asm = if via_url {
            Assembly::with_range_len(total, self.shared.cfg.url_range_len)
        } else {
            Assembly::new(total, self.shared.cfg.range_len)
        }
        .map_err(|m| (JobResult::DownloadError, Some(m), 0))?;
        let ranges_total = asm.missing().len();
        // Where the link drops (offline) or breaks for good (download fault), in ranges.
        let pick_point = |rng: &mut ChaCha8Rng| {
            if ranges_total > 1 {
                rng.random_range(1..ranges_total)
            } else {
                0
            }
        };
        let mut offline_at =
            (self.faults.offline && !self.offline_spent).then(|| pick_point(&mut self.rng));
        let break_at = (fault == Some(FaultKind::Download)).then(|| pick_point(&mut self.rng));
        let mut resumes = 0;
        let mut fetched = 0usize;
        let mut next_step = self.shared.cfg.progress_step.max(1);
        let shared = self.shared.clone();
        loop {
            let plan = if via_url {
                asm.missing()
            } else {
                asm.plan(&mut self.rng)
            };
            if plan.is_empty() {
                break;
            }
            let mut dropped = false;
            for r in plan {
                if break_at == Some(fetched) {
                    let m = format!(
                        "Connection lost after {} of {} bytes (simulated link failure).",
                        asm.received(),
                        asm.total()
                    );
                    return Err((JobResult::DownloadError, Some(m), resumes));
                }
                if offline_at == Some(fetched) {
                    offline_at = None;
                    self.offline_spent = true;
                    resumes += 1;
                    self.slot = None;
                    self.set_state(DeviceState::Offline);
                    tokio::time::sleep(self.shared.cfg.faults.offline_for).await;
                    // Back online: is the assignment still this package?
                    let creds = &self.creds;
                    match retry(|| shared.http.poll(creds)).await {
                        Ok(Some(a)) if a.package_id == job.package_id => {
                            if via_url && a.download_url.is_some() {
                                url = a.download_url;
                            }
                        }
                        Ok(_) => return Err((JobResult::Superseded, None, resumes)),
                        Err(e) => {
                            self.note_error(&e);
                            return Err((JobResult::Superseded, None, resumes));
                        }
                    }
                    self.take_slot().await;
                    self.set_state(DeviceState::Downloading);
                    dropped = true;
                    break;
                }
                let creds = self.creds.clone();
                let got = loop {
                    let got = match url.as_deref() {
                        Some(u) => retry(|| shared.http.fetch_url_range(u, r)).await,
                        None => retry(|| shared.http.chunk(&creds, &job.package_id, r)).await,
                    };
                    // An expired URL: poll for a fresh one and ask again (a few times: a
                    // URL refused as soon as it is handed out will not get better).
                    match got {
                        Err(e) if via_url && e.status() == Some(403) && renewals < MAX_RENEWALS => {
                            renewals += 1;
                            match retry(|| shared.http.poll(&creds)).await {
                                Ok(Some(a)) if a.package_id == job.package_id => {
                                    if a.download_url.is_some() {
                                        url = a.download_url;
                                    }
                                }
                                Ok(_) => break Err(None),
                                Err(e) => break Err(Some(e)),
                            }
                        }
                        other => break other.map_err(Some),
                    }
                };
                let reply = match got {
                    Ok(reply) => {
                        renewals = 0;
                        reply
                    }
                    // The assignment moved on while the URL was renewed.
                    Err(None) => return Err((JobResult::Superseded, None, resumes)),
                    Err(Some(e)) => {
                        self.note_error(&e);
                        return Err(match e.status() {
                            // The package is no longer this device's assignment.
                            Some(403 | 404) if !via_url => (JobResult::Superseded, None, resumes),
                            _ => (
                                JobResult::DownloadError,
                                Some(format!("Download failed: {e}")),
                                resumes,
                            ),
                        });
                    }
                };
                if reply.total != total {
                    let m = format!(
                        "artifact is {} bytes, the assignment said {}",
                        reply.total, total
                    );
                    return Err((JobResult::DownloadError, Some(m), resumes));
                }
                if let Err(e) = asm.place(r, reply.offset, &reply.bytes) {
                    return Err((
                        JobResult::DownloadError,
                        Some(format!("Download failed: {e}")),
                        resumes,
                    ));
                }
                fetched += 1;
                let pct = asm.percent();
                if pct >= next_step && pct < 100 {
                    while next_step <= pct {
                        next_step += self.shared.cfg.progress_step.max(1);
                    }
                    let msg = format!("Downloaded {} of {} bytes", asm.received(), asm.total());
                    self.report(job, InstallStatus::DownloadStep, Some(msg), Some(pct))
                        .await;
                }
            }
            if !dropped && !asm.is_complete() {
                // The server sent short ranges: ask for the rest.
                continue;
            }
        }
        if fault == Some(FaultKind::Corrupt) {
            asm.corrupt(&mut self.rng);
        }
        let bytes = asm.into_bytes();
        match decryption {
            None => Ok((bytes, resumes)),
            // Each 64 KiB range decrypts alone; a segment that does not authenticate (wrong
            // key, bytes altered, cut or reordered) is named and nothing is installed.
            Some(d) => d
                .decrypt_all(&bytes)
                .map(|plain| (plain, resumes))
                .map_err(|e| (JobResult::DownloadError, Some(decrypt_message(&e)), resumes)),
        }
    }
}

/// What a device reports when an encrypted package does not decrypt.
fn decrypt_message(e: &airlift_device::decrypt::DecryptFailure) -> String {
    format!("{}: {e}", e.code())
}

/// The assignment with another key (the `wrong-key` fault).
fn wrong_key(enc: &AssignmentEncryption) -> AssignmentEncryption {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut key = engine.decode(&enc.key).unwrap_or_default();
    if let Some(b) = key.first_mut() {
        *b ^= 0xFF;
    }
    AssignmentEncryption {
        key: engine.encode(key),
        ..enc.clone()
    }
}

/// A small stable string hash (FNV-1a) for report ids.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
