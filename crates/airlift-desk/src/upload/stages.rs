//! The threads that feed the transfer (`pipeline`): one reader, a few MD5 hashers, one SHA-256.
//!
//! ```text
//!  reader ──part N──┬──▶ MD5 queue ──▶ hasher 1..H ──(N, MD5)──▶ the sender (async)
//!  (in order)       └──▶ SHA-256 thread (in order) ──▶ the file's digest, at the end
//! ```
//!
//! Each part is read from the file once, into a buffer of a bounded [`BufferPool`], and shared
//! (as [`Bytes`]) by its MD5 hasher, the SHA-256 thread and the HTTP request; the buffer goes
//! back to the pool when the last of them lets go. The reader waits for a free buffer, so
//! nothing runs further ahead of the sending than the pool allows.
//!
//! The MD5 hashers take parts in order, one each: part 1's MD5 is the first one known (the
//! first request can leave after one part's MD5, about 25 ms for 16 MiB), and there are no more
//! hashers than cores the process may run on (`available_parallelism`, which follows CPU
//! affinity and cgroup quotas): on one core, four hashers would only make the first part wait
//! for four.
//!
//! Stopping: dropping [`Stages`] (the upload ended, failed or was cancelled) raises a flag every
//! thread checks between parts and closes the pool, which wakes a reader waiting for a buffer;
//! each thread then ends as its channels close. Nothing is sent from here: a part reaches the
//! server only through the sender, so a stop never leaves a part half-sent by these threads.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use md5::{Digest as _, Md5};
use sha2::Sha256;
use tokio::sync::{mpsc as async_mpsc, oneshot};

use crate::error::DeskError;
use crate::hashing::parts::{BufferPool, PartReader};
use crate::hashing::FileDigest;

/// How many threads take MD5s: one per part in flight, but no more than the cores available.
pub(crate) fn hashing_threads(parallel: usize) -> usize {
    let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    parallel.min(cores).max(1)
}

/// A part read and MD5-hashed, ready to send.
pub(crate) struct HashedPart {
    pub number: u32,
    pub bytes: Bytes,
    pub md5: [u8; 16],
}

impl HashedPart {
    /// The MD5 as a `Content-MD5` header wants it (base64 of the 16 raw bytes).
    pub fn md5_base64(&self) -> String {
        STANDARD.encode(self.md5)
    }
}

type Hashed = Result<HashedPart, DeskError>;

/// A part on its way to an MD5 hasher.
struct Unhashed {
    number: u32,
    bytes: Bytes,
}

/// What the reader hands the SHA-256 thread.
enum ToSha {
    Part(Bytes),
    /// Every part was read; `Err` if the file turned out longer than when it was opened.
    End(Result<(), DeskError>),
}

/// The running threads, seen from the sender.
pub(crate) struct Stages {
    hashed: async_mpsc::UnboundedReceiver<Hashed>,
    digest: Option<oneshot::Receiver<Result<FileDigest, DeskError>>>,
    hashed_bytes: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    buffers: BufferPool,
}

impl Stages {
    /// Starts reading `reader`'s parts (from `buffers`, the pool `reader` takes from) with
    /// `hashers` MD5 threads and the SHA-256 thread.
    pub fn start(
        reader: PartReader,
        buffers: BufferPool,
        hashers: usize,
    ) -> Result<Self, DeskError> {
        let (hashed_tx, hashed) = async_mpsc::unbounded_channel();
        let (digest_tx, digest) = oneshot::channel();
        let (md5_tx, md5_rx) = mpsc::channel::<Unhashed>();
        let (sha_tx, sha_rx) = mpsc::channel::<ToSha>();
        let stages = Stages {
            hashed,
            digest: Some(digest),
            hashed_bytes: Arc::new(AtomicU64::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
            buffers: buffers.clone(),
        };

        let md5_rx = Arc::new(Mutex::new(md5_rx));
        for i in 0..hashers.max(1) {
            let (queue, out, stop) = (md5_rx.clone(), hashed_tx.clone(), stages.stop.clone());
            spawn(&format!("upload-md5-{i}"), move || {
                hash_parts(&queue, &out, &stop)
            })?;
        }
        let (hashed_bytes, stop) = (stages.hashed_bytes.clone(), stages.stop.clone());
        spawn("upload-sha256", move || {
            let _ = digest_tx.send(hash_file(&sha_rx, &hashed_bytes, &stop));
        })?;
        let stop = stages.stop.clone();
        spawn("upload-read", move || {
            read_parts(reader, &buffers, &stop, &sha_tx, &md5_tx, &hashed_tx)
        })?;
        Ok(stages)
    }

    /// The next part whose MD5 is known (not necessarily in order). Cancel-safe. Call only
    /// while parts remain to be hashed: after the last one the hashers are gone and this fails.
    pub async fn next_hashed(&mut self) -> Hashed {
        self.hashed
            .recv()
            .await
            .unwrap_or_else(|| Err(DeskError::internal("hashing the parts stopped early")))
    }

    /// Bytes folded into the file's SHA-256 so far.
    pub fn hashed_bytes(&self) -> u64 {
        self.hashed_bytes.load(Ordering::Relaxed)
    }

    /// The whole file's digest, once the SHA-256 thread has had every part.
    pub async fn digest(&mut self) -> Result<FileDigest, DeskError> {
        let digest = self
            .digest
            .take()
            .ok_or_else(|| DeskError::internal("the file's digest was asked for twice"))?;
        digest
            .await
            .map_err(|_| DeskError::internal("hashing the file stopped early"))?
    }
}

impl Drop for Stages {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.buffers.close();
    }
}

