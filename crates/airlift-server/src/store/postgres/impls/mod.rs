//! The store traits on [`super::PgStore`], grouped by aggregate; the SQL lives in the modules
//! beside (`catalog`, `fleet`, `uploads`, ...). A single statement runs on a pooled
//! connection; a change of several statements in one transaction ([`super::in_tx`]).

mod audit;
mod catalog;
mod cluster;
mod data_keys;
mod device_protocol;
mod fleet;
mod fleet_versions;
mod rollouts;
mod uploads;
