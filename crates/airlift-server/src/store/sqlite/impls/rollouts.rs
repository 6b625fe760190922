//! [`RolloutStore`] on SQLite.

use airlift_core::wire::{Rollout, RolloutDevice, RolloutEventData, RolloutSummary};

use super::super::*;

#[async_trait]
impl RolloutStore for SqliteStore {
    async fn rollout(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| rollouts::queries::rollout(c, &t, &id))
            .await
    }

    async fn list_rollouts(
        &self,
        tenant_id: &str,
        filter: RolloutFilter,
        page: Page,
    ) -> StoreResult<PageOf<RolloutSummary>> {
        let t = tenant_id.to_owned();
        self.call(move |c| rollouts::queries::list(c, &t, &filter, &page))
            .await
    }

    async fn rollout_devices(
        &self,
        tenant_id: &str,
        id: &str,
        listing: RolloutDeviceListing,
        page: Page,
    ) -> StoreResult<PageOf<RolloutDevice>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| rollouts::queries::devices(c, &t, &id, &listing, &page))
            .await
    }

    async fn rollout_progress(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<RolloutEventData>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| rollouts::queries::progress(c, &t, &id))
            .await
    }

    async fn rollouts_by_status(&self) -> StoreResult<Vec<(String, u64)>> {
        self.call(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT status, count(*) FROM rollouts GROUP BY status ORDER BY status",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(db)?;
            rows.map(|r| r.map(|(s, n)| (s, u64_of(n))).map_err(db))
                .collect()
        })
        .await
    }
}
