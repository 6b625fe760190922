//! Artifact bytes behind `object_store`.
//!
//! The store is the local file system under `DIR/objects` (`--storage file://PATH`) or an
//! S3-compatible bucket (`--storage s3://BUCKET[/PREFIX]`, see [`s3`]); everything goes
//! through the `ObjectStore` trait. Keys:
//!
//! - `uploads/{tenant}/{job}/{attempt}.part`: one upload job part stored alone. Every attempt
//!   gets a fresh key, so re-sending a part never overwrites bytes a database row still points
//!   at.
//! - `uploads/{tenant}/{job}/{P}.slots` (local disk): the job's parts written in place at
//!   (N − 1) × P, made the image by completion (see [`slots`]).
//! - `images/{tenant}/{job}.bin` (S3): the multipart upload an upload job's parts are the
//!   parts of, and the image it completes into (see [`s3_jobs`]).
//! - `images/{tenant}/{image}.bin`: an assembled upload.
//! - `staging/{id}`: a package artifact while it is being fetched and verified.
//! - `firmware/{tenant}/{version}/{sha256}.bin`: a verified package artifact (seed 001).
//!
//! Every write is a multipart upload that becomes visible only when finished; an aborted or
//! crashed write leaves no object under its key (see [`crate::recovery`] for the leftovers).

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, WriteMultipart};

use crate::error::AppError;

mod jobs;
mod local_write;
mod ranged;
mod s3;
mod s3_jobs;
mod slots;
pub use jobs::SlotClaim;
pub use ranged::ObjectInfo;
pub use s3::{S3Bucket, S3Config};
pub use s3_jobs::{payload as part_payload, AssembledJob, RecordedPart};
pub use slots::{slot_part_size, Slots};

/// Parts of a multipart write are this big (S3's minimum part size); with at most
/// [`MAX_IN_FLIGHT`] parts in flight a write holds at most ~(1 + MAX_IN_FLIGHT) × PART_SIZE of
/// memory, whatever the object size.
const PART_SIZE: usize = 5 * 1024 * 1024;
const MAX_IN_FLIGHT: usize = 1;
/// Reads go in ranges of this size: bounded memory, and few round trips on S3.
const READ_RANGE: u64 = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct Artifacts {
    store: Arc<dyn ObjectStore>,
    /// Set for the local file system store (see [`Artifacts::remove_abandoned_local_writes`]).
    local_root: Option<PathBuf>,
    /// Set for S3 storage (multipart uploads, presigned URLs: see [`s3`]).
    s3: Option<Arc<S3Bucket>>,
    /// Upload jobs in progress (see [`jobs`]).
    jobs: Arc<jobs::JobRegistry>,
}

impl std::fmt::Debug for Artifacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Artifacts({})", self.store)
    }
}

pub mod keys {
    use object_store::path::Path;

    pub const UPLOADS: &str = "uploads";
    pub const IMAGES: &str = "images";
    pub const STAGING: &str = "staging";
    pub const FIRMWARE: &str = "firmware";

    pub fn chunk(tenant: &str, job: &str) -> Path {
        let attempt = ulid::Ulid::new().to_string().to_lowercase();
        Path::from_iter([UPLOADS, tenant, job, &format!("{attempt}.part")])
    }

    pub fn image(tenant: &str, image: &str) -> Path {
        Path::from_iter([IMAGES, tenant, &format!("{image}.bin")])
    }

    /// On S3, the multipart upload an upload job's parts go to, and its image's key.
    pub fn job_upload(tenant: &str, job: &str) -> Path {
        Path::from_iter([IMAGES, tenant, &format!("{job}.bin")])
    }

    /// The folder of a job's parts on the local disk.
    pub fn job_folder(tenant: &str, job: &str) -> Path {
        Path::from_iter([UPLOADS, tenant, job])
    }

    /// A job's slot file for parts of `part_size` bytes (see `artifacts::slots`).
    pub fn slots(tenant: &str, job: &str, part_size: u64) -> Path {
        Path::from_iter([UPLOADS, tenant, job, &format!("{part_size}.slots")])
    }