fn spawn(name: &str, work: impl FnOnce() + Send + 'static) -> Result<(), DeskError> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(work)
        .map(drop)
        .map_err(|err| DeskError::internal(format!("could not start a thread ({name}): {err}")))
}

/// A part's buffer, handed back to the pool when the last [`Bytes`] over it is dropped.
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

/// The reader: every part in order, each to the SHA-256 thread and the MD5 queue. A read
/// failure goes straight to the sender (and, by the missing end, to the SHA-256 thread).
fn read_parts(
    mut reader: PartReader,
    buffers: &BufferPool,
    stop: &AtomicBool,
    to_sha: &mpsc::Sender<ToSha>,
    to_md5: &mpsc::Sender<Unhashed>,
    failed: &async_mpsc::UnboundedSender<Hashed>,
) {
    while let Some(part) = reader.next_raw() {
        let part = match part {
            Ok(part) => part,
            Err(err) => {
                let _ = failed.send(Err(err));
                return;
            }
        };
        if stop.load(Ordering::Relaxed) {
            buffers.give(part.bytes);
            return;
        }
        tracing::trace!(part = part.number, "upload: part read");
        let bytes = Bytes::from_owner(Recycled {
            buf: part.bytes,
            pool: buffers.clone(),
        });
        let number = part.number;
        if to_sha.send(ToSha::Part(bytes.clone())).is_err()
            || to_md5.send(Unhashed { number, bytes }).is_err()
        {
            return;
        }
    }
    let _ = to_sha.send(ToSha::End(reader.check_end()));
}

/// An MD5 hasher: the next part from the queue, until the queue closes.
fn hash_parts(
    queue: &Mutex<mpsc::Receiver<Unhashed>>,
    out: &async_mpsc::UnboundedSender<Hashed>,
    stop: &AtomicBool,
) {
    loop {
        let next = {
            let Ok(queue) = queue.lock() else { return };
            queue.recv()
        };
        let Ok(part) = next else { return };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let md5 = Md5::digest(&part.bytes).into();
        let hashed = HashedPart {
            number: part.number,
            bytes: part.bytes,
            md5,
        };
        if out.send(Ok(hashed)).is_err() {
            return;
        }
    }
}

/// The SHA-256 thread: every part in order, then the digest.
fn hash_file(
    parts: &mpsc::Receiver<ToSha>,
    hashed_bytes: &AtomicU64,
    stop: &AtomicBool,
) -> Result<FileDigest, DeskError> {
    let mut sha256 = Sha256::new();
    let mut size = 0u64;
    loop {
        match parts.recv() {
            Ok(ToSha::Part(bytes)) => {
                if stop.load(Ordering::Relaxed) {
                    return Err(DeskError::cancelled("hashing the file"));
                }
                sha2::Digest::update(&mut sha256, &bytes);
                size += bytes.len() as u64;
                hashed_bytes.store(size, Ordering::Relaxed);
            }
            Ok(ToSha::End(end)) => {
                end?;
                return Ok(FileDigest {
                    size,
                    sha256: sha2::Digest::finalize(sha256).into(),
                });
            }
            Err(_) => return Err(DeskError::cancelled("reading the file")),
        }
    }
}
