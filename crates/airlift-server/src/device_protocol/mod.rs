//! The device side of OTA: serving artifact byte ranges cheaply ([`files`]).

pub mod files;
