//! The database, behind small ports that store and decide nothing.
//!
//! [`ports`] has one trait per aggregate (tenants, fleet, uploads, catalog, rollouts, events,
//! device protocol) and [`rollout_port`] the rollout engine's per-transaction port; [`Store`]
//! is all of them together. Services and the engine see only these traits and plain records;
//! nothing about SQL leaks out, so a PostgreSQL adapter can be added next to [`sqlite`] and run
//! the same contract suites (`tests/store_contract/`) without touching a caller. Every method that
//! reads or writes a tenant's objects takes the tenant id and filters by it: this is the one
//! place tenant isolation is enforced, and why another tenant's object is "not found".
//!
//! Domain outcomes (not found, name taken, wrong job state) come back as
//! [`StoreError::Api`] with the spec's code; anything else is a backend failure.

pub mod idempotency;
pub mod ports;
pub mod records;
pub mod rollout_port;
pub mod sqlite;

use airlift_core::error::ApiError;
use airlift_core::wire::RolloutEventData;

pub use ports::*;
pub use records::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("database: {0:#}")]
    Backend(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Pagination by id cursor (ids sort by creation time).
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub limit: u32,
    pub after: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

/// One rollout the timeout sweep changed.
#[derive(Debug, Clone)]
pub struct SweptRollout {
    pub tenant_id: String,
    pub rollout_id: String,
    pub events: Vec<RolloutEventData>,
}

/// Every store trait together: what the server runs on. Implemented for any type that
/// implements them all.
pub trait Store:
    TenantStore
    + FleetStore
    + UploadStore
    + CatalogStore
    + RolloutStore
    + EventStore
    + DeviceProtocolStore
    + idempotency::IdempotencyStore
    + rollout_port::RolloutUnits
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: TenantStore
        + FleetStore
        + UploadStore
        + CatalogStore
        + RolloutStore
        + EventStore
        + DeviceProtocolStore
        + idempotency::IdempotencyStore
        + rollout_port::RolloutUnits
        + Send
        + Sync
        + 'static
{
}
