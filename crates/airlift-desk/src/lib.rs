//! Airlift's desktop backend, without Tauri.
//!
//! Everything the desktop app does that is not drawing a window lives here, so it can be tested
//! with `cargo test` alone and reused by a CLI:
//!
//! * [`error`]: [`DeskError`], the `{code, message}` every command returns to the UI.
//! * [`cancel`]: [`CancelToken`], cooperative cancellation for long jobs.
//! * [`hashing`]: multi-threaded streaming SHA-256 of artifacts, and a single-pass part reader
//!   for multipart uploads.
//! * [`signing`]: package signing keys (P-256, Ed25519), encrypted at rest in a [`signing::KeyStore`].
//! * [`device_history`]: a device's cached update timeline and its CSV export.
//! * [`notify`]: desktop notifications (a rollout paused itself) over D-Bus.
//! * [`cache`]: the offline SQLite cache of packages, rollouts, devices and pending uploads.
//! * [`client`]: the typed fleet API client (timeouts, retries on idempotent calls, `OFFLINE`).
//! * [`upload`]: resumable parallel uploads and package publishing.
//! * [`sync`]: server → cache sync (incremental by `change_seq`) and cached reads with their age.
//! * [`ca_cert`]: a CA a person trusts for one server (kept with its connection).
//! * [`connections`]: saved servers; tokens in the OS keyring ([`secret::Secret`] redacts them).
//! * [`watch`]: the Server-Sent Events watcher (cache updates, auto-pause notifications).
//! * [`role`]: the token's role claim, so the UI disables what the server would refuse.
//! * [`ops`]: the user operations (upload a build, …), called alike by the app and the CLI.
//! * [`rollouts`]: the operator actions a rollout accepts now, failure rate, rollback reach.
//! * [`process_stats`]: age and resident memory of the app's process tree (start-up benchmark).

pub mod ca_cert;
pub mod cache;
pub mod cancel;
pub mod client;
pub mod clock;
pub mod connections;
pub mod device_history;
pub mod error;
pub mod hashing;
pub mod notify;
pub mod ops;
pub mod process_stats;
pub mod role;
pub mod rollouts;
pub mod secret;
pub mod signing;
pub mod sync;
pub mod upload;
pub mod watch;

pub use cancel::CancelToken;
pub use error::{DeskError, DeskErrorCode};

// The Tauri layer keeps these in managed state shared across command threads.
#[cfg(test)]
mod thread_safety {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn app_state_types_can_cross_threads() {
        send::<crate::cache::Cache>();
        send_sync::<crate::signing::KeyStore>();
        send_sync::<crate::signing::SigningKey>();
        send_sync::<crate::notify::DesktopNotifier>();
        send_sync::<crate::CancelToken>();
        send_sync::<crate::DeskError>();
    }
}
