//! Resumable, parallel uploads of firmware images (seed 003's upload jobs).
//!
//! [`upload_file`] creates an upload job (or resumes the cached one for the same file: same
//! path, size and modification time), sends the parts the server lacks in parallel with
//! `PUT .../chunks/{n}` and their `Content-MD5` while it hashes the whole file with SHA-256 from
//! the same read (`pipeline`), completes the job, and checks that the server's image has the
//! same SHA-256 and size. The job (id, file, size, mtime, part size, acknowledged parts) is kept in the offline
//! cache until then, so after a crash, a lost network or a restart the next call re-lists the
//! server's chunks and sends only what is missing. [`publish`] then creates the package.
//!
//! Stopping: cancelling the token stops sending within one part and leaves the job resumable
//! (a pause); [`discard`] is the cancel that throws the job and its parts away.

mod discard;
mod pipeline;
mod preflight;
mod progress;
mod publish;
mod resume;
mod stages;

use airlift_core::upload_parts::MIN_PART_BYTES;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use airlift_core::wire::{CreateUploadJob, FirmwareImage, UploadJobStatus};
use serde::Serialize;

pub use discard::discard;
pub use preflight::{preflight, Refusal, SigningWith};
pub use progress::UploadProgress;
pub use publish::{publish, PackageSpec, Published};

use crate::cache::{lock, Cache};
use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::{DeskError, DeskErrorCode};
use crate::hashing::sha256_file;

/// Default part size: 16 MiB (a 2 GiB image is 128 parts).
pub const DEFAULT_PART_SIZE: u64 = 16 << 20;
/// Default number of parts in flight at once.
pub const DEFAULT_PARALLEL: usize = 4;

/// What to upload and how.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    pub path: PathBuf,
    /// The upload job's (and image's) name; unique within the tenant.
    pub job_name: String,
    pub description: String,
    /// Ask the server to store the image encrypted (`datafile_encryption`).
    pub encrypt: bool,
    pub part_size: u64,
    pub parallel: usize,
    /// What the upload becomes (JSON), kept on its pending record so a resume needs nothing else.
    pub request_json: Option<String>,
}

impl UploadRequest {
    pub fn new(path: &Path, job_name: &str) -> Self {
        Self {
            path: path.to_path_buf(),
            job_name: job_name.to_owned(),
            description: String::new(),
            encrypt: false,
            part_size: DEFAULT_PART_SIZE,
            parallel: DEFAULT_PARALLEL,
            request_json: None,
        }
    }
}

/// A finished upload: the server's image and what the desk measured.
#[derive(Debug, Clone, Serialize)]
pub struct Uploaded {
    pub job_id: String,
    pub image: FirmwareImage,
    /// The local file's SHA-256 (hex), equal to `image.datafile_checksum`.
    pub sha256: String,
    pub size_bytes: u64,
    /// Whether an interrupted upload of this file was continued.
    pub resumed: bool,
    pub parts_total: u32,
    /// Parts sent by this call.
    pub parts_sent: u32,
    /// Parts the server already held and were not sent again.
    pub parts_skipped: u32,
}

/// Seed 003: every part but the last holds at least 5 MiB, so a smaller part size only fits a
/// file that is one part. Refused before a job is made, rather than by the server at the end.
fn check_part_size(part_size: u64, file_size: u64) -> Result<(), DeskError> {
    if part_size >= MIN_PART_BYTES || file_size <= part_size {
        return Ok(());
    }
    Err(DeskError::invalid_argument(format!(
        "parts of {part_size} bytes are too small: every part but the last must hold at least \
         {MIN_PART_BYTES} bytes (5 MiB, seed 003); choose a part size of 5 MiB or more"
    )))
}

