//! Throwing an unfinished upload away (the person cancelled it, or the server refused what it
//! became), so nothing half-made is left behind: the server's job goes, and its parts with it.

use std::path::Path;
use std::sync::Mutex;

use super::lock;
use crate::cache::Cache;
use crate::client::Client;
use crate::error::{DeskError, DeskErrorCode};

/// Deletes every pending upload job of the file at `path` on the cache's server (whichever
/// front started it) and forgets it in the cache; returns how many jobs went. A job the server no longer has is simply
/// forgotten. If the server cannot be reached the job stays in the cache (and the error is
/// returned), so a later discard, or a resume, still knows about the parts on the server.
pub async fn discard(
    client: &Client,
    cache: &Mutex<Cache>,
    path: &Path,
) -> Result<usize, DeskError> {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let jobs: Vec<String> = lock(cache)?
        .pending_uploads()?
        .into_iter()
        .filter(|p| p.file_path == path)
        .map(|p| p.job_id)
        .collect();
    let mut first_error = None;
    let mut removed = 0;
    for job_id in jobs {
        match client.delete_upload_job(&job_id).await {
            Ok(()) => {}
            Err(err) if err.code() == DeskErrorCode::NotFound => {}
            Err(err) => {
                tracing::info!(job = %job_id, %err, "could not delete an abandoned upload job");
                first_error.get_or_insert(err);
                continue;
            }
        }
        lock(cache)?.remove_pending_upload(&job_id)?;
        removed += 1;
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(removed),
    }
}
