//! Writes into the local file system store with the disk at work while the bytes arrive.
//!
//! object_store's local multipart writer leaves every byte in the page cache until the final
//! fsync (the kernel starts writing back on its own only past `dirty_background_ratio`, GiBs on
//! a server), so syncing a finished 512 MiB image waited for all 512 MiB to reach the disk
//! after the last byte was copied, and every 16 MiB upload part for its 16 MiB: the disk idled
//! during the transfer and the transfer idled during the sync. Here each block is handed to the
//! kernel for write-back as soon as it is written (`sync_file_range(SYNC_FILE_RANGE_WRITE)`,
//! which starts the I/O without waiting for it), so the final fsync finds little left to do.
//!
//! The layout is object_store's: the bytes go to `KEY#N` and are renamed to `KEY` once synced
//! (then the directory is synced), so nothing appears under `KEY` before it is whole and
//! durable; a failed write removes `KEY#N`, and one a killed process left is removed at start-up
//! by [`Artifacts::remove_abandoned_local_writes`](super::Artifacts::remove_abandoned_local_writes).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt as _;
use std::os::unix::io::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use tokio::task::JoinHandle;

use crate::error::AppError;

/// Bytes gathered before one write (and one write-back request); one block is written while the
/// next one fills, so a write holds at most two blocks of memory.
const BLOCK: usize = 4 << 20;

/// Streams `body` into the file `dest` (see the module docs). `inspect` sees every piece before
/// it is written and may stop the write. Returns the number of bytes written.
pub(super) async fn write_file<S>(
    dest: PathBuf,
    body: S,
    inspect: impl FnMut(&Bytes) -> Result<(), AppError>,
) -> Result<u64, AppError>
where
    S: Stream<Item = Result<Bytes, AppError>>,
{
    let target = dest.clone();
    let (file, partial) = blocking(move || create_partial(&target)).await?;
    let file = Arc::new(file);
    let outcome: Result<u64, AppError> = async {
        let written = write_blocks(&file, 0, u64::MAX, body, inspect).await?;
        let (f, from, to) = (file.clone(), partial.clone(), dest.clone());
        blocking(move || {
            f.sync_all()?;
            std::fs::rename(&from, &to)?;
            sync_parent(&to)
        })
        .await?;
        Ok(written)
    }
    .await;
    if outcome.is_err() {
        let stale = partial.clone();
        match tokio::task::spawn_blocking(move || std::fs::remove_file(&stale)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::warn!(error = %err, path = %partial.display(), "removing a partial write failed");
            }
            Err(err) => {
                tracing::warn!(error = %err, path = %partial.display(), "removing a partial write failed");
            }
        }
    }
    outcome
}

/// Streams `body` into `file` from `start` on, at most `limit` bytes (more is an error), each
/// block handed to the kernel for write-back as soon as it is written. Nothing is synced yet:
/// the caller syncs what it needs. Returns the number of bytes written.
pub(super) async fn write_blocks<S>(
    file: &Arc<File>,
    start: u64,
    limit: u64,
    body: S,
    mut inspect: impl FnMut(&Bytes) -> Result<(), AppError>,
) -> Result<u64, AppError>
where
    S: Stream<Item = Result<Bytes, AppError>>,
{
    let mut body = std::pin::pin!(body);
    let mut block = Vec::with_capacity(BLOCK);
    let mut spare: Option<Vec<u8>> = None;
    let mut pending: Option<JoinHandle<io::Result<Vec<u8>>>> = None;
    let mut offset = start;
    let mut total = 0u64;
    let outcome: Result<(), AppError> = async {
        while let Some(piece) = body.next().await {
            let piece = piece?;
            inspect(&piece)?;
            total += piece.len() as u64;
            if total > limit {
                return Err(AppError::internal(
                    "writing an upload part",
                    "the part is longer than its place in the job's file",
                ));
            }
            block.extend_from_slice(&piece);
            if block.len() >= BLOCK {
                // Back-pressure: the previous block must be written before this one goes.
                if let Some(done) = pending.take() {
                    spare = Some(joined(done.await)?);
                }
                let next = spare.take().unwrap_or_else(|| Vec::with_capacity(BLOCK));
                let full = std::mem::replace(&mut block, next);
                let at = offset;
                offset += full.len() as u64;
                let f = file.clone();
                pending = Some(tokio::task::spawn_blocking(move || {
                    write_block(&f, full, at)
                }));
            }
        }
        if let Some(done) = pending.take() {
            joined(done.await)?;
        }
        let (f, at, rest) = (file.clone(), offset, std::mem::take(&mut block));
        blocking(move || {
            if !rest.is_empty() {
                f.write_all_at(&rest, at)?;
                start_writeback(&f, at, rest.len());
            }
            Ok(())
        })
        .await
    }
    .await;
    if outcome.is_err() {
        if let Some(done) = pending.take() {
            let _ = done.await;
        }
    }
    outcome.map(|()| total)
}

/// A new, empty `DEST#N` beside `dest` (its folders created), open for writing.
fn create_partial(dest: &Path) -> io::Result<(File, PathBuf)> {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    loop {
        // Digits only: what `is_partial_write` recognises.
        let n = ulid::Ulid::new().random() as u64;
        let partial = dest.with_file_name(format!("{name}#{n}"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
        {
            Ok(file) => return Ok((file, partial)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes `block` at `offset` and asks the kernel to start writing it back; gives the buffer
/// back for reuse.
fn write_block(file: &File, mut block: Vec<u8>, offset: u64) -> io::Result<Vec<u8>> {
    file.write_all_at(&block, offset)?;
    start_writeback(file, offset, block.len());
    block.clear();
    Ok(block)
}

/// Starts (does not wait for) the write-back of a range. A failure only loses the head start:
/// the final fsync syncs everything all the same, so it is ignored.
pub(super) fn start_writeback(file: &File, offset: u64, len: usize) {
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: `sync_file_range` only reads its integer arguments; the descriptor belongs to
    // `file`, which outlives the call.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Syncs the folder holding `path`, so a rename into it survives a power cut.
pub(super) fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Result<T, AppError> {
    joined(tokio::task::spawn_blocking(f).await)
}

fn joined<T>(r: Result<io::Result<T>, tokio::task::JoinError>) -> Result<T, AppError> {
    r.map_err(|e| AppError::internal("writing an artifact", e))?
        .map_err(|e| AppError::internal("writing an artifact", e))
}
