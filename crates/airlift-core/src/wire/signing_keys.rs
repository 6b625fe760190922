use serde::{Deserialize, Serialize};

use crate::signing::SigningAlgorithm;

/// `POST /api/v1/signing-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSigningKey {
    pub name: String,
    pub algorithm: String,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKey {
    pub key_id: String,
    pub name: String,
    pub algorithm: SigningAlgorithm,
    pub public_key_pem: String,
    /// Hex SHA-256 of the DER SubjectPublicKeyInfo.
    pub fingerprint: String,
    pub created_at: String,
    /// Set once the key is revoked (`DELETE`); a revoked key verifies no new package.
    pub revoked_at: Option<String>,
}
