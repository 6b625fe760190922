//! The device side of OTA: serving artifact byte ranges cheaply ([`files`], [`assignments`]).

pub mod assignments;
pub mod files;
