//! The SHA-256 of an upload job's image, computed from its parts while they arrive, so that
//! completion does not read the whole image back to hash it.
//!
//! SHA-256 runs over the bytes in order: a job's digest has hashed parts 1..=k and takes part
//! k + 1 next. A part that is recorded before its turn (parts are sent in parallel) waits,
//! holding its bytes (S3: the part's buffer, within a server-wide budget) or where they lie
//! (local disk: its range of the job's file), until the parts before it are hashed. After
//! each part the state is kept, with the part's MD5 and length, so that a part re-sent later
//! only undoes the parts from it on.
//!
//! Completion uses the longest prefix whose MD5s and lengths are the recorded parts' (the
//! parts stored), and hashes only the rest from storage. Nothing here is trusted beyond that
//! match: a restart, a part that did not fit the budget or a part recorded by another server
//! leaves a shorter prefix, never a wrong digest.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::FileExt as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::hashing::Sha256;
use crate::store::ChunkRecord;

/// Bytes of S3 parts that may wait in memory for their turn, server-wide.
const WAITING_BUDGET: u64 = 256 << 20;
/// A waiting part this old is dropped when the budget is short (its job went quiet).
const STALE: Duration = Duration::from_secs(120);

/// Where a recorded part's bytes can be read to hash it.
pub enum PartBytes {
    /// The part's own buffer.
    Memory(Vec<Bytes>),
    /// A range of a local file.
    File { path: PathBuf, offset: u64 },
}

struct Waiting {
    md5_hex: String,
    length: u64,
    bytes: PartBytes,
    since: Instant,
}

struct Hashed {
    md5_hex: String,
    length: u64,
    /// The state after this part.
    after: Sha256,
}

#[derive(Default)]
struct Digest {
    /// Parts 1..=hashed.len(), in order.
    hashed: Vec<Hashed>,
    waiting: BTreeMap<u32, Waiting>,
    /// Bumped whenever `hashed` is cut back, so a part hashed meanwhile is not appended.
    generation: u64,
    running: bool,
}

/// Every job's digest in progress on this server.
#[derive(Clone, Default)]
pub struct UploadDigests {
    jobs: Arc<Mutex<HashMap<String, Arc<Mutex<Digest>>>>>,
    waiting_bytes: Arc<AtomicU64>,
    idle: Arc<tokio::sync::Notify>,
}

