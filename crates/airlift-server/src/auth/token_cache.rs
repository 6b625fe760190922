//! Device-token hash → device, in memory, so the chunk hot path does not touch the database
//! to authenticate. Entries expire after [`TTL`] and are dropped when the device changes
//! (its firmware version on a successful report); tokens themselves never change.
//!
//! Devices are shared (`Arc`), so a hit costs a reference count, not a copy of six strings,
//! and a reverse index (device id → token hash) makes dropping one device O(1): reports call
//! [`TokenCache::invalidate_device`] all the time, and a scan of 100,000 entries under the
//! lock would stall every other device request meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::store::DeviceRecord;

pub const TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 200_000;

#[derive(Default)]
struct Entries {
    by_hash: HashMap<String, (Arc<DeviceRecord>, Instant)>,
    hash_of_device: HashMap<String, String>,
}

#[derive(Clone, Default)]
pub struct TokenCache {
    inner: Arc<Mutex<Entries>>,
}

impl TokenCache {
    pub fn get(&self, hash: &str) -> Option<Arc<DeviceRecord>> {
        let map = self.inner.lock().ok()?;
        let (device, at) = map.by_hash.get(hash)?;
        (at.elapsed() < TTL).then(|| device.clone())
    }

    pub fn put(&self, hash: String, device: Arc<DeviceRecord>) {
        if let Ok(mut map) = self.inner.lock() {
            if map.by_hash.len() >= MAX_ENTRIES {
                map.by_hash.retain(|_, (_, at)| at.elapsed() < TTL);
                if map.by_hash.len() >= MAX_ENTRIES {
                    map.by_hash.clear();
                }
                let live = &map.by_hash;
                let kept: HashMap<String, String> = map
                    .hash_of_device
                    .iter()
                    .filter(|(_, h)| live.contains_key(*h))
                    .map(|(d, h)| (d.clone(), h.clone()))
                    .collect();
                map.hash_of_device = kept;
            }
            map.hash_of_device.insert(device.id.clone(), hash.clone());
            map.by_hash.insert(hash, (device, Instant::now()));
        }
    }

    pub fn invalidate_device(&self, device_id: &str) {
        if let Ok(mut map) = self.inner.lock() {
            if let Some(hash) = map.hash_of_device.remove(device_id) {
                map.by_hash.remove(&hash);
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
    fn a_full_cache_starts_over_and_keeps_its_reverse_index_consistent() {
        let cache = TokenCache::default();
        for i in 0..MAX_ENTRIES {
            cache.put(format!("h{i}"), device(&format!("d{i}")));
        }
        cache.put("new".to_owned(), device("dnew"));
        let map = cache.inner.lock().unwrap();
        assert!(map.by_hash.len() <= MAX_ENTRIES);
        assert_eq!(map.by_hash.len(), map.hash_of_device.len());
        assert!(map.by_hash.contains_key("new"));
    }
}
