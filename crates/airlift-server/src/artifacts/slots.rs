//! An upload job's parts written straight into one file on the local disk, each at its offset
//! (issue 16): the job's file `uploads/{tenant}/{job}/{P}.slots` holds part N at (N − 1) × P,
//! P being the job's part size (the length of the first part that came, which every client
//! we know keeps for every part but the last). Completion then only truncates the file to the
//! image's length and links it under the image's key: the bytes are written and synced once,
//! not once as parts and again as the image.
//!
//! What an acknowledged part guarantees is kept: its bytes are synced (`sync_file_range` of
//! its range, then `fdatasync`, which also makes the file's length and blocks durable) before
//! its row is written, and the file's directory entries were synced when it was created. A
//! part being written has no row, so after a crash or a power cut its slot's bytes count for
//! nothing; the next attempt writes the slot again. A part that already has a row is never
//! overwritten in place while its row names the bytes it holds (the caller stores a re-sent part
//! as a file of its own first, then copies it into its slot and records it there), and one slot
//! is written by one request at a time ([`super::jobs::SlotClaim`]).
//!
//! Why each part is synced (not only the image, at completion): measured on 2026-12-07
//! (bench/RESULTS.md, "Issue 16: ingest and S3 upload, second pass"), acknowledging parts
//! unsynced and syncing once at completion made no difference to the ingest time (1.17 s vs
//! 1.13 s for 512 MiB): four parts in flight keep the CPU busy while one waits for its sync,
//! and the ingest is bound by the CPU (MD5, SHA-256, page-cache copies). So a listed part
//! stays durable, and start-up needs no pass over open jobs' parts.

use std::fs::OpenOptions;
use std::os::unix::io::AsRawFd as _;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use object_store::path::Path;

use super::jobs::SlotClaim;
use super::local_write::{blocking, sync_parent, write_blocks};
use super::{keys, Artifacts};
use crate::error::AppError;

const SUFFIX: &str = ".slots";

/// The part size a slot file's key names, if `key` is one.
pub fn slot_part_size(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next()?;
    name.strip_suffix(SUFFIX)
        .and_then(|n| n.parse().ok())
        .filter(|p| *p > 0)
}

/// A job's slot file: its key and part size.
#[derive(Debug, Clone)]
pub struct Slots {
    pub key: Path,
    pub part_size: u64,
}

impl Slots {
    pub fn offset(&self, part: u32) -> u64 {
        u64::from(part.saturating_sub(1)) * self.part_size
    }
}

impl Artifacts {
    /// Whether parts can be written into a job's file here (the local file system store).
    pub fn has_slots(&self) -> bool {
        self.local_root.is_some()
    }

