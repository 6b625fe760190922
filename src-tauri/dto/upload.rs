//! The upload wizard: hashing, signing keys, the upload itself and its outcome.

use std::path::PathBuf;

use airlift_desk::ops::upload::{file_name, BuildRequest, PendingBuild, UploadStage};
use airlift_desk::signing::StoredKey;
use airlift_desk::upload::{PackageSpec, UploadProgress};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::catalog::{PackageKind, PackageSummary};

/// A chosen file and its SHA-256, as measured by the desk.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HashedFile {
    pub path: String,
    pub file_name: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// How many firmware images the tenant holds, and the most it may (`--max-images`): an
/// upload adds one, and a full quota refuses it.
#[derive(Debug, Clone, Copy, Serialize, TS)]
pub struct ImageQuotaInfo {
    pub used: u64,
    pub max: u64,
}

impl From<airlift_core::wire::ImageQuota> for ImageQuotaInfo {
    fn from(q: airlift_core::wire::ImageQuota) -> Self {
        ImageQuotaInfo {
            used: q.used,
            max: q.max,
        }
    }
}

/// Hashing progress, in bytes.
#[derive(Debug, Clone, Copy, Serialize, TS)]
pub struct HashProgress {
    pub done: u64,
    pub total: u64,
}

/// A signing key in this computer's key store (the private half stays encrypted there).
#[derive(Debug, Clone, Serialize, TS)]
pub struct SigningKeyInfo {
    pub key_id: String,
    pub name: String,
    pub algorithm: String,
    pub fingerprint: String,
    /// The local demo fleet's key: the app knows its passphrase, so none is asked for.
    pub demo: bool,
}

impl From<StoredKey> for SigningKeyInfo {
    fn from(k: StoredKey) -> Self {
        SigningKeyInfo {
            key_id: k.key_id,
            name: k.name,
            algorithm: k.algorithm.as_str().to_owned(),
            fingerprint: k.fingerprint,
            demo: false,
        }
    }
}

/// What the wizard collected. Saved (without the passphrase) while the upload runs, so an
/// upload interrupted by closing the app can be resumed on the next launch.
#[derive(Clone, Serialize, Deserialize, TS)]
pub struct UploadRequest {
    pub path: String,
    /// The SHA-256 the person saw after hashing; the server must find exactly this.
    pub sha256: String,
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub package_type: PackageKind,
    pub version: String,
    pub device_type: String,
    pub min_version: String,
    pub release_notes: String,
    /// The key to sign with (`None`: unsigned).
    pub key_id: Option<String>,
    /// Unlocks `key_id` (not needed for the demo key); never saved.
    #[serde(default, skip_serializing)]
    #[ts(optional)]
    pub passphrase: Option<String>,
}

impl UploadRequest {
    /// The desk's request (the image named after the file, as every app upload is) and the
    /// package it becomes.
    pub fn build(&self) -> (BuildRequest, PackageSpec) {
        let path = PathBuf::from(&self.path);
        let spec = PackageSpec {
            package_type: self.package_type.into(),
            version: self.version.trim().to_owned(),
            device_type: self.device_type.trim().to_owned(),
            min_version: self.min_version.trim().to_owned(),
            release_notes: self.release_notes.clone(),
        };
        let mut build = BuildRequest::new(&path, &file_name(&path), Some(spec.clone()));
        build.confirmed_sha256 = Some(self.sha256.clone());
        build.key_id = self.key_id.clone();
        (build, spec)
    }
}

/// Upload progress: bytes the server holds, rate and time left.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TransferProgress {
    pub total_bytes: u64,
    pub done_bytes: u64,
    pub parts_total: u32,
    pub parts_done: u32,
    pub bytes_per_sec: f64,
    pub eta_secs: Option<u64>,
}

impl From<&UploadProgress> for TransferProgress {
    fn from(p: &UploadProgress) -> Self {
        TransferProgress {
            total_bytes: p.total_bytes,
            done_bytes: p.done_bytes,
            parts_total: p.parts_total,
            parts_done: p.parts_done,
            bytes_per_sec: p.bytes_per_sec,
            eta_secs: p.eta_secs,
        }
    }
}

/// What an upload reports while it runs.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum UploadEvent {
    /// Sending parts.
    Transfer(TransferProgress),
    /// All bytes are on the server; it is assembling and hashing them.
    Verifying,
    /// The image matched; the package is being created (and its signature checked).
    Publishing,
}

impl From<UploadStage> for UploadEvent {
    fn from(stage: UploadStage) -> Self {
        match stage {
            UploadStage::Transfer(p) => UploadEvent::Transfer(TransferProgress::from(&p)),
            UploadStage::Verifying => UploadEvent::Verifying,
            UploadStage::Publishing => UploadEvent::Publishing,
        }
    }
}

/// A finished upload: the package and what the server verified.
#[derive(Debug, Clone, Serialize, TS)]
pub struct UploadOutcome {
    pub package: PackageSummary,
    pub checksum_verified: bool,
    /// The tenant key the signature verified with (`None`: unsigned).
    pub signature_verified_with: Option<String>,
    /// Whether an interrupted upload of this file was continued.
    pub resumed: bool,
}

/// An upload that was interrupted (app closed, paused) and can be resumed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PendingUpload {
    pub file_name: String,
    pub request: UploadRequest,
    pub size_bytes: u64,
    /// Parts the server already acknowledged, in bytes (approximate).
    pub done_bytes: u64,
}

impl PendingUpload {
    /// The wizard's view of an unfinished upload; `None` for one the wizard cannot finish (an
    /// image-only upload, or one whose digest nobody confirmed, as airlift-cli's).
    pub fn from_build(pending: PendingBuild) -> Option<PendingUpload> {
        let b = pending.request;
        let spec = b.package?;
        Some(PendingUpload {
            file_name: file_name(&b.path),
            request: UploadRequest {
                path: b.path.display().to_string(),
                sha256: b.confirmed_sha256?,
                package_type: spec.package_type.into(),
                version: spec.version,
                device_type: spec.device_type,
                min_version: spec.min_version,
                release_notes: spec.release_notes,
                key_id: b.key_id,
                passphrase: None,
            },
            size_bytes: pending.size_bytes,
            done_bytes: pending.done_bytes,
        })
    }
}

impl std::fmt::Debug for UploadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadRequest")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("key_id", &self.key_id)
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}
