//! Package signing keys: create or import, keep encrypted at rest, sign artifact digests.
//!
//! Formats follow the spec's "Signing keys" section, so a signature made here is accepted by
//! `airliftd` and by devices, and one made with OpenSSL verifies here:
//!
//! * `ecdsa-p256-sha256`: base64 DER ECDSA signature with the artifact's SHA-256 as prehash,
//!   byte-for-byte what `openssl dgst -sha256 -sign key.pem artifact.bin | base64 -w0` yields;
//! * `ed25519`: base64 Ed25519 signature over the 32 raw bytes of the artifact's SHA-256.
//!
//! Private keys never leave the machine: [`KeyStore`] keeps them as passphrase-encrypted PKCS#8
//! and only the SPKI public key is ever sent to the server ([`register`]). The app and
//! `airlift-cli` share one key folder, [`default_keys_dir`].

mod folder;
mod key;
mod keystore;
mod register;

pub use airlift_core::signing::SigningAlgorithm;
/// A tenant's registration of a public key, as the server lists it.
pub use airlift_core::wire::SigningKey as TenantKey;
pub use folder::{default_keys_dir, keys_dir_in};
pub use key::SigningKey;
pub use keystore::{KeyStore, StoredKey, DEFAULT_SCRYPT_LOG_N};
pub use register::{register, registration, tenant_keys};

use airlift_core::signing::{PublicKey, SignatureError};

use crate::error::{DeskError, DeskErrorCode};

/// Checks `signature_b64` over an artifact digest with a PEM public key, exactly as the server
/// and devices will. `SIGNATURE_INVALID` when it does not verify.
pub fn verify_digest(
    algorithm: SigningAlgorithm,
    public_key_pem: &str,
    digest: &[u8; 32],
    signature_b64: &str,
) -> Result<(), DeskError> {
    let key = PublicKey::from_pem(algorithm, public_key_pem)?;
    key.verify_digest(digest, signature_b64).map_err(|err| {
        let message = match err {
            SignatureError::Mismatch => format!(
                "the signature does not match this artifact with key {}; \
                 was the file changed, or signed with another key?",
                &key.fingerprint()[..16]
            ),
            other => format!("the signature is unusable: {other}"),
        };
        DeskError::new(DeskErrorCode::SignatureInvalid, message)
    })
}
