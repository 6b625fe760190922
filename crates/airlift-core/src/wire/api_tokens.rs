use serde::{Deserialize, Serialize};

use crate::role::Role;

/// `POST /api/v1/api-tokens` (admin). The expiry is `expires_in_days` from now, or the instant
/// `expires_at` (RFC 3339), or by default [`crate::api_token::DEFAULT_LIFETIME_DAYS`] days;
/// never more than [`crate::api_token::MAX_LIFETIME_DAYS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    pub name: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// `POST /api/v1/api-tokens`'s answer: the only time `token` (the secret) is ever shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub token: String,
    pub created_at: String,
    pub expires_at: String,
}

/// Never prints the secret.
impl std::fmt::Debug for CreatedApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// One API token as `GET /api/v1/api-tokens` lists it: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub expires_at: String,
    /// When a request last authenticated with it (kept to the minute); `null`: never used.
    pub last_used_at: Option<String>,
    /// Set once revoked (`DELETE`): from then on the token gets 401.
    pub revoked_at: Option<String>,
}
