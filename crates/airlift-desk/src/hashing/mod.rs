//! SHA-256 of artifact files of any size, at the speed of the CPU's hash instructions.
//!
//! Firmware images reach several GiB, and the desk hashes each one before upload (the server
//! re-checks the digest, and signatures are made over it). [`sha256_file`] splits the work over
//! two threads: a reader fills ~1 MiB buffers while the caller's thread hashes the previous one,
//! so neither waits for the other on a warm page cache or a fast disk. Buffers travel back to the
//! reader after hashing, so a whole file costs [`BUFFERS`] allocations, not one per chunk.
//!
//! `sha2` picks SHA-NI (x86) at run time through `cpufeatures`; the `asm` feature only speeds up
//! the fallback on CPUs without it.
//!
//! [`parts::PartReader`] is the single-pass building block for multipart uploads: it yields
//! numbered parts with their MD5 while accumulating the whole file's SHA-256.

pub mod parts;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use airlift_core::package::Sha256Hex;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::cancel::CancelToken;
use crate::error::{DeskError, DeskErrorCode};

/// Size of one read. Large enough that per-chunk overhead (channel hop, progress callback,
/// cancellation check) is noise next to hashing 1 MiB (~0.5 ms with SHA-NI).
pub const CHUNK_SIZE: usize = 1 << 20;

/// Buffers in flight between reader and hasher: enough to absorb jitter in read latency without
/// holding much memory (4 MiB).
pub const BUFFERS: usize = 4;

/// How far a long operation has got, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// A file's size and SHA-256, as measured in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub size: u64,
    pub sha256: [u8; 32],
}

impl FileDigest {
    /// The digest in the wire's lowercase-hex form.
    pub fn sha256_hex(&self) -> Sha256Hex {
        Sha256Hex::from_digest(&self.sha256)
    }
}

/// Hashes the file at `path`, calling `on_progress` once before the first byte and after every
/// chunk (`done` rises monotonically and the last call has `done == total`).
///
/// Checks `cancel` before every chunk and returns `CANCELLED` promptly. Fails with
/// `FAILED_PRECONDITION` if the file's size changes while it is read, because a digest of a file
/// that is still being written would not match what gets uploaded.
pub fn sha256_file(
    path: &Path,
    cancel: &CancelToken,
    mut on_progress: impl FnMut(Progress),
) -> Result<FileDigest, DeskError> {
    let (file, total) = open_regular(path)?;
    let what = format!("hashing {}", path.display());
    on_progress(Progress { done: 0, total });

    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(BUFFERS);
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..BUFFERS {
        // Cannot fail: the receiver is alive in this scope.
        let _ = free_tx.send(vec![0u8; CHUNK_SIZE]);
    }

    let done = thread::scope(|scope| {
        let reader_cancel = cancel.clone();
        scope.spawn(move || read_chunks(file, &reader_cancel, &free_rx, &full_tx));
        // `hash_chunks` owns the hasher's channel ends, so they are dropped when it returns
        // (even early, on cancel or error); that unblocks the reader before the scope joins it.
        hash_chunks(full_rx, free_tx, cancel, &what, total, &mut on_progress)
    });
    let (size, sha256) = done.map_err(|err| match err {
        HashFailure::Read(err) => DeskError::io("read", path, &err),
        HashFailure::Desk(err) => err,
    })?;
    if size != total {
        return Err(changed_while_reading(path, total, size));
    }
    Ok(FileDigest { size, sha256 })
}

/// Opens `path` for reading and returns its size, refusing anything but a regular file up front:
/// a folder opens fine on Linux and only fails at the first read, and a device or pipe has no
/// size to report progress against (and `/dev/zero` would never end).
pub(crate) fn open_regular(path: &Path) -> Result<(File, u64), DeskError> {
    let file = File::open(path).map_err(|err| DeskError::io("open", path, &err))?;
    let meta = file
        .metadata()
        .map_err(|err| DeskError::io("inspect", path, &err))?;
    if meta.is_dir() {
        return Err(DeskError::invalid_argument(format!(
            "{} is a folder; choose an artifact file",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(DeskError::invalid_argument(format!(
            "{} is not a regular file; choose an artifact file",
            path.display()
        )));
    }
    Ok((file, meta.len()))
}

pub(crate) fn changed_while_reading(path: &Path, expected: u64, got: u64) -> DeskError {
    DeskError::new(
        DeskErrorCode::FailedPrecondition,
        format!(
            "{} changed while it was being read ({expected} bytes at the start, {got} at the end); \
             wait until it is completely written and try again",
            path.display()
        ),
    )
}

enum HashFailure {
    Read(io::Error),
    Desk(DeskError),
}

/// The reader thread: fill free buffers and pass them on until end of file, an error, or the
/// hasher hangs up.
fn read_chunks(
    mut file: File,
    cancel: &CancelToken,
    free: &mpsc::Receiver<Vec<u8>>,
    full: &mpsc::SyncSender<io::Result<(Vec<u8>, usize)>>,
) {
    while let Ok(mut buf) = free.recv() {
        if cancel.is_cancelled() {
            return;
        }
        match read_full(&mut file, &mut buf) {
            Ok(0) => return,
            Ok(n) => {
                let last = n < buf.len();
                if full.send(Ok((buf, n))).is_err() || last {
                    return;
                }
            }
            Err(err) => {
                let _ = full.send(Err(err));
                return;
            }
        }
    }
}

/// The hashing side. Returns `(bytes hashed, digest)`; the reader dropping its sender is end of
/// file.
fn hash_chunks(
    full: mpsc::Receiver<io::Result<(Vec<u8>, usize)>>,
    free: mpsc::Sender<Vec<u8>>,
    cancel: &CancelToken,
    what: &str,
    total: u64,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<(u64, [u8; 32]), HashFailure> {
    let mut hasher = Sha256::new();
    let mut done = 0u64;
    for msg in full {
        cancel.check(what).map_err(HashFailure::Desk)?;
        let (buf, n) = msg.map_err(HashFailure::Read)?;
        hasher.update(&buf[..n]);
        done += n as u64;
        on_progress(Progress { done, total });
        // The reader may already have finished; then the buffer is simply dropped.
        let _ = free.send(buf);
    }
    // A cancel that lands during the last chunk still wins: the caller asked for no result.
    cancel.check(what).map_err(HashFailure::Desk)?;
    Ok((done, hasher.finalize().into()))
}

/// Reads until `buf` is full or the file ends; returns the bytes read (short only at the end).
pub(crate) fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}
