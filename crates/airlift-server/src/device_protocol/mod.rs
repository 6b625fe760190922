//! The device side of OTA: serving artifact byte ranges cheaply ([`files`], [`assignments`]),
//! counting command deliveries without a write per poll ([`deliveries`]), and each device's
//! last contact, in memory ([`last_seen`]); seed 002's `config_otau` ([`config_otau`]) and the
//! download of a package's bytes or a URL list's files ([`download`]).

pub mod assignments;
pub mod config_otau;
pub mod deliveries;
pub mod download;
pub mod files;
pub mod last_seen;
