use serde::{Deserialize, Serialize};

use crate::package::PackageType;
use crate::payload::PayloadType;

/// `POST /api/v1/ota/packages` (seed 000's fields, and seed 002's payload types).
///
/// A `FILE` package (the default) names its artifact (`artifact_uri`, `sha256`, `size_bytes`,
/// all required) and has no `payload`; a `JSON` or `URL_LIST` package has a `payload` (see
/// `payload::parse_inline`) and none of the artifact fields: its `sha256` and size are those
/// of the payload's canonical JSON, computed by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePackage {
    #[serde(rename = "type")]
    pub package_type: PackageType,
    /// Semantic version, checked with `package::parse_version`.
    pub version: String,
    #[serde(default, skip_serializing_if = "PayloadType::is_file")]
    pub payload_type: PayloadType,
    /// An image's `datafile` (`airlift://images/{id}`) or an http(s) URL on an allowed host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_uri: Option<String>,
    /// Declared SHA-256 (hex) of the artifact; the server recomputes it before accepting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Base64 signature over the artifact's SHA-256, or over the SHA-256 of a JSON / URL_LIST
    /// payload's canonical JSON (see `signing`); required when the tenant requires signatures,
    /// and checked whenever present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// A JSON package's object, or a URL_LIST package's `[{"url", "sha256", "size_bytes"}]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
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
    /// Seed 002's package type (`FILE` for every package made before payload types existed).
    #[serde(default)]
    pub payload_type: PayloadType,
    /// A JSON package's object, or a URL_LIST package's list as verified (each entry's source
    /// `url`, `sha256`, `size_bytes`); absent for a FILE package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
    /// Empty for JSON and URL_LIST packages (their content is `payload`).
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
    /// Incremental-sync cursor (packages never change, so this orders creations).
    #[serde(default)]
    pub change_seq: u64,
    /// Made from an image uploaded with `datafile_encryption`: the server stores its bytes
    /// encrypted and devices decrypt them (`size_bytes` and `sha256` are the plain bytes').
    #[serde(default)]
    pub datafile_encryption: bool,
    /// Where the server keeps the package's bytes: their object key in its storage
    /// (`firmware/{tenant_id}/{version}/{sha256}.bin`, seed 001), under the S3 bucket and
    /// prefix or the data directory. Always sent; `None` only from an older server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_000_request_parses_and_unknown_fields_are_refused() {
        let seed = r#"{ "type": "fw", "version": "2.0.0",
            "artifact_uri": "s3://ota-artifacts/temp-sensor/fw-2.0.0.bin",
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "signature": "MEUCIQD...", "size_bytes": 524288,
            "compatibility": { "device_type": "temp-sensor", "min_version": "1.0.0" },
            "release_notes": "Fix sensor drift above 60C; reduce idle current." }"#;
        let req: CreatePackage = serde_json::from_str(seed).unwrap();
        assert_eq!(req.package_type, PackageType::Fw);
        assert_eq!(req.size_bytes, Some(524288));
        assert_eq!(req.payload_type, PayloadType::File, "FILE is the default");

        let extra = seed.replacen("\"type\"", "\"colour\": 1, \"type\"", 1);
        assert!(serde_json::from_str::<CreatePackage>(&extra).is_err());
        let nested = seed.replacen("\"min_version\"", "\"hw\": 1, \"min_version\"", 1);
        assert!(serde_json::from_str::<CreatePackage>(&nested).is_err());
    }
}
