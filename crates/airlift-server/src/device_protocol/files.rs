//! Artifact byte ranges for `GET .../ota/chunk`: positioned reads (`pread`) on one cached
//! open file per artifact, on the blocking pool. Many devices read the same artifact at once;
//! `read_at` needs no seek and no lock, so they share the handle. Stores without local files
//! fall back to a ranged object read.

use std::collections::HashMap;
use std::fs::File;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::artifacts::Artifacts;
use crate::error::AppError;

const MAX_OPEN: usize = 256;

#[derive(Clone, Default)]
pub struct ArtifactFiles {
    open: Arc<Mutex<HashMap<String, Arc<File>>>>,
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

    /// Bytes `[offset, offset + len)` of the artifact stored under `key`.
    pub async fn read(
        &self,
        artifacts: &Artifacts,
        key: &str,
        offset: u64,
        len: usize,
    ) -> Result<Bytes, AppError> {
        let files = self.clone();
        let (a, k) = (artifacts.clone(), key.to_owned());
        let local = tokio::task::spawn_blocking(move || -> Result<Option<Bytes>, AppError> {
            let Some(file) = files.handle(&a, &k)? else {
                return Ok(None);
            };
            let mut buf = vec![0u8; len];
            let mut done = 0;
            while done < len {
                use std::os::unix::fs::FileExt as _;
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
            Ok(Some(Bytes::from(buf)))
        })
        .await
        .map_err(|e| AppError::internal("reading an artifact", e))??;
        match local {
            Some(b) => Ok(b),
            None => artifacts.get_range(key, offset..offset + len as u64).await,
        }
    }
}
