//! Finding the cached job of an interrupted upload of the same file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use super::lock;
use crate::cache::rows::PendingUpload;
use crate::cache::Cache;
use crate::client::Client;
use crate::error::{DeskError, DeskErrorCode};

/// The identity of a local file for resuming: canonical path, size, modification time.
#[derive(Debug, Clone)]
pub(crate) struct LocalFile {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ms: i64,
}

impl LocalFile {
    pub fn stat(path: &Path) -> Result<Self, DeskError> {
        let path = path
            .canonicalize()
            .map_err(|err| DeskError::io("find", path, &err))?;
        let meta = std::fs::metadata(&path).map_err(|err| DeskError::io("read", &path, &err))?;
        if !meta.is_file() {
            return Err(DeskError::invalid_argument(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        let mtime_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_millis()).ok())
            .unwrap_or(0);
        Ok(Self {
            path,
            size: meta.len(),
            mtime_ms,
        })
    }
}

/// The pending upload of this very file whose job the server still has, if any, whichever front
/// (the app, the CLI) started it. Pending uploads of the same path whose file changed, or whose
/// job is gone, are forgotten.
pub(crate) async fn find(
    client: &Client,
    cache: &Mutex<Cache>,
    file: &LocalFile,
) -> Result<Option<PendingUpload>, DeskError> {
    let candidates: Vec<PendingUpload> = lock(cache)?
        .pending_uploads()?
        .into_iter()
        .filter(|p| p.file_path == file.path)
        .collect();
    let mut found = None;
    for p in candidates {
        let same = p.size_bytes == file.size && p.file_mtime_ms == Some(file.mtime_ms);
        if same && found.is_none() {
            match client.upload_job(&p.job_id).await {
                Ok(_) => {
                    found = Some(p);
                    continue;
                }
                Err(err) if err.code() == DeskErrorCode::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        tracing::info!(job = %p.job_id, "forgetting a stale pending upload");
        lock(cache)?.remove_pending_upload(&p.job_id)?;
    }
    Ok(found)
}

/// Records a new job for `file`, started on `connection_id`, before any part is sent.
pub(crate) fn remember(
    cache: &Mutex<Cache>,
    connection_id: &str,
    job_id: &str,
    file: &LocalFile,
    part_size: u64,
) -> Result<(), DeskError> {
    let mut cache = lock(cache)?;
    cache.save_pending_upload(connection_id, job_id, &file.path, file.size, part_size)?;
    cache.set_upload_file_mtime(job_id, file.mtime_ms)
}
