//! [`RolloutStore`] on PostgreSQL.

use airlift_core::wire::{Rollout, RolloutDevice, RolloutEventData, RolloutSummary};
use async_trait::async_trait;

use super::super::{queries, PgStore};
use crate::store::*;

#[async_trait]
impl RolloutStore for PgStore {
    async fn rollout(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>> {
        queries::rollout(&self.client().await?, tenant_id, id).await
    }

    async fn list_rollouts(
        &self,
        tenant_id: &str,
        filter: RolloutFilter,
        page: Page,
    ) -> StoreResult<PageOf<RolloutSummary>> {
        queries::list(&self.client().await?, tenant_id, &filter, &page).await
    }

    async fn rollout_devices(
        &self,
        tenant_id: &str,
        id: &str,
        listing: RolloutDeviceListing,
        page: Page,
    ) -> StoreResult<PageOf<RolloutDevice>> {
        queries::devices(&self.client().await?, tenant_id, id, &listing, &page).await
    }

    async fn rollout_progress(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<RolloutEventData>> {
        queries::progress(&self.client().await?, tenant_id, id).await
    }

    async fn rollouts_by_status(&self) -> StoreResult<Vec<(String, u64)>> {
        let found = super::super::rows(
            &self.client().await?,
            "SELECT status, count(*) FROM rollouts GROUP BY status ORDER BY status",
            &[],
        )
        .await?;
        Ok(found
            .iter()
            .map(|r| {
                let n: i64 = r.get(1);
                (r.get::<_, String>(0), u64::try_from(n).unwrap_or(0))
            })
            .collect())
    }
}
