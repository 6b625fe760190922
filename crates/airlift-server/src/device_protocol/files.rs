//! Artifact byte ranges for `GET .../ota/chunk`.
//!
//! During a rollout thousands of devices read the same few artifacts, range after range, so
//! artifacts up to [`HOT_ARTIFACT_MAX`] are kept whole in memory after their first read (at
//! most [`HOT_BUDGET`] bytes in all, oldest loaded evicted first): a range is then a slice of
//! that buffer, sent without a copy, a system call or a trip to the blocking pool. Artifacts
//! are immutable (their key names their SHA-256), so a loaded copy never goes stale.
//!
//! Other reads are positioned reads (`pread`) on one cached open file per artifact, on the
//! blocking pool; many devices share the handle, since `read_at` needs no seek and no lock.
//! Stores without local files (S3) fall back to a ranged object read until the artifact is
//! in memory, loaded by ranged reads too.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::artifacts::Artifacts;
use crate::error::AppError;

const MAX_OPEN: usize = 256;
/// Largest artifact kept in memory.
pub const HOT_ARTIFACT_MAX: u64 = 64 * 1024 * 1024;
/// Memory for all artifacts kept in memory.
pub const HOT_BUDGET: u64 = 256 * 1024 * 1024;

#[derive(Default)]
struct Hot {
    loaded: HashMap<String, Bytes>,
    /// Load order, for eviction.
    order: VecDeque<String>,
    bytes: u64,
    /// Keys being loaded right now (one load per artifact).
    loading: HashSet<String>,
}

impl Hot {
    fn insert(&mut self, key: String, data: Bytes) {
        let size = data.len() as u64;
        while self.bytes + size > HOT_BUDGET {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(b) = self.loaded.remove(&old) {
                self.bytes -= b.len() as u64;
            }
        }
        self.bytes += size;
        self.order.push_back(key.clone());
        self.loaded.insert(key, data);
    }
}

#[derive(Clone, Default)]
pub struct ArtifactFiles {
    open: Arc<Mutex<HashMap<String, Arc<File>>>>,
    hot: Arc<Mutex<Hot>>,
}

impl ArtifactFiles {
    fn handle(&self, artifacts: &Artifacts, key: &str) -> Result<Option<Arc<File>>, AppError> {
        if let Some(f) = self.open.lock().ok().and_then(|m| m.get(key).cloned()) {
            return Ok(Some(f));
        }
        let Some(path) = artifacts.local_path(key) else {
            return Ok(None);
        };
        let file =
            Arc::new(File::open(&path).map_err(|e| AppError::internal("opening an artifact", e))?);
        if let Ok(mut m) = self.open.lock() {
            if m.len() >= MAX_OPEN {
                m.clear();
            }
            m.insert(key.to_owned(), file.clone());
        }
        Ok(Some(file))
    }

    /// The in-memory copy's slice, if the artifact is loaded.
    fn hot_slice(&self, key: &str, offset: u64, len: usize) -> Option<Bytes> {
        let hot = self.hot.lock().ok()?;
        let data = hot.loaded.get(key)?;
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(len)?;
        (end <= data.len()).then(|| data.slice(start..end))
    }

    /// Starts loading the artifact into memory in the background, unless it is too big, being
    /// loaded, or loaded already. Requests go on with positioned reads meanwhile.
    fn load_in_background(&self, artifacts: &Artifacts, key: &str, size: u64) {
        if size > HOT_ARTIFACT_MAX {
            return;
        }
        let Ok(mut hot) = self.hot.lock() else {
            return;
        };
        if hot.loaded.contains_key(key) || !hot.loading.insert(key.to_owned()) {
            return;
        }
        drop(hot);
        let (files, a, k) = (self.clone(), artifacts.clone(), key.to_owned());
        if artifacts.local_path(key).is_none() {
            tokio::spawn(async move {
                let data = read_remote(&a, &k, size).await.map(Some);
                files.loaded(k, data);
            });
            return;
        }
        tokio::task::spawn_blocking(move || {
            let data = files.read_whole(&a, &k, size);
            files.loaded(k, data);
        });
    }

    fn loaded(&self, key: String, data: Result<Option<Bytes>, AppError>) {
        if let Ok(mut hot) = self.hot.lock() {
            hot.loading.remove(&key);
            match data {
                Ok(Some(data)) => hot.insert(key, data),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = ?e, "could not keep an artifact in memory"),
            }
        }
    }

    fn read_whole(
        &self,
        artifacts: &Artifacts,
        key: &str,
        size: u64,
    ) -> Result<Option<Bytes>, AppError> {
        let Some(file) = self.handle(artifacts, key)? else {
            return Ok(None);
        };
        let len = usize::try_from(size).map_err(|e| AppError::internal("sizing an artifact", e))?;
        Ok(Some(pread_exact(&file, 0, len)?))
    }

    /// Bytes `[offset, offset + len)` of the artifact stored under `key`, whose size is `size`.
    pub async fn read(
        &self,
        artifacts: &Artifacts,
        key: &str,
        size: u64,
        offset: u64,
        len: usize,
    ) -> Result<Bytes, AppError> {
        if let Some(b) = self.hot_slice(key, offset, len) {
            return Ok(b);
        }
        self.load_in_background(artifacts, key, size);
        let files = self.clone();
        let (a, k) = (artifacts.clone(), key.to_owned());
        let local = tokio::task::spawn_blocking(move || -> Result<Option<Bytes>, AppError> {
            let Some(file) = files.handle(&a, &k)? else {
                return Ok(None);
            };
            pread_exact(&file, offset, len).map(Some)
        })
        .await
        .map_err(|e| AppError::internal("reading an artifact", e))??;
        match local {
            Some(b) => Ok(b),
            None => artifacts.get_range(key, offset..offset + len as u64).await,
        }
    }
}

/// The whole object from a store without local files, in ranged reads.
async fn read_remote(artifacts: &Artifacts, key: &str, size: u64) -> Result<Bytes, AppError> {
    use futures_util::TryStreamExt as _;
    let capacity =
        usize::try_from(size).map_err(|e| AppError::internal("sizing an artifact", e))?;
    let parts: Vec<Bytes> = artifacts
        .read(Artifacts::key(key)?, size)
        .try_collect()
        .await?;
    let mut whole = bytes::BytesMut::with_capacity(capacity);
    for p in parts {
        whole.extend_from_slice(&p);
    }
    Ok(whole.freeze())
}

fn pread_exact(file: &File, offset: u64, len: usize) -> Result<Bytes, AppError> {
    use std::os::unix::fs::FileExt as _;
    let mut buf = vec![0u8; len];
    let mut done = 0;
    while done < len {
        let n = file
            .read_at(&mut buf[done..], offset + done as u64)
            .map_err(|e| AppError::internal("reading an artifact", e))?;
        if n == 0 {
            return Err(AppError::internal(
                "reading an artifact",
                "artifact is shorter than its recorded size",
            ));
        }
        done += n;
    }
    Ok(Bytes::from(buf))
}
