//! [`FleetStore`] on PostgreSQL.

use async_trait::async_trait;

use super::super::{fleet, PgStore};
use crate::store::*;

#[async_trait]
impl FleetStore for PgStore {
    async fn create_profile(&self, profile: ProfileRecord) -> StoreResult<()> {
        fleet::create_profile(&self.client().await?, &profile).await
    }

    async fn profile(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ProfileRecord>> {
        fleet::profile(&self.client().await?, tenant_id, id).await
    }

    async fn list_profiles(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<ProfileRecord>> {
        fleet::list_profiles(&self.client().await?, tenant_id, &page).await
    }

    async fn device(&self, tenant_id: &str, id: &str) -> StoreResult<Option<DeviceRecord>> {
        fleet::device(&self.client().await?, tenant_id, id).await
    }

    async fn list_devices(&self, tenant_id: &str, page: Page) -> StoreResult<PageOf<DeviceRecord>> {
        fleet::list_devices(&self.client().await?, tenant_id, &page).await
    }

    async fn device_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<DeviceRecord>> {
        fleet::device_by_token_hash(&self.client().await?, token_hash).await
    }

    async fn list_devices_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<DeviceRecord>> {
        fleet::list_devices_changed(&self.client().await?, tenant_id, since, limit).await
    }
}
