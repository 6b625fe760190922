use serde::{Deserialize, Serialize};

use crate::package::PackageType;

/// `POST /api/v1/ota/packages` (seed 000's fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePackage {
    #[serde(rename = "type")]
    pub package_type: PackageType,
    /// Semantic version, checked with `package::parse_version`.
    pub version: String,
    /// An image's `datafile` (`airlift://images/{id}`) or an http(s) URL on an allowed host.
    pub artifact_uri: String,
    /// Declared SHA-256 (hex) of the artifact; the server recomputes it before accepting.
    pub sha256: String,
    /// Base64 signature over the artifact's SHA-256 (see `signing`); required when the tenant
    /// requires signatures, and checked whenever present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    pub size_bytes: u64,
    pub compatibility: CompatibilitySpec,
    #[serde(default)]
    pub release_notes: String,
}

/// The request form of `package::Compatibility`: strings, so the server can say which field
/// is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompatibilitySpec {
    pub device_type: String,
    pub min_version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageStatus {
    /// Verified (checksum, size and, when present, signature) and usable by rollouts. A package
    /// is never visible in any other state: verification happens before it exists.
    Available,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub package_id: String,
    #[serde(rename = "type")]
    pub package_type: PackageType,
    pub version: String,
    pub artifact_uri: String,
    pub sha256: String,
    pub signature: Option<String>,
    /// The tenant key the signature verified with, if any.
    pub signing_key_id: Option<String>,
    pub size_bytes: u64,
    pub compatibility: CompatibilitySpec,
    pub release_notes: String,
    pub status: PackageStatus,
    pub checksum_verified: bool,
    pub created_at: String,
}
