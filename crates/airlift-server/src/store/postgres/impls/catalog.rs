//! [`CatalogStore`] and [`TenantStore`] on PostgreSQL.

use std::collections::HashSet;

use async_trait::async_trait;

use super::super::{catalog, in_tx, rows, tenants, PgStore};
use crate::store::*;

#[async_trait]
impl TenantStore for PgStore {
    async fn ensure_tenant(&self, name: &str) -> StoreResult<TenantRecord> {
        tenants::ensure(&self.client().await?, name).await
    }

    async fn tenant(&self, tenant_id: &str) -> StoreResult<Option<TenantRecord>> {
        tenants::get(&self.client().await?, tenant_id).await
    }

    async fn tenant_named(&self, name: &str) -> StoreResult<Option<TenantRecord>> {
        tenants::named(&self.client().await?, name).await
    }

    async fn set_require_signatures(&self, tenant_id: &str, on: bool) -> StoreResult<TenantRecord> {
        tenants::set_require_signatures(&self.client().await?, tenant_id, on).await
    }
}

#[async_trait]
impl CatalogStore for PgStore {
    async fn create_signing_key(&self, key: SigningKeyRecord) -> StoreResult<()> {
        in_tx!(self, |tx| catalog::create_signing_key(&tx, &key))
    }

    async fn list_signing_keys(&self, tenant_id: &str) -> StoreResult<Vec<SigningKeyRecord>> {
        catalog::list_signing_keys(&self.client().await?, tenant_id).await
    }

    async fn revoke_signing_key(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()> {
        catalog::revoke_signing_key(&self.client().await?, tenant_id, id, at).await
    }

    async fn package_exists(&self, tenant_id: &str, key: &PackageKey) -> StoreResult<bool> {
        catalog::package_exists(&self.client().await?, tenant_id, key).await
    }

    async fn create_package(&self, package: PackageRecord) -> StoreResult<()> {
        if package.data_key.is_none() {
            return catalog::create_package(&self.client().await?, &package).await;
        }
        // An encrypted package names its key row in the transaction that inserts it.
        in_tx!(self, |tx| catalog::create_package(&tx, &package))
    }

    async fn package(&self, tenant_id: &str, id: &str) -> StoreResult<Option<PackageRecord>> {
        catalog::package(&self.client().await?, tenant_id, id).await
    }

    async fn list_packages(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<PackageRecord>> {
        catalog::list_packages(&self.client().await?, tenant_id, &page).await
    }

    async fn list_packages_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<PackageRecord>> {
        catalog::list_packages_changed(&self.client().await?, tenant_id, since, limit).await
    }

    async fn object_key_in_use(&self, object_key: &str) -> StoreResult<bool> {
        catalog::object_key_in_use(&self.client().await?, object_key).await
    }

    async fn referenced_object_keys(&self) -> StoreResult<HashSet<String>> {
        let c = self.client().await?;
        let found = rows(
            &c,
            "SELECT object_key FROM upload_chunks
             UNION SELECT object_key FROM images
             UNION SELECT storage_key FROM packages
             UNION SELECT f.key FROM packages p, jsonb_array_elements_text(p.file_keys::jsonb) f(key)
                 WHERE p.file_keys IS NOT NULL",
            &[],
        )
        .await?;
        Ok(found.iter().map(|r| r.get(0)).collect())
    }
}
