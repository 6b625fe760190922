//! One job, step by step, each step recorded before the next begins: the tests (version,
//! anti-rollback, signature, disk space), the ranged download with resume, the SHA-256
//! check, then the install hook.

use airlift_device::decrypt::Decryption;
use airlift_device::download_url::URL_RANGE;
use std::path::Path;

use airlift_core::payload::{PayloadType, UrlListEntry};
use airlift_device::proto::{InstallStatus, OtaAssignment};
use airlift_device::ranges::{Range, MAX_RANGE};
use airlift_device::retry::retry_with;
use airlift_device::verify::{expect_digest, verify_signature};

use crate::agent::{current_boot_id, Agent};
use crate::download;
use crate::error::AgentError;
use crate::fsutil::{free_bytes, write_atomic};
use crate::hook::{self, HookEnv, HookOutcome};
use crate::log;
use crate::state::{Job, Phase};
use crate::version::refuse_downgrade;

/// Download URLs renewed (after a 403) in a row, without a byte in between, before the
/// cycle is given up as withdrawn.
const MAX_RENEWALS: u32 = 3;

/// How a download cycle ended without the whole artifact.
enum Interrupted {
    /// Worth another cycle (no answer, 5xx); counted against `--max-download-failures`.
    Transient(String),
    /// The package is no longer this device's (403/404): the job is dropped, not failed.
    Withdrawn,
    /// The server's answer cannot be right (sizes disagree): the job fails.
    Broken(String),
    /// The state directory failed us.
    Local(AgentError),
}

impl Agent {
    /// The TEST phase (seed 002): everything that can refuse a package before a byte of it is
    /// fetched. A refusal settles the job; a pass records it, so its commands can be acked.
    pub(crate) async fn start_job(&mut self, a: &OtaAssignment) -> Result<(), AgentError> {
        let rid = a.rollout_id.clone();
        self.progress(&rid, InstallStatus::Init, None, None).await;
        self.progress(&rid, InstallStatus::Test, None, None).await;
        self.state.job = Some(Job::from_assignment(a));
        if let Some((status, message)) = self.refusal(a) {
            log::warn(&message);
            let r = self.report_for(&rid, status, Some(message), None);
            self.state.settle(r);
            self.save()?;
            self.send_owed().await;
            return Ok(());
        }
        self.save()?;
        self.progress(&rid, InstallStatus::TestSuccess, None, None)
            .await;
        Ok(())
    }

    fn refusal(&self, a: &OtaAssignment) -> Option<(InstallStatus, String)> {
        let offered = match semver::Version::parse(a.version.trim()) {
            Ok(v) => v,
            Err(e) => {
                let m = format!("Version {:?} is not semver ({e})", a.version);
                return Some((InstallStatus::TestError, m));
            }
        };
        if let Some(m) = refuse_downgrade(&self.running, &offered, a.command) {
            // Seed 002: aborted "due to wrong version".
            return Some((InstallStatus::InstallAborted, m));
        }
        // The signature signs the SHA-256 the assignment announces, so a package signed by no
        // trusted key is refused before it is downloaded; the download is then held to that
        // same SHA-256.
        let digest = match hex::decode(a.checksum.trim())
            .ok()
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
        {
            Some(d) => d,
            None => {
                return Some((
                    InstallStatus::TestError,
                    format!("Checksum {:?} is not a SHA-256", a.checksum),
                ))
            }
        };
        if let Err(e) = verify_signature(&self.cfg.keys, &digest, a.signature.as_deref()) {
            return Some((
                InstallStatus::TestError,
                format!("Signature check failed: {e}"),
            ));
        }
        let dir = self.cfg.state_dir();
        let needed = a.size_bytes;
        let reserve = self.cfg.args.min_free_bytes;
        match free_bytes(dir) {
            Ok(avail) if avail >= needed.saturating_add(reserve) => None,
            Ok(avail) => Some((
                InstallStatus::TestError,
                format!(
                    "Not enough disk space in {} (required: {} bytes + {} reserved, available: {} bytes).",
                    dir.display(),
                    needed,
                    reserve,
                    avail
                ),
            )),
            Err(e) => Some((
                InstallStatus::TestError,
                format!("Cannot read the free space of {}: {e}", dir.display()),
            )),
        }
    }