/// Uploads (or resumes uploading) `req.path` on `connection_id`'s server. See the module docs.
pub async fn upload_file(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
    req: &UploadRequest,
    cancel: CancelToken,
    on_progress: &(dyn Fn(&UploadProgress) + Send + Sync),
) -> Result<Uploaded, DeskError> {
    let file = resume::LocalFile::stat(&req.path)?;
    check_part_size(req.part_size, file.size)?;
    let found = resume::find(client, cache, &file).await?;
    let (job_id, part_size, resumed) = match found {
        Some(p) => (p.job_id, p.part_size, true),
        None => {
            let job = client
                .create_upload_job(&CreateUploadJob {
                    name: req.job_name.clone(),
                    description: req.description.clone(),
                    datafile_encryption: req.encrypt,
                })
                .await?;
            resume::remember(cache, connection_id, &job.id, &file, req.part_size)?;
            (job.id, req.part_size, false)
        }
    };
    if let Some(json) = &req.request_json {
        lock(cache)?.set_upload_request(&job_id, json)?;
    }

    let job = client.upload_job(&job_id).await?;
    let finished = matches!(
        job.status,
        UploadJobStatus::Completed | UploadJobStatus::Completing
    );
    let (sha256, parts_total, parts_sent, parts_skipped) = if finished {
        // The job completed (or is being assembled) before we could record it, e.g. after a
        // crash right after the completing request: only hash, then wait for the image.
        let digest = sha256_file(&file.path, &cancel, |_| {})?;
        let parts = u32::try_from(file.size.div_ceil(part_size)).unwrap_or(u32::MAX);
        (digest.sha256_hex().as_str().to_owned(), parts, 0, parts)
    } else {
        let held = client
            .all_upload_chunks(&job_id)
            .await?
            .into_iter()
            .map(|c| (c.id, (c.length, c.hash)))
            .collect();
        let transfer = pipeline::Transfer {
            client,
            cache,
            job_id: &job_id,
            path: file.path.clone(),
            part_size,
            parallel: req.parallel,
            held,
            cancel: cancel.clone(),
        };
        let pipeline::Transferred { tracker, digest } = transfer.run(on_progress).await?;
        cancel.check("the upload")?;
        complete(client, &job_id).await?;
        on_progress(&tracker.snapshot());
        let hex = digest.sha256_hex().as_str().to_owned();
        lock(cache)?.set_upload_sha256(&job_id, &hex)?;
        (
            hex,
            tracker.parts_total,
            tracker.parts_sent,
            tracker.parts_skipped,
        )
    };

    let image = finished_image(client, &job_id).await?;
    if image.datafile_checksum != sha256 || image.datafile_size != file.size {
        return Err(DeskError::new(
            DeskErrorCode::VerificationFailed,
            format!(
                "the server assembled {} bytes with SHA-256 {}, but {} is {} bytes with SHA-256 {}",
                image.datafile_size,
                image.datafile_checksum,
                file.path.display(),
                file.size,
                sha256
            ),
        ));
    }
    lock(cache)?.remove_pending_upload(&job_id)?;
    Ok(Uploaded {
        job_id,
        image,
        sha256,
        size_bytes: file.size,
        resumed,
        parts_total,
        parts_sent,
        parts_skipped,
    })
}

/// Completes the job. The POST is sent once; if its answer is lost, the job's state says
/// whether it completed.
async fn complete(client: &Client, job_id: &str) -> Result<(), DeskError> {
    match client.complete_upload_job(job_id).await {
        Ok(_) => Ok(()),
        Err(err) if err.code() == DeskErrorCode::Offline => {
            let job = client.upload_job(job_id).await?;
            if matches!(
                job.status,
                UploadJobStatus::Completed | UploadJobStatus::Completing
            ) {
                Ok(())
            } else {
                Err(err)
            }
        }
        Err(err) => Err(err),
    }
}

/// The job's image, waiting while the server is still assembling it.
async fn finished_image(client: &Client, job_id: &str) -> Result<FirmwareImage, DeskError> {
    let deadline = tokio::time::Instant::now() + client.options().transfer_timeout;
    loop {
        let job = client.upload_job(job_id).await?;
        match job.status {
            UploadJobStatus::Completed => return client.image(&job.firmware_image_id).await,
            UploadJobStatus::Completing if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            other => {
                return Err(DeskError::new(
                    DeskErrorCode::FailedPrecondition,
                    format!(
                        "upload job {job_id} is {} instead of completed",
                        other.as_str()
                    ),
                ))
            }
        }
    }
}
