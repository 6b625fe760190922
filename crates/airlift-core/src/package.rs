//! Package metadata (seed 000): type, semantic version, SHA-256, size and compatibility.
//!
//! Everything here validates text that came from outside (an operator's JSON, a device's report)
//! and turns it into types that cannot hold a bad value, so the rest of the system never
//! re-checks. Errors are `INVALID_ARGUMENT` and name the field and the offending value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Longest slice of a bad value quoted back in an error message, so a megabyte of garbage in a
/// request does not become a megabyte of log line.
const MAX_QUOTED_CHARS: usize = 80;

/// Quote a user-supplied value for an error message (Debug-escaped, truncated).
pub(crate) fn quoted(value: &str) -> String {
    if value.chars().count() <= MAX_QUOTED_CHARS {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(MAX_QUOTED_CHARS).collect();
        format!("{head:?}… ({} characters)", value.chars().count())
    }
}

/// Firmware or software: seed 000's `type` field. Devices may handle the two differently
/// (a firmware image usually means a reboot), so the type travels with the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageType {
    Fw,
    Sw,
}

impl PackageType {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageType::Fw => "fw",
            PackageType::Sw => "sw",
        }
    }
}

impl fmt::Display for PackageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PackageType {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fw" => Ok(PackageType::Fw),
            "sw" => Ok(PackageType::Sw),
            other => Err(ApiError::invalid_argument(format!(
                "type must be \"fw\" (firmware) or \"sw\" (software), got {}",
                quoted(other)
            ))),
        }
    }
}

/// A SHA-256 digest as 64 lowercase hex characters.
///
/// Uppercase input is accepted and normalized, because tools disagree on case and the digest is
/// the same; storing one spelling means comparisons are plain string equality.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Parse a declared checksum. Field name in errors is `sha256` (seed 000's name).
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        Self::parse_field("sha256", s)
    }

    /// Like [`Sha256Hex::parse`], naming another field in the error (e.g. `checksum`).
    pub fn parse_field(field: &str, s: &str) -> Result<Self, ApiError> {
        let len = s.chars().count();
        if len != 64 {
            return Err(ApiError::invalid_argument(format!(
                "{field} must be 64 hexadecimal characters (a SHA-256 digest), got {len} characters: {}",
                quoted(s)
            )));
        }
        if let Some((pos, bad)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_hexdigit()) {
            return Err(ApiError::invalid_argument(format!(
                "{field} must be hexadecimal (0-9, a-f), found {bad:?} at position {pos} in {}",
                quoted(s)
            )));
        }
        Ok(Sha256Hex(s.to_ascii_lowercase()))
    }

    /// The hex form of a digest the caller computed itself (cannot fail).
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        Sha256Hex(hex::encode(digest))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 32 raw bytes, e.g. for signature verification over the digest.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        // The constructor guarantees 64 hex characters, so decoding cannot fail; if it somehow
        // did, an all-zero digest would never match a real artifact, which fails safe.
        let _ = hex::decode_to_slice(&self.0, &mut out);
        out
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Sha256Hex {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sha256Hex::parse(s)
    }
}

impl TryFrom<String> for Sha256Hex {
    type Error = ApiError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Sha256Hex::parse(&s)
    }
}

impl From<Sha256Hex> for String {
    fn from(h: Sha256Hex) -> String {
        h.0
    }
}

/// Parse a semantic version (`2.0.0`, `1.2.3-rc.1`), naming `field` in the error.
///
/// Strict semver on purpose: eligibility compares versions, and a lenient parse ("v2", "2.0")
/// would silently order versions differently from what the operator meant.
pub fn parse_version(field: &str, value: &str) -> Result<semver::Version, ApiError> {
    semver::Version::parse(value).map_err(|e| {
        ApiError::invalid_argument(format!(
            "{field} must be a semantic version like 2.0.0, got {}: {e}",
            quoted(value)
        ))
    })
}

