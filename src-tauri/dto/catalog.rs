//! The package catalog.

use airlift_core::payload::PayloadType;
use airlift_desk::cache::rows::{PackageRow, RolloutRow};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PackageKind {
    Fw,
    Sw,
}

impl From<airlift_core::package::PackageType> for PackageKind {
    fn from(t: airlift_core::package::PackageType) -> Self {
        match t {
            airlift_core::package::PackageType::Fw => PackageKind::Fw,
            airlift_core::package::PackageType::Sw => PackageKind::Sw,
        }
    }
}

impl From<PackageKind> for airlift_core::package::PackageType {
    fn from(k: PackageKind) -> Self {
        match k {
            PackageKind::Fw => airlift_core::package::PackageType::Fw,
            PackageKind::Sw => airlift_core::package::PackageType::Sw,
        }
    }
}

/// Seed 002's package types, as `airlift_core::payload::PayloadType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayloadKind {
    File,
    Json,
    UrlList,
}

impl From<PayloadType> for PayloadKind {
    fn from(t: PayloadType) -> Self {
        match t {
            PayloadType::File => PayloadKind::File,
            PayloadType::Json => PayloadKind::Json,
            PayloadType::UrlList => PayloadKind::UrlList,
        }
    }
}

/// A package as the catalog lists it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PackageSummary {
    pub id: String,
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub package_type: PackageKind,
    pub version: String,
    pub device_type: String,
    pub min_version: Option<String>,
    pub size_bytes: u64,
    pub sha256: String,
    /// "verified" (signature checked with a tenant key), "signed" or "unsigned".
    pub signature_status: String,
    /// RFC 3339, the server's clock.
    pub created_at: String,
    pub release_notes: Option<String>,
    /// The server stores the package's bytes encrypted (made from an encrypted image).
    pub stored_encrypted: bool,
    /// Seed 002's package type.
    pub payload_type: PayloadKind,
    /// Where the server keeps the package's bytes (its object key, e.g.
    /// `firmware/{tenant}/{version}/{sha256}.bin`); `None` until the catalog is synced again.
    pub storage_key: Option<String>,
}

impl From<PackageRow> for PackageSummary {
    fn from(p: PackageRow) -> Self {
        PackageSummary {
            id: p.id,
            package_type: p.package_type.into(),
            version: p.version,
            device_type: p.device_type,
            min_version: p.min_version,
            size_bytes: p.size_bytes,
            sha256: p.sha256,
            signature_status: p.signature_status,
            created_at: p.created_at,
            release_notes: p.release_notes,
            stored_encrypted: p.stored_encrypted,
            payload_type: p.payload_type.into(),
            storage_key: p.storage_key,
        }
    }
}

/// The catalog with how old it is.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Catalog {
    /// The connection this came from (`None`: no connection yet, empty list).
    pub connection: Option<String>,
    pub packages: Vec<PackageSummary>,
    /// `true` when the server answered just now; `false` for the cached copy.
    pub fresh: bool,
    /// When the cached copy was last synced (Unix ms; `None`: never).
    pub synced_at_ms: Option<i64>,
    /// Why the server could not be used, when it was tried and failed.
    pub offline_reason: Option<String>,
}

/// A rollout that shipped a package.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RolloutSummary {
    pub id: String,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RolloutRow> for RolloutSummary {
    fn from(r: RolloutRow) -> Self {
        RolloutSummary {
            id: r.id,
            status: r.status.as_str().to_owned(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One package with the rollouts that used it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PackageDetail {
    pub package: PackageSummary,
    pub rollouts: Vec<RolloutSummary>,
}
