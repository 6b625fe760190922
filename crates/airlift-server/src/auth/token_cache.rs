//! Device-token hash → device, in memory, so the chunk hot path does not touch the database
//! to authenticate. Entries expire after [`TTL`] and are dropped when the device changes
//! (its firmware version on a successful report); tokens themselves never change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::store::DeviceRecord;

pub const TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Default)]
pub struct TokenCache {
    inner: Arc<Mutex<HashMap<String, (DeviceRecord, Instant)>>>,
}

impl TokenCache {
    pub fn get(&self, hash: &str) -> Option<DeviceRecord> {
        let map = self.inner.lock().ok()?;
        let (device, at) = map.get(hash)?;
        (at.elapsed() < TTL).then(|| device.clone())
    }

    pub fn put(&self, hash: String, device: DeviceRecord) {
        if let Ok(mut map) = self.inner.lock() {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (_, at)| at.elapsed() < TTL);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            map.insert(hash, (device, Instant::now()));
        }
    }

    pub fn invalidate_device(&self, device_id: &str) {
        if let Ok(mut map) = self.inner.lock() {
            map.retain(|_, (d, _)| d.id != device_id);
        }
    }
}
