//! Uploading a build: the one sequence behind the app's upload wizard and `airlift-cli upload`.
//!
//! The bytes go up as a resumable job ([`crate::upload::upload_file`]), the server verifies
//! them, and the package is created (signed when a key is given). What happens to a job that
//! does not finish is decided here, once, for both fronts:
//!
//! * a pause ([`UploadControl::pause`], the CLI's Ctrl-C) or a lost network keeps the job and
//!   its pending record, so the next call with the same file sends only what the server lacks;
//! * a cancel ([`UploadControl::cancel`]) or any other failure of the transfer deletes the job
//!   on the server and forgets it here: nothing half-made is left behind;
//! * a package refused because the bytes do not verify deletes the job too (no package can be
//!   made from them); any other refusal of the package step keeps the verified image and says
//!   so ([`UploadFailure::Unpackaged`]), so the package can be made from it later.
//!
//! The pending record is the cache's (`pending_uploads`, with this [`BuildRequest`] as JSON):
//! there is no second one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use airlift_core::wire::FirmwareImage;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::Session;
use crate::cache::{lock, Cache};
use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::{DeskError, DeskErrorCode};
use crate::signing::SigningKey;
use crate::upload::{
    publish, upload_file, PackageSpec, Published, UploadProgress, UploadRequest, Uploaded,
    DEFAULT_PARALLEL, DEFAULT_PART_SIZE,
};

/// A build to upload, and what it becomes. Kept (as JSON) with the pending upload; it holds no
/// secret: the signing key is named, never its passphrase.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildRequest {
    pub path: PathBuf,
    /// The image's name; the job is called [`job_name`] of it.
    pub name: String,
    /// The SHA-256 the person confirmed after hashing: the package declares exactly this, so a
    /// file that changed since is refused. `None`: the digest measured while sending.
    pub confirmed_sha256: Option<String>,
    /// The package to create; `None` uploads the image only.
    pub package: Option<PackageSpec>,
    /// The stored signing key chosen (to offer it again on resume); signing uses the unlocked
    /// key passed to [`upload_build`].
    pub key_id: Option<String>,
    pub part_size: u64,
    pub parallel: usize,
    /// Store the image encrypted on the server (`datafile_encryption`).
    #[serde(default)]
    pub encrypt: bool,
    /// The `Idempotency-Key` the person chose for this command; the package create sends it
    /// suffixed `:package`. Without one, a key derived from the create's inputs is sent, so a
    /// create retried after a lost answer is answered the first package.
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

impl BuildRequest {
    pub fn new(path: &Path, name: &str, package: Option<PackageSpec>) -> Self {
        BuildRequest {
            path: path.to_path_buf(),
            name: name.to_owned(),
            confirmed_sha256: None,
            package,
            key_id: None,
            part_size: DEFAULT_PART_SIZE,
            parallel: DEFAULT_PARALLEL,
            encrypt: false,
            idempotency_key: None,
        }
    }

    fn version(&self) -> &str {
        self.package
            .as_ref()
            .map_or("image", |p| p.version.as_str())
    }
}

/// The name a file is shown by (and its upload named by, in the app): its last component.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The upload job's name, the same from the app and the CLI: `{name}-{version}-{unix ms}`
/// (job names are unique per tenant, and a new job is made only when none can be resumed).
pub fn job_name(name: &str, version: &str) -> String {
    format!("{name}-{version}-{}", crate::clock::now_ms())
}

/// Stops a running upload from another task: [`pause`](Self::pause) keeps what was sent,
/// [`cancel`](Self::cancel) throws it away.
#[derive(Debug, Clone, Default)]
pub struct UploadControl {
    stop: CancelToken,
    discard: Arc<AtomicBool>,
}

impl UploadControl {
    pub fn pause(&self) {
        self.stop.cancel();
    }

    pub fn cancel(&self) {
        self.discard.store(true, Ordering::Relaxed);
        self.stop.cancel();
    }

