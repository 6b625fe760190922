//! Tenants and their settings.

use async_trait::async_trait;

use crate::store::{StoreResult, TenantRecord};

#[async_trait]
pub trait TenantStore: Send + Sync {
    /// The tenant named `name`, created (requiring signatures) if it does not exist.
    async fn ensure_tenant(&self, name: &str) -> StoreResult<TenantRecord>;
    async fn tenant(&self, tenant_id: &str) -> StoreResult<Option<TenantRecord>>;
    /// The tenant named `name`, if there is one (nothing is created).
    async fn tenant_named(&self, name: &str) -> StoreResult<Option<TenantRecord>>;
    async fn set_require_signatures(&self, tenant_id: &str, on: bool) -> StoreResult<TenantRecord>;
}
