//! The operations layer: one function per thing a person does with the desk, the same for the
//! desktop app and `airlift-cli`. The shell adapts, airlift-desk operates: a Tauri command or a
//! CLI subcommand turns its arguments into a call here and the result into its own output, and
//! decides nothing about the sequence, the job names, or what a stop leaves behind.
//!
//! An operation on a server's data takes a [`Session`] (client, cache, connection id); a long
//! one reports progress through a typed callback and stops through a control handle. Reads of
//! the cache alone (a device search) take the cache; connecting takes the saved connections.

pub mod api_tokens;
pub mod audit;
pub mod connect;
pub mod dashboard;
pub mod devices;
pub mod history;
pub mod keys;
pub mod payloads;
pub mod rollout_analytics;
pub mod rollout_devices;
pub mod rollouts;
pub mod sync;
pub mod upload;

use std::sync::Mutex;

use crate::cache::Cache;
use crate::client::Client;

/// The server, its cache and the cache's connection id: what every operation runs against.
#[derive(Clone, Copy)]
pub struct Session<'a> {
    pub client: &'a Client,
    pub cache: &'a Mutex<Cache>,
    pub connection_id: &'a str,
}
