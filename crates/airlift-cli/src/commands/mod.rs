//! One file per command (and the pieces several commands share).

mod cached;
mod checks;
pub mod connection;
pub mod devices;
pub mod hash;
pub mod image;
pub mod key;
pub mod package;
mod pages;
pub mod profile;
pub mod rollout;
mod rollout_failures;
mod rollout_plan;
pub mod sync;
pub mod upload;
pub mod watch;
