//! [`LookupTx`] on SQLite: What a rollout reads of the rest of the tenant.

use super::*;

impl LookupTx for SqlTx<'_> {
    fn tenant_name(&mut self, tenant_id: &str) -> StoreResult<String> {
        self.c
            .query_row("SELECT name FROM tenants WHERE id = ?1", [tenant_id], |r| {
                r.get(0)
            })
            .map_err(db)
    }

    fn package(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<PackageRecord>> {
        catalog::package(self.c, tenant_id, id)
    }

    fn package_version(&mut self, package_id: &str) -> StoreResult<String> {
        self.c
            .query_row(
                "SELECT version FROM packages WHERE id = ?1",
                [package_id],
                |r| r.get(0),
            )
            .map_err(db)
    }

    fn profile_exists(&mut self, tenant_id: &str, profile_id: &str) -> StoreResult<bool> {
        Ok(fleet::profile(self.c, tenant_id, profile_id)?.is_some())
    }

    fn profile_devices(
        &mut self,
        tenant_id: &str,
        profile_id: &str,
    ) -> StoreResult<Vec<DeviceRecord>> {
        fleet::profile_devices(self.c, tenant_id, profile_id)
    }

    fn device(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<DeviceRecord>> {
        fleet::device(self.c, tenant_id, id)
    }
}