/// The digest of a job's first `parts` parts (`offset` bytes), for completion to go on from.
pub struct Prefix {
    pub sha256: Sha256,
    pub parts: usize,
    pub offset: u64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl UploadDigests {
    fn digest(&self, job: &str) -> Arc<Mutex<Digest>> {
        lock(&*self.jobs).entry(job.to_owned()).or_default().clone()
    }

    /// Part `number` is recorded (MD5 `md5_hex`, `length` bytes): hash it when its turn comes.
    pub fn recorded(&self, job: &str, number: u32, md5_hex: &str, length: u64, bytes: PartBytes) {
        if number == 0 {
            return;
        }
        if let PartBytes::Memory(_) = bytes {
            if !self.reserve(length) {
                // No room to wait: the job's digest stops before this part, completion reads
                // the rest back.
                self.forget_part(job, number);
                return;
            }
        }
        let digest = self.digest(job);
        let start = {
            let mut d = lock(&digest);
            let index = (number - 1) as usize;
            if index < d.hashed.len() {
                // A part hashed before is sent again: undo it and every part after it.
                d.hashed.truncate(index);
                d.generation += 1;
            }
            let old = d.waiting.insert(
                number,
                Waiting {
                    md5_hex: md5_hex.to_owned(),
                    length,
                    bytes,
                    since: Instant::now(),
                },
            );
            if let Some(old) = old {
                self.release(&old);
            }
            let next = d.hashed.len() as u32 + 1;
            let start = !d.running && d.waiting.contains_key(&next);
            if start {
                d.running = true;
            }
            start
        };
        if start {
            let this = self.clone();
            tokio::task::spawn_blocking(move || this.run(&digest));
        }
    }

    /// A part of `number` is being sent again: what was hashed from it on no longer holds.
    fn forget_part(&self, job: &str, number: u32) {
        let digest = self.digest(job);
        let mut d = lock(&digest);
        let index = (number.saturating_sub(1)) as usize;
        if index < d.hashed.len() {
            d.hashed.truncate(index);
            d.generation += 1;
        }
        if let Some(old) = d.waiting.remove(&number) {
            self.release(&old);
        }
    }

    /// Hashes waiting parts in order while the next one is there.
    fn run(&self, digest: &Mutex<Digest>) {
        loop {
            let (generation, number, part, state) = {
                let mut d = lock(digest);
                let next = d.hashed.len() as u32 + 1;
                let Some(part) = d.waiting.remove(&next) else {
                    d.running = false;
                    drop(d);
                    self.idle.notify_waiters();
                    return;
                };
                let state = d
                    .hashed
                    .last()
                    .map_or_else(Sha256::new, |h| h.after.clone());
                (d.generation, next, part, state)
            };
            let hashed = hash(state, &part);
            self.release(&part);
            let mut d = lock(digest);
            // Cut back meanwhile, or unreadable: the next round starts from what holds.
            let still_next = d.generation == generation && d.hashed.len() as u32 + 1 == number;
            if let (Some(after), true) = (hashed, still_next) {
                d.hashed.push(Hashed {
                    md5_hex: part.md5_hex,
                    length: part.length,
                    after,
                });
            }
        }
    }

    /// Waits until the job's waiting parts that can be hashed are, then answers the longest
    /// hashed prefix that is the recorded `parts` (in order, from part 1).
    pub async fn prefix(&self, job: &str, parts: &[ChunkRecord]) -> Prefix {
        let digest = self.digest(job);
        loop {
            let idle = self.idle.notified();
            if !lock(&digest).running {
                break;
            }
            idle.await;
        }
        let d = lock(&digest);
        let mut count = 0;
        let mut offset = 0;
        for (h, p) in d.hashed.iter().zip(parts) {
            if h.md5_hex != p.md5_hex || h.length != p.length {
                break;
            }
            count += 1;
            offset += p.length;
        }
        Prefix {
            sha256: match count {
                0 => Sha256::new(),
                n => d.hashed[n - 1].after.clone(),
            },
            parts: count,
            offset,
        }
    }

    /// Drops the job's digest (completed or deleted).
    pub fn forget(&self, job: &str) {
        let removed = lock(&*self.jobs).remove(job);
        if let Some(digest) = removed {
            let mut d = lock(&digest);
            for (_, w) in std::mem::take(&mut d.waiting) {
                self.release(&w);
            }
        }
    }

    fn reserve(&self, length: u64) -> bool {
        if self.try_reserve(length) {
            return true;
        }
        self.drop_stale();
        self.try_reserve(length)
    }

    fn try_reserve(&self, length: u64) -> bool {
        self.waiting_bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + length <= WAITING_BUDGET).then_some(used + length)
            })
            .is_ok()
    }

    fn release(&self, part: &Waiting) {
        if let PartBytes::Memory(_) = part.bytes {
            self.waiting_bytes.fetch_sub(part.length, Ordering::AcqRel);
        }
    }

    /// Frees the memory of parts that waited longer than [`STALE`] for the parts before them.
    fn drop_stale(&self) {
        let digests: Vec<_> = lock(&*self.jobs).values().cloned().collect();
        for digest in digests {
            let mut d = lock(&digest);
            let stale: Vec<u32> = d
                .waiting
                .iter()
                .filter(|(_, w)| {
                    matches!(w.bytes, PartBytes::Memory(_)) && w.since.elapsed() > STALE
                })
                .map(|(n, _)| *n)
                .collect();
            for n in stale {
                if let Some(w) = d.waiting.remove(&n) {
                    self.release(&w);
                }
            }
        }
    }
}

/// `state` fed with the part's bytes; `None` if they cannot be read.
fn hash(mut state: Sha256, part: &Waiting) -> Option<Sha256> {
    match &part.bytes {
        PartBytes::Memory(pieces) => {
            for piece in pieces {
                state.update(piece);
            }
        }
        PartBytes::File { path, offset } => {
            let file = std::fs::File::open(path).ok()?;
            let mut buf = vec![0u8; 1 << 20];
            let mut done = 0u64;
            while done < part.length {
                let want = (part.length - done).min(buf.len() as u64) as usize;
                let n = file.read_at(&mut buf[..want], offset + done).ok()?;
                if n == 0 {
                    return None;
                }
                state.update(&buf[..n]);
                done += n as u64;
            }
        }
    }
    Some(state)
}
