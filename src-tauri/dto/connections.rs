//! Server connections as the shell and the Settings screen show them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a connection comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// Saved in the connections file, token in the OS keyring.
    Saved,
    /// Given by `AIRLIFT_SERVER_URL` / `AIRLIFT_TOKEN` (tests, scripted runs); never saved.
    Environment,
    /// The local demo fleet the app started.
    Demo,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionInfo {
    pub name: String,
    pub url: String,
    pub kind: ConnectionKind,
    pub active: bool,
    /// The CA trusted for this server beside the system's, if the connection has one.
    pub ca_cert: Option<CaCertInfo>,
}

/// A CA certificate as Settings shows it (never its PEM: that stays in the backend).
#[derive(Debug, Clone, Serialize, TS)]
pub struct CaCertInfo {
    /// RFC 4514, e.g. `CN=Example Fleet CA,O=Example`.
    pub subject: String,
    /// RFC 3339 (UTC).
    pub not_after: String,
    pub expired: bool,
    /// Certificates in the PEM (a bundle may hold several).
    pub certificates: u32,
}

impl From<&airlift_desk::ca_cert::CaCert> for CaCertInfo {
    fn from(ca: &airlift_desk::ca_cert::CaCert) -> Self {
        let s = ca.summary();
        Self {
            subject: s.subject.clone(),
            not_after: s.not_after.clone(),
            expired: s.expired,
            certificates: s.certificates,
        }
    }
}

/// A CA certificate file the person picked: its PEM (for the add-connection form to send
/// back) and what it is.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PickedCaCert {
    pub pem: String,
    pub info: CaCertInfo,
}

/// The connections and which one is active.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionList {
    pub connections: Vec<ConnectionInfo>,
    pub active: Option<String>,
    /// Whether a local demo fleet can be started (`airlift-sim` was found).
    pub demo_available: bool,
    /// The server refused the active connection's token (revoked or expired): what it said.
    /// Until the connection gets a new token, screens show the cache and the event stream stops.
    pub token_refused: Option<TokenRefused>,
}

/// The active connection's token, refused by its server (a call answered 401).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TokenRefused {
    pub connection: String,
    /// The desk's sentence: what the server said and what to do.
    pub message: String,
}

/// A connection to add (or replace). The token goes to the OS keyring, never to a file.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct NewConnection {
    pub name: String,
    pub url: String,
    pub token: String,
    /// A CA certificate (PEM) to trust for this server beside the system's; saved with the
    /// connection.
    pub ca_cert_pem: Option<String>,
}

/// What testing a connection found.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionCheck {
    /// Packages visible with this token (first page only).
    pub packages_seen: u32,
}
