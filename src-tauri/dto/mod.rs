//! IPC data types: what commands take and return. Each derives `ts_rs::TS`; the TypeScript
//! copies live in `ui/src/bindings/` and a test (`bindings.rs`) fails when they drift.
//!
//! They mirror `airlift-desk`'s types (with `From` impls) instead of exposing them, so the UI's
//! contract is stated here and a change in the desk crate shows up as a compile error.

pub mod catalog;
pub mod connections;
pub mod devices;
pub mod rollouts;
pub mod signing;
pub mod upload;

use serde::Serialize;
use ts_rs::TS;

/// Every command failure: the `{code, message}` of `airlift_desk::DeskError`.
#[derive(Debug, Serialize, TS)]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

/// Name and version of the running app, shown in the sidebar.
#[derive(Debug, Serialize, TS)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    /// Launched to try the product (`AIRLIFT_START_DEMO=1`, as `cargo xtask run` does): when no
    /// connection is set up, the UI starts the local demo fleet by itself.
    pub start_demo: bool,
}
