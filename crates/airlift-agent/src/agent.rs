//! The agent's loop: at start, settle what a crash interrupted and say which version runs;
//! then poll, and hand an assignment to the job pipeline (`job.rs`).

use airlift_device::proto::{CommandKind, InstallStatus, OtaAssignment, OtaReport};
use airlift_device::retry::retry_with;
use rand::Rng as _;
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

use crate::config::Config;
use crate::error::AgentError;
use crate::log;
use crate::state::{Phase, State};
use crate::version;

pub struct Agent {
    pub(crate) cfg: Config,
    pub(crate) state: State,
    pub(crate) running: semver::Version,
    /// Distinguishes this process's report ids from an earlier one's.
    nonce: u32,
    seq: u64,
    rng: ChaCha8Rng,
    /// The running version still has to be reported (once per start).
    announce: bool,
    /// `ota_cancel`s not looked for yet (once per start, and after a withdrawn job).
    check_cancels: bool,
    /// Why the server's certificate was last refused, while it is: said once per change.
    untrusted: Option<String>,
}

impl Agent {
    pub fn new(cfg: Config) -> Result<Self, AgentError> {
        let running = version::read(&cfg.args.version_file).map_err(AgentError::Config)?;
        let state = State::load(cfg.state_dir()).map_err(AgentError::State)?;
        let mut rng = ChaCha8Rng::from_os_rng();
        Ok(Self {
            cfg,
            state,
            running,
            nonce: rng.random(),
            seq: 0,
            rng,
            announce: true,
            check_cancels: true,
            untrusted: None,
        })
    }

    pub async fn run(mut self) -> Result<(), AgentError> {
        log::info(&format!(
            "device {} runs {}; server {}",
            self.cfg.creds.device_id, self.running, self.cfg.args.server
        ));
        self.settle_interrupted()?;
        loop {
            let outcome = self.cycle().await;
            let untrusted = self.track_untrusted(&outcome);
            match outcome {
                Err(AgentError::Untrusted(_)) => {}
                Err(e) => {
                    log::warn(&format!("{} ({})", e, e.code()));
                    if matches!(e, AgentError::State(_)) {
                        return Err(e);
                    }
                }
                Ok(()) => {}
            }
            // A certificate refused is not asked about again soon: the longest backoff, not
            // the poll interval (a wrong CA needs its operator; a captive portal, time).
            let base = if untrusted {
                self.cfg.backoff.max
            } else {
                self.cfg.args.poll_interval
            };
            let wait = base.mul_f64(0.8 + 0.4 * self.rng.random::<f64>());
            tokio::time::sleep(wait).await;
        }
    }

    /// Says once per change that the server's certificate is refused, with the fix, and once
    /// that it is trusted again; answers whether it is refused now. Only an answer from the
    /// server (a cycle that worked, or a refusal the server sent) ends it: no answer at all
    /// says nothing about the certificate.
    fn track_untrusted(&mut self, outcome: &Result<(), AgentError>) -> bool {
        match outcome {
            Err(AgentError::Untrusted(why)) => {
                if self.untrusted.as_ref() != Some(why) {
                    log::error(&format!(
                        "{why} (TLS_UNTRUSTED); asking again every {:?} until it is trusted",
                        self.cfg.backoff.max
                    ));
                    self.untrusted = Some(why.clone());
                }
                true
            }
            Ok(()) | Err(AgentError::Refused(_)) => {
                if self.untrusted.take().is_some() {
                    log::info(&format!(
                        "the server's TLS certificate is trusted again; polling every {:?}",
                        self.cfg.args.poll_interval
                    ));
                }
                false
            }
            Err(_) => self.untrusted.is_some(),
        }
    }

