//! What several servers on one database share besides the data: leases (which server runs the
//! timed work, which servers are alive), notices (the wake-ups that keep every server's live
//! events and caches in step with the others' writes) and a round trip for `/readyz`.
//!
//! The embedded store is one server by construction: it holds every lease it asks for, knows
//! no other server and hears no notice.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::store::StoreResult;

/// A change the database tells every server about, after it committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Event `id` of `tenant_id` is stored (announced by the transaction that stored it, so it
    /// arrives only once the event can be read).
    Event { tenant_id: String, id: u64 },
    /// A rollout's counters moved on server `origin`: a `rollout.progress` is due.
    Progress {
        origin: String,
        tenant_id: String,
        rollout_id: String,
    },
    /// A device row changed or went away (a report's new firmware version, a new token, a
    /// deletion): copies cached from it are stale. Announced by the database itself.
    Device { device_id: String },
    /// The notice feed was interrupted and is back: notices may have been missed meanwhile.
    Resync,
}

#[async_trait]
pub trait ClusterStore: Send + Sync {
    /// Takes or renews lease `name` for `holder` for `ttl`, on the database's clock; true when
    /// `holder` holds it now. A lease is free once it expired (or was never taken).
    async fn claim_lease(&self, name: &str, holder: &str, ttl: Duration) -> StoreResult<bool>;
    /// Gives up `holder`'s lease `name` (at shutdown), so another server takes over at once.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
    /// The holders of the unexpired leases whose name starts with `prefix`.
    async fn lease_holders(&self, prefix: &str) -> StoreResult<Vec<String>>;
    /// Tells every server (this one included) about a change no transaction announces.
    async fn announce(&self, notice: Notice) -> StoreResult<()>;
    /// Every server's notices from now on, or `None` where there is no other server.
    async fn notices(&self) -> StoreResult<Option<mpsc::Receiver<Notice>>>;
    /// One round trip to the database.
    async fn ping(&self) -> StoreResult<()>;
}
