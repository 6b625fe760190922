//! The demo's signing key: Ed25519 over the artifact's SHA-256 digest (the spec's `ed25519`
//! format). Private key bytes never leave this type except through [`DemoSigner::seed_hex`],
//! which the demo writes to a 0600 file so a restarted demo signs with the same key.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::EncodePublicKey as _;
use ed25519_dalek::Signer as _;
use sha2::{Digest as _, Sha256};

pub struct DemoSigner {
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for DemoSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoSigner").finish_non_exhaustive()
    }
}

impl DemoSigner {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    pub fn from_seed_hex(s: &str) -> Result<Self, String> {
        let bytes = hex::decode(s.trim()).map_err(|_| "signing key file is not hex".to_owned())?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "signing key file must hold 32 bytes".to_owned())?;
        Ok(Self::from_seed(seed))
    }

    pub fn seed_hex(&self) -> String {
        hex::encode(self.key.to_bytes())
    }

    pub fn public_key_pem(&self) -> Result<String, String> {
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| format!("encoding the public key: {e}"))
    }

    /// Base64 Ed25519 signature of the 32 raw bytes of `SHA-256(data)`.
    pub fn sign(&self, data: &[u8]) -> String {
        let digest: [u8; 32] = Sha256::digest(data).into();
        STANDARD.encode(self.key.sign(&digest).to_bytes())
    }
}
