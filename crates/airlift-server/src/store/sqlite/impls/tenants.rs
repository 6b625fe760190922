//! [`TenantStore`] on SQLite.

use super::super::*;

#[async_trait]
impl TenantStore for SqliteStore {
    async fn ensure_tenant(&self, name: &str) -> StoreResult<TenantRecord> {
        let name = name.to_owned();
        self.call(move |c| tenants::ensure(c, &name)).await
    }

    async fn tenant_named(&self, name: &str) -> StoreResult<Option<TenantRecord>> {
        let name = name.to_owned();
        self.call(move |c| tenants::named(c, &name)).await
    }

    async fn tenant(&self, tenant_id: &str) -> StoreResult<Option<TenantRecord>> {
        let id = tenant_id.to_owned();
        self.call(move |c| tenants::get(c, &id)).await
    }

    async fn set_require_signatures(&self, tenant_id: &str, on: bool) -> StoreResult<TenantRecord> {
        let id = tenant_id.to_owned();
        self.call(move |c| tenants::set_require_signatures(c, &id, on))
            .await
    }
}
