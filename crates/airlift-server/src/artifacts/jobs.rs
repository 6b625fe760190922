//! What the artifact store remembers per upload job while its parts arrive: the S3 multipart
//! upload its parts go to (`s3_jobs.rs`), or the local file they are written into at their
//! offsets (`slots.rs`), which part slots are being written, and the lock a completion takes
//! so that no part is written into the file it is making the image of. In memory only: after
//! a restart every entry is found again from the bucket's markers or the job's folder.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use object_store::path::Path;
use tokio::sync::{OwnedSemaphorePermit, RwLock, Semaphore};

/// Memory that S3 job parts may hold while they are read (a part is sent to S3 whole, with
/// its length and once its MD5 checked, so a refused part never reaches the bucket).
const PART_BUFFER_MIB: u32 = 512;

#[derive(Default)]
pub(super) struct JobEntry {
    /// The S3 multipart upload of the job's image, once known.
    pub s3_upload: tokio::sync::Mutex<Option<String>>,
    /// The job's slot file and its part size, once known.
    pub slots: tokio::sync::Mutex<Option<(Path, u64)>>,
    /// Part writers hold it shared; a completion holds it exclusively.
    pub writers: Arc<RwLock<()>>,
    /// Part numbers being written into their slot now.
    pub claims: Mutex<HashSet<u32>>,
    /// Held by an appended part while it takes the next number.
    pub appends: Arc<tokio::sync::Mutex<()>>,
}

pub(super) struct JobRegistry {
    entries: Mutex<HashMap<String, Arc<JobEntry>>>,
    buffers: Arc<Semaphore>,
}

impl Default for JobRegistry {
    fn default() -> Self {
        Self {
            entries: Mutex::default(),
            buffers: Arc::new(Semaphore::new(PART_BUFFER_MIB as usize)),
        }
    }
}

impl JobRegistry {
    pub fn entry(&self, tenant: &str, job: &str) -> Arc<JobEntry> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .entry(format!("{tenant}/{job}"))
            .or_default()
            .clone()
    }

    pub fn forget(&self, tenant: &str, job: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&format!("{tenant}/{job}"));
    }

    /// Waits until `bytes` of part buffer are free (at most the whole budget, so one part of
    /// any length can always go alone).
    pub async fn buffer(&self, bytes: u64) -> Option<OwnedSemaphorePermit> {
        let mib = bytes.div_ceil(1 << 20).clamp(1, u64::from(PART_BUFFER_MIB)) as u32;
        self.buffers.clone().acquire_many_owned(mib).await.ok()
    }
}

/// Part `n`'s slot, held while it is written; released on drop.
pub struct SlotClaim {
    entry: Arc<JobEntry>,
    part: u32,
}

impl JobEntry {
    pub fn claim(self: &Arc<Self>, part: u32) -> Option<SlotClaim> {
        let mut claims = self.claims.lock().unwrap_or_else(|e| e.into_inner());
        claims.insert(part).then(|| SlotClaim {
            entry: self.clone(),
            part,
        })
    }
}

impl Drop for SlotClaim {
    fn drop(&mut self) {
        let mut claims = self.entry.claims.lock().unwrap_or_else(|e| e.into_inner());
        claims.remove(&self.part);
    }
}
