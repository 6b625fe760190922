//! Signing keys in Settings and the upload wizard: create, import, register with the tenant.
//! Passphrases come in only; nothing here carries a private key out.

use airlift_desk::signing::SigningAlgorithm;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The algorithms a new key can use (the spec's `algorithm` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum KeyAlgorithm {
    #[serde(rename = "ecdsa-p256-sha256")]
    EcdsaP256Sha256,
    #[serde(rename = "ed25519")]
    Ed25519,
}

impl From<KeyAlgorithm> for SigningAlgorithm {
    fn from(a: KeyAlgorithm) -> Self {
        match a {
            KeyAlgorithm::EcdsaP256Sha256 => SigningAlgorithm::EcdsaP256Sha256,
            KeyAlgorithm::Ed25519 => SigningAlgorithm::Ed25519,
        }
    }
}

/// A key to generate on this computer.
#[derive(Clone, Deserialize, TS)]
pub struct NewSigningKey {
    pub name: String,
    pub algorithm: KeyAlgorithm,
    /// Encrypts the stored private key; never saved.
    pub passphrase: String,
}

/// A PEM private key file to import (PKCS#8, encrypted PKCS#8, or SEC1 for P-256).
#[derive(Clone, Deserialize, TS)]
pub struct ImportSigningKey {
    pub name: String,
    pub path: String,
    /// Opens an encrypted file; not needed for a plain one.
    #[ts(optional)]
    pub file_passphrase: Option<String>,
    /// Encrypts the stored copy; never saved.
    pub passphrase: String,
}

/// A local key's registration with the active connection's tenant.
#[derive(Debug, Clone, Serialize, TS)]
pub struct KeyRegistration {
    pub fingerprint: String,
    /// The tenant's id for the key (what the catalog shows as "verified with").
    pub tenant_key_id: String,
}

/// Which local keys the active connection's tenant trusts (active registrations only).
#[derive(Debug, Clone, Serialize, TS)]
pub struct KeyRegistrations {
    pub connection: String,
    pub registered: Vec<KeyRegistration>,
    /// The tenant refuses unsigned packages (`GET /api/v1/tenant`'s `require_signatures`).
    pub signatures_required: bool,
}

// Passphrases never reach a log line.
impl std::fmt::Debug for NewSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSigningKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ImportSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSigningKey")
            .field("name", &self.name)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}