    pub fn staging() -> Path {
        Path::from_iter([STAGING, &ulid::Ulid::new().to_string().to_lowercase()])
    }

    /// Seed 001's layout. `version` is a canonical semver string and `sha256` lowercase hex,
    /// so the key never needs escaping.
    pub fn firmware(tenant: &str, version: &str, sha256: &str) -> Path {
        Path::from_iter([FIRMWARE, tenant, version, &format!("{sha256}.bin")])
    }

    /// A package of an encrypted image: beside seed 001's key, named by its data key too
    /// (`firmware/{tenant}/{version}/{sha256}.{data_key}.enc`), since the stored bytes of the
    /// same plain bytes differ per key.
    pub fn encrypted_firmware(tenant: &str, version: &str, sha256: &str, data_key: &str) -> Path {
        Path::from_iter([
            FIRMWARE,
            tenant,
            version,
            &format!("{sha256}.{data_key}.enc"),
        ])
    }
}

impl Artifacts {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            local_root: None,
            s3: None,
            jobs: Default::default(),
        }
    }

    /// The local file system store rooted at `root` (created if missing).
    pub fn local(root: &FsPath) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)?;
        let fs = LocalFileSystem::new_with_prefix(root)?.with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(fs),
            local_root: Some(root.to_owned()),
            s3: None,
            jobs: Default::default(),
        })
    }

    /// The local store writes a multipart object to `KEY#N` and renames it when finished; a
    /// killed process leaves that file behind, and `list` (rightly) never shows it. Object
    /// stores such as S3 expire abandoned multipart uploads with a bucket lifecycle rule
    /// instead. Only call this while no write is in flight (at startup).
    pub fn remove_abandoned_local_writes(&self) -> std::io::Result<usize> {
        fn walk(dir: &FsPath, removed: &mut usize) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    walk(&path, removed)?;
                } else if is_partial_write(&entry.file_name().to_string_lossy()) {
                    std::fs::remove_file(&path)?;
                    *removed += 1;
                }
            }
            Ok(())
        }
        let mut removed = 0;
        if let Some(root) = &self.local_root {
            walk(root, &mut removed)?;
        }
        Ok(removed)
    }

    /// The file behind `key` when the store is the local file system (the chunk endpoint reads
    /// it with positioned reads on a cached handle).
    pub fn local_path(&self, key: &str) -> Option<PathBuf> {
        let root = self.local_root.as_ref()?;
        let path = Self::key(key).ok()?;
        Some(
            path.parts()
                .fold(root.clone(), |p, part| p.join(part.as_ref())),
        )
    }

    /// Bytes `range` of `key` (for stores without a local file).
    pub async fn get_range(
        &self,
        key: &str,
        range: std::ops::Range<u64>,
    ) -> Result<Bytes, AppError> {
        let path = Self::key(key)?;
        Ok(self.store.get_range(&path, range).await?)
    }

    /// Parses a key stored in the database.
    pub fn key(stored: &str) -> Result<Path, AppError> {
        Path::parse(stored).map_err(|e| AppError::internal("reading an object key", e))
    }

    /// Streams `body` into a new object at `key`. `inspect` sees every piece before it is
    /// written and may stop the write (e.g. a size cap). On any error the partial object is
    /// aborted, so nothing appears under `key`. Returns the number of bytes written.
    pub async fn write_stream<S>(
        &self,
        key: &Path,
        body: S,
        mut inspect: impl FnMut(&Bytes) -> Result<(), AppError>,
    ) -> Result<u64, AppError>
    where
        S: Stream<Item = Result<Bytes, AppError>>,
    {
        if let Some(bucket) = self.s3.clone() {
            return self.write_stream_s3(&bucket, key, body, inspect).await;
        }
        if let Some(root) = &self.local_root {
            // Synced (file and folder) before it returns, like `sync_local` below.
            let dest = key
                .parts()
                .fold(root.clone(), |p, part| p.join(part.as_ref()));
            return local_write::write_file(dest, body, inspect).await;
        }
        let upload = self.store.put_multipart(key).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut written = 0u64;
        let mut body = std::pin::pin!(body);
        let outcome: Result<(), AppError> = async {
            while let Some(piece) = body.next().await {
                let piece = piece?;
                inspect(&piece)?;
                // Back-pressure: do not read more from the client than the store has taken.
                writer.wait_for_capacity(MAX_IN_FLIGHT).await?;
                writer.write(&piece);
                written += piece.len() as u64;
            }
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                writer.finish().await?;
                self.sync_local(key).await?;
                Ok(written)
            }
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(error = %abort, %key, "aborting a partial write failed");
                }
                Err(e)
            }
        }
    }

    /// The object's bytes as a stream of ranges (bounded memory whatever its size).
    pub fn read(
        &self,
        key: Path,
        size: u64,
    ) -> impl Stream<Item = Result<Bytes, AppError>> + Send + 'static {
        self.read_range(key, 0, size)
    }

    /// Bytes `start..end` of the object as a stream of ranges.
    pub fn read_range(
        &self,
        key: Path,
        start: u64,
        end: u64,
    ) -> impl Stream<Item = Result<Bytes, AppError>> + Send + 'static {
        let store = self.store.clone();
        let size = end;
        futures_util::stream::try_unfold(start, move |offset| {
            let store = store.clone();
            let key = key.clone();
            async move {
                if offset >= size {
                    return Ok(None);
                }
                let end = size.min(offset + READ_RANGE);
                let bytes = store.get_range(&key, offset..end).await?;
                if bytes.is_empty() {
                    return Err(AppError::internal(
                        "reading an artifact",
                        "object is shorter than recorded",
                    ));
                }
                let next = offset + bytes.len() as u64;
                Ok(Some((bytes, next)))
            }
        })
    }

    /// Moves an object (atomic on the local file system; replaces the target).
    pub async fn rename(&self, from: &Path, to: &Path) -> Result<(), AppError> {
        self.store.rename(from, to).await?;
        self.sync_local(to).await
    }

    /// The local store does not fsync, but a database row must never point at bytes a power
    /// cut can take away: a finished local object is synced (file, then its directory) before
    /// the caller records it. Remote stores acknowledge durable writes themselves.
    async fn sync_local(&self, key: &Path) -> Result<(), AppError> {
        let Some(root) = &self.local_root else {
            return Ok(());
        };
        let path = root.join(key.as_ref());
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::File::open(&path)?.sync_all()?;
            if let Some(dir) = path.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| AppError::internal("syncing an artifact", e))?
        .map_err(|e| AppError::internal("syncing an artifact", e))
    }

    /// Deletes an object; a missing object is not an error (deletes are retried by recovery).
    pub async fn delete(&self, key: &Path) {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, %key, "could not delete an object"),
        }
    }

    /// Best-effort deletion of several stored keys (after the rows naming them are gone).
    pub async fn delete_stored(&self, stored: &[String]) {
        for k in stored {
            if let Ok(key) = Path::parse(k) {
                self.delete(&key).await;
            }
        }
    }

    /// Whether the storage answers: the metadata of a key that never exists (`NotFound` is an
    /// answer too). For `/readyz`.
    pub async fn reachable(&self) -> Result<(), object_store::Error> {
        match self.store.head(&Path::from("readyz-probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every key under `prefix`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<Path>, AppError> {
        let prefix = Path::from(prefix);
        let mut out = Vec::new();
        let mut listing = self.store.list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            out.push(meta?.location);
        }
        Ok(out)
    }
}

/// `name#123`: object_store's local in-progress multipart file.
fn is_partial_write(file_name: &str) -> bool {
    file_name
        .rsplit_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn partial_local_writes_are_recognised() {
        assert!(super::is_partial_write("01abc.part#3"));
        assert!(!super::is_partial_write("01abc.part"));
        assert!(!super::is_partial_write("a#b"));
    }
}
