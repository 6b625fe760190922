//! [`FleetStore`] on SQLite.

use super::super::*;

#[async_trait]
impl FleetStore for SqliteStore {
    async fn create_profile(&self, profile: ProfileRecord) -> StoreResult<()> {
        self.call(move |c| fleet::create_profile(c, &profile)).await
    }

    async fn profile(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ProfileRecord>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| fleet::profile(c, &t, &id)).await
    }

    async fn list_profiles(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<ProfileRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| fleet::list_profiles(c, &t, &page)).await
    }

    async fn device(&self, tenant_id: &str, id: &str) -> StoreResult<Option<DeviceRecord>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| fleet::device(c, &t, &id)).await
    }

    async fn list_devices(&self, tenant_id: &str, page: Page) -> StoreResult<PageOf<DeviceRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| fleet::list_devices(c, &t, &page)).await
    }

    async fn device_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<DeviceRecord>> {
        self.read_inline(|c| fleet::device_by_token_hash(c, token_hash))
    }

    async fn list_devices_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<DeviceRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| fleet::list_devices_changed(c, &t, since, limit))
            .await
    }
}