/// Upper bound for `size_bytes`: large enough for any firmware or software image we expect,
/// small enough that a typo (an extra few digits) is caught before storage is reserved.
pub const MAX_ARTIFACT_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// `size_bytes` must be positive (an empty artifact cannot be an update) and at most
/// [`MAX_ARTIFACT_BYTES`].
pub fn validate_size(size_bytes: u64) -> Result<(), ApiError> {
    if size_bytes == 0 {
        return Err(ApiError::invalid_argument(
            "size_bytes must be greater than 0, got 0 (an empty artifact cannot be an update)",
        ));
    }
    if size_bytes > MAX_ARTIFACT_BYTES {
        return Err(ApiError::invalid_argument(format!(
            "size_bytes must be at most {MAX_ARTIFACT_BYTES} (8 GiB), got {size_bytes}"
        )));
    }
    Ok(())
}

/// Longest accepted device type name.
pub const MAX_DEVICE_TYPE_LEN: usize = 64;

/// A device type is 1..=64 characters of `[A-Za-z0-9._-]`: it is compared verbatim against what
/// devices declare and appears in URLs and event subjects, so no spaces or separators.
pub fn validate_device_type(s: &str) -> Result<(), ApiError> {
    validate_device_type_field("device_type", s)
}

/// [`validate_device_type`] naming another field (e.g. `compatibility.device_type`).
pub fn validate_device_type_field(field: &str, s: &str) -> Result<(), ApiError> {
    if s.is_empty() {
        return Err(ApiError::invalid_argument(format!(
            "{field} must not be empty"
        )));
    }
    let len = s.chars().count();
    if len > MAX_DEVICE_TYPE_LEN {
        return Err(ApiError::invalid_argument(format!(
            "{field} must be at most {MAX_DEVICE_TYPE_LEN} characters, got {len}: {}",
            quoted(s)
        )));
    }
    if let Some(bad) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(ApiError::invalid_argument(format!(
            "{field} may only contain letters, digits, '.', '_' and '-', found {bad:?} in {}",
            quoted(s)
        )));
    }
    Ok(())
}

/// Which devices a package may target (seed 000's `compatibility`): one device type, and a
/// minimum current version below which the update is not offered.
///
/// Both fields are required. Deserializing validates them, with the same messages as
/// [`Compatibility::new`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawCompatibility")]
pub struct Compatibility {
    pub device_type: String,
    pub min_version: semver::Version,
}

impl Compatibility {
    /// Validate and build; errors name `compatibility.device_type` / `compatibility.min_version`.
    pub fn new(device_type: &str, min_version: &str) -> Result<Self, ApiError> {
        validate_device_type_field("compatibility.device_type", device_type)?;
        let min_version = parse_version("compatibility.min_version", min_version)?;
        Ok(Compatibility {
            device_type: device_type.to_owned(),
            min_version,
        })
    }
}

/// The wire shape before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompatibility {
    device_type: String,
    min_version: String,
}

impl TryFrom<RawCompatibility> for Compatibility {
    type Error = ApiError;

    fn try_from(raw: RawCompatibility) -> Result<Self, Self::Error> {
        Compatibility::new(&raw.device_type, &raw.min_version)
    }
}

/// The validated, verifiable part of a package's metadata (seed 000's table minus the fields
/// that are free text or checked elsewhere: `artifact_uri`, `signature`, `release_notes`).
///
/// `min_version` may be above `version` on purpose: a rollback package is an older build offered
/// to devices that are on a newer one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageMetadata {
    #[serde(rename = "type")]
    pub package_type: PackageType,
    pub version: semver::Version,
    pub sha256: Sha256Hex,
    pub size_bytes: u64,
    pub compatibility: Compatibility,
}

impl PackageMetadata {
    /// Validate raw request fields, in the order the seed lists them; the first bad field wins.
    pub fn parse(
        package_type: &str,
        version: &str,
        sha256: &str,
        size_bytes: u64,
        device_type: &str,
        min_version: &str,
    ) -> Result<Self, ApiError> {
        let package_type = package_type.parse()?;
        let version = parse_version("version", version)?;
        let sha256 = Sha256Hex::parse(sha256)?;
        validate_size(size_bytes)?;
        let compatibility = Compatibility::new(device_type, min_version)?;
        Ok(PackageMetadata {
            package_type,
            version,
            sha256,
            size_bytes,
            compatibility,
        })
    }
}
