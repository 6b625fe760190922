//! The transfer itself, in three stages: one reader thread reads the parts in order; up to
//! `parallel` parts get their MD5, each on a blocking thread of its own; up to `parallel` parts
//! are sent at once with `PUT .../chunks/{n}`.
//!
//! The whole file's SHA-256 is not taken here but in a pass of its own while the server
//! assembles the image (`upload_file`): the server needs a while for that (it reads and syncs
//! every byte) during which the client's cores are idle, whereas during the transfer the
//! client's hashing competes with the server's for the CPU when both run on one machine (a
//! profile of a 512 MiB upload on two cores: the transfer phase was CPU-bound, the completion
//! phase waited on the disk). The price is a second read of the file, from the page cache
//! when it fits there.
//!
//! Why the MD5s are not on the reader: MD5 costs about three times what SHA-256 (SHA-NI) does,
//! so a reader taking both produced parts at ~450 MB/s on one core, which on a two-core machine
//! shared with the server held the transfer back (a profile of `airlift-cli upload`: 60 % of its
//! CPU in `md5_compress`, 20 % in SHA-256). Now the reader keeps ahead and the MD5s of the parts
//! in flight run on whichever cores are free.
//!
//! Parts the server already holds with the same length and MD5 are read (to compare the MD5)
//! but not sent. Memory stays bounded: `parallel` parts being sent, `parallel` in
//! the MD5 stage, one waiting for it and the one being read (2 × 4 + 2 parts of 16 MiB by
//! default: 160 MiB at most).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt as _;
use tokio::sync::mpsc;

use super::progress::{Tracker, UploadProgress};
use crate::cache::Cache;
use crate::cancel::CancelToken;
use crate::client::{Client, PartBody};
use crate::error::DeskError;
use crate::hashing::parts::{BufferPool, Part, PartReader, RawPart};

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

impl Transfer<'_> {
    /// Sends every part the server lacks; returns the final counters.
    pub async fn run(
        self,
        on_progress: &(dyn Fn(&UploadProgress) + Send + Sync),
    ) -> Result<Tracker, DeskError> {
        let parallel = self.parallel.max(1);
        let buffers = BufferPool::default();
        let reader = PartReader::open(&self.path, self.part_size, self.cancel.clone())?
            .parts_only()
            .with_buffers(buffers.clone());
        let mut tracker = Tracker::new(reader.size(), reader.part_count());
        // One read part waits for its MD5 stage; the reader is fast enough that more would only
        // hold memory.
        let (tx, mut rx) = mpsc::channel::<Result<RawPart, DeskError>>(1);
        let read_task = tokio::task::spawn_blocking(move || read_parts(reader, &tx));
        // The MD5 stage: up to `parallel` parts hashed ahead of the senders, each on a blocking
        // thread, handed on in order.
        let mut ready = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
            .map(|item| async move {
                let raw = item?;
                tokio::task::spawn_blocking(move || raw.into_part())
                    .await
                    .map_err(|err| DeskError::internal(format!("hashing a part stopped: {err}")))
            })
            .buffered(parallel)
            .boxed();

        let mut inflight = FuturesUnordered::new();
        let mut reading = true;
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        on_progress(&tracker.snapshot());
        while reading || !inflight.is_empty() {
            tokio::select! {
                part = ready.next(), if reading && inflight.len() < parallel => match part {
                    None => reading = false,
                    Some(Err(err)) => return Err(err),
                    Some(Ok(part)) => {
                        let len = part.bytes.len() as u64;
                        if self.holds(&part) {
                            buffers.give(part.bytes);
                            tracker.parts_skipped += 1;
                            tracker.skipped_bytes += len;
                        } else {
                            inflight.push(self.send(part, &buffers));
                        }
                    }
                },
                Some(done) = inflight.next(), if !inflight.is_empty() => {
                    let (number, len) = done?;
                    self.ack(number)?;
                    tracker.parts_sent += 1;
                    tracker.sent_bytes += len;
                    on_progress(&tracker.snapshot());
                }
                _ = tick.tick() => {
                    self.cancel.check("the upload")?;
                    on_progress(&tracker.snapshot());
                }
            }
        }
        // The reader may be waiting to hand over a part: dropping the receiver ends it.
        drop(ready);
        read_task
            .await
            .map_err(|err| DeskError::internal(format!("the file reader stopped: {err}")))??;
        on_progress(&tracker.snapshot());
        Ok(tracker)
    }

    /// Whether the server already holds this part, byte for byte (same length and MD5).
    fn holds(&self, part: &Part) -> bool {
        self.held.get(&part.number).is_some_and(|(len, md5)| {
            *len == part.bytes.len() as u64 && *md5 == hex::encode(part.md5)
        })
    }

    async fn send(&self, part: Part, buffers: &BufferPool) -> Result<(u32, u64), DeskError> {
        let number = part.number;
        let len = part.bytes.len() as u64;
        let md5_base64 = part.md5_base64();
        // The buffer goes back to the pool once the HTTP client has let go of every clone.
        let bytes = Bytes::from_owner(Recycled {
            buf: part.bytes,
            pool: buffers.clone(),
        });
        let body = PartBody { md5_base64, bytes };
        let chunk = self
            .client
            .put_upload_part(self.job_id, number, body)
            .await?;
        if chunk.length != len {
            return Err(DeskError::new(
                crate::error::DeskErrorCode::VerificationFailed,
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

/// A sent part's buffer, handed back to the pool when dropped.
struct Recycled {
    buf: Vec<u8>,
    pool: BufferPool,
}

impl AsRef<[u8]> for Recycled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Recycled {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.buf));
    }
}

/// The reader thread: every part in order. Ends early (quietly) if the uploader stopped
/// listening; fails if the file grew while it was read.
fn read_parts(
    mut reader: PartReader,
    tx: &mpsc::Sender<Result<RawPart, DeskError>>,
) -> Result<(), DeskError> {
    while let Some(part) = reader.next_raw() {
        let failed = part.is_err();
        if tx.blocking_send(part).is_err() || failed {
            return Err(DeskError::cancelled("reading the file"));
        }
    }
    reader.check_end()
}
