//! Settings → API tokens: the tenant's tokens without secrets, a new one's choices, and the
//! one answer that carries a new token's secret (shown once, kept nowhere).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Role;

/// One of the tenant's API tokens (never its secret).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ApiTokenInfo {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub expires_at: String,
    /// When a request last used it (to the minute); `null`: never.
    pub last_used_at: Option<String>,
    /// Set once revoked.
    pub revoked_at: Option<String>,
}

impl From<airlift_core::wire::ApiToken> for ApiTokenInfo {
    fn from(t: airlift_core::wire::ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            role: t.role.into(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token to make: what uses it, its role, how many days it lives (1 to 365).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct NewApiToken {
    pub name: String,
    pub role: Role,
    pub expires_in_days: u32,
}

/// A new token with its secret: the only time the app sees it.
#[derive(Clone, Serialize, TS)]
pub struct CreatedApiTokenInfo {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The secret (`aat_...`): shown once; the server keeps only its hash.
    pub token: String,
    pub expires_at: String,
}

impl From<airlift_core::wire::CreatedApiToken> for CreatedApiTokenInfo {
    fn from(t: airlift_core::wire::CreatedApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            role: t.role.into(),
            token: t.token,
            expires_at: t.expires_at,
        }
    }
}

// The secret never reaches a log line.
impl std::fmt::Debug for CreatedApiTokenInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiTokenInfo")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
