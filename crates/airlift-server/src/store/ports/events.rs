//! Persisted rollout events, for SSE replay.

use airlift_core::wire::RolloutEventData;
use async_trait::async_trait;

use crate::store::StoreResult;

#[async_trait]
pub trait EventStore: Send + Sync {
    async fn events_after(
        &self,
        tenant_id: &str,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<RolloutEventData>>;
}
