//! The chunk endpoint's view of "which package may this device read": the last assignment a
//! chunk request found, kept for a few seconds so a download's many range requests do not each
//! query the database. Polls only correct it (a poll that finds another package, or none,
//! drops the entry); they do not fill it, so it holds the devices downloading now rather than
//! the whole polling fleet.
//!
//! Only a match is trusted: a request for another package always re-reads the database, so a
//! new assignment (say, the rollback package) is served at once. The price of the cache is that
//! a device may go on reading a package it was just unassigned from for up to [`TTL`].

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lru::LruCache;

pub const TTL: Duration = Duration::from_secs(5);
/// Devices downloading at once; beyond that the least recently served one is dropped.
const MAX_ENTRIES: NonZeroUsize = NonZeroUsize::new(100_000).expect("non-zero");

/// What a chunk request needs of an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readable {
    pub package_id: String,
    pub storage_key: String,
    pub size_bytes: u64,
}

#[derive(Clone)]
pub struct AssignmentCache {
    inner: Arc<Mutex<LruCache<String, (Readable, Instant)>>>,
}

impl Default for AssignmentCache {
    fn default() -> Self {
        Self {
            inner: Arc::new(Mutex::new(LruCache::new(MAX_ENTRIES))),
        }
    }
}

impl AssignmentCache {
    /// The cached assignment of `device_id` if it is `package_id` and fresh.
    pub fn get(&self, device_id: &str, package_id: &str) -> Option<Readable> {
        let mut map = self.inner.lock().ok()?;
        let (r, at) = map.get(device_id)?;
        (r.package_id == package_id && at.elapsed() < TTL).then(|| r.clone())
    }

    pub fn put(&self, device_id: &str, readable: Readable) {
        if let Ok(mut map) = self.inner.lock() {
            map.put(device_id.to_owned(), (readable, Instant::now()));
        }
    }

    /// Drops `device_id`'s entry unless it is for `package_id` (the poll's answer): a poll
    /// shows what the device is assigned now, and a different package in the cache is stale.
    pub fn keep_only(&self, device_id: &str, package_id: &str) {
        if let Ok(mut map) = self.inner.lock() {
            if map
                .peek(device_id)
                .is_some_and(|(r, _)| r.package_id != package_id)
            {
                map.pop(device_id);
            }
        }
    }

    /// Forgets every device (see `crate::cluster::notices`).
    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.lock() {
            map.clear();
        }
    }

    pub fn forget(&self, device_id: &str) {
        if let Ok(mut map) = self.inner.lock() {
            map.pop(device_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(package: &str) -> Readable {
        Readable {
            package_id: package.to_owned(),
            storage_key: format!("firmware/t/{package}.bin"),
            size_bytes: 10,
        }
    }

    #[test]
    fn only_the_cached_package_matches_and_a_poll_drops_a_stale_one() {
        let cache = AssignmentCache::default();
        cache.put("d1", readable("p1"));
        assert_eq!(cache.get("d1", "p1"), Some(readable("p1")));
        assert_eq!(
            cache.get("d1", "p2"),
            None,
            "another package is never served from here"
        );

        cache.keep_only("d1", "p1");
        assert_eq!(
            cache.get("d1", "p1"),
            Some(readable("p1")),
            "same package: kept"
        );
        cache.keep_only("d1", "p2");
        assert_eq!(
            cache.get("d1", "p1"),
            None,
            "the poll found p2: p1 is stale"
        );
        cache.keep_only("d2", "p1"); // nothing cached: nothing to do
        assert_eq!(cache.get("d2", "p1"), None);
    }
}
