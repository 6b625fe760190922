//! Several airliftd on one PostgreSQL database and one S3 bucket, from real processes
//! (airlift-testkit's `LocalCluster`: PostgreSQL 15, s3s-fs, the servers, nginx): any request
//! to any server, the same answers; events on every server; timed work once; caches that
//! follow the other servers' changes. Every wait polls with a deadline: no timing is asserted.
//! One file per concern; `harness.rs` holds what they share.

#[path = "../common/mod.rs"]
mod common;
mod harness;

mod deliveries;
mod events;
mod readiness;
mod rollouts;
mod shared_changes;
mod storage;
mod timed_work;
