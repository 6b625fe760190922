//! The device side of OTA: serving artifact byte ranges cheaply ([`files`], [`assignments`]),
//! counting command deliveries without a write per poll ([`deliveries`]), and each device's
//! last contact, in memory ([`last_seen`]).

pub mod assignments;
pub mod deliveries;
pub mod files;
pub mod last_seen;
