//! The device side of OTA: serving artifact byte ranges cheaply ([`files`], [`assignments`]),
//! and counting command deliveries without a write per poll ([`deliveries`]).

pub mod assignments;
pub mod deliveries;
pub mod files;
