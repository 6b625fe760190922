//! Several servers, one deployment: airliftd processes started on the same PostgreSQL database
//! and the same bucket serve any request alike. What makes that true beyond the shared data:
//!
//! - [`leases`]: each server's name and heartbeat (`node:<id>`), and the `timekeeper` lease:
//!   the one server that runs the timed work (device timeouts, the idempotency purge) holds it;
//!   when it dies another takes over once the lease expires (seconds). The timed work is also
//!   safe if two servers ever ran it at once (the engine locks a rollout before it reads its
//!   overdue devices), so the lease saves work and is not what keeps counts right. The
//!   `cleanup` lease: the start-up clean-up after a crash runs on a server that is alone and
//!   holds it (see `recovery`), so no server deletes another live server's upload in flight.
//! - [`notices`]: the database's notices applied to this server's memory: another server's
//!   events and progress published to this server's subscribers, device changes dropped from
//!   the token and assignment caches, everything re-read after the notices were interrupted.
//!
//! On SQLite (one server by construction) the store holds every lease and sends no notice, so
//! none of this changes what an embedded server does.

pub mod leases;
pub mod notices;

pub use leases::{Cluster, CLEANUP};
