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
}

/// The connections and which one is active.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionList {
    pub connections: Vec<ConnectionInfo>,
    pub active: Option<String>,
    /// Whether a local demo fleet can be started (`airlift-sim` was found).
    pub demo_available: bool,
}

/// A connection to add (or replace). The token goes to the OS keyring, never to a file.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct NewConnection {
    pub name: String,
    pub url: String,
    pub token: String,
}

/// What testing a connection found.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionCheck {
    /// Packages visible with this token (first page only).
    pub packages_seen: u32,
}
