//! The chunk endpoint's view of "which package may this device read": the last assignment
//! `GET .../ota` or a chunk request found, kept for a few seconds so a download's many range
//! requests do not each query the database.
//!
//! Only a match is trusted: a request for another package always re-reads the database, so a
//! new assignment (say, the rollback package) is served at once. The price of the cache is that
//! a device may go on reading a package it was just unassigned from for up to [`TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TTL: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 100_000;

/// What a chunk request needs of an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readable {
    pub package_id: String,
    pub storage_key: String,
    pub size_bytes: u64,
}

#[derive(Clone, Default)]
pub struct AssignmentCache {
    inner: Arc<Mutex<HashMap<String, (Readable, Instant)>>>,
}

impl AssignmentCache {
    /// The cached assignment of `device_id` if it is `package_id` and fresh.
    pub fn get(&self, device_id: &str, package_id: &str) -> Option<Readable> {
        let map = self.inner.lock().ok()?;
        let (r, at) = map.get(device_id)?;
        (r.package_id == package_id && at.elapsed() < TTL).then(|| r.clone())
    }

    pub fn put(&self, device_id: &str, readable: Readable) {
        if let Ok(mut map) = self.inner.lock() {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (_, at)| at.elapsed() < TTL);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            map.insert(device_id.to_owned(), (readable, Instant::now()));
        }
    }

    pub fn forget(&self, device_id: &str) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(device_id);
        }
    }
}
