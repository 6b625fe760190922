//! One pass over a file as numbered upload parts, hashing the whole file on the way.
//!
//! A multipart upload needs every part's bytes and MD5 (for the part request) and, at the end,
//! the whole file's SHA-256 (to create the package). Reading the file twice would double the I/O
//! for multi-GiB images, so [`PartReader`] yields the parts in order and feeds the same bytes into
//! one SHA-256. A resumed upload still reads the parts the server already acknowledged (the
//! digest needs them) and simply does not send them again.
//!
//! An uploader that takes the whole file's SHA-256 on a thread of its own (`upload::stages`:
//! the reader only reads, the digests run on other cores) reads with
//! [`PartReader::parts_only`].
//!
//! Parts are read on the caller's thread. The iterator yields each part with its MD5, both
//! digests taken slice by slice while the bytes are in the CPU's cache. An uploader that wants
//! the MD5s off the reading thread reads with [`PartReader::next_raw`] instead (the SHA-256
//! only, about three times faster than SHA-256 + MD5) and takes each [`RawPart`]'s MD5 on a
//! thread of its own ([`RawPart::into_part`]), so several parts' MD5s run on several cores.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::{changed_while_reading, open_regular, read_full, FileDigest};
use crate::cancel::CancelToken;
use crate::error::DeskError;

/// How much of a part is read before both digests take it (it stays in the CPU's cache).
const HASH_SLICE: u64 = 256 << 10;

/// The largest part we hold in memory at once.
pub const MAX_PART_SIZE: u64 = 1 << 30;

/// One part of a file: 1-based `number`, as multipart upload APIs count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub number: u32,
    pub offset: u64,
    pub bytes: Vec<u8>,
    pub md5: [u8; 16],
}

impl Part {
    /// The MD5 as a `Content-MD5` header wants it (base64 of the 16 raw bytes).
    pub fn md5_base64(&self) -> String {
        STANDARD.encode(self.md5)
    }
}

/// A part whose bytes are read and folded into the file's SHA-256, its MD5 not taken yet
/// ([`PartReader::next_raw`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPart {
    pub number: u32,
    pub offset: u64,
    pub bytes: Vec<u8>,
}

impl RawPart {
    /// The part with its MD5: one pass over its bytes, on whatever thread calls this.
    pub fn into_part(self) -> Part {
        let md5 = Md5::digest(&self.bytes).into();
        Part {
            number: self.number,
            offset: self.offset,
            bytes: self.bytes,
            md5,
        }
    }
}

/// Part buffers given back once sent, so an upload reuses a few allocations instead of mapping
/// (and having the kernel zero) a fresh part-sized buffer for every part. Holds at most
/// [`BufferPool::KEEP`] idle buffers. A [`BufferPool::bounded`] pool also bounds the buffers
/// out at once: taking one more waits until one is given back, which is what bounds an
/// upload's memory whatever runs ahead (reading, hashing) of the sending.
#[derive(Debug, Clone, Default)]
pub struct BufferPool(Arc<PoolShared>);

#[derive(Debug, Default)]
struct PoolShared {
    state: Mutex<PoolState>,
    given_back: Condvar,
}

#[derive(Debug, Default)]
struct PoolState {
    idle: Vec<Vec<u8>>,
    /// Buffers taken and not given back.
    out: usize,
    /// The most buffers ever out at once.
    most_out: usize,
    limit: Option<usize>,
    closed: bool,
}

impl BufferPool {
    pub const KEEP: usize = 8;

