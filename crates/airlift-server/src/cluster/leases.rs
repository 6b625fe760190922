//! This server's name among the servers of a deployment, its heartbeat, and whether it is the
//! timekeeper (see the module above). Leases are dated by the database's clock, so servers
//! whose clocks disagree still agree on who holds one; this server counts its own hold from
//! before it asked, minus a margin, so it stops acting as timekeeper before the database would
//! let another server take over.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::store::{Store, StoreResult};

/// A lease lasts this long unless renewed: a dead server's timed work moves after at most this
/// (plus one renewal interval).
pub const LEASE_TTL: Duration = Duration::from_secs(5);
/// How often leases are renewed.
pub const RENEW_EVERY: Duration = Duration::from_secs(1);
/// How much earlier than the database this server considers its timekeeper lease gone.
const MARGIN: Duration = Duration::from_secs(1);

/// The lease of the server that runs the timed work.
pub const TIMEKEEPER: &str = "timekeeper";
/// Each running server's lease is `node:<its id>`.
pub const NODE_PREFIX: &str = "node:";
/// The lease of the server cleaning up after a crash at its start (`recovery`): two servers
/// that start at once, each finding itself alone, do not both clean.
pub const CLEANUP: &str = "cleanup";

#[derive(Clone)]
pub struct Cluster {
    node_id: Arc<str>,
    /// Until when (this process's clock) it holds the timekeeper lease.
    timekeeper_until: Arc<Mutex<Option<Instant>>>,
}

impl Cluster {
    /// The server whose data directory holds the name `node_id` (made with
    /// [`Cluster::node_id_in`]).
    pub fn new(node_id: &str) -> Self {
        Self {
            node_id: node_id.into(),
            timekeeper_until: Arc::default(),
        }
    }

    /// The name of the server of data directory `dir` (the file `node-id`, a ULID made at its
    /// first start): a server restarted on its directory is the same server, so the heartbeat
    /// its previous process left is no other server's.
    pub fn node_id_in(dir: &Path) -> anyhow::Result<String> {
        let path = dir.join("node-id");
        match std::fs::read_to_string(&path) {
            Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => anyhow::bail!("reading {}: {e}", path.display()),
        }
        let id = ulid::Ulid::new().to_string().to_lowercase();
        std::fs::write(&path, format!("{id}\n"))
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        Ok(id)
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    fn node_lease(&self) -> String {
        format!("{NODE_PREFIX}{}", self.node_id)
    }

    /// Whether this server runs the timed work now.
    pub fn is_timekeeper(&self) -> bool {
        self.timekeeper_until
            .lock()
            .ok()
            .and_then(|u| *u)
            .is_some_and(|until| Instant::now() < until)
    }

    /// One round: the heartbeat, then the timekeeper lease (taken if free, kept if held).
    pub async fn renew(&self, store: &dyn Store) {
        if let Err(e) = store
            .claim_lease(&self.node_lease(), &self.node_id, LEASE_TTL)
            .await
        {
            tracing::warn!(error = %e, "could not renew this server's heartbeat");
        }
        let asked = Instant::now();
        let held = match store
            .claim_lease(TIMEKEEPER, &self.node_id, LEASE_TTL)
            .await
        {
            Ok(held) => held,
            Err(e) => {
                // Unknown: keep what we had; it runs out by itself.
                tracing::warn!(error = %e, "could not renew the timekeeper lease");
                return;
            }
        };
        let Ok(mut until) = self.timekeeper_until.lock() else {
            return;
        };
        let was = until.is_some_and(|u| Instant::now() < u);
        if held {
            *until = Some(asked + LEASE_TTL.saturating_sub(MARGIN));
            if !was {
                tracing::info!(node = %self.node_id, "this server runs the timed work now");
            }
        } else {
            *until = None;
            if was {
                tracing::info!(node = %self.node_id, "another server runs the timed work now");
            }
        }
    }

    /// Renews every [`RENEW_EVERY`], forever (spawned by `serve`).
    pub async fn keep_leases(self, store: Arc<dyn Store>) {
        let mut tick = tokio::time::interval(RENEW_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.renew(store.as_ref()).await;
        }
    }

    /// The other servers whose heartbeat is current.
    pub async fn others_alive(&self, store: &dyn Store) -> StoreResult<Vec<String>> {
        let mut holders = store.lease_holders(NODE_PREFIX).await?;
        holders.retain(|h| **h != *self.node_id);
        Ok(holders)
    }

    /// Gives up both leases (a clean shutdown): another server takes the timed work over now
    /// rather than when the lease runs out.
    pub async fn leave(&self, store: &dyn Store) {
        if let Ok(mut until) = self.timekeeper_until.lock() {
            *until = None;
        }
        for name in [TIMEKEEPER.to_owned(), self.node_lease()] {
            if let Err(e) = store.release_lease(&name, &self.node_id).await {
                tracing::debug!(error = %e, lease = %name, "could not give up a lease");
            }
        }
    }
}
