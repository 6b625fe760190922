//! Plain rows, as the store ports hand them to services and the engine (the wire types are
//! built from these).

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::encryption::SealedDataKey;
use airlift_core::install_status::InstallStatus;
use airlift_core::package::PackageType;
use airlift_core::payload::PayloadType;
use airlift_core::rollout::RolloutStatus;
use airlift_core::signing::SigningAlgorithm;
use airlift_core::wire::{CommandKind, UploadJobStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    pub id: String,
    pub name: String,
    pub require_signatures: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRecord {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub device_type: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub tenant_id: String,
    pub profile_id: String,
    pub name: String,
    pub device_type: String,
    pub firmware_version: String,
    pub created_at: String,
    /// Incremental-sync cursor (set by the database; ignored on insert).
    pub change_seq: u64,
}

/// A device's contact at `at_unix` (Unix seconds), to keep (see `device_protocol::last_seen`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSeen {
    pub tenant_id: String,
    pub device_id: String,
    pub at_unix: i64,
}

/// The `User-Agent` a device sent, to keep (see `device_protocol::last_seen`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAgent {
    pub tenant_id: String,
    pub device_id: String,
    pub user_agent: String,
}

#[derive(Debug, Clone)]
pub struct NewDevice {
    pub record: DeviceRecord,
    /// SHA-256 (hex) of the device token; the token itself is never stored.
    pub token_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadJobRecord {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub description: String,
    pub status: UploadJobStatus,
    pub firmware_image_id: Option<String>,
    pub chunk_count: u64,
    pub bytes_received: u64,
    pub created_at: String,
    pub updated_at: String,
    /// Set for a job created with `datafile_encryption`: its parts are stored encrypted under
    /// this key (each with its own nonce prefix in front).
    pub data_key: Option<SealedDataKey>,
}

#[derive(Debug, Clone)]
pub struct NewChunk {
    pub chunk_id: Option<u32>,
    pub length: u64,
    pub md5_hex: String,
    pub object_key: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecord {
    pub chunk_id: u32,
    pub length: u64,
    pub md5_hex: String,
    pub object_key: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub description: String,
    pub object_key: String,
    pub sha256: String,
    pub size: u64,
    pub upload_job_id: String,
    pub created_at: String,
    /// Set when the image is stored encrypted (`datafile_encryption`): its sealed data key.
    /// `sha256` and `size` are the plain bytes'; the object holds `SegmentLayout::stored_size`.
    pub data_key: Option<SealedDataKey>,
}

/// What deleting an image found: the adapter reports it, the route decides the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageDeletion {
    /// The row is gone; its stored object is the caller's to delete.
    Deleted { object_key: String },
    /// The tenant holds no image with that id.
    Missing,
    /// A package was made from it (it names the image's datafile); nothing changed.
    UsedBy { package_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub algorithm: SigningAlgorithm,
    pub public_key_pem: String,
    pub fingerprint: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// What makes a package unique within a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageKey {
    pub package_type: PackageType,
    /// Canonical semver string.
    pub version: String,
    pub device_type: String,
}

impl PackageKey {
    /// The ALREADY_EXISTS sentence for a duplicate.
    pub fn duplicate_message(&self) -> String {
        format!(
            "a {} package {} for device type {:?} already exists",
            self.package_type.as_str(),
            self.version,
            self.device_type
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRecord {
    pub id: String,
    pub tenant_id: String,
    pub key: PackageKey,
    pub min_version: String,
    pub artifact_uri: String,
    pub sha256: String,
    pub signature: Option<String>,
    pub signing_key_id: Option<String>,
    pub size_bytes: u64,
    pub release_notes: String,
    /// `firmware/{tenant}/{version}/{sha256}.bin`: the artifact, or a JSON / URL_LIST
    /// package's canonical payload.
    pub storage_key: String,
    pub created_at: String,
    /// Incremental-sync cursor (the row's insertion order; ignored on insert).
    pub change_seq: u64,
    /// Seed 002's package type.
    pub payload_type: PayloadType,
    /// A JSON or URL_LIST package's payload as canonical JSON (the bytes `sha256` covers).
    pub payload: Option<String>,
    /// A URL_LIST package's stored files, in list order (their `firmware/…` keys).
    pub file_keys: Vec<String>,
    /// Set when the stored bytes are encrypted (made from an encrypted image, whose data key
    /// it shares); `sha256` and `size_bytes` are the plain bytes'.
    pub data_key: Option<SealedDataKey>,
}

impl PackageRecord {
    /// The bytes its object holds (and the chunk endpoint serves): `size_bytes`, or for an
    /// encrypted package the segmented ciphertext's length.
    pub fn stored_size_bytes(&self) -> u64 {
        match self.data_key {
            None => self.size_bytes,
            Some(_) => airlift_core::encryption::SegmentLayout::new(self.size_bytes).stored_size(),
        }
    }
}

/// A device report whose fields passed validation.
#[derive(Debug, Clone)]
pub struct ValidatedReport {
    pub report_id: Option<String>,
    pub rollout_id: String,
    pub firmware_version: String,
    pub status: InstallStatus,
    pub message: Option<String>,
    pub progress: Option<u32>,
}

/// What a device should install now.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub package: PackageRecord,
    pub rollout_id: String,
    pub command: CommandKind,
}

#[derive(Debug, Clone, Default)]
pub struct RolloutFilter {
    pub status: Option<RolloutStatus>,
    /// Only rollouts whose `change_seq` is above this, in `change_seq` order.
    pub changed_since: Option<u64>,
}

#[derive(Debug, Clone)]
pub enum DeviceStateFilter {
    Any,
    /// Not yet covered by the slice.
    Pending,
    /// In this state on the way up, or on the rollback track.
    State(DeviceRolloutState),
}

/// The order of a rollout's device list. Every order ends with the scheduling position, so a
/// page boundary never splits ties differently between two requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RolloutDeviceSort {
    /// Scheduling order (the only order the keyset cursor `after` works with).
    #[default]
    Position,
    /// Device name.
    Device,
    /// Trouble first: failed, timed out, in progress, command sent, scheduled, successful,
    /// then devices not yet in the slice.
    State,
    Progress,
    /// Last report or change.
    Updated,
}

impl RolloutDeviceSort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "position" => Some(Self::Position),
            "device" => Some(Self::Device),
            "state" => Some(Self::State),
            "progress" => Some(Self::Progress),
            "updated" => Some(Self::Updated),
            _ => None,
        }
    }
}

