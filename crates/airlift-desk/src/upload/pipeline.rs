//! The transfer itself: the file is read once, in parts, and every part's bytes serve three
//! consumers at once (see [`stages`](super::stages)): its MD5 (one part per hashing thread,
//! several parts at a time), the whole file's SHA-256 (one thread, in order) and, once its MD5
//! is known, its `PUT .../chunks/{n}`. Up to `parallel` parts are in flight; a part leaves as
//! soon as a slot is free and its MD5 is known, in part order (the server hashes the image from
//! the parts in order, and a part that arrives before its turn waits there).
//!
//! Why so: the protocol wants a `Content-MD5` on every part (seed 003), and MD5 is slow (about
//! 0.7 s of CPU per 512 MiB here, three times SHA-256 with SHA-NI). Hashing part N + 1 while
//! part N is sent keeps the connections busy, and the SHA-256 taken alongside leaves nothing to
//! hash once the last part is on the server, so completion follows at once (an earlier version
//! took the SHA-256 in a second pass during completion; since completion became a hard link on
//! the server, that pass was the client's longest serial stretch).
//!
//! Parts the server already holds with the same length and MD5 are read and hashed but not
//! sent. Memory stays bounded by one pool of part buffers (`parallel` being sent, one per
//! hashing thread, one being read and one waiting): `(parallel + hashers + 2) × part size`,
//! 128 MiB at 4 parts of 16 MiB on two cores.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt as _;

use super::progress::{Tracker, UploadProgress};
use super::stages::{HashedPart, Stages};
use crate::cache::Cache;
use crate::cancel::CancelToken;
use crate::client::{Client, PartBody};
use crate::error::{DeskError, DeskErrorCode};
use crate::hashing::parts::{BufferPool, PartReader};
use crate::hashing::FileDigest;

/// Everything the pipeline needs, borrowed from the upload.
pub(crate) struct Transfer<'a> {
    pub client: &'a Client,
    pub cache: &'a Mutex<Cache>,
    pub job_id: &'a str,
    pub path: PathBuf,
    pub part_size: u64,
    pub parallel: usize,
    /// Parts the server holds: number → (length, hex MD5).
    pub held: HashMap<u32, (u64, String)>,
    pub cancel: CancelToken,
}

/// What a finished transfer measured.
pub(crate) struct Transferred {
    pub tracker: Tracker,
    /// The whole file's size and SHA-256, from the same read as the parts.
    pub digest: FileDigest,
}

impl Transfer<'_> {
    /// Sends every part the server lacks; returns the counters and the file's digest.
    pub async fn run(
        self,
        on_progress: &(dyn Fn(&UploadProgress) + Send + Sync),
    ) -> Result<Transferred, DeskError> {
        let parallel = self.parallel.max(1);
        let hashers = super::stages::hashing_threads(parallel);
        let buffers = BufferPool::bounded(parallel + hashers + 2);
        let reader = PartReader::open(&self.path, self.part_size, self.cancel.clone())?
            .parts_only()
            .with_buffers(buffers.clone());
        let parts_total = reader.part_count();
        let mut tracker = Tracker::new(reader.size(), parts_total);
        let mut stages = Stages::start(reader, buffers.clone(), hashers)?;

        // Hashed parts waiting for their turn, by number.
        let mut ready: BTreeMap<u32, HashedPart> = BTreeMap::new();
        let mut next = 1u32;
        let mut hashed = 0u32;
        let mut inflight = FuturesUnordered::new();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        on_progress(&tracker.snapshot());
        loop {
            // Fill every free slot with the next part, in order.
            while inflight.len() < parallel {
                let Some(part) = ready.remove(&next) else {
                    break;
                };
                next += 1;
                let len = part.bytes.len() as u64;
                if self.holds(&part) {
                    tracker.parts_skipped += 1;
                    tracker.skipped_bytes += len;
                } else {
                    tracing::debug!(part = part.number, "upload: part sent");
                    inflight.push(self.send(part));
                }
            }
            if next > parts_total && inflight.is_empty() {
                break;
            }
            tokio::select! {
                part = stages.next_hashed(), if hashed < parts_total => {
                    let part = part?;
                    hashed += 1;
                    tracing::debug!(part = part.number, "upload: part hashed");
                    ready.insert(part.number, part);
                }
                Some(done) = inflight.next(), if !inflight.is_empty() => {
                    let (number, len) = done?;
                    tracing::debug!(part = number, "upload: part stored");
                    self.ack(number)?;
                    tracker.parts_sent += 1;
                    tracker.sent_bytes += len;
                    tracker.hashed_bytes = stages.hashed_bytes();
                    on_progress(&tracker.snapshot());
                }
                _ = tick.tick() => {
                    self.cancel.check("the upload")?;
                    tracker.hashed_bytes = stages.hashed_bytes();
                    on_progress(&tracker.snapshot());
                }
            }
        }
        self.cancel.check("the upload")?;
        let digest = stages.digest().await?;
        tracing::debug!(
            buffers = buffers.most_out(),
            "upload: every part stored, file hashed"
        );
        tracker.hashed_bytes = digest.size;
        on_progress(&tracker.snapshot());
        Ok(Transferred { tracker, digest })
    }

    /// Whether the server already holds this part, byte for byte (same length and MD5).
    fn holds(&self, part: &HashedPart) -> bool {
        self.held.get(&part.number).is_some_and(|(len, md5)| {
            *len == part.bytes.len() as u64 && *md5 == hex::encode(part.md5)
        })
    }

    async fn send(&self, part: HashedPart) -> Result<(u32, u64), DeskError> {
        let number = part.number;
        let len = part.bytes.len() as u64;
        let body = PartBody {
            md5_base64: part.md5_base64(),
            // The buffer goes back to the pool once every clone is dropped (the HTTP client's
            // and the SHA-256 thread's).
            bytes: part.bytes,
        };
        let chunk = self
            .client
            .put_upload_part(self.job_id, number, body)
            .await?;
        if chunk.length != len {
            return Err(DeskError::new(
                DeskErrorCode::VerificationFailed,
                format!(
                    "the server stored part {number} as {} bytes, but {len} were sent",
                    chunk.length
                ),
            ));
        }
        Ok((number, len))
    }

    fn ack(&self, number: u32) -> Result<(), DeskError> {
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| DeskError::internal("the offline cache lock was poisoned"))?;
        cache.ack_upload_part(self.job_id, number)
    }
}
