//! What a device checks before installing: the SHA-256 the server announced, then the
//! signature against one of the keys it trusts (spec: signed over the SHA-256 digest, so a
//! device hashes its download once, streaming, and verifies the 32-byte digest).

use airlift_core::signing::{PublicKey, SigningAlgorithm};
use sha2::{Digest as _, Sha256};

/// Why a downloaded artifact is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("SHA-256 mismatch: expected {expected}, got {actual}")]
    Checksum { expected: String, actual: String },
    #[error("package is not signed and this device requires signatures")]
    Unsigned,
    #[error("signature does not verify with any of the tenant's {keys} key(s)")]
    Signature { keys: usize },
    /// The signature matched no known key and the tenant's keys could not be fetched again
    /// (a device that learns keys from the server: the simulator).
    #[error("signature does not verify with any of the tenant's {keys} known key(s), and fetching the tenant's keys again failed: {reason}")]
    KeysUnavailable { keys: usize, reason: String },
}

impl VerifyError {
    /// A stable code for logs and state files.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Checksum { .. } => "CHECKSUM_MISMATCH",
            VerifyError::Unsigned => "UNSIGNED",
            VerifyError::Signature { .. } => "BAD_SIGNATURE",
            VerifyError::KeysUnavailable { .. } => "KEYS_UNAVAILABLE",
        }
    }
}

/// A PEM SubjectPublicKeyInfo of either algorithm.
pub fn parse_pem(pem: &str) -> Result<PublicKey, String> {
    SigningAlgorithm::ALL
        .into_iter()
        .find_map(|alg| PublicKey::from_pem(alg, pem).ok())
        .ok_or_else(|| "not a P-256 or Ed25519 PEM public key".to_owned())
}

/// `digest` if it is the announced SHA-256 (hex, any case).
pub fn expect_digest(digest: [u8; 32], checksum_hex: &str) -> Result<[u8; 32], VerifyError> {
    let actual = hex::encode(digest);
    if actual.eq_ignore_ascii_case(checksum_hex.trim()) {
        Ok(digest)
    } else {
        Err(VerifyError::Checksum {
            expected: checksum_hex.to_owned(),
            actual,
        })
    }
}

/// The SHA-256 of `bytes` if it is the announced one.
pub fn checked_digest(bytes: &[u8], checksum_hex: &str) -> Result<[u8; 32], VerifyError> {
    expect_digest(Sha256::digest(bytes).into(), checksum_hex)
}

/// Checks `signature` over `digest` against `keys`. With no keys, nothing is checked: whether
/// that is allowed is the caller's decision (the agent refuses to start without keys unless
/// told otherwise; the simulator warns).
pub fn verify_signature(
    keys: &[PublicKey],
    digest: &[u8; 32],
    signature: Option<&str>,
) -> Result<(), VerifyError> {
    if keys.is_empty() {
        return Ok(());
    }
    let sig = signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(VerifyError::Unsigned)?;
    // Any failure (mismatch, malformed, not base64) with one key just means "not this key".
    if keys.iter().any(|k| k.verify_digest(digest, sig).is_ok()) {
        Ok(())
    } else {
        Err(VerifyError::Signature { keys: keys.len() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_compared_case_insensitively_and_named_when_wrong() {
        let d: [u8; 32] = Sha256::digest(b"x").into();
        let hex_upper = hex::encode(d).to_uppercase();
        assert_eq!(expect_digest(d, &hex_upper), Ok(d));
        let e = checked_digest(b"y", &hex_upper).unwrap_err();
        assert_eq!(e.code(), "CHECKSUM_MISMATCH");
    }

    #[test]
    fn no_keys_checks_nothing_and_junk_is_not_a_key() {
        assert_eq!(verify_signature(&[], &[0; 32], None), Ok(()));
        assert!(parse_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").is_err());
    }
}
