//! JSON shapes exchanged over the fleet API (requests and responses), shared by the server and
//! every client so both sides serialize the same structs.
//!
//! Requests carry `#[serde(deny_unknown_fields)]`: the spec rejects unknown fields with
//! `INVALID_ARGUMENT`, and a typo in an optional field must not be silently ignored. Fields whose
//! validation has a domain rule (versions, checksums) arrive as strings and are checked by the
//! server with the rules in this crate, so the error message can name the field.
//! Times are RFC 3339 UTC strings.

mod audit;
mod device_protocol;
mod devices;
mod events;
mod list;
mod packages;
mod profiles;
mod rollouts;
mod signing_keys;
mod tenant;
mod uploads;

pub use audit::*;
pub use device_protocol::*;
pub use devices::*;
pub use events::*;
pub use list::*;
pub use packages::*;
pub use profiles::*;
pub use rollouts::*;
pub use signing_keys::*;
pub use tenant::*;
pub use uploads::*;
