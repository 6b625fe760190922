//! Airlift's fleet server (`airliftd`).
//!
//! Layout (one concern per module):
//! - [`cli`]: the `serve` and `token` subcommands; [`config`]: what `serve` runs with.
//! - [`app`]: the route table that builds the router (and that the OpenAPI test compares with
//!   `openapi.yaml`); [`state`]: the shared state handlers reach.
//! - [`routes`]: one file per resource; handlers extract, authorize, call a service or the
//!   engine, and serialize.
//! - [`services`]: the use cases other than rollouts (upload jobs, images, packages with their
//!   fetch, verification and signature check, fleet, signing keys, tenants), over store ports.
//! - [`auth`]: user JWTs (roles, tenants) and device tokens.
//! - [`store`]: the database behind one small port per aggregate ([`store::ports`];
//!   [`store::Store`] is all of them); SQLite today.
//! - [`artifacts`]: bytes behind `object_store` (local file system today).
//! - [`recovery`]: startup housekeeping that makes a crash at any point harmless.
//! - [`cluster`]: several servers on one database: leases (who runs the timed work, who is
//!   alive) and the database's notices applied to each server's live events and caches.
//! - [`idempotency`]: `Idempotency-Key` on every create route (safe retries).
//! - [`tls`]: HTTPS on `--listen` (rustls), the certificate reloaded on SIGHUP.
//!
//! - [`engine`]: every rollout use case (create, reports, actions, timeouts, joining devices,
//!   start-up settling), decided over one transaction of the store's rollout port
//!   ([`store::rollout_port`]); adapters store, the engine decides.
//! - [`rollouts`]: the engine's pure parts (eligibility plan, strategy steps, request rules)
//!   around airlift-core's `RolloutAggregate`.
//! - [`device_protocol`]: positioned reads for the chunk endpoint; [`events`]: the live event
//!   hub (the SSE stream is `routes::events`).

pub mod app;
pub mod artifacts;
pub mod auth;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod config_file;
pub mod config_reference;
pub mod crypto;
pub mod device_protocol;
pub mod downloads;
pub mod engine;
pub mod error;
pub mod events;
pub mod extract;
pub mod hashing;
pub mod idempotency;
pub mod ids;
pub mod metrics;
pub mod rate_limit;
pub mod recovery;
pub mod request_id;
pub mod rollouts;
pub mod routes;
pub mod secret_file;
pub mod security_headers;
pub mod services;
pub mod state;
pub mod store;
pub mod tls;
