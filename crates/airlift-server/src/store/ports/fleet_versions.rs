//! Fleet versions per device type, kept by the database as devices are provisioned and
//! updated (never counted per request).

use airlift_core::wire::FleetVersion;
use async_trait::async_trait;

use crate::store::StoreResult;

#[async_trait]
pub trait FleetVersionStore: Send + Sync {
    /// The tenant's devices per (device type, firmware version): by device type, then most
    /// devices first.
    async fn fleet_versions(&self, tenant_id: &str) -> StoreResult<Vec<FleetVersion>>;
}
