//! One file per command.

pub mod connection;
pub mod devices;
pub mod hash;
pub mod package;
pub mod rollout;
pub mod sync;
pub mod upload;
pub mod watch;
