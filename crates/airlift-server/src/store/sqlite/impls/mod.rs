//! The store traits on [`SqliteStore`], one file per trait; the SQL lives in the
//! aggregate modules beside (`catalog`, `fleet`, `uploads`, ...).

mod audit;
mod catalog;
mod cluster;
mod data_keys;
mod device_protocol;
mod events;
mod fleet;
mod fleet_versions;
mod rollouts;
mod tenants;
mod uploads;
