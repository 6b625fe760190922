//! Profiles and devices (provisioning is the engine's: a new device may join a rollout).

use async_trait::async_trait;

use crate::store::{DeviceRecord, Page, PageOf, ProfileRecord, StoreResult};

#[async_trait]
pub trait FleetStore: Send + Sync {
    /// ALREADY_EXISTS if the tenant has a profile of that name.
    async fn create_profile(&self, profile: ProfileRecord) -> StoreResult<()>;
    async fn profile(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ProfileRecord>>;
    async fn list_profiles(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<ProfileRecord>>;
    async fn device(&self, tenant_id: &str, id: &str) -> StoreResult<Option<DeviceRecord>>;
    async fn list_devices(&self, tenant_id: &str, page: Page) -> StoreResult<PageOf<DeviceRecord>>;
    /// The device a token hash belongs to (for the device API, part 2).
    async fn device_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<DeviceRecord>>;
    /// Devices whose `change_seq` is above `since`, in `change_seq` order (incremental sync).
    async fn list_devices_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<DeviceRecord>>;
}
