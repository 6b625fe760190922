//! Finding damaged cache files: every page is read once per start, off the start-up path.
//!
//! Opening only reads the header and the schema, so the app can show cached data at once; the
//! full check (about 0.5 s for a million devices) runs afterwards on its own read-only
//! connection, without holding the cache's lock. A damaged file is then moved aside and
//! replaced by an empty cache, which the next sync fills from the server. Damage that a query
//! meets before the check finishes surfaces as `CACHE_CORRUPT` from that query.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{lock, open, Cache, OpenedCache};
use crate::error::DeskError;

impl Cache {
    /// [`Cache::open`], then the full page check right away, rebuilding a damaged file. For
    /// short-lived processes (the CLI), where there is no "later" to run the check in.
    pub fn open_verified(path: &Path) -> Result<OpenedCache, DeskError> {
        let mut opened = Cache::open(path)?;
        if opened.rebuilt_from.is_none() {
            if let Some(reason) = open::quick_check(path)? {
                opened.rebuilt_from = Some(opened.cache.rebuild(&reason)?);
            }
        }
        Ok(opened)
    }

    /// Moves the cache file aside (kept for diagnosis) and continues on a fresh, empty one.
    /// Returns where the old file went.
    pub fn rebuild(&mut self, reason: &str) -> Result<PathBuf, DeskError> {
        let placeholder = rusqlite::Connection::open_in_memory()
            .map_err(|err| DeskError::cache("open a placeholder", &err))?;
        let old = std::mem::replace(&mut self.conn, placeholder);
        let (conn, moved_to) = open::rebuild(&self.path, old, reason)?;
        self.conn = conn;
        self.device_indexes_deferred = false;
        Ok(moved_to)
    }
}

/// Checks every page of the cache's file and, if any is damaged, rebuilds the cache. The lock
/// is held only for the rebuild, so the app keeps reading while the check runs. Returns where
/// the damaged file went, or `None` when the file is sound.
pub fn verify_and_repair(cache: &Mutex<Cache>) -> Result<Option<PathBuf>, DeskError> {
    let path = lock(cache)?.path.clone();
    let Some(reason) = open::quick_check(&path)? else {
        return Ok(None);
    };
    lock(cache)?.rebuild(&reason).map(Some)
}
