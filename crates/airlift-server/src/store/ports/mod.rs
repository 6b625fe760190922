//! The store, one small trait per aggregate. [`crate::store::Store`] is all of them together
//! (what the server runs on); a use case names only the trait it needs, and each trait has a
//! contract suite (`tests/store_contract/`) any backend must pass.

mod audit;
mod catalog;
mod cluster;
mod data_keys;
mod device_protocol;
mod events;
mod fleet;
mod fleet_versions;
mod rollouts;
mod tenants;
mod uploads;

pub use audit::AuditStore;
pub use catalog::CatalogStore;
pub use cluster::{ClusterStore, Notice};
pub use data_keys::DataKeyStore;
pub use device_protocol::DeviceProtocolStore;
pub use events::EventStore;
pub use fleet::FleetStore;
pub use fleet_versions::FleetVersionStore;
pub use rollouts::RolloutStore;
pub use tenants::TenantStore;
pub use uploads::UploadStore;