    /// A pool that lends at most `limit` buffers at once (at least one).
    pub fn bounded(limit: usize) -> Self {
        let pool = Self::default();
        pool.state().limit = Some(limit.max(1));
        pool
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PoolState> {
        // The state stays consistent under any panic (plain counters), so a poisoned lock is
        // taken as it is.
        self.0
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An empty buffer that can hold `len` bytes; waits while the pool's limit is out. `None`
    /// once the pool is [closed](BufferPool::close).
    pub fn take(&self, len: usize) -> Option<Vec<u8>> {
        let mut state = self.state();
        while !state.closed && state.limit.is_some_and(|limit| state.out >= limit) {
            state = self
                .0
                .given_back
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        if state.closed {
            return None;
        }
        state.out += 1;
        state.most_out = state.most_out.max(state.out);
        let mut buf = state.idle.pop().unwrap_or_default();
        drop(state);
        buf.clear();
        buf.reserve_exact(len);
        Some(buf)
    }

    /// Returns a buffer whose bytes are no longer needed.
    pub fn give(&self, buf: Vec<u8>) {
        let mut state = self.state();
        state.out = state.out.saturating_sub(1);
        if state.idle.len() < Self::KEEP && !state.closed {
            state.idle.push(buf);
        }
        drop(state);
        self.0.given_back.notify_one();
    }

    /// Ends the pool's lending: waiting and later [`take`](BufferPool::take)s get `None`, and
    /// idle buffers are freed. Buffers still out may be given back.
    pub fn close(&self) {
        let mut state = self.state();
        state.closed = true;
        state.idle.clear();
        drop(state);
        self.0.given_back.notify_all();
    }

    /// The most buffers that were out at once.
    pub fn most_out(&self) -> usize {
        self.state().most_out
    }
}

/// Iterator over a file's parts; call [`PartReader::finish`] after the last one for the digest.
pub struct PartReader {
    file: File,
    path: PathBuf,
    part_size: u64,
    size: u64,
    offset: u64,
    next_number: u32,
    /// `None` when the whole file's SHA-256 is taken elsewhere ([`PartReader::parts_only`]).
    sha256: Option<Sha256>,
    cancel: CancelToken,
    failed: bool,
    buffers: BufferPool,
}

impl PartReader {
    /// Opens `path` to be read in parts of `part_size` bytes (the last one may be shorter; an
    /// empty file has no parts).
    pub fn open(path: &Path, part_size: u64, cancel: CancelToken) -> Result<Self, DeskError> {
        if part_size == 0 || part_size > MAX_PART_SIZE {
            return Err(DeskError::invalid_argument(format!(
                "part size must be between 1 byte and {MAX_PART_SIZE} bytes, got {part_size}"
            )));
        }
        let (file, size) = open_regular(path)?;
        if size.div_ceil(part_size) > u64::from(u32::MAX) {
            return Err(DeskError::invalid_argument(format!(
                "a part size of {part_size} bytes splits {} into too many parts; use larger parts",
                path.display()
            )));
        }
        Ok(Self {
            file,
            path: path.to_path_buf(),
            part_size,
            size,
            offset: 0,
            next_number: 1,
            sha256: Some(Sha256::new()),
            cancel,
            failed: false,
            buffers: BufferPool::default(),
        })
    }

    /// Takes part buffers from `pool` (where the uploader gives them back once sent).
    pub fn with_buffers(mut self, pool: BufferPool) -> Self {
        self.buffers = pool;
        self
    }

    /// Reads the parts without folding them into the whole file's SHA-256; end with
    /// [`PartReader::check_end`] instead of [`PartReader::finish`].
    pub fn parts_only(mut self) -> Self {
        self.sha256 = None;
        self
    }

    /// The file's size when it was opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// How many parts the file splits into.
    pub fn part_count(&self) -> u32 {
        // Bounded by `open`.
        u32::try_from(self.size.div_ceil(self.part_size)).unwrap_or(u32::MAX)
    }

    /// The whole file's digest. Fails if a part failed, not every part was read, the file grew,
    /// or the reader was made [`PartReader::parts_only`].
    pub fn finish(mut self) -> Result<FileDigest, DeskError> {
        self.check_end()?;
        let Some(sha256) = self.sha256.take() else {
            return Err(DeskError::internal(format!(
                "the digest of {} was asked of a reader that does not take it",
                self.path.display()
            )));
        };
        Ok(FileDigest {
            size: self.size,
            sha256: sha2::Digest::finalize(sha256).into(),
        })
    }

    /// Checks that every part was read and the file did not grow while it was read.
    pub fn check_end(&mut self) -> Result<(), DeskError> {
        if self.failed || self.offset != self.size {
            return Err(DeskError::internal(format!(
                "{} was not read to its end: a part failed or was not read",
                self.path.display()
            )));
        }
        // One more read must find the end; anything else means the file grew under us.
        let mut probe = [0u8; 1];
        let extra = read_full(&mut self.file, &mut probe)
            .map_err(|err| DeskError::io("read", &self.path, &err))?;
        if extra != 0 {
            return Err(changed_while_reading(&self.path, self.size, self.size + 1));
        }
        Ok(())
    }

    /// The next part without its MD5 (see [`RawPart`]); `None` after the last one. Mixing
    /// this with the iterator is fine: both take the parts in order.
    pub fn next_raw(&mut self) -> Option<Result<RawPart, DeskError>> {
        if self.failed || self.offset >= self.size {
            return None;
        }
        let part = self.read_part(None);
        self.failed = part.is_err();
        Some(part)
    }

    /// Reads the next part into the file's SHA-256, and into `md5` when given.
    fn read_part(&mut self, mut md5: Option<&mut Md5>) -> Result<RawPart, DeskError> {
        self.cancel
            .check(&format!("reading {}", self.path.display()))?;
        let len = self.part_size.min(self.size - self.offset);
        // `len <= MAX_PART_SIZE`, which fits in usize on every platform we ship. Read into the
        // buffer's spare capacity: no zeroing of bytes about to be overwritten.
        let Some(mut bytes) = self
            .buffers
            .take(usize::try_from(len).unwrap_or(usize::MAX))
        else {
            return Err(DeskError::cancelled(&format!(
                "reading {}",
                self.path.display()
            )));
        };
        let mut limited = (&mut self.file).take(len);
        // Digests taken here take each slice as it arrives, while it is still in the CPU's
        // cache: the part crosses memory once, not once for the copy and once per digest.
        // Without one, the part is read in as few calls as the kernel allows.
        let slice = if self.sha256.is_some() || md5.is_some() {
            HASH_SLICE
        } else {
            len
        };
        loop {
            let start = bytes.len();
            let read = (&mut limited).take(slice).read_to_end(&mut bytes);
            if let Err(err) = read {
                self.buffers.give(bytes);
                return Err(DeskError::io("read", &self.path, &err));
            }
            let read = &bytes[start..];
            if read.is_empty() {
                break;
            }
            if let Some(sha256) = self.sha256.as_mut() {
                sha2::Digest::update(sha256, read);
            }
            if let Some(md5) = md5.as_mut() {
                md5::Digest::update(*md5, read);
            }
        }
        let n = bytes.len() as u64;
        if n != len {
            self.buffers.give(bytes);
            return Err(changed_while_reading(
                &self.path,
                self.size,
                self.offset + n,
            ));
        }
        let part = RawPart {
            number: self.next_number,
            offset: self.offset,
            bytes,
        };
        self.offset += len;
        self.next_number += 1;
        Ok(part)
    }
}

impl Iterator for PartReader {
    type Item = Result<Part, DeskError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.offset >= self.size {
            return None;
        }
        let mut md5 = Md5::new();
        let part = self.read_part(Some(&mut md5)).map(|raw| Part {
            number: raw.number,
            offset: raw.offset,
            bytes: raw.bytes,
            md5: md5.finalize().into(),
        });
        self.failed = part.is_err();
        Some(part)
    }
}
