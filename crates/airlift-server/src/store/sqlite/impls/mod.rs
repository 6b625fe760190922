//! The store traits on [`SqliteStore`], one file per trait; the SQL lives in the
//! aggregate modules beside (`catalog`, `fleet`, `uploads`, ...).

mod api_tokens;
mod catalog;
mod data_keys;
mod device_protocol;
mod events;
mod fleet;
mod rollouts;
mod tenants;
mod uploads;