/// Which devices of a rollout to list, in what order, from where.
#[derive(Debug, Clone)]
pub struct RolloutDeviceListing {
    pub state: DeviceStateFilter,
    pub sort: RolloutDeviceSort,
    pub descending: bool,
    /// Rows to skip: random access for a virtualized table that jumps to any row. Used
    /// instead of the page's keyset `after`, which only fits ascending scheduling order.
    pub offset: Option<u64>,
    /// Only the devices counted under one failure reason (`GET .../failures`' groups).
    pub failure: Option<FailureFilter>,
}

/// One group of `GET /rollouts/{id}/failures`: its normalized reason and, optionally, its
/// status (the same reason may come with two statuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureFilter {
    pub reason: String,
    pub status: Option<String>,
}

/// An API token as stored: its SHA-256 only, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub role: airlift_core::role::Role,
    /// Hex SHA-256 of the whole token string.
    pub token_hash: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A user JWT printed by `airliftd token`, as recorded when it was made: the JWT carries this
/// id as its `jti`, and is accepted only while this row exists and is not revoked. The JWT
/// itself is never stored (its signature is what proves it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapTokenRecord {
    pub id: String,
    pub tenant_id: String,
    pub role: airlift_core::role::Role,
    /// What the operator called it (`airliftd token --label`), shown by `airliftd token-list`.
    pub label: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

/// One audit log entry as stored (see `AuditStore`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: String,
    pub tenant_id: String,
    /// RFC 3339, as shown.
    pub at: String,
    /// The same instant in microseconds since the epoch (what `?since=` compares).
    pub at_micros: i64,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub summary: String,
}

/// What an audit listing keeps (every field optional; all given must match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Entries at or after this instant (microseconds since the epoch).
    pub since_micros: Option<i64>,
    /// The kind of object changed (`rollout`, `package`, ...).
    pub object_type: Option<String>,
    /// The object changed (its id).
    pub object_id: Option<String>,
    /// Entries at or before this instant (microseconds since the epoch).
    pub until_micros: Option<i64>,
}
