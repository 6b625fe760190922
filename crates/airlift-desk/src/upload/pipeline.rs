//! The transfer itself: one reader thread yields parts (hashing the whole file as it goes), and
//! up to `parallel` `PUT .../chunks/{n}` calls run at once.
//!
//! Parts the server already holds with the same length and MD5 are read (the SHA-256 needs
//! their bytes) but not sent. Memory stays bounded: `parallel` parts in flight plus `parallel`
//! parts waiting in the channel plus the one being read.

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
use crate::hashing::parts::{BufferPool, Part, PartReader};
use crate::hashing::FileDigest;

/// What the reader found for one part.
enum Item {
    /// The server already holds this part, byte for byte.
    Held {
        len: u64,
    },
    Send(Part),
}

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
    /// Sends every part the server lacks; returns the file's digest and the final counters.
    pub async fn run(
        self,
        on_progress: &(dyn Fn(&UploadProgress) + Send + Sync),
    ) -> Result<(FileDigest, Tracker), DeskError> {
        let parallel = self.parallel.max(1);
        let buffers = BufferPool::default();
        let reader = PartReader::open(&self.path, self.part_size, self.cancel.clone())?
            .with_buffers(buffers.clone());
        let mut tracker = Tracker::new(reader.size(), reader.part_count());
        let (tx, mut rx) = mpsc::channel::<Result<Item, DeskError>>(parallel);
        let held = self.held.clone();
        let recycle = buffers.clone();
        let read_task =
            tokio::task::spawn_blocking(move || read_parts(reader, &held, &recycle, &tx));

        let mut inflight = FuturesUnordered::new();
        let mut reading = true;
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        on_progress(&tracker.snapshot());
        while reading || !inflight.is_empty() {
            tokio::select! {
                item = rx.recv(), if reading && inflight.len() < parallel => match item {
                    None => reading = false,
                    Some(Err(err)) => return Err(err),
                    Some(Ok(Item::Held { len })) => {
                        tracker.parts_skipped += 1;
                        tracker.skipped_bytes += len;
                        tracker.hashed_bytes += len;
                    }
                    Some(Ok(Item::Send(part))) => {
                        tracker.hashed_bytes += part.bytes.len() as u64;
                        inflight.push(self.send(part, &buffers));
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
        drop(rx);
        let digest = read_task
            .await
            .map_err(|err| DeskError::internal(format!("the file reader stopped: {err}")))??;
        on_progress(&tracker.snapshot());
        Ok((digest, tracker))
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

/// The reader thread: every part in order, either to send or to skip. Ends early (quietly) if
/// the uploader stopped listening.
fn read_parts(
    mut reader: PartReader,
    held: &HashMap<u32, (u64, String)>,
    buffers: &BufferPool,
    tx: &mpsc::Sender<Result<Item, DeskError>>,
) -> Result<FileDigest, DeskError> {
    for part in reader.by_ref() {
        let item = part.map(|part| match held.get(&part.number) {
            Some((len, md5))
                if *len == part.bytes.len() as u64 && *md5 == hex::encode(part.md5) =>
            {
                buffers.give(part.bytes);
                Item::Held { len: *len }
            }
            _ => Item::Send(part),
        });
        let failed = item.is_err();
        if tx.blocking_send(item).is_err() || failed {
            return Err(DeskError::cancelled("reading the file"));
        }
    }
    reader.finish()
}
