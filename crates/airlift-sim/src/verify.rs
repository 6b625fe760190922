//! What a device checks before installing: the SHA-256 the server announced, then the
//! signature against one of the tenant's public keys (spec: signed over the SHA-256 digest).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use airlift_core::signing::{PublicKey, SignatureError, SigningAlgorithm};
use airlift_core::wire::SigningKey;
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
}

/// (digest, signature) pairs that verified.
type Verified = HashSet<([u8; 32], String)>;

/// The keys a device trusts. With no keys, signatures are not checked (the CLI warns).
///
/// A fleet shares one verifier. Every device hashes its own bytes; a (digest, signature) pair
/// that already verified is remembered, so 10,000 devices holding the same bytes do not
/// repeat the same public-key operation. Corrupted bytes have another digest and miss it.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    keys: Vec<PublicKey>,
    verified: Arc<Mutex<Verified>>,
}

impl Verifier {
    pub fn new(keys: Vec<PublicKey>) -> Self {
        Self {
            keys,
            verified: Arc::default(),
        }
    }

    /// The tenant's keys as listed by `GET /api/v1/signing-keys` (revoked ones included: a
    /// revocation stops new packages, it does not unsign the ones already published).
    pub fn from_listed(keys: &[SigningKey]) -> Result<Self, String> {
        keys.iter()
            .map(|k| {
                PublicKey::from_pem(k.algorithm, &k.public_key_pem)
                    .map_err(|e| format!("signing key {}: {}", k.key_id, e.message))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    /// A PEM SubjectPublicKeyInfo of either algorithm.
    pub fn parse_pem(pem: &str) -> Result<PublicKey, String> {
        SigningAlgorithm::ALL
            .into_iter()
            .find_map(|alg| PublicKey::from_pem(alg, pem).ok())
            .ok_or_else(|| "not a P-256 or Ed25519 PEM public key".to_owned())
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, Verified> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Checks `bytes` against the announced checksum and signature.
    pub fn check(
        &self,
        bytes: &[u8],
        checksum_hex: &str,
        signature: Option<&str>,
    ) -> Result<(), VerifyError> {
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        let actual = hex::encode(digest);
        if !actual.eq_ignore_ascii_case(checksum_hex.trim()) {
            return Err(VerifyError::Checksum {
                expected: checksum_hex.to_owned(),
                actual,
            });
        }
        if self.keys.is_empty() {
            return Ok(());
        }
        let sig = signature
            .filter(|s| !s.trim().is_empty())
            .ok_or(VerifyError::Unsigned)?;
        let memo = (digest, sig.trim().to_owned());
        if self.memo().contains(&memo) {
            return Ok(());
        }
        let ok = self
            .keys
            .iter()
            .any(|k| match k.verify_digest(&digest, sig) {
                Ok(()) => true,
                Err(SignatureError::Mismatch | SignatureError::Malformed(_)) => false,
                Err(SignatureError::NotBase64) => false,
            });
        if ok {
            self.memo().insert(memo);
            Ok(())
        } else {
            Err(VerifyError::Signature {
                keys: self.keys.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::DemoSigner;

    #[test]
    fn checksum_then_signature() {
        let signer = DemoSigner::from_seed([3; 32]);
        let data = b"firmware image".to_vec();
        let sha = hex::encode(Sha256::digest(&data));
        let sig = signer.sign(&data);
        let key = Verifier::parse_pem(&signer.public_key_pem().unwrap()).unwrap();
        let v = Verifier::new(vec![key]);
        assert_eq!(v.check(&data, &sha, Some(&sig)), Ok(()));
        assert_eq!(
            v.clone().check(&data, &sha, Some(&sig)),
            Ok(()),
            "remembered"
        );
        let mut bad = data.clone();
        bad[0] ^= 1;
        assert!(matches!(
            v.check(&bad, &sha, Some(&sig)),
            Err(VerifyError::Checksum { .. })
        ));
        assert_eq!(v.check(&data, &sha, None), Err(VerifyError::Unsigned));
        let other = DemoSigner::from_seed([4; 32]).sign(&data);
        assert_eq!(
            v.check(&data, &sha, Some(&other)),
            Err(VerifyError::Signature { keys: 1 })
        );
        // No keys: checksum only.
        assert_eq!(Verifier::default().check(&data, &sha, None), Ok(()));
    }
}
