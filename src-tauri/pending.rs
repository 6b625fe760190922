//! The wizard request of an upload in progress, saved next to the cache (no passphrase, no
//! token) so that an upload interrupted by closing the app can be resumed on the next launch.
//! One per connection: the app runs one upload at a time.

use std::path::{Path, PathBuf};

use airlift_desk::DeskError;

use crate::dto::upload::UploadRequest;
use crate::state::Paths;

fn file(paths: &Paths, connection: &str) -> PathBuf {
    // Connection names are free text; hex keeps the file name safe.
    let hex: String = connection.bytes().map(|b| format!("{b:02x}")).collect();
    paths.pending_dir.join(format!("{hex}.json"))
}

pub fn save(paths: &Paths, connection: &str, request: &UploadRequest) -> Result<(), DeskError> {
    let dir = &paths.pending_dir;
    std::fs::create_dir_all(dir).map_err(|err| DeskError::io("create", dir, &err))?;
    let json = serde_json::to_vec_pretty(request)
        .map_err(|err| DeskError::internal(format!("could not encode the upload: {err}")))?;
    let path = file(paths, connection);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json).map_err(|err| DeskError::io("write", &tmp, &err))?;
    std::fs::rename(&tmp, &path).map_err(|err| DeskError::io("replace", &path, &err))
}

pub fn load(paths: &Paths, connection: &str) -> Result<Option<UploadRequest>, DeskError> {
    let path = file(paths, connection);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(DeskError::io("read", &path, &err)),
    }
}

pub fn remove(paths: &Paths, connection: &str) {
    let path = file(paths, connection);
    if let Err(err) = std::fs::remove_file(&path) {
        if err.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), %err, "could not remove a pending upload");
        }
    }
}

/// The file name shown for a path.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
