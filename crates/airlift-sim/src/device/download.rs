//! A package's ranged download: shuffled 64 KiB chunks or seed 001's URL in order, an expired
//! URL renewed by polling, a dropped link resumed with what arrived, an encrypted package
//! decrypted range by range.

use airlift_core::install_status::InstallStatus;
use airlift_core::wire::AssignmentEncryption;
use airlift_device::decrypt::Decryption;
use rand::Rng as _;
use rand_chacha::ChaCha8Rng;

use crate::config::DownloadVia;
use crate::faults::FaultKind;
use crate::ranges::Assembly;
use crate::retry::retry;
use crate::state::DeviceState;
use crate::summary::JobResult;

use super::{Device, Job};

/// Download URLs renewed (after a 403) within one download before it counts as failed.
const MAX_RENEWALS: u32 = 3;

/// Largest artifact a simulated device accepts to hold in memory.
pub(super) const MAX_ARTIFACT: u64 = 512 * 1024 * 1024;

impl Device {
    /// Fetches every range (shuffled), surviving link drops by keeping what arrived.
    /// Errors carry the result, the message to report (None: nothing to report) and resumes.
    pub(super) async fn download(
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
