//! The database, behind small ports that store and decide nothing.
//!
//! [`ports`] has one trait per aggregate (tenants, fleet, uploads, catalog, rollouts, events,
//! device protocol) and [`rollout_port`] the rollout engine's per-transaction port; [`Store`]
//! is all of them together. Services and the engine see only these traits and plain records;
//! nothing about SQL leaks out: [`sqlite`] (embedded) and [`postgres`] run
//! the same contract suites (`tests/store_contract/`) without touching a caller. Every method that
//! reads or writes a tenant's objects takes the tenant id and filters by it: this is the one
//! place tenant isolation is enforced, and why another tenant's object is "not found".
//!
//! Domain outcomes (not found, name taken, wrong job state) come back as
//! [`StoreError::Api`] with the spec's code; anything else is a backend failure.

pub mod idempotency;
pub mod package_memo;
pub mod ports;
pub mod postgres;
pub mod records;
pub mod rollout_port;
pub mod sqlite;
pub mod upload_states;

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
    /// The database cannot be reached now (restarting, connection lost, every pooled
    /// connection busy past the wait): nothing was written, and the request may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Tenant names appear in tokens and logs: keep them to a safe, readable alphabet.
pub fn validate_tenant_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(format!(
            "tenant name must be 1-64 characters of [A-Za-z0-9._-], got {name:?}"
        )))
    }
}

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
    + AuditStore
    + FleetVersionStore
    + FleetStore
    + UploadStore
    + CatalogStore
    + ClusterStore
    + DataKeyStore
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
        + AuditStore
        + FleetVersionStore
        + FleetStore
        + UploadStore
        + CatalogStore
        + ClusterStore
        + DataKeyStore
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