    fn discards(&self) -> bool {
        self.discard.load(Ordering::Relaxed)
    }
}

/// What an upload reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadStage {
    /// Sending parts.
    Transfer(UploadProgress),
    /// Every byte is on the server; it is assembling and hashing them.
    Verifying,
    /// The image matched; the package is being created (and its signature checked).
    Publishing,
}

/// A finished upload: the server's image and, unless only the image was asked for, the package.
#[derive(Debug, Clone, Serialize)]
pub struct BuildUploaded {
    pub upload: Uploaded,
    pub package: Option<Published>,
}

/// Why an upload did not finish.
#[derive(Debug)]
pub enum UploadFailure {
    /// No package; the job was kept or deleted as the module docs say.
    Failed(DeskError),
    /// The bytes are on the server and verified as `image`, but the package step failed.
    Unpackaged {
        error: DeskError,
        image: Box<FirmwareImage>,
    },
}

impl UploadFailure {
    pub fn error(&self) -> &DeskError {
        match self {
            UploadFailure::Failed(error) | UploadFailure::Unpackaged { error, .. } => error,
        }
    }
}

impl From<DeskError> for UploadFailure {
    fn from(err: DeskError) -> Self {
        UploadFailure::Failed(err)
    }
}

impl From<UploadFailure> for DeskError {
    fn from(failure: UploadFailure) -> Self {
        match failure {
            UploadFailure::Failed(err) => err,
            UploadFailure::Unpackaged { error, image } => DeskError::new(
                error.code(),
                format!(
                    "{} The uploaded build is kept on the server as image {}.",
                    error.message(),
                    image.id
                ),
            ),
        }
    }
}

/// Uploads `req.path` (resuming an interrupted upload of the same file), lets the server verify
/// it, and creates the package signed with `signer`. See the module docs for what a stop or a
/// failure leaves behind.
pub async fn upload_build(
    s: Session<'_>,
    req: &BuildRequest,
    signer: Option<&SigningKey>,
    control: &UploadControl,
    on_stage: &(dyn Fn(UploadStage) + Send + Sync),
) -> Result<BuildUploaded, UploadFailure> {
    let mut transfer = UploadRequest::new(&req.path, &job_name(&req.name, req.version()));
    transfer.description = format!("{} {}", req.name, req.version());
    transfer.part_size = req.part_size;
    transfer.parallel = req.parallel;
    transfer.encrypt = req.encrypt;
    transfer.request_json = Some(serde_json::to_string(req).map_err(|err| {
        DeskError::internal(format!("cannot record the upload's request: {err}"))
    })?);
    let progress = |p: &UploadProgress| {
        on_stage(UploadStage::Transfer(p.clone()));
        if p.done_bytes >= p.total_bytes {
            on_stage(UploadStage::Verifying);
        }
    };
    let sent = upload_file(
        s.client,
        s.cache,
        s.connection_id,
        &transfer,
        control.stop.clone(),
        &progress,
    )
    .await;
    let upload = match sent {
        Ok(upload) => upload,
        Err(err) => {
            let keep = match err.code() {
                DeskErrorCode::Cancelled => !control.discards(),
                DeskErrorCode::Offline => true,
                _ => false,
            };
            if !keep {
                forget(s, &req.path).await;
            }
            return Err(UploadFailure::Failed(err));
        }
    };
    // A cancel that came once every byte was sent still throws the job away; a pause that
    // late has nothing left to keep, so the package step goes on.
    if control.discards() {
        delete_job(s.client, &upload.job_id).await;
        return Err(UploadFailure::Failed(DeskError::cancelled("the upload")));
    }
    let Some(spec) = &req.package else {
        return Ok(BuildUploaded {
            upload,
            package: None,
        });
    };
    on_stage(UploadStage::Publishing);
    let declared = req.confirmed_sha256.as_deref().unwrap_or(&upload.sha256);
    let publisher = s
        .client
        .with_idempotency_key(&package_key(s, req, &upload, declared, signer)?)?;
    match publish(&publisher, &upload.image, declared, signer, spec).await {
        Ok(published) => {
            let row = crate::sync::package_row(&published.package);
            lock(s.cache)?.upsert_packages(s.connection_id, std::slice::from_ref(&row))?;
            Ok(BuildUploaded {
                upload,
                package: Some(published),
            })
        }
        Err(err) if err.code() == DeskErrorCode::VerificationFailed => {
            delete_job(s.client, &upload.job_id).await;
            Err(UploadFailure::Failed(changed_file(
                err,
                &upload.sha256,
                declared,
            )))
        }
        Err(error) => Err(UploadFailure::Unpackaged {
            error,
            image: Box::new(upload.image),
        }),
    }
}