    /// The job's slot file: the one it has, or a new one for parts of `part_size` bytes.
    pub async fn job_slots(
        &self,
        tenant: &str,
        job: &str,
        part_size: u64,
    ) -> Result<Option<Slots>, AppError> {
        let Some(root) = self.local_root.clone() else {
            return Ok(None);
        };
        let entry = self.jobs.entry(tenant, job);
        let mut known = entry.slots.lock().await;
        if let Some((key, part_size)) = known.as_ref() {
            return Ok(Some(Slots {
                key: key.clone(),
                part_size: *part_size,
            }));
        }
        let dir = keys::job_folder(tenant, job);
        let folder = self.fs_path(&root, &dir);
        let (tenant, job) = (tenant.to_owned(), job.to_owned());
        let found = blocking(move || {
            // A file the job already has (written before a restart) keeps its part size.
            if let Ok(entries) = std::fs::read_dir(&folder) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if let Some(size) = slot_part_size(&name) {
                        return Ok(size);
                    }
                }
            }
            std::fs::create_dir_all(&folder)?;
            let file = folder.join(format!("{part_size}{SUFFIX}"));
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&file)?;
            // The new file's entry, and the folders made for it, survive a power cut.
            sync_parent(&file)?;
            sync_parent(&folder)?;
            if let Some(tenant_folder) = folder.parent() {
                sync_parent(tenant_folder)?;
            }
            Ok(part_size)
        })
        .await?;
        let key = keys::slots(&tenant, &job, found);
        *known = Some((key.clone(), found));
        Ok(Some(Slots {
            key,
            part_size: found,
        }))
    }

    /// Holds off a completion of the job while a part is written into its file.
    pub async fn slot_writing(
        &self,
        tenant: &str,
        job: &str,
    ) -> tokio::sync::OwnedRwLockReadGuard<()> {
        self.jobs
            .entry(tenant, job)
            .writers
            .clone()
            .read_owned()
            .await
    }

    /// Waits for the parts being written into the job's file, and holds off new ones.
    pub async fn slots_exclusive(
        &self,
        tenant: &str,
        job: &str,
    ) -> tokio::sync::OwnedRwLockWriteGuard<()> {
        self.jobs
            .entry(tenant, job)
            .writers
            .clone()
            .write_owned()
            .await
    }

    /// Part `part`'s slot, unless another request is writing it.
    pub fn claim_slot(&self, tenant: &str, job: &str, part: u32) -> Option<SlotClaim> {
        self.jobs.entry(tenant, job).claim(part)
    }

    /// Forgets what the store remembered about the job (after it completed or was deleted).
    pub fn forget_job(&self, tenant: &str, job: &str) {
        self.jobs.forget(tenant, job);
    }

    /// Streams `body` into part `part`'s slot, at most one part size, and syncs that range
    /// before it returns. `inspect` sees every piece first. Returns the part's length.
    pub async fn write_slot<S>(
        &self,
        slots: &Slots,
        part: u32,
        body: S,
        inspect: impl FnMut(&Bytes) -> Result<(), AppError>,
    ) -> Result<u64, AppError>
    where
        S: Stream<Item = Result<Bytes, AppError>>,
    {
        let root = self.local_root.clone().ok_or_else(|| {
            AppError::internal("writing an upload part", "the store has no local files")
        })?;
        let path = self.fs_path(&root, &slots.key);
        let file = Arc::new(blocking(move || OpenOptions::new().write(true).open(&path)).await?);
        let start = slots.offset(part);
        let written = write_blocks(&file, start, slots.part_size, body, inspect).await?;
        blocking(move || {
            let (Ok(offset), Ok(len)) = (i64::try_from(start), i64::try_from(written)) else {
                return file.sync_data();
            };
            // SAFETY: `sync_file_range` only reads its integer arguments; the descriptor
            // belongs to `file`, which outlives the call.
            let waited = unsafe {
                libc::sync_file_range(
                    file.as_raw_fd(),
                    offset,
                    len,
                    libc::SYNC_FILE_RANGE_WAIT_BEFORE
                        | libc::SYNC_FILE_RANGE_WRITE
                        | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                )
            };
            if waited != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The range's blocks and the file's length, and the disk's write cache.
            file.sync_data()
        })
        .await?;
        Ok(written)
    }

    /// Makes the first `len` bytes of the job's file the object `dest`: the file is cut to
    /// that length and synced, then linked under `dest` (and that folder synced). The job's
    /// file stays until its parts' rows are gone, so a crash before the image is recorded
    /// loses nothing. Only while [`Artifacts::slots_exclusive`] is held.
    pub async fn link_slots(&self, slots: &Slots, len: u64, dest: &Path) -> Result<(), AppError> {
        let root = self.local_root.clone().ok_or_else(|| {
            AppError::internal("assembling an image", "the store has no local files")
        })?;
        let (from, to) = (self.fs_path(&root, &slots.key), self.fs_path(&root, dest));
        blocking(move || {
            let file = OpenOptions::new().write(true).open(&from)?;
            file.set_len(len)?;
            file.sync_all()?;
            if let Some(dir) = to.parent() {
                if !dir.exists() {
                    std::fs::create_dir_all(dir)?;
                    // The new folder's own entry survives a power cut too.
                    sync_parent(dir)?;
                }
            }
            match std::fs::hard_link(&from, &to) {
                Ok(()) => {}
                // An earlier completion linked it and was not recorded: the same bytes.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    std::fs::remove_file(&to)?;
                    std::fs::hard_link(&from, &to)?;
                }
                Err(e) => return Err(e),
            }
            sync_parent(&to)
        })
        .await
    }

    fn fs_path(&self, root: &std::path::Path, key: &Path) -> std::path::PathBuf {
        key.parts()
            .fold(root.to_owned(), |p, part| p.join(part.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slot_files_name_their_part_size() {
        assert_eq!(
            super::slot_part_size("uploads/t/job_1/16777216.slots"),
            Some(16777216)
        );
        assert_eq!(super::slot_part_size("16.slots"), Some(16));
        assert_eq!(super::slot_part_size("uploads/t/job_1/01abc.part"), None);
        assert_eq!(super::slot_part_size("uploads/t/job_1/0.slots"), None);
        assert_eq!(super::slot_part_size("uploads/t/job_1/16.slots#123"), None);
    }
}
