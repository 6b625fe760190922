//! User tokens: HS256 JWTs signed with a per-installation secret.
//!
//! The secret is 32 random bytes created in the data directory on first use with mode 0600.
//! It is written to a temporary file and hard-linked into place, so two processes starting at
//! once (`serve` and `token`) agree on one secret and never read a half-written file.

use std::path::Path;

use airlift_core::error::ApiError;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::error::AppError;

/// What a user JWT says. `tid` is the tenant id (what queries use); `tenant` its name, kept so
/// a token stays readable and so a recreated tenant with the same name is not confused with
/// the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub tid: String,
    pub tenant: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    /// The id of the token's row: an API token's (`crate::auth::api_token`) or the record of
    /// an `airliftd token` JWT (`crate::auth::bootstrap_token`). Either is valid only while its
    /// row says so (not revoked); a JWT without one is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

pub const ISSUER: &str = "airliftd";

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// The same installation secret, for keys of other purposes derived with HKDF (each with
    /// its own `info`), so one secret file serves them all without reusing a key.
    derived: ring::hkdf::Prk,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.set_issuer(&[ISSUER]);
        // One clock (ours) signs and checks; no skew to forgive.
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            derived: ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"airliftd derived keys v1")
                .extract(secret),
        }
    }

    /// The root that keys for other purposes are expanded from (HKDF-SHA256).
    pub fn derivation_root(&self) -> &ring::hkdf::Prk {
        &self.derived
    }

    /// Reads the secret at `path`, creating it (0600) if it does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        Ok(Self::from_secret(&crate::secret_file::load_or_create(
            path,
        )?))
    }

    /// A new random secret (32 bytes).
    pub fn new_secret() -> anyhow::Result<Vec<u8>> {
        let mut secret = vec![0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(secret)
    }

    /// Signs `claims` as they are (an API token's, with its `jti` and expiry).
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// Checks signature, algorithm, issuer and expiry. The reason is logged at debug level
    /// only; the client learns just that the token was refused.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => {
                tracing::debug!(reason = %e, "rejected bearer token");
                let msg = match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => "token has expired",
                    _ => "invalid token",
                };
                Err(ApiError::unauthenticated(msg).into())
            }
        }
    }
}
