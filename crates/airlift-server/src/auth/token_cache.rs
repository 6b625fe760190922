//! Device-token hash → device, in memory, so the chunk hot path does not touch the database
//! to authenticate. Entries expire after [`TTL`] and are dropped when the device changes
//! (its firmware version on a successful report); tokens themselves never change. With several
//! servers on one database, a device changed or deleted through any of them is dropped here
//! too, on the database's notice (`crate::cluster::notices`), within a moment.
//!
//! Devices are shared (`Arc`), so a hit costs a reference count, not a copy of six strings,
//! and a reverse index (device id → token hash) makes dropping one device O(1): reports call
//! [`TokenCache::invalidate_device`] all the time, and a scan of 100,000 entries under the
//! lock would stall every other device request meanwhile.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::store::DeviceRecord;

pub const TTL: Duration = Duration::from_secs(60);
/// Twice a 100,000-device fleet; a bigger fleet evicts its least recently seen devices one at a
/// time (O(1) per insert), never by emptying the cache under the lock.
const MAX_ENTRIES: NonZeroUsize = NonZeroUsize::new(200_000).expect("non-zero");

struct Entries {
    by_hash: LruCache<String, (Arc<DeviceRecord>, Instant)>,
    /// Exactly the devices in `by_hash` (kept in step on insert, eviction and invalidation).
    hash_of_device: HashMap<String, String>,
}

#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Mutex<Entries>>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::with_capacity(MAX_ENTRIES)
    }
}

impl TokenCache {
    pub fn with_capacity(capacity: NonZeroUsize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Entries {
                by_hash: LruCache::new(capacity),
                hash_of_device: HashMap::new(),
            })),
        }
    }

    pub fn get(&self, hash: &str) -> Option<Arc<DeviceRecord>> {
        let mut map = self.inner.lock().ok()?;
        let (device, at) = map.by_hash.get(hash)?;
        (at.elapsed() < TTL).then(|| device.clone())
    }

    pub fn put(&self, hash: String, device: Arc<DeviceRecord>) {
        if let Ok(mut map) = self.inner.lock() {
            let map = &mut *map;
            let device_id = device.id.clone();
            // A device's earlier token (rotated) must not stay findable beside the new one.
            if let Some(old) = map.hash_of_device.insert(device_id.clone(), hash.clone()) {
                if old != hash {
                    map.by_hash.pop(&old);
                }
            }
            let pushed_out = map.by_hash.push(hash.clone(), (device, Instant::now()));
            if let Some((evicted_hash, (evicted, _))) = pushed_out {
                let still_current = map.hash_of_device.get(&evicted.id) == Some(&evicted_hash);
                if evicted_hash != hash && still_current {
                    map.hash_of_device.remove(&evicted.id);
                }
            }
        }
    }

    /// Forgets every device (the notices of other servers were interrupted: any entry may be
    /// stale).
    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.lock() {
            map.by_hash.clear();
            map.hash_of_device.clear();
        }
    }

    pub fn invalidate_device(&self, device_id: &str) {
        if let Ok(mut map) = self.inner.lock() {
            if let Some(hash) = map.hash_of_device.remove(device_id) {
                map.by_hash.pop(&hash);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str) -> Arc<DeviceRecord> {
        Arc::new(DeviceRecord {
            id: id.to_owned(),
            tenant_id: "t".to_owned(),
            profile_id: "p".to_owned(),
            name: id.to_owned(),
            device_type: "sensor".to_owned(),
            firmware_version: "1.0.0".to_owned(),
            created_at: String::new(),
            change_seq: 0,
        })
    }

    #[test]
    fn a_device_is_found_by_its_token_hash_until_it_is_invalidated() {
        let cache = TokenCache::default();
        cache.put("h1".to_owned(), device("d1"));
        cache.put("h2".to_owned(), device("d2"));
        assert_eq!(cache.get("h1").map(|d| d.id.clone()).as_deref(), Some("d1"));
        cache.invalidate_device("d1");
        assert!(cache.get("h1").is_none());
        assert_eq!(cache.get("h2").map(|d| d.id.clone()).as_deref(), Some("d2"));
        cache.invalidate_device("d1");
        assert!(cache.get("unknown").is_none());
    }

    #[test]
    fn a_full_cache_drops_its_least_recently_seen_device_and_its_reverse_entry() {
        let cache = TokenCache::with_capacity(NonZeroUsize::new(3).unwrap());
        for i in 1..=3 {
            cache.put(format!("h{i}"), device(&format!("d{i}")));
        }
        assert!(cache.get("h1").is_some()); // d1 seen again: d2 is now the oldest
        cache.put("h4".to_owned(), device("d4"));
        assert!(
            cache.get("h2").is_none(),
            "the least recently seen device goes"
        );
        for h in ["h1", "h3", "h4"] {
            assert!(cache.get(h).is_some(), "{h} stays");
        }
        let map = cache.inner.lock().unwrap();
        assert_eq!(map.by_hash.len(), 3);
        assert_eq!(
            map.hash_of_device.len(),
            3,
            "no reverse entry outlives its device"
        );
        assert!(!map.hash_of_device.contains_key("d2"));
    }

    #[test]
    fn a_new_token_for_a_device_replaces_its_old_one() {
        let cache = TokenCache::default();
        cache.put("old".to_owned(), device("d1"));
        cache.put("new".to_owned(), device("d1"));
        assert!(cache.get("old").is_none());
        assert!(cache.get("new").is_some());
        cache.invalidate_device("d1");
        assert!(cache.get("new").is_none());
    }
}