    /// A job the previous process left mid-way that cannot simply continue.
    fn settle_interrupted(&mut self) -> Result<(), AgentError> {
        let Some(job) = self.state.job.clone() else {
            return Ok(());
        };
        let verdict = match &job.phase {
            Phase::Installing if job_version_runs(&self.running, &job.version) => {
                Some((InstallStatus::InstalledVersion, String::new()))
            }
            Phase::Installing => Some((
                InstallStatus::InstallError,
                format!(
                    "The agent stopped while the install hook for {} was running (crash or \
                     power cut); the outcome is unknown, so the install is not assumed done \
                     and still runs {}.",
                    job.version, self.running
                ),
            )),
            Phase::RestartPending { boot_id } if !job_version_runs(&self.running, &job.version) => {
                (current_boot_id() != *boot_id).then(|| {
                    (
                        InstallStatus::InstallError,
                        format!(
                            "Restarted after installing {}, but the device still runs {} \
                             (the new version did not come up).",
                            job.version, self.running
                        ),
                    )
                })
            }
            Phase::RestartPending { .. } => Some((InstallStatus::InstalledVersion, String::new())),
            Phase::Downloading { .. } | Phase::Verified => None,
        };
        if let Some((status, message)) = verdict {
            let report = self.report_for(&job.rollout_id, status, Some(message), None);
            self.state.settle(report);
            self.save()?;
            self.remove_artifacts();
        }
        Ok(())
    }

    /// One poll and what it leads to.
    async fn cycle(&mut self) -> Result<(), AgentError> {
        self.send_owed().await;
        let http = self.cfg.http.clone();
        let creds = self.cfg.creds.clone();
        let polled = retry_with(&self.cfg.backoff, || http.poll(&creds))
            .await
            .map_err(AgentError::from_call)?;
        // The server answered: its certificate is trusted again now, not only once this
        // cycle's download and install (minutes, for a large image) are over.
        self.track_untrusted(&Ok(()));
        let Some(a) = polled else {
            let withdrawn = self.state.job.as_ref().is_some_and(|job| {
                matches!(job.phase, Phase::Downloading { .. } | Phase::Verified)
            });
            if withdrawn {
                return self.drop_withdrawn().await;
            }
            if std::mem::take(&mut self.check_cancels) {
                // Told to start before this process ran, then cancelled: answer it once.
                self.ack_cancels().await;
            }
            return Ok(());
        };
        if std::mem::take(&mut self.announce) {
            // At every start the server learns what runs (spec), so a device that restarted
            // into the new version counts, and one that fell back is seen.
            let r = self.report_for(
                &a.rollout_id,
                InstallStatus::InstalledVersion,
                Some(String::new()),
                None,
            );
            self.send(&r).await;
        }
        self.handle(a).await
    }

    async fn handle(&mut self, a: OtaAssignment) -> Result<(), AgentError> {
        if let Some(job) = &self.state.job {
            if job.package_id != a.package_id || job.rollout_id != a.rollout_id {
                if matches!(job.phase, Phase::RestartPending { .. }) {
                    // Still waiting for the restart; the new assignment waits for it too.
                    return Ok(());
                }
                log::info(&format!(
                    "assignment changed from {} to {}; dropping the old job",
                    job.version, a.version
                ));
                self.state.job = None;
                self.save()?;
                self.remove_artifacts();
            }
        }
        if self.state.job.is_none() {
            if self.state.is_settled(&a.rollout_id, &a.package_id) {
                self.ack_all(&a).await;
                return Ok(());
            }
            if job_version_runs(&self.running, &a.version) {
                let r = self.report_for(
                    &a.rollout_id,
                    InstallStatus::InstalledVersion,
                    Some(String::new()),
                    None,
                );
                self.state.job = Some(crate::state::Job::from_assignment(&a));
                self.state.settle(r);
                self.save()?;
                self.send_owed().await;
                self.ack_all(&a).await;
                return Ok(());
            }
            self.start_job(&a).await?;
            self.ack_all(&a).await;
        }
        self.continue_job().await
    }

    /// The job's package is no longer the device's (its rollout was cancelled, or the
    /// assignment changed): the download or the install that has not begun stops, its files
    /// go, and the `ota_cancel` the server sent is acknowledged. No report: the server takes
    /// none for a cancelled rollout, and the acknowledgement is the device's answer to it.
    pub(crate) async fn drop_withdrawn(&mut self) -> Result<(), AgentError> {
        if let Some(job) = self.state.job.take() {
            log::info(&format!(
                "assignment of {} withdrawn; stopping and dropping it",
                job.version
            ));
        }
        self.save()?;
        self.remove_artifacts();
        self.check_cancels = false;
        self.ack_cancels().await;
        Ok(())
    }

