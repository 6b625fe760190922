//! [`FleetVersionStore`] on SQLite: the `fleet_versions` rows the device triggers keep.

use airlift_core::wire::FleetVersion;

use super::super::*;

#[async_trait]
impl FleetVersionStore for SqliteStore {
    async fn fleet_versions(&self, tenant_id: &str) -> StoreResult<Vec<FleetVersion>> {
        let t = tenant_id.to_owned();
        self.call(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT device_type, firmware_version, devices FROM fleet_versions
                     WHERE tenant_id = ?1 AND devices > 0
                     ORDER BY device_type, devices DESC, firmware_version",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([&t], |r| {
                    Ok(FleetVersion {
                        device_type: r.get(0)?,
                        firmware_version: r.get(1)?,
                        devices: u64_of(r.get(2)?),
                    })
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }
}
