//! Rollouts as the API reads them (every change goes through the engine and `rollout_port`).

use airlift_core::wire::{Rollout, RolloutDevice, RolloutEventData, RolloutSummary};
use async_trait::async_trait;

use crate::store::{Page, PageOf, RolloutDeviceListing, RolloutFilter, StoreResult};

#[async_trait]
pub trait RolloutStore: Send + Sync {
    async fn rollout(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>>;
    async fn list_rollouts(
        &self,
        tenant_id: &str,
        filter: RolloutFilter,
        page: Page,
    ) -> StoreResult<PageOf<RolloutSummary>>;
    /// NOT_FOUND if the rollout is not the tenant's. `page.after` is a position.
    async fn rollout_devices(
        &self,
        tenant_id: &str,
        id: &str,
        listing: RolloutDeviceListing,
        page: Page,
    ) -> StoreResult<PageOf<RolloutDevice>>;
    async fn rollout_progress(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<RolloutEventData>>;
    /// How many rollouts of every tenant are in each status (what the metrics show).
    async fn rollouts_by_status(&self) -> StoreResult<Vec<(String, u64)>>;
}