    /// Acknowledges every `ota_cancel` waiting for this device (its rollout was cancelled; a
    /// cancelled rollout assigns nothing, so the poll does not carry it).
    async fn ack_cancels(&self) {
        let (http, creds) = (&self.cfg.http, &self.cfg.creds);
        let commands = match retry_with(&self.cfg.backoff, || http.commands(creds)).await {
            Ok(c) => c,
            Err(e) => {
                log::warn(&format!("could not read the device's commands: {e}"));
                return;
            }
        };
        for c in commands.iter().filter(|c| c.kind == CommandKind::OtaCancel) {
            log::info(&format!(
                "rollout {} cancelled ({} {}); acknowledging",
                c.rollout_id,
                c.kind.as_str(),
                c.version
            ));
            if let Err(e) = retry_with(&self.cfg.backoff, || http.ack(creds, &c.command_id)).await {
                log::warn(&format!("ack of {} failed: {e}", c.command_id));
            }
        }
    }

    pub(crate) fn save(&self) -> Result<(), AgentError> {
        self.state
            .save(self.cfg.state_dir())
            .map_err(AgentError::State)
    }

    pub(crate) fn remove_artifacts(&self) {
        for p in [self.cfg.partial_path(), self.artifact_path()] {
            let _ = std::fs::remove_file(p);
        }
        let _ = std::fs::remove_dir_all(self.files_dir());
    }

    pub(crate) fn artifact_path(&self) -> std::path::PathBuf {
        self.cfg.state_dir().join("artifact.bin")
    }

    pub(crate) fn report_for(
        &mut self,
        rollout_id: &str,
        status: InstallStatus,
        message: Option<String>,
        progress: Option<u32>,
    ) -> OtaReport {
        self.seq += 1;
        OtaReport {
            report_id: Some(format!("agent-{:08x}-{}", self.nonce, self.seq)),
            device_id: None,
            rollout_id: rollout_id.to_owned(),
            firmware_version: self.running.to_string(),
            status: status.as_str().to_owned(),
            message,
            progress,
        }
    }

    /// A progress report: best effort (a lost one is replaced by the next).
    pub(crate) async fn progress(
        &mut self,
        rollout_id: &str,
        status: InstallStatus,
        message: Option<String>,
        progress: Option<u32>,
    ) {
        let r = self.report_for(rollout_id, status, message, progress);
        self.send(&r).await;
    }

    /// False only when the report is worth sending again later (no answer, 5xx, 429).
    async fn send(&self, r: &OtaReport) -> bool {
        let http = &self.cfg.http;
        let creds = &self.cfg.creds;
        match retry_with(&self.cfg.backoff, || http.report(creds, r)).await {
            Ok(()) => true,
            Err(e) if e.may_heal() => {
                log::warn(&format!("report {} not sent, will retry: {e}", r.status));
                false
            }
            Err(e) => {
                // The server will never take it (its rollout is gone, say): keeping it
                // would only resend it forever.
                log::warn(&format!("report {} refused, dropped: {e}", r.status));
                true
            }
        }
    }

    /// Sends the verdict the server has not accepted yet (its report id makes a repeat a no-op).
    pub(crate) async fn send_owed(&mut self) {
        let Some(r) = self.state.owed.clone() else {
            return;
        };
        if self.send(&r).await {
            self.state.owed = None;
            if let Err(e) = self.save() {
                log::warn(&e.to_string());
            }
        }
    }

    async fn ack_all(&self, a: &OtaAssignment) {
        let http = &self.cfg.http;
        let creds = &self.cfg.creds;
        for c in &a.commands {
            if let Err(e) = retry_with(&self.cfg.backoff, || http.ack(creds, &c.command_id)).await {
                // Redelivered with the next poll and acked then.
                log::warn(&format!("ack of {} failed: {e}", c.command_id));
            }
        }
    }
}

fn job_version_runs(running: &semver::Version, version: &str) -> bool {
    semver::Version::parse(version.trim()).is_ok_and(|v| v == *running)
}

/// Changes at every boot: tells "restarted" from "the agent alone was restarted".
pub(crate) fn current_boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}