/// The package create's `Idempotency-Key` (see [`BuildRequest::idempotency_key`]).
fn package_key(
    s: Session<'_>,
    req: &BuildRequest,
    upload: &Uploaded,
    declared: &str,
    signer: Option<&SigningKey>,
) -> Result<String, DeskError> {
    if let Some(given) = &req.idempotency_key {
        return Ok(format!("{given}:package"));
    }
    let fingerprint = signer
        .map(|k| k.public_key().map(|p| p.fingerprint()))
        .transpose()?;
    let inputs = serde_json::to_vec(&(
        s.connection_id,
        &upload.image.id,
        declared,
        &req.package,
        fingerprint,
    ))
    .map_err(|err| DeskError::internal(format!("cannot encode the package request: {err}")))?;
    let digest = sha2::Sha256::digest(&inputs);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("airlift:package:{hex}"))
}

/// Deletes the upload jobs of `path` on the server and forgets them here. If the server cannot
/// be reached the record stays, so a later discard deletes the parts or a later upload reuses
/// them.
pub async fn forget(s: Session<'_>, path: &Path) {
    if let Err(err) = crate::upload::discard(s.client, s.cache, path).await {
        tracing::info!(%err, "could not delete an abandoned upload");
    }
}

async fn delete_job(client: &Client, job_id: &str) {
    if let Err(err) = client.delete_upload_job(job_id).await {
        tracing::info!(job = %job_id, %err, "could not delete a refused upload job");
    }
}

/// Adds what the desk knows to a refusal: the file changed after it was hashed.
fn changed_file(err: DeskError, sent: &str, confirmed: &str) -> DeskError {
    if sent == confirmed {
        return err;
    }
    DeskError::new(
        err.code(),
        format!(
            "The file changed after it was checked: you confirmed SHA-256 {confirmed}, but the \
             bytes uploaded hash to {sent}, so the server refused the package. Server: {}",
            err.message()
        ),
    )
}

/// An upload left unfinished on this connection (paused, the network lost, the process gone),
/// with what it becomes.
#[derive(Debug, Clone)]
pub struct PendingBuild {
    pub request: BuildRequest,
    /// The file's size when the upload started.
    pub size_bytes: u64,
    /// Bytes of the parts the server acknowledged (the last part may be shorter).
    pub done_bytes: u64,
}

/// The newest unfinished upload of the cache's server and tenant whose request is known, if
/// any, whichever front (the app, `airlift-cli upload`) started it.
pub fn pending_build(cache: &Mutex<Cache>) -> Result<Option<PendingBuild>, DeskError> {
    let uploads = lock(cache)?.pending_uploads()?;
    Ok(uploads.into_iter().rev().find_map(|p| {
        let request: BuildRequest = serde_json::from_str(p.request.as_deref()?).ok()?;
        let done = u64::try_from(p.parts_acknowledged.len()).unwrap_or(u64::MAX);
        Some(PendingBuild {
            request,
            size_bytes: p.size_bytes,
            done_bytes: done.saturating_mul(p.part_size).min(p.size_bytes),
        })
    }))
}
