//! The use cases other than rollouts (those are the engine's, `crate::engine`): upload jobs,
//! images, packages, the fleet (profiles, devices), signing keys, tenants, and the rollout reads.
//!
//! A service takes the store ports and the artifact store it needs (never the HTTP state),
//! applies airlift-core's rules, and returns records or typed errors with a stable code. It
//! knows nothing of HTTP: handlers (`crate::routes`) extract, authorize, call a service and
//! serialize its answer.

pub mod api_tokens;
pub mod audit;
pub mod device_reports;
pub mod fleet;
pub mod image_upload;
pub mod images;
pub mod packages;
pub mod rollout_reads;
pub mod signing_keys;
pub mod tenants;
pub mod text;
pub mod upload_digest;
pub mod uploads;

use airlift_core::error::ApiError;

/// A numeric keyset cursor (`after`) as the API documents it: 1 to 18 digits, so it fits the
/// store's 64-bit positions and sequence numbers; `what` names it in the refusal.
fn numeric_cursor(after: Option<&str>, what: &str) -> Result<(), ApiError> {
    match after {
        Some(a) if a.is_empty() || a.len() > 18 || !a.bytes().all(|b| b.is_ascii_digit()) => {
            Err(ApiError::invalid_argument(format!(
                "after must be {what} from a previous page (digits)"
            )))
        }
        _ => Ok(()),
    }
}

/// The tenant's object, or NOT_FOUND naming what was looked for (another tenant's object is
/// "not found" too: the store filters by tenant).
fn found<T>(item: Option<T>, what: &str) -> Result<T, ApiError> {
    item.ok_or_else(|| ApiError::not_found(format!("{what} not found")))
}
