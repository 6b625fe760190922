//! [`FleetVersionStore`] on PostgreSQL: the `fleet_versions` rows the device trigger keeps.

use airlift_core::wire::FleetVersion;
use async_trait::async_trait;

use super::super::{rows, u64_of, PgStore};
use crate::store::*;

#[async_trait]
impl FleetVersionStore for PgStore {
    async fn fleet_versions(&self, tenant_id: &str) -> StoreResult<Vec<FleetVersion>> {
        let found = rows(
            &self.client().await?,
            "SELECT device_type, firmware_version, devices FROM fleet_versions
             WHERE tenant_id = $1 AND devices > 0
             ORDER BY device_type, devices DESC, firmware_version",
            &[&tenant_id],
        )
        .await?;
        Ok(found
            .iter()
            .map(|r| FleetVersion {
                device_type: r.get(0),
                firmware_version: r.get(1),
                devices: u64_of(r.get(2)),
            })
            .collect())
    }
}