    /// Takes the recorded job as far as it goes now.
    pub(crate) async fn continue_job(&mut self) -> Result<(), AgentError> {
        let Some(job) = self.state.job.clone() else {
            return Ok(());
        };
        match job.phase {
            Phase::Downloading { committed } => self.download(job, committed).await,
            Phase::Verified => self.install(job).await,
            // Settled at start (see Agent::settle_interrupted); nothing to do while running.
            Phase::Installing | Phase::RestartPending { .. } => Ok(()),
        }
    }

    async fn download(&mut self, mut job: Job, committed: u64) -> Result<(), AgentError> {
        let rid = job.rollout_id.clone();
        if committed == 0 {
            self.progress(&rid, InstallStatus::Download, None, Some(0))
                .await;
        } else {
            log::info(&format!(
                "resuming {} at byte {committed} of {}",
                job.version, job.size
            ));
        }
        match self.fetch(&mut job, committed).await {
            Ok(()) => {}
            Err(Interrupted::Local(e)) => return Err(e),
            Err(Interrupted::Withdrawn) => return self.drop_withdrawn().await,
            Err(Interrupted::Transient(m)) => {
                job.download_failures += 1;
                let give_up = job.download_failures >= self.cfg.args.max_download_failures;
                self.state.job = Some(job);
                if give_up {
                    return self.fail(&rid, InstallStatus::DownloadError, m).await;
                }
                log::warn(&format!("download interrupted, will resume: {m}"));
                return self.save();
            }
            Err(Interrupted::Broken(m)) => {
                return self.fail(&rid, InstallStatus::DownloadError, m).await;
            }
        }
        let part = self.cfg.partial_path();
        let digest = download::sha256_file(&part)
            .map_err(|e| AgentError::State(format!("{}: {e}", part.display())))?;
        if let Err(e) = expect_digest(digest, &job.checksum) {
            // Never handed to the hook: the bytes are not the signed ones.
            let m = format!("Downloaded artifact refused: {e}");
            return self.fail(&rid, InstallStatus::DownloadError, m).await;
        }
        if job.payload_type == PayloadType::UrlList {
            // The list is the signed one: every file it names is fetched and held to it before
            // the list counts as downloaded.
            if let Err(m) = self.fetch_listed_files(&job, &part).await {
                return self.fail(&rid, InstallStatus::DownloadError, m).await;
            }
        }
        std::fs::rename(&part, self.artifact_path())
            .map_err(|e| AgentError::State(format!("{}: {e}", part.display())))?;
        job.phase = Phase::Verified;
        self.state.job = Some(job.clone());
        self.save()?;
        self.progress(&rid, InstallStatus::DownloadSuccess, None, Some(100))
            .await;
        // The download may have outlasted the rollout (cancelled meanwhile): ask before the
        // hook runs.
        if let Err(Interrupted::Withdrawn) = self.still_assigned(&job).await {
            return self.drop_withdrawn().await;
        }
        self.install(job).await
    }

    /// Whether the job's package is still the device's, by a poll: a cancelled rollout (or a
    /// changed assignment) is [`Interrupted::Withdrawn`]. A poll that gets no answer changes
    /// nothing (the download goes on; the next poll asks again).
    async fn still_assigned(&self, job: &Job) -> Result<(), Interrupted> {
        let (http, creds) = (&self.cfg.http, &self.cfg.creds);
        match http.poll(creds).await {
            Ok(Some(a)) if a.package_id == job.package_id && a.rollout_id == job.rollout_id => {
                Ok(())
            }
            Ok(_) => Err(Interrupted::Withdrawn),
            Err(_) => Ok(()),
        }
    }

