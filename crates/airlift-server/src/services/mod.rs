//! The use cases other than rollouts (those are the engine's, `crate::engine`): upload jobs,
//! images, packages, the fleet (profiles, devices), signing keys, tenants, and the rollout reads.
//!
//! A service takes the store ports and the artifact store it needs (never the HTTP state),
//! applies airlift-core's rules, and returns records or typed errors with a stable code. It
//! knows nothing of HTTP: handlers (`crate::routes`) extract, authorize, call a service and
//! serialize its answer.

pub mod device_reports;
pub mod fleet;
pub mod image_upload;
pub mod images;
pub mod packages;
pub mod rollout_reads;
pub mod signing_keys;
pub mod tenants;
pub mod text;
pub mod uploads;

use airlift_core::error::ApiError;

/// The tenant's object, or NOT_FOUND naming what was looked for (another tenant's object is
/// "not found" too: the store filters by tenant).
fn found<T>(item: Option<T>, what: &str) -> Result<T, ApiError> {
    item.ok_or_else(|| ApiError::not_found(format!("{what} not found")))
}
