//! The device side: assignment, persistent commands, reports, history.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::package::{PackageType, Sha256Hex};
use crate::payload::{canonical_json, PayloadType, UrlListEntry};

/// A persistent command's kind (seed 000: delivery rides on persistent RPC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    OtaStart,
    OtaRollback,
    /// The rollout that told this device to update was cancelled: stop and install nothing
    /// more of it (already installed stays installed).
    OtaCancel,
}

impl CommandKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::OtaStart => "ota_start",
            CommandKind::OtaRollback => "ota_rollback",
            CommandKind::OtaCancel => "ota_cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ota_start" => Some(CommandKind::OtaStart),
            "ota_rollback" => Some(CommandKind::OtaRollback),
            "ota_cancel" => Some(CommandKind::OtaCancel),
            _ => None,
        }
    }
}

/// A command kept until the device acknowledges it (`POST .../commands/{id}/ack`); it is
/// redelivered on every `GET .../ota` and `GET .../commands` until then. `command_id` is stable,
/// so a device deduplicates by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCommand {
    pub command_id: String,
    pub kind: CommandKind,
    pub rollout_id: String,
    pub package_id: String,
    pub version: String,
    pub created_at: String,
    /// How many times the command was handed out (1 on first delivery).
    pub delivery_count: u64,
}

/// `GET /api/v1/devices/{device_id}/ota` (200): the device's current assignment and every
/// unacknowledged command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtaAssignment {
    pub package_id: String,
    #[serde(rename = "type")]
    pub package_type: PackageType,
    pub version: String,
    pub size_bytes: u64,
    /// SHA-256 (hex) of the artifact.
    pub checksum: String,
    pub signature: Option<String>,
    pub rollout_id: String,
    /// `ota_start` on the way up, `ota_rollback` while the rollout rolls back.
    pub command: CommandKind,
    pub commands: Vec<DeviceCommand>,
    /// Present when the package's stored bytes are encrypted (an image uploaded with
    /// `datafile_encryption`): what the device needs to decrypt each 64 KiB range alone.
    /// `size_bytes`, `checksum` and `signature` refer to the plain bytes.
    /// Seed 001: where the device can fetch the package's bytes without any other credential
    /// (a presigned S3 GET, or a URL of the server signed by it), serving `Range` requests.
    /// Absent for a package without stored bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// When `download_url` stops working (RFC 3339); a poll renews it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<AssignmentEncryption>,
    /// Seed 002's `config_otau`: the same assignment in the seed's own shape.
    pub config_otau: ConfigOtau,
}

/// Seed 002's `config_otau` (`{"version", "name", "description", "type", "payload"}`).
///
/// `payload` is the download URL (FILE), the object (JSON) or the list of [`OtauFile`]s
/// (URL_LIST); [`ConfigOtau::payload`] reads it back typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigOtau {
    pub version: String,
    /// Human-readable: the package's device type and version, e.g. `temp-sensor 2.1.0`.
    pub name: String,
    /// The package's release notes.
    pub description: String,
    #[serde(rename = "type")]
    pub payload_type: PayloadType,
    pub payload: serde_json::Value,
}

/// One file of a URL_LIST `config_otau`: `url` is where the device downloads it (the server's
/// copy), `source_url` where the server fetched it from. The package's `checksum` and signature
/// cover the canonical JSON of the list as created, `[{"url": source_url, "sha256",
/// "size_bytes"}]` ([`signed_url_list_json`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtauFile {
    pub url: String,
    pub sha256: Sha256Hex,
    pub size_bytes: u64,
    pub source_url: String,
}

/// What a `config_otau` asks for, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtauPayload {
    /// The download URL.
    File(String),
    Json(serde_json::Map<String, serde_json::Value>),
    UrlList(Vec<OtauFile>),
}

impl ConfigOtau {
    pub fn new(version: &str, name: String, description: &str, payload: OtauPayload) -> Self {
        let (payload_type, payload) = match payload {
            OtauPayload::File(url) => (PayloadType::File, serde_json::Value::String(url)),
            OtauPayload::Json(object) => (PayloadType::Json, serde_json::Value::Object(object)),
            OtauPayload::UrlList(files) => (
                PayloadType::UrlList,
                serde_json::to_value(files).unwrap_or_default(),
            ),
        };
        Self {
            version: version.to_owned(),
            name,
            description: description.to_owned(),
            payload_type,
            payload,
        }
    }