    /// Appends the missing ranges to the partial file, recording each one once it is durable.
    async fn fetch(&mut self, job: &mut Job, committed: u64) -> Result<(), Interrupted> {
        let part = self.cfg.partial_path();
        let local = |e: std::io::Error| {
            Interrupted::Local(AgentError::State(format!("{}: {e}", part.display())))
        };
        let decryption = match &job.encryption {
            None => None,
            Some(enc) => Some(
                Decryption::from_assignment(enc, job.size)
                    .map_err(|e| Interrupted::Broken(format!("{}: {e}", e.code())))?,
            ),
        };
        let (mut file, mut at) = download::open_at(&part, committed).map_err(local)?;
        let mut next_step = (at * 100 / job.size.max(1)) as u32 / 10 * 10 + 10;
        let via_url = self.cfg.args.download_url;
        // Taken from a poll at the start of each cycle (a URL is short-lived and never written
        // to the state file), and again when it has expired.
        let mut url: Option<String> = None;
        let mut renewals = 0u32;
        // A download by URL never hears of a cancel from the bytes' server: it asks the fleet
        // server once a poll interval.
        let mut asked = std::time::Instant::now();
        while at < job.size {
            if asked.elapsed() >= self.cfg.args.poll_interval {
                asked = std::time::Instant::now();
                self.still_assigned(job).await?;
            }
            let len = if via_url { URL_RANGE } else { MAX_RANGE };
            // Plain: the next `len` bytes. Encrypted: the whole stored segments from the one
            // holding plain byte `at` (the partial file holds whole decrypted segments, so `at`
            // starts one), about `len` bytes of them.
            let (range, total) = match &decryption {
                None => (
                    Range {
                        offset: at,
                        len: len.min(job.size - at),
                    },
                    job.size,
                ),
                Some(d) => {
                    let layout = d.layout();
                    let first = layout.segment_of_plain(at);
                    let count = (len / airlift_core::encryption::STORED_SEGMENT).max(1);
                    let last = (first + count - 1).min(layout.segments() - 1);
                    let start = layout.stored_range(first).start;
                    let range = Range {
                        offset: start,
                        len: layout.stored_range(last).end - start,
                    };
                    (range, d.stored_size())
                }
            };
            let http = &self.cfg.http;
            let creds = &self.cfg.creds;
            let package_id = job.package_id.clone();
            let got = if via_url {
                let u = match url.clone() {
                    Some(u) => u,
                    None => {
                        let u = self.current_url(&package_id).await?;
                        url = Some(u.clone());
                        u
                    }
                };
                match retry_with(&self.cfg.backoff, || http.fetch_url_range(&u, range)).await {
                    Err(e) if e.status() == Some(403) && renewals < MAX_RENEWALS => {
                        renewals += 1;
                        url = None;
                        continue;
                    }
                    other => other,
                }
            } else {
                retry_with(&self.cfg.backoff, || http.chunk(creds, &package_id, range)).await
            };
            let reply = match got {
                Ok(r) => {
                    renewals = 0;
                    r
                }
                Err(e) if matches!(e.status(), Some(403 | 404)) => {
                    return Err(Interrupted::Withdrawn)
                }
                Err(e) if e.may_heal() => {
                    return Err(Interrupted::Transient(format!("Download failed: {e}")))
                }
                Err(e) => return Err(Interrupted::Broken(format!("Download failed: {e}"))),
            };
            if reply.total != total {
                return Err(Interrupted::Broken(format!(
                    "The artifact is {} bytes, the assignment said {total}",
                    reply.total
                )));
            }
            if reply.offset != range.offset || reply.bytes.is_empty() {
                return Err(Interrupted::Broken(format!(
                    "Asked for bytes from {}, the server answered {} bytes from {}",
                    range.offset,
                    reply.bytes.len(),
                    reply.offset
                )));
            }
            let plain = match &decryption {
                None => reply.bytes,
                Some(d) => {
                    if reply.bytes.len() as u64 != range.len {
                        return Err(Interrupted::Broken(format!(
                            "Asked for the {} stored bytes at {}, the server answered {} bytes",
                            range.len,
                            range.offset,
                            reply.bytes.len()
                        )));
                    }
                    // A segment that does not authenticate never reaches the partial file.
                    d.decrypt_range(range.offset, &reply.bytes)
                        .map_err(|e| Interrupted::Broken(format!("{}: {e}", e.code())))?
                }
            };
            download::append(&mut file, &plain).map_err(local)?;
            at += plain.len() as u64;
            job.phase = Phase::Downloading { committed: at };
            job.download_failures = 0;
            self.state.job = Some(job.clone());
            self.save().map_err(Interrupted::Local)?;
            let pct = (at * 100 / job.size.max(1)) as u32;
            if pct >= next_step && at < job.size {
                next_step = pct / 10 * 10 + 10;
                let m = format!("Downloaded {at} of {} bytes", job.size);
                self.progress(
                    &job.rollout_id.clone(),
                    InstallStatus::DownloadStep,
                    Some(m),
                    Some(pct),
                )
                .await;
            }
        }
        Ok(())
    }

