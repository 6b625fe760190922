//! Airlift's domain model: the rules every other crate obeys.
//!
//! Nothing in this crate does I/O. The server, the simulator, the desktop backend and the CLI
//! all take their rules (state machines, eligibility, auto-pause, error codes) from here, and the
//! JSON shapes they exchange from [`wire`].

pub mod audit;
pub mod device_counters;
pub mod device_state;
pub mod eligibility;
pub mod encryption;
pub mod error;
pub mod failure_reason;
pub mod install_status;
pub mod maintenance_window;
pub mod package;
pub mod payload;
pub mod phases;
pub mod policy;
pub mod retry_policy;
pub mod role;
pub mod rollout;
pub mod rollout_aggregate;
pub mod signing;
pub mod upload_parts;
pub mod wire;
