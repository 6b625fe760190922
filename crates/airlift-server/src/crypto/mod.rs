//! Images stored encrypted (seed 003's `datafile_encryption`), the server's side: the server
//! key that wraps every data key ([`server_key`], a 0600 file outside the database), data keys
//! made, sealed and opened ([`data_keys`]), and the streams that encrypt bytes on their way into
//! storage and decrypt them on their way to a hash ([`streams`]). The stored format itself is
//! `airlift_core::encryption`, shared with the devices.

pub mod data_keys;
pub mod rotate;
pub mod server_key;
pub mod streams;

pub use data_keys::{DataKey, DataKeys};
pub use server_key::ServerKeys;
