//! Package signature verification (pure: no I/O, no clock).
//!
//! A package's `signature` is checked against the artifact's SHA-256 digest, never against the
//! artifact bytes themselves, so a verifier streams the artifact once (to hash it) and then
//! verifies in constant memory. The two algorithms differ in what exactly is signed:
//!
//! * `ecdsa-p256-sha256`: the base64 of a DER ECDSA signature over the artifact with SHA-256,
//!   i.e. what `openssl dgst -sha256 -sign key.pem artifact.bin | base64 -w0` prints. The digest
//!   is the ECDSA prehash, so we verify with [`PrehashVerifier`].
//! * `ed25519`: the base64 of a (pure) Ed25519 signature over the 32 raw digest bytes. Ed25519
//!   hashes its message internally, so signing the digest keeps the artifact out of memory.
//!
//! Public keys are PEM-encoded SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), the format
//! `openssl pkey -pubout` writes for both key types.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::pkcs8::DecodePublicKey as _;
use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use p256::pkcs8::EncodePublicKey as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;

/// A signature algorithm a tenant's signing key can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    #[serde(rename = "ecdsa-p256-sha256")]
    EcdsaP256Sha256,
    #[serde(rename = "ed25519")]
    Ed25519,
}

impl SigningAlgorithm {
    pub const ALL: [SigningAlgorithm; 2] = [Self::EcdsaP256Sha256, Self::Ed25519];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Self::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                ApiError::invalid_argument(format!(
                    "algorithm must be \"ecdsa-p256-sha256\" or \"ed25519\", got {s:?}"
                ))
            })
    }
}

/// A parsed public key of one of the supported algorithms.
#[derive(Clone)]
pub struct PublicKey {
    inner: KeyInner,
    spki_der: Vec<u8>,
}

#[derive(Clone)]
enum KeyInner {
    P256(p256::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

/// Why a signature was not accepted. Kept apart from [`ApiError`] so callers that try several
/// keys can tell "malformed" (no key will ever accept it) from "does not match this key".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature is not valid base64")]
    NotBase64,
    #[error("signature is not a well-formed {0} signature")]
    Malformed(SigningAlgorithm),
    #[error("signature does not verify")]
    Mismatch,
}

impl PublicKey {
    /// Parses a PEM SubjectPublicKeyInfo for `algorithm`; a key of the other type is refused,
    /// so a key registered as Ed25519 can never be used as a P-256 key or the reverse.
    pub fn from_pem(algorithm: SigningAlgorithm, pem: &str) -> Result<Self, ApiError> {
        let bad = |what: &str| {
            ApiError::invalid_argument(format!(
                "public_key_pem is not a PEM SubjectPublicKeyInfo ({what}) for {algorithm}"
            ))
        };
        let pem = pem.trim();
        match algorithm {
            SigningAlgorithm::EcdsaP256Sha256 => {
                let key = p256::ecdsa::VerifyingKey::from_public_key_pem(pem)
                    .map_err(|_| bad("expected a P-256 public key"))?;
                let spki_der = key
                    .to_public_key_der()
                    .map_err(|_| bad("cannot re-encode"))?
                    .into_vec();
                Ok(Self {
                    inner: KeyInner::P256(key),
                    spki_der,
                })
            }
            SigningAlgorithm::Ed25519 => {
                let key = ed25519_dalek::VerifyingKey::from_public_key_pem(pem)
                    .map_err(|_| bad("expected an Ed25519 public key"))?;
                let spki_der = ed25519_dalek::pkcs8::EncodePublicKey::to_public_key_der(&key)
                    .map_err(|_| bad("cannot re-encode"))?
                    .into_vec();
                Ok(Self {
                    inner: KeyInner::Ed25519(key),
                    spki_der,
                })
            }
        }
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        match self.inner {
            KeyInner::P256(_) => SigningAlgorithm::EcdsaP256Sha256,
            KeyInner::Ed25519(_) => SigningAlgorithm::Ed25519,
        }
    }

    /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo: a stable identity for the key
    /// material, independent of PEM line wrapping or whitespace.
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(&self.spki_der))
    }

    /// Verifies `signature_b64` (standard base64, surrounding whitespace ignored) against the
    /// artifact's SHA-256 `digest`, as described in the module docs.
    pub fn verify_digest(
        &self,
        digest: &[u8; 32],
        signature_b64: &str,
    ) -> Result<(), SignatureError> {
        let raw = STANDARD
            .decode(signature_b64.trim())
            .map_err(|_| SignatureError::NotBase64)?;
        match &self.inner {
            KeyInner::P256(key) => {
                let sig = p256::ecdsa::Signature::from_der(&raw)
                    .map_err(|_| SignatureError::Malformed(self.algorithm()))?;
                // OpenSSL does not normalize S; ECDSA verification accepts both forms, and so
                // do we (verify_prehash does not enforce low-S).
                key.verify_prehash(digest, &sig)
                    .map_err(|_| SignatureError::Mismatch)
            }
            KeyInner::Ed25519(key) => {
                let bytes: [u8; 64] = raw
                    .as_slice()
                    .try_into()
                    .map_err(|_| SignatureError::Malformed(self.algorithm()))?;
                let sig = ed25519_dalek::Signature::from_bytes(&bytes);
                // verify_strict rejects small-order keys and non-canonical encodings, which a
                // legitimate signer never produces.
                key.verify_strict(digest, &sig)
                    .map_err(|_| SignatureError::Mismatch)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer as _;
    use p256::ecdsa::signature::hazmat::PrehashSigner as _;
    use p256::pkcs8::LineEnding;

    fn digest(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    #[test]
    fn ecdsa_prehash_signature_verifies() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let pem = sk
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let key = PublicKey::from_pem(SigningAlgorithm::EcdsaP256Sha256, &pem).unwrap();
        let d = digest(b"firmware");
        let sig: p256::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
        let b64 = STANDARD.encode(sig.to_der().as_bytes());
        assert_eq!(key.verify_digest(&d, &b64), Ok(()));
        assert_eq!(
            key.verify_digest(&digest(b"other"), &b64),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(key.verify_digest(&d, "!!"), Err(SignatureError::NotBase64));
        assert_eq!(
            key.verify_digest(&d, "AAAA"),
            Err(SignatureError::Malformed(SigningAlgorithm::EcdsaP256Sha256))
        );
    }

    #[test]
    fn ed25519_signature_over_digest_verifies() {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let pem = sk
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let key = PublicKey::from_pem(SigningAlgorithm::Ed25519, &pem).unwrap();
        let d = digest(b"firmware");
        let b64 = STANDARD.encode(sk.sign(&d).to_bytes());
        assert_eq!(key.verify_digest(&d, &b64), Ok(()));
        assert_eq!(
            key.verify_digest(&digest(b"x"), &b64),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(key.fingerprint().len(), 64);
    }

    #[test]
    fn key_of_the_other_algorithm_is_refused() {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let pem = sk
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        assert!(PublicKey::from_pem(SigningAlgorithm::EcdsaP256Sha256, &pem).is_err());
        assert!(PublicKey::from_pem(SigningAlgorithm::Ed25519, "not a key").is_err());
        assert!("rsa".parse::<SigningAlgorithm>().is_err());
        assert_eq!(
            "ed25519".parse::<SigningAlgorithm>().unwrap(),
            SigningAlgorithm::Ed25519
        );
    }
}
