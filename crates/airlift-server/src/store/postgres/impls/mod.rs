//! The store traits on [`super::PgStore`], grouped by aggregate; the SQL lives in the modules
//! beside (`catalog`, `fleet`, `uploads`, ...). A single statement runs on a pooled
//! connection; a change of several statements in one transaction ([`super::in_tx`]).

mod api_tokens;
mod catalog;
mod data_keys;
mod device_protocol;
mod fleet;
mod rollouts;
mod uploads;