    /// The download URL of `package_id` from a fresh poll; the package no longer being the
    /// device's is [`Interrupted::Withdrawn`].
    async fn current_url(&self, package_id: &str) -> Result<String, Interrupted> {
        let (http, creds) = (&self.cfg.http, &self.cfg.creds);
        match retry_with(&self.cfg.backoff, || http.poll(creds)).await {
            Ok(Some(a)) if a.package_id == package_id => a.download_url.ok_or_else(|| {
                Interrupted::Broken(
                    "The server hands out no download URL; run without --download-url".to_owned(),
                )
            }),
            Ok(_) => Err(Interrupted::Withdrawn),
            Err(e) if e.may_heal() => Err(Interrupted::Transient(format!(
                "Renewing the download URL failed: {e}"
            ))),
            Err(e) => Err(Interrupted::Broken(format!(
                "Renewing the download URL failed: {e}"
            ))),
        }
    }

    async fn install(&mut self, mut job: Job) -> Result<(), AgentError> {
        let rid = job.rollout_id.clone();
        let artifact = self.artifact_path();
        if !artifact.exists() {
            // Verified, then lost (the state directory was cleaned): fetch it again.
            job.phase = Phase::Downloading { committed: 0 };
            self.state.job = Some(job);
            return self.save();
        }
        job.phase = Phase::Installing;
        self.state.job = Some(job.clone());
        self.save()?;
        self.progress(&rid, InstallStatus::Install, None, None)
            .await;
        let files_dir = self.files_dir();
        let listed = job.payload_type == PayloadType::UrlList;
        if listed {
            // After a restart in Verified: the files are checked again (or fetched again).
            if let Err(m) = self.fetch_listed_files(&job, &artifact).await {
                return self.fail(&rid, InstallStatus::DownloadError, m).await;
            }
        }
        let env = HookEnv {
            artifact: &artifact,
            version: &job.version,
            package_id: &job.package_id,
            payload_type: job.payload_type.as_str(),
            files_dir: listed.then_some(files_dir.as_path()),
        };
        let outcome = hook::run(
            &self.cfg.args.install_hook,
            &env,
            self.cfg.args.hook_timeout,
        )
        .await;
        log::info(&format!("install hook for {}: {outcome:?}", job.version));
        match outcome {
            HookOutcome::Installed => {
                let path = &self.cfg.args.version_file;
                write_atomic(path, format!("{}\n", job.version.trim()).as_bytes()).map_err(
                    |e| AgentError::State(format!("version file {}: {e}", path.display())),
                )?;
                if let Ok(v) = semver::Version::parse(job.version.trim()) {
                    self.running = v;
                }
                self.progress(&rid, InstallStatus::InstallSuccess, None, Some(100))
                    .await;
                let r = self.report_for(
                    &rid,
                    InstallStatus::InstalledVersion,
                    Some(String::new()),
                    None,
                );
                self.state.settle(r);
                self.save()?;
                self.remove_artifacts();
                self.send_owed().await;
                Ok(())
            }
            HookOutcome::RestartNeeded => {
                job.phase = Phase::RestartPending {
                    boot_id: current_boot_id(),
                };
                self.state.job = Some(job);
                self.save()?;
                let _ = std::fs::remove_file(&artifact);
                let m = "Installed; restart needed to run it".to_owned();
                self.progress(&rid, InstallStatus::InstallSuccess, Some(m), Some(100))
                    .await;
                if let Some(cmd) = &self.cfg.args.restart_command {
                    // Everything is recorded: the restart may kill this process at any point.
                    log::info(&format!("restarting the device: {cmd}"));
                    let status = tokio::process::Command::new("sh")
                        .arg("-c")
                        .arg(cmd)
                        .status()
                        .await;
                    if !status.as_ref().is_ok_and(|s| s.success()) {
                        log::warn(&format!("restart command failed: {status:?}"));
                    }
                }
                Ok(())
            }
            HookOutcome::Failed { status, last_line } => {
                let m = if last_line.is_empty() {
                    format!("Install hook failed ({status}) without output")
                } else {
                    last_line
                };
                self.fail(&rid, InstallStatus::InstallError, m).await
            }
            HookOutcome::TimedOut { after, last_line } => {
                let m = format!(
                    "Install hook timed out after {}s and was killed; last output: {}",
                    after.as_secs_f64(),
                    if last_line.is_empty() {
                        "(none)"
                    } else {
                        &last_line
                    }
                );
                self.fail(&rid, InstallStatus::InstallError, m).await
            }
            HookOutcome::NotStarted(m) => self.fail(&rid, InstallStatus::InstallError, m).await,
        }
    }

