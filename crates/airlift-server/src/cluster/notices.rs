//! The database's notices applied to this server's memory (see the module above). Each kind
//! costs at most one read here: another server's event is read from the table once and
//! published to this server's subscribers (only when there are some), a progress snapshot is
//! taken from the counters (coalesced like local ones), a changed device is dropped from the
//! caches (the next request reads it again).

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::auth::token_cache::TokenCache;
use crate::device_protocol::assignments::AssignmentCache;
use crate::events::Hub;
use crate::store::{Notice, Store};

/// What the notices keep true.
pub struct Followers {
    pub store: Arc<dyn Store>,
    pub events: Hub,
    pub device_tokens: TokenCache,
    pub assignments: AssignmentCache,
}

impl Followers {
    /// Applies notices until the feed ends (spawned by `serve` when the store has one).
    pub async fn follow(self, mut notices: mpsc::Receiver<Notice>) {
        while let Some(notice) = notices.recv().await {
            self.apply(notice).await;
        }
    }

    pub async fn apply(&self, notice: Notice) {
        match notice {
            Notice::Event { tenant_id, id } => {
                if !self.events.has_subscribers() {
                    return;
                }
                // Notices come in commit order; subscribers fill any gap from the table.
                match self
                    .store
                    .events_after(&tenant_id, id.saturating_sub(1), 1)
                    .await
                {
                    Ok(found) => self.events.publish(&tenant_id, found),
                    Err(e) => {
                        tracing::warn!(error = %e, "reading another server's event");
                        self.events.resync();
                    }
                }
            }
            Notice::Progress {
                origin,
                tenant_id,
                rollout_id,
            } => {
                if !self.events.is_own(&origin) {
                    self.events
                        .peer_progress(self.store.clone(), &tenant_id, &rollout_id);
                }
            }
            Notice::Device { device_id } => {
                self.device_tokens.invalidate_device(&device_id);
                self.assignments.forget(&device_id);
            }
            Notice::Resync => {
                self.device_tokens.clear();
                self.assignments.clear();
                self.events.resync();
            }
        }
    }
}
