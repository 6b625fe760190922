//! A job's bytes by payload type: a FILE package's artifact, a URL list's files (each checked
//! against the list before anything installs).

use airlift_core::install_status::InstallStatus;
use airlift_core::wire::{signed_url_list_json, OtauFile};

use crate::faults::FaultKind;
use crate::retry::retry;
use crate::state::DeviceState;
use crate::summary::JobResult;

use super::download::MAX_ARTIFACT;
use super::{Device, Job, Stop};

impl Device {
    /// A FILE package: its artifact downloaded and verified.
    pub(super) async fn fetch_artifact(
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
    pub(super) async fn fetch_url_list(
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
}