    /// Where a URL list's files are kept for the hook.
    pub(crate) fn files_dir(&self) -> std::path::PathBuf {
        self.cfg.state_dir().join("files")
    }

    /// Every file of the verified list at `list` (the package's signed canonical JSON), fetched
    /// from where `config_otau` says and held to the list's size and SHA-256, into
    /// [`Agent::files_dir`] as `NN-name`. A file already there and matching is kept.
    async fn fetch_listed_files(&mut self, job: &Job, list: &Path) -> Result<(), String> {
        let text = std::fs::read(list).map_err(|e| format!("{}: {e}", list.display()))?;
        let entries: Vec<UrlListEntry> = serde_json::from_slice(&text)
            .map_err(|e| format!("The signed package is not a URL list: {e}"))?;
        let n = entries.len();
        if job.files.len() != n {
            return Err(format!(
                "The assignment names {} files, the signed list {n}",
                job.files.len()
            ));
        }
        let dir = self.files_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (i, (entry, file)) in entries.iter().zip(&job.files).enumerate() {
            let name = entry
                .url
                .rsplit('/')
                .next()
                .filter(|s| !s.is_empty())
                .unwrap_or("file")
                .replace(
                    |c: char| !(c.is_ascii_alphanumeric() || ".-_".contains(c)),
                    "_",
                );
            let path = dir.join(format!("{i:02}-{name}"));
            if download::sha256_file(&path).is_ok_and(|d| hex::encode(d) == entry.sha256.as_str()) {
                continue;
            }
            let m = format!("Downloading file {} of {n}", i + 1);
            let pct = u32::try_from(i * 100 / n.max(1)).unwrap_or(0);
            self.progress(
                &job.rollout_id.clone(),
                InstallStatus::DownloadStep,
                Some(m),
                Some(pct),
            )
            .await;
            let (http, creds) = (&self.cfg.http, &self.cfg.creds);
            let bytes = retry_with(&self.cfg.backoff, || {
                http.download_file(creds, &file.url, entry.size_bytes)
            })
            .await
            .map_err(|e| format!("Download of file {} of {n} failed: {e}", i + 1))?;
            let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
            if bytes.len() as u64 != entry.size_bytes || sha != entry.sha256.as_str() {
                // Never handed to the hook.
                return Err(format!(
                    "File {} of {n} ({}) refused: {} bytes with SHA-256 {sha}, the signed list \
                     says {} bytes with {}",
                    i + 1,
                    entry.url,
                    bytes.len(),
                    entry.size_bytes,
                    entry.sha256
                ));
            }
            write_atomic(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }

    /// Settles the current job as failed with `status` and sends that verdict.
    async fn fail(
        &mut self,
        rid: &str,
        status: InstallStatus,
        message: String,
    ) -> Result<(), AgentError> {
        log::warn(&format!("{status}: {message}"));
        let r = self.report_for(rid, status, Some(message), None);
        self.state.settle(r);
        self.save()?;
        self.remove_artifacts();
        self.send_owed().await;
        Ok(())
    }
}
