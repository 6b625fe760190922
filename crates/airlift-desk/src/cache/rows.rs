//! The cache's own row types.
//!
//! They mirror what the UI lists and shows, not the server's wire types, so the cache schema can
//! stay stable while the wire evolves; the sync code maps wire → row. Server timestamps stay the
//! server's RFC 3339 strings.

use std::path::PathBuf;

use airlift_core::package::PackageType;
use airlift_core::payload::PayloadType;
use airlift_core::rollout::RolloutStatus;
use serde::{Deserialize, Serialize};

/// A device as the fleet list shows it. Deliberately without the `device_token` the server
/// returns at registration: credentials never enter the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub profile_id: Option<String>,
    pub device_type: String,
    pub firmware_version: Option<String>,
    pub target_version: Option<String>,
    pub ota_status: Option<String>,
    /// Install progress in percent (0..=100) while an update runs.
    pub progress: Option<u8>,
    pub last_update_at: Option<String>,
    pub updated_at: String,
    /// The device's last contact with the server (RFC 3339), when the server knows one.
    #[serde(default)]
    pub last_seen_at: Option<String>,
    /// The agent it last polled with (`User-Agent`, e.g. `airlift-agent/0.1.0`), as its page
    /// was last fetched; lists leave the cached value.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// One line of a device's history (a status report, a command sent, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntryRow {
    pub device_id: String,
    pub at: String,
    pub kind: String,
    pub detail: serde_json::Value,
}

/// A package in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRow {
    pub id: String,
    #[serde(rename = "type")]
    pub package_type: PackageType,
    pub version: String,
    pub device_type: String,
    pub min_version: Option<String>,
    pub size_bytes: u64,
    pub sha256: String,
    /// How the server judged the package's signature (e.g. "verified", "unsigned"); kept as the
    /// server's word until the wire type settles.
    pub signature_status: String,
    pub created_at: String,
    pub release_notes: Option<String>,
    /// The server stores the package's bytes encrypted.
    #[serde(default)]
    pub stored_encrypted: bool,
    /// Seed 002's package type.
    #[serde(default)]
    pub payload_type: PayloadType,
    /// Where the server keeps the package's bytes (its object key, e.g.
    /// `firmware/{tenant}/{version}/{sha256}.bin`); `None` until synced from a server that says.
    #[serde(default)]
    pub storage_key: Option<String>,
}

/// A rollout and its latest device counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutRow {
    pub id: String,
    pub package_id: String,
    pub status: RolloutStatus,
    /// Per-state device counts as the server reported them.
    pub counters: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

/// One step in a rollout's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutTransitionRow {
    pub rollout_id: String,
    pub at: String,
    pub from_status: Option<RolloutStatus>,
    pub to_status: RolloutStatus,
    pub reason: Option<String>,
}

/// An upload that may be resumed after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    pub job_id: String,
    pub file_path: PathBuf,
    pub size_bytes: u64,
    pub part_size: u64,
    /// Known once the file has been hashed (hashing runs alongside the upload).
    pub sha256: Option<String>,
    /// Part numbers the server acknowledged, ascending.
    pub parts_acknowledged: Vec<u32>,
    pub created_at_ms: i64,
    /// The file's modification time (Unix ms) when the job started, if recorded.
    #[serde(default)]
    pub file_mtime_ms: Option<i64>,
    /// What the upload becomes (JSON written by `ops::upload`), once recorded.
    #[serde(default)]
    pub request: Option<String>,
}

/// How many devices of a type run a firmware version, as the server last counted them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetVersionRow {
    pub device_type: String,
    pub firmware_version: String,
    pub devices: u64,
}

/// One audit log entry as a page showed it: who, role, when, what, on which object. The server
/// writes no secret into an entry, and the desk keeps nothing else of the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub summary: String,
}
