//! An unlocked signing key: generate, import from PEM, sign an artifact digest, export SPKI.

use std::path::Path;

use airlift_core::signing::{PublicKey, SigningAlgorithm};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::hazmat::PrehashSigner as _;
use pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding};

use zeroize::Zeroizing;

use crate::cancel::CancelToken;
use crate::error::{DeskError, DeskErrorCode};
use crate::hashing::{sha256_file, FileDigest, Progress};

/// A private key in memory. Both inner types wipe their secret bytes when dropped.
pub struct SigningKey {
    inner: Inner,
}

enum Inner {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl std::fmt::Debug for SigningKey {
    // Never print key material, even in debug logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// A PEM block this module can read, as found in the text the person pasted or picked.
enum PemKey<'a> {
    /// `PRIVATE KEY`: unencrypted PKCS#8 (`openssl genpkey`, `openssl pkcs8 -topk8 -nocrypt`).
    Pkcs8(&'a str),
    /// `ENCRYPTED PRIVATE KEY`: PKCS#8 under a passphrase.
    EncryptedPkcs8(&'a str),
    /// `EC PRIVATE KEY`: SEC1, what `openssl ecparam -genkey` prints (after an `EC PARAMETERS`
    /// block, which we skip).
    Sec1(&'a str),
}

impl SigningKey {
    /// A new key from the operating system's random source.
    pub fn generate(algorithm: SigningAlgorithm) -> Result<Self, DeskError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        loop {
            getrandom::fill(seed.as_mut()).map_err(|err| {
                DeskError::internal(format!("the system random source failed: {err}"))
            })?;
            let inner = match algorithm {
                SigningAlgorithm::Ed25519 => {
                    Inner::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
                }
                // A 32-byte string is a valid P-256 scalar unless it is zero or >= the group
                // order (probability ~2^-32); draw again in that case.
                SigningAlgorithm::EcdsaP256Sha256 => {
                    match p256::ecdsa::SigningKey::from_slice(seed.as_ref()) {
                        Ok(key) => Inner::P256(key),
                        Err(_) => continue,
                    }
                }
            };
            return Ok(Self { inner });
        }
    }

    /// Reads a private key from PEM text: unencrypted or encrypted PKCS#8 (P-256 or Ed25519), or
    /// a SEC1 `EC PRIVATE KEY`. `passphrase` is only used for an encrypted key.
    pub fn from_pem(pem: &str, passphrase: Option<&str>) -> Result<Self, DeskError> {
        let unsupported = || {
            DeskError::invalid_argument(
                "the key must be a P-256 or Ed25519 private key in PEM (PKCS#8 \"PRIVATE KEY\", \
                 \"ENCRYPTED PRIVATE KEY\", or \"EC PRIVATE KEY\")",
            )
        };
        match find_pem_key(pem).ok_or_else(unsupported)? {
            PemKey::Pkcs8(block) => {
                let (_, doc) =
                    pkcs8::SecretDocument::from_pem(block).map_err(|_| bad_pem("PRIVATE KEY"))?;
                Self::from_pkcs8_der(doc.as_bytes()).ok_or_else(unsupported)
            }
            PemKey::EncryptedPkcs8(block) => {
                let passphrase = passphrase.ok_or_else(|| {
                    DeskError::new(
                        DeskErrorCode::WrongPassphrase,
                        "this key is encrypted; enter the passphrase it was exported with",
                    )
                })?;
                Self::from_encrypted_pkcs8_pem(block, passphrase)?.ok_or_else(unsupported)
            }
            PemKey::Sec1(block) => {
                let secret = p256::SecretKey::from_sec1_pem(block).map_err(|_| {
                    DeskError::invalid_argument(
                        "the EC PRIVATE KEY is not a P-256 key (only the P-256 curve is supported)",
                    )
                })?;
                Ok(Self {
                    inner: Inner::P256(secret.into()),
                })
            }
        }
    }

    /// Decrypts an `ENCRYPTED PRIVATE KEY` block. `Ok(None)`: it decrypted, but to a key type
    /// we do not support.
    pub(crate) fn from_encrypted_pkcs8_pem(
        block: &str,
        passphrase: &str,
    ) -> Result<Option<Self>, DeskError> {
        let (_, doc) =
            pkcs8::Document::from_pem(block).map_err(|_| bad_pem("ENCRYPTED PRIVATE KEY"))?;
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
            .map_err(|_| bad_pem("ENCRYPTED PRIVATE KEY"))?;
        // A wrong passphrase almost always fails the CBC padding check; the rare one that
        // passes it yields bytes that are not a PKCS#8 structure. Both mean "wrong passphrase".
        let wrong = || {
            DeskError::new(
                DeskErrorCode::WrongPassphrase,
                "the passphrase does not unlock this key; check it and try again",
            )
        };
        let plain = info.decrypt(passphrase).map_err(|_| wrong())?;
        pkcs8::PrivateKeyInfo::try_from(plain.as_bytes()).map_err(|_| wrong())?;
        Ok(Self::from_pkcs8_der(plain.as_bytes()))
    }

    fn from_pkcs8_der(der: &[u8]) -> Option<Self> {
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Some(Self {
                inner: Inner::P256(key),
            });
        }
        ed25519_dalek::SigningKey::from_pkcs8_der(der)
            .ok()
            .map(|key| Self {
                inner: Inner::Ed25519(key),
            })
    }

    /// Unencrypted PKCS#8 DER of the key, wiped from memory when dropped.
    pub(crate) fn to_pkcs8_der(&self) -> Result<pkcs8::SecretDocument, DeskError> {
        match &self.inner {
            Inner::P256(key) => key.to_pkcs8_der(),
            Inner::Ed25519(key) => key.to_pkcs8_der(),
        }
        .map_err(|err| DeskError::internal(format!("could not encode the private key: {err}")))
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        match self.inner {
            Inner::P256(_) => SigningAlgorithm::EcdsaP256Sha256,
            Inner::Ed25519(_) => SigningAlgorithm::Ed25519,
        }
    }

    /// The public half as a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), ready to
    /// register with the tenant (`POST /api/v1/signing-keys`).
    pub fn public_key_pem(&self) -> Result<String, DeskError> {
        match &self.inner {
            Inner::P256(key) => key.verifying_key().to_public_key_pem(LineEnding::LF),
            Inner::Ed25519(key) => key.verifying_key().to_public_key_pem(LineEnding::LF),
        }
        .map_err(|err| DeskError::internal(format!("could not encode the public key: {err}")))
    }

    /// The public key as the core verifier sees it (also gives its fingerprint).
    pub fn public_key(&self) -> Result<PublicKey, DeskError> {
        Ok(PublicKey::from_pem(
            self.algorithm(),
            &self.public_key_pem()?,
        )?)
    }

    /// Signs an artifact's SHA-256 digest; returns the spec's base64 `signature` field:
    /// ECDSA P-256 uses the digest as prehash (DER signature, as `openssl dgst -sha256 -sign`
    /// makes), Ed25519 signs the 32 digest bytes.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<String, DeskError> {
        let raw = match &self.inner {
            Inner::P256(key) => {
                let sig: p256::ecdsa::Signature = key
                    .sign_prehash(digest)
                    .map_err(|err| DeskError::internal(format!("ECDSA signing failed: {err}")))?;
                sig.to_der().as_bytes().to_vec()
            }
            Inner::Ed25519(key) => key.sign(digest).to_bytes().to_vec(),
        };
        Ok(STANDARD.encode(raw))
    }

