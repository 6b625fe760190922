//! Fetching the tenant's signing keys again, for a fleet that meets a signature by a key
//! registered after it started (a key created in the app while the demo runs).
//!
//! Bounded so a fleet never floods the server: one fetch at a time (single-flight), at most
//! one per `min_interval`, and a device whose job started before a fetch began takes that
//! fetch's keys instead of asking again. So 300 devices meeting the same new signature cause
//! one fetch, and a package signed by a key the tenant does not know costs at most one fetch
//! per interval, however many devices refuse it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use airlift_core::wire::SigningKey;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::user_api::UserApi;

#[derive(Debug)]
pub(crate) struct KeyRefresh {
    api: UserApi,
    min_interval: Duration,
    /// When the latest fetch (the first one included) started. Held across a fetch, so a
    /// second device waits for it instead of fetching too.
    last_started: Mutex<Instant>,
    fetches: AtomicU64,
}

impl KeyRefresh {
    /// `first_fetch`: when the keys the verifier starts with were fetched.
    pub fn new(api: UserApi, min_interval: Duration, first_fetch: Instant) -> Self {
        Self {
            api,
            min_interval,
            last_started: Mutex::new(first_fetch),
            fetches: AtomicU64::new(0),
        }
    }

    /// Refetches after the first one.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Makes sure the keys installed are from a fetch that started after `since`: returns at
    /// once when one already did, else waits for the interval to allow a fetch, fetches and
    /// hands the list to `install` before any other device may look at the keys again.
    pub async fn fetched_since(
        &self,
        since: Instant,
        install: impl FnOnce(&[SigningKey]) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut last = self.last_started.lock().await;
        if *last >= since {
            return Ok(());
        }
        tokio::time::sleep_until(*last + self.min_interval).await;
        *last = Instant::now();
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let listed = self.api.signing_keys().await.map_err(|e| e.to_string())?;
        install(&listed)
    }
}
