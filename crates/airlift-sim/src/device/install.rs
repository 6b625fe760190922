//! A job from start to installed: its payload fetched and checked (per package type), then
//! installed and rebooted (a JSON package applied at once), each step reported; injected
//! faults fail it on the way.

use airlift_core::install_status::InstallStatus;
use airlift_core::payload::{canonical_json, PayloadType};
use airlift_core::wire::OtauPayload;
use rand::Rng as _;

use crate::faults::FaultKind;
use crate::state::DeviceState;
use crate::summary::JobResult;
use crate::verify::VerifyError;

use super::{Device, Job, Stop};

impl Device {
    /// Downloads, verifies, installs and reboots; returns the result, the message reported
    /// with a failure, and how many link drops the download survived.
    pub(super) async fn execute(
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

    /// A JSON payload or a URL list: its canonical JSON checked like an artifact's bytes.
    pub(super) async fn verify_inline(
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
    pub(super) async fn verify(
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

    pub(super) async fn reject(&mut self, job: &Job, status: InstallStatus, msg: String) -> Stop {
        self.report(job, status, Some(msg.clone()), None).await;
        self.set_state(DeviceState::Rejected);
        (JobResult::Rejected, Some(msg), 0)
    }

    /// A JSON package: applied at once, no reboot; it then counts as installed.
    pub(super) async fn apply(&mut self, job: &Job, fault: Option<FaultKind>) -> Stop {
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
}
