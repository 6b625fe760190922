//! Live events: rollout transitions are persisted (per-tenant ids) in the same transaction as
//! the change, then published here after the commit; `rollout.progress` snapshots are
//! coalesced per rollout and only published live.
//!
//! [`Hub`] is a broadcast channel. The SSE handler (`routes::events`) subscribes before it
//! replays from the table, and fills any gap it sees in the live ids from the table again, so a
//! reconnecting client misses nothing and sees each id once, in order.
//!
//! Several servers on one database: the table stays the truth, and the database's notices
//! (`crate::cluster`) bring another server's events here too: each stored event is read once
//! per server and published like a local one ([`Hub::publish`]), a progress snapshot is taken
//! again from the counters ([`Hub::peer_progress`]), and after an interruption of the notices
//! every subscriber re-reads the table ([`Hub::resync`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlift_core::wire::RolloutEventData;
use tokio::sync::broadcast;

use crate::store::{Notice, Store};

/// At most one `rollout.progress` per rollout per this interval.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// One published event and the tenant it belongs to.
#[derive(Debug, Clone)]
pub struct Published {
    pub tenant_id: String,
    pub data: RolloutEventData,
}

/// What subscribers receive.
// Always sent behind an `Arc`: the size of the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Live {
    Event(Published),
    /// Events may have been missed (the notices from other servers were interrupted): read the
    /// table again from the last id sent.
    Resync,
}

#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Live>>,
    /// rollout id → when its last progress event went out, and whether one is scheduled.
    progress: Arc<Mutex<HashMap<String, (Instant, bool)>>>,
    /// This server's name in the notices it sends (so it skips its own).
    origin: Arc<str>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new("")
    }
}

impl Hub {
    /// A hub for the server named `origin` in the cluster's notices.
    pub fn new(origin: &str) -> Hub {
        let (tx, _) = broadcast::channel(4096);
        Hub {
            tx,
            progress: Arc::default(),
            origin: origin.into(),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Live>> {
        self.tx.subscribe()
    }

    /// Whether anyone listens here now (another server's events are read only then).
    pub fn has_subscribers(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Publishes committed transition events.
    pub fn publish(&self, tenant_id: &str, events: Vec<RolloutEventData>) {
        for data in events {
            // No subscriber is fine: the table keeps every event for replay.
            let _ = self.tx.send(Arc::new(Live::Event(Published {
                tenant_id: tenant_id.to_owned(),
                data,
            })));
        }
    }

    /// Every subscriber reads the table again from where it is.
    pub fn resync(&self) {
        let _ = self.tx.send(Arc::new(Live::Resync));
    }

    /// Asks for a `rollout.progress` event: sent now if none went out in the last
    /// [`PROGRESS_INTERVAL`], otherwise once at the end of it (with the counters then). The
    /// other servers are told, so that their subscribers get one too.
    pub fn progress(&self, store: Arc<dyn Store>, tenant_id: &str, rollout_id: &str) {
        self.schedule_progress(store, tenant_id, rollout_id, true);
    }

    /// [`Hub::progress`] for a rollout whose counters moved on another server: only when
    /// someone listens here, and without telling the others again.
    pub fn peer_progress(&self, store: Arc<dyn Store>, tenant_id: &str, rollout_id: &str) {
        if self.has_subscribers() {
            self.schedule_progress(store, tenant_id, rollout_id, false);
        }
    }

    /// Whether a notice names this server as its origin.
    pub fn is_own(&self, origin: &str) -> bool {
        *self.origin == *origin
    }

    fn schedule_progress(
        &self,
        store: Arc<dyn Store>,
        tenant_id: &str,
        rollout_id: &str,
        tell_peers: bool,
    ) {
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
            if tell_peers {
                let notice = Notice::Progress {
                    origin: hub.origin.to_string(),
                    tenant_id: tenant.clone(),
                    rollout_id: rollout.clone(),
                };
                if let Err(e) = store.announce(notice).await {
                    tracing::debug!(error = %e, "could not tell the other servers of progress");
                }
            }
            if !hub.has_subscribers() {
                return;
            }
            match store.rollout_progress(&tenant, &rollout).await {
                Ok(Some(data)) => {
                    let _ = hub.tx.send(Arc::new(Live::Event(Published {
                        tenant_id: tenant,
                        data,
                    })));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "reading rollout progress"),
            }
        });
    }
}
