//! [`CatalogStore`] on SQLite.

use super::super::*;

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn create_signing_key(&self, key: SigningKeyRecord) -> StoreResult<()> {
        self.call(move |c| catalog::create_signing_key(c, &key))
            .await
    }

    async fn list_signing_keys(&self, tenant_id: &str) -> StoreResult<Vec<SigningKeyRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| catalog::list_signing_keys(c, &t)).await
    }

    async fn revoke_signing_key(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()> {
        let (t, id, at) = (tenant_id.to_owned(), id.to_owned(), at.to_owned());
        self.call(move |c| catalog::revoke_signing_key(c, &t, &id, &at))
            .await
    }

    async fn package_exists(&self, tenant_id: &str, key: &PackageKey) -> StoreResult<bool> {
        let (t, key) = (tenant_id.to_owned(), key.clone());
        self.call(move |c| catalog::package_exists(c, &t, &key))
            .await
    }

    async fn create_package(&self, package: PackageRecord) -> StoreResult<()> {
        self.call(move |c| catalog::create_package(c, &package))
            .await
    }

    async fn package(&self, tenant_id: &str, id: &str) -> StoreResult<Option<PackageRecord>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| catalog::package(c, &t, &id)).await
    }

    async fn list_packages(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<PackageRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| catalog::list_packages(c, &t, &page))
            .await
    }

    async fn list_packages_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<PackageRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| catalog::list_packages_changed(c, &t, since, limit))
            .await
    }

    async fn object_key_in_use(&self, object_key: &str) -> StoreResult<bool> {
        let k = object_key.to_owned();
        self.call(move |c| catalog::object_key_in_use(c, &k)).await
    }

    async fn referenced_object_keys(&self) -> StoreResult<HashSet<String>> {
        self.call(|c| {
            let mut keys = HashSet::new();
            for sql in [
                "SELECT object_key FROM upload_chunks",
                "SELECT object_key FROM images",
                "SELECT storage_key FROM packages",
                "SELECT f.value FROM packages, json_each(packages.file_keys) f
                 WHERE packages.file_keys IS NOT NULL",
            ] {
                let mut stmt = c.prepare(sql).map_err(db)?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
                for k in rows {
                    keys.insert(k.map_err(db)?);
                }
            }
            Ok(keys)
        })
        .await
    }
}
