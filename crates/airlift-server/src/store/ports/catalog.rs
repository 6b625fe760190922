//! Signing keys, packages, and the object keys the catalog refers to.

use async_trait::async_trait;
use std::collections::HashSet;

use crate::store::{PackageKey, PackageRecord, Page, PageOf, SigningKeyRecord, StoreResult};

#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// ALREADY_EXISTS if an unrevoked key of the tenant has the same fingerprint.
    async fn create_signing_key(&self, key: SigningKeyRecord) -> StoreResult<()>;
    async fn list_signing_keys(&self, tenant_id: &str) -> StoreResult<Vec<SigningKeyRecord>>;
    /// NOT_FOUND if unknown; revoking a revoked key changes nothing.
    async fn revoke_signing_key(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()>;
    async fn package_exists(&self, tenant_id: &str, key: &PackageKey) -> StoreResult<bool>;
    /// ALREADY_EXISTS on a duplicate (type, version, device_type).
    async fn create_package(&self, package: PackageRecord) -> StoreResult<()>;
    async fn package(&self, tenant_id: &str, id: &str) -> StoreResult<Option<PackageRecord>>;
    async fn list_packages(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<PackageRecord>>;
    /// Packages created after change `since`, in `change_seq` order (incremental sync).
    async fn list_packages_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<PackageRecord>>;
    /// Whether any package's artifact is stored under `object_key`.
    async fn object_key_in_use(&self, object_key: &str) -> StoreResult<bool>;
    /// Every object key the database refers to (chunks, images, packages).
    async fn referenced_object_keys(&self) -> StoreResult<HashSet<String>>;
}
