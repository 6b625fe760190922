//! Live events: rollout transitions are persisted (per-tenant ids) in the same transaction as
//! the change, then published here after the commit; `rollout.progress` snapshots are
//! coalesced per rollout and only published live.
//!
//! [`Hub`] is a broadcast channel. The SSE handler (`routes::events`) subscribes before it
//! replays from the table, and fills any gap it sees in the live ids from the table again, so a
//! reconnecting client misses nothing and sees each id once, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlift_core::wire::RolloutEventData;
use tokio::sync::broadcast;

use crate::store::Store;

/// At most one `rollout.progress` per rollout per this interval.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// One published event and the tenant it belongs to.
#[derive(Debug, Clone)]
pub struct Published {
    pub tenant_id: String,
    pub data: RolloutEventData,
}

#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Published>>,
    /// rollout id → when its last progress event went out, and whether one is scheduled.
    progress: Arc<Mutex<HashMap<String, (Instant, bool)>>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        let (tx, _) = broadcast::channel(4096);
        Hub {
            tx,
            progress: Arc::default(),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }

    /// Publishes committed transition events.
    pub fn publish(&self, tenant_id: &str, events: Vec<RolloutEventData>) {
        for data in events {
            // No subscriber is fine: the table keeps every event for replay.
            let _ = self.tx.send(Arc::new(Published {
                tenant_id: tenant_id.to_owned(),
                data,
            }));
        }
    }

    /// Asks for a `rollout.progress` event: sent now if none went out in the last
    /// [`PROGRESS_INTERVAL`], otherwise once at the end of it (with the counters then).
    pub fn progress(&self, store: Arc<dyn Store>, tenant_id: &str, rollout_id: &str) {
        let now = Instant::now();
        let delay = {
            let Ok(mut map) = self.progress.lock() else {
                return;
            };
            if map.len() > 10_000 {
                map.retain(|_, (at, scheduled)| {
                    *scheduled || now.duration_since(*at) < PROGRESS_INTERVAL
                });
            }
            match map.get_mut(rollout_id) {
                Some((_, true)) => return,
                Some((last, scheduled)) => {
                    let since = now.duration_since(*last);
                    *scheduled = true;
                    PROGRESS_INTERVAL.saturating_sub(since)
                }
                None => {
                    map.insert(rollout_id.to_owned(), (now, true));
                    Duration::ZERO
                }
            }
        };
        let hub = self.clone();
        let (tenant, rollout) = (tenant_id.to_owned(), rollout_id.to_owned());
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Ok(mut map) = hub.progress.lock() {
                map.insert(rollout.clone(), (Instant::now(), false));
            }
            match store.rollout_progress(&tenant, &rollout).await {
                Ok(Some(data)) => {
                    let _ = hub.tx.send(Arc::new(Published {
                        tenant_id: tenant,
                        data,
                    }));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "reading rollout progress"),
            }
        });
    }
}
