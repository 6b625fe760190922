//! [`EventStore`] on SQLite.

use airlift_core::wire::RolloutEventData;

use super::super::*;

#[async_trait]
impl EventStore for SqliteStore {
    async fn events_after(
        &self,
        tenant_id: &str,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<RolloutEventData>> {
        let t = tenant_id.to_owned();
        self.call(move |c| rollouts::queries::events_after(c, &t, after, limit))
            .await
    }
}
