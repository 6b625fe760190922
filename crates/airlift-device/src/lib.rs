//! The device side of airliftd's protocol (spec "Device side"), written once for every device
//! that speaks it: `airlift-sim`'s virtual devices and `airlift-agent` on real ones.
//!
//! - [`http`]: the client, its in-flight cap and the errors a call ends with;
//! - [`device_api`]: poll, ranged chunk fetch, report, command acknowledgement;
//! - [`download_url`]: ranged fetches through the assignment's download URL (seed 001);
//! - [`ranges`]: 64 KiB range planning and reassembly, resumable;
//! - [`verify`]: SHA-256 and signature checks against pinned keys;
//! - [`retry`]: bounded retries of transient failures, with backoff and optional jitter;
//! - [`proto`]: the wire shapes (airlift-core's, the server's own structs).
//!
//! What a device does with an assignment (simulate faults, run an install hook) is its own.

pub mod creds;
pub mod device_api;
pub mod download_url;
pub mod http;
pub mod proto;
pub mod ranges;
pub mod retry;
pub mod verify;

pub use creds::{DeviceCreds, DeviceToken};
pub use http::{CallError, Http};