    /// `payload` read according to `type`; an error says what does not fit.
    pub fn payload(&self) -> Result<OtauPayload, String> {
        match (&self.payload_type, &self.payload) {
            (PayloadType::File, serde_json::Value::String(url)) => {
                Ok(OtauPayload::File(url.clone()))
            }
            (PayloadType::Json, serde_json::Value::Object(o)) => Ok(OtauPayload::Json(o.clone())),
            (PayloadType::UrlList, list) => serde_json::from_value(list.clone())
                .map(OtauPayload::UrlList)
                .map_err(|e| format!("config_otau payload is not a URL list: {e}")),
            (t, _) => Err(format!("config_otau payload does not fit type {t}")),
        }
    }
}

/// The bytes a URL_LIST package's `checksum` and signature cover: the canonical JSON of the
/// list as created (each file's source URL, checksum and size).
pub fn signed_url_list_json(files: &[OtauFile]) -> Result<Vec<u8>, ApiError> {
    let list: Vec<UrlListEntry> = files
        .iter()
        .map(|f| UrlListEntry {
            url: f.source_url.clone(),
            sha256: f.sha256.clone(),
            size_bytes: f.size_bytes,
        })
        .collect();
    canonical_json(&list)
}

/// How an assigned package's stored bytes are encrypted (`airlift_core::encryption` defines
/// the format): the chunk endpoint serves the stored bytes, `stored_size_bytes` long; stored
/// segment `i` is bytes `[i × segment_bytes, (i + 1) × segment_bytes)` (the last one shorter),
/// ciphertext then a `tag_bytes` tag, and holds plain bytes `[i × plain_segment_bytes, …)`.
/// Its nonce is `nonce_prefix ‖ i as u32 big-endian ‖ 1 for the last segment, else 0`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentEncryption {
    /// `AES-256-GCM`.
    pub algorithm: String,
    /// Base64 (standard, padded) of the package's 32-byte data key.
    pub key: String,
    /// `STREAM-BE32`.
    pub nonce_scheme: String,
    /// Base64 of the 7-byte nonce prefix.
    pub nonce_prefix: String,
    pub segment_bytes: u64,
    pub plain_segment_bytes: u64,
    pub tag_bytes: u64,
    pub stored_size_bytes: u64,
}

/// `GET /api/v1/devices/{device_id}/commands`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCommands {
    pub data: Vec<DeviceCommand>,
}

/// `POST /api/v1/devices/{device_id}/commands/{command_id}/ack` (200; acking twice is fine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandAck {
    pub command_id: String,
    pub acked_at: String,
}

/// `POST /api/v1/devices/{device_id}/ota/report`. `report_id` (optional, client-chosen, up to
/// 64 characters) makes a retried POST a no-op; without it an exact repeat of the device's
/// previous report is recognised instead. `device_id`, when sent (seed 000 shows it), must be
/// the path's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtaReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    pub rollout_id: String,
    pub firmware_version: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<u32>,
}

/// The answer to a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportAccepted {
    pub report_id: String,
    /// True when this report was already recorded (nothing was counted again).
    pub duplicate: bool,
    /// The device's state in the rollout after the report (the rollback track's while rolling
    /// back a device that was touched).
    pub device_state: Option<String>,
    pub rollout_status: String,
}

/// One entry of `GET /api/v1/devices/{device_id}/history` (newest first).
///
/// `kind`: `assigned` (joined a rollout's slice), `command` (a persistent command was
/// issued), `command_acked`, `command_cancelled`, `report`, `version_changed`, `timed_out`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceHistoryEntry {
    /// Monotonic per server; also the keyset cursor (`?after=` returns older entries).
    pub seq: u64,
    pub kind: String,
    pub rollout_id: Option<String>,
    pub package_id: Option<String>,
    pub command_id: Option<String>,
    pub status: Option<String>,
    pub message: Option<String>,
    pub progress: Option<u32>,
    pub firmware_version: Option<String>,
    pub at: String,
}

/// Never prints the key (assignments end up in logs and state dumps).
impl std::fmt::Debug for AssignmentEncryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssignmentEncryption")
            .field("algorithm", &self.algorithm)
            .field("key", &"[redacted]")
            .field("nonce_scheme", &self.nonce_scheme)
            .field("segment_bytes", &self.segment_bytes)
            .field("stored_size_bytes", &self.stored_size_bytes)
            .finish_non_exhaustive()
    }
}
