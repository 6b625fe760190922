//! The environment variables the app reads, named once (the state reads them, the demo keeps
//! the token one away from its child).

/// The folder for the cache, connections, keys and pending uploads (tests isolate themselves
/// with it).
pub const ENV_DATA_DIR: &str = "AIRLIFT_DATA_DIR";
/// A connection used instead of the saved ones; the token is kept in memory only.
pub const ENV_SERVER_URL: &str = "AIRLIFT_SERVER_URL";
pub const ENV_TOKEN: &str = "AIRLIFT_TOKEN";
/// The name (and cache id) of that connection; default "environment".
pub const ENV_CONNECTION_NAME: &str = "AIRLIFT_CONNECTION_NAME";
/// A CA certificate file (PEM) trusted for that connection beside the system's CAs.
pub const ENV_CA_CERT: &str = "AIRLIFT_CA_CERT";