    /// Hashes the artifact at `path` (see [`sha256_file`]) and signs its digest.
    pub fn sign_file(
        &self,
        path: &Path,
        cancel: &CancelToken,
        on_progress: impl FnMut(Progress),
    ) -> Result<(FileDigest, String), DeskError> {
        let digest = sha256_file(path, cancel, on_progress)?;
        let signature = self.sign_digest(&digest.sha256)?;
        Ok((digest, signature))
    }
}

fn bad_pem(label: &str) -> DeskError {
    DeskError::invalid_argument(format!(
        "the {label} block is damaged (not valid PEM/DER); export the key again"
    ))
}

/// Finds the first private key block in `text`, whatever surrounds it.
fn find_pem_key(text: &str) -> Option<PemKey<'_>> {
    const LABELS: [&str; 3] = ["ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"];
    let mut best: Option<(usize, &str)> = None;
    for label in LABELS {
        let begin = format!("-----BEGIN {label}-----");
        if let Some(at) = text.find(&begin) {
            // "-----BEGIN PRIVATE KEY-----" cannot match inside the longer labels' lines (the
            // word after BEGIN differs), so the earliest match is the first key block.
            if best.is_none_or(|(b, _)| at < b) {
                best = Some((at, label));
            }
        }
    }
    let (start, label) = best?;
    let end_marker = format!("-----END {label}-----");
    let end = text[start..].find(&end_marker)? + start + end_marker.len();
    let block = &text[start..end];
    Some(match label {
        "ENCRYPTED PRIVATE KEY" => PemKey::EncryptedPkcs8(block),
        "EC PRIVATE KEY" => PemKey::Sec1(block),
        _ => PemKey::Pkcs8(block),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_block_among_other_blocks() {
        let text = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n\
                    -----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(
            matches!(find_pem_key(text), Some(PemKey::Sec1(b)) if b.starts_with("-----BEGIN EC PRIVATE KEY-----") && b.ends_with("-----END EC PRIVATE KEY-----"))
        );
        let text = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA\n-----END ENCRYPTED PRIVATE KEY-----";
        assert!(matches!(
            find_pem_key(text),
            Some(PemKey::EncryptedPkcs8(_))
        ));
        let text = "junk\n-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n";
        assert!(
            matches!(find_pem_key(text), Some(PemKey::Pkcs8(b)) if b.starts_with("-----BEGIN PRIVATE KEY"))
        );
        assert!(find_pem_key("-----BEGIN PUBLIC KEY-----\nAA\n-----END PUBLIC KEY-----").is_none());
    }

    #[test]
    fn generated_keys_sign_digests_the_core_verifier_accepts() {
        for algorithm in SigningAlgorithm::ALL {
            let key = SigningKey::generate(algorithm).expect("generate");
            assert_eq!(key.algorithm(), algorithm);
            let digest = [42u8; 32];
            let sig = key.sign_digest(&digest).expect("sign");
            let public = key.public_key().expect("public");
            assert_eq!(public.verify_digest(&digest, &sig), Ok(()));
            assert!(public.verify_digest(&[43u8; 32], &sig).is_err());
            assert!(!format!("{key:?}").contains("inner"));
        }
    }
}
