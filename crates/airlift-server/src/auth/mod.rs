//! Who is calling, and what they may do.
//!
//! Users carry an HS256 JWT naming a tenant and a role ([`jwt`]); devices carry an opaque random
//! token stored only as its SHA-256 ([`device_token`]). Handlers take a [`Caller`] and ask
//! [`Caller::require`] for the [`Permission`] the route needs; tenant isolation is enforced by
//! every store query taking the caller's tenant id, so another tenant's object is simply not
//! found (404), never forbidden (403).

pub mod api_token;
pub mod bootstrap_token;
pub mod device_token;
pub mod jwt;
pub mod token_cache;

use airlift_core::error::ApiError;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::error::AppError;
use crate::store::{DeviceRecord, Store, TenantRecord};
use token_cache::TokenCache;

pub use airlift_core::role::{Permission, Role};

/// An authenticated user request: the tenant (as stored now, not as it was when the token was
/// minted) and the role from the token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: TenantRecord,
    pub role: Role,
    /// The JWT's `sub` (who; recorded with rollout transitions).
    pub subject: String,
    /// The row that vouches for the token (checked again by long requests: event streams).
    pub credential: Credential,
    /// The token's `exp` (unix seconds).
    pub expires_at: i64,
}

/// Which row vouches for a user token: every one has its row, and is refused once the row is
/// revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API token (`aat_…`), by its id.
    ApiToken(String),
    /// A JWT printed by `airliftd token`, by its `jti`.
    Bootstrap(String),
}

/// How often an open event stream checks that its token is still good: a revoked or expired
/// token's stream ends within a second on every server.
pub const LIVE_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(400);

/// Whether `caller`'s token is still good, as a request made now would find it: not expired,
/// its tenant still there, its row not revoked. UNAUTHENTICATED when it is not; other errors
/// (the database away) say nothing about the token.
pub async fn still_live(store: &dyn Store, caller: &Caller) -> Result<(), AppError> {
    if caller.expires_at <= crate::ids::unix_now() {
        return Err(ApiError::unauthenticated("token has expired").into());
    }
    let tenant = store
        .tenant(&caller.tenant.id)
        .await?
        .filter(|t| t.name == caller.tenant.name)
        .ok_or_else(|| ApiError::unauthenticated("token names an unknown tenant"))?;
    match &caller.credential {
        Credential::ApiToken(id) => {
            let row = store.api_token(&tenant.id, id).await?;
            match row {
                Some(r) if r.revoked_at.is_none() => Ok(()),
                Some(_) => Err(ApiError::unauthenticated("this API token has been revoked").into()),
                None => Err(ApiError::unauthenticated("invalid token").into()),
            }
        }
        Credential::Bootstrap(id) => {
            bootstrap_token::check(store.bootstrap_token(id).await?.as_ref(), &tenant.id)
        }
    }
}

impl Caller {
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::permission_denied(format!(
                "role {} may not do this ({permission:?} is required)",
                self.role
            ))
            .into())
        }
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant.id
    }
}

/// The bearer credential of a request, or 401.
pub fn bearer(parts: &Parts) -> Result<&str, AppError> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("missing Authorization header"))?
        .to_str()
        .map_err(|_| ApiError::unauthenticated("malformed Authorization header"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthenticated("expected `Authorization: Bearer <token>`"))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::unauthenticated("expected `Authorization: Bearer <token>`").into());
    }
    Ok(token)
}

/// An authenticated device: its bearer token's SHA-256 names it. (The device API, rollouts'
/// part, builds on this; a device token never authenticates a user route, nor the reverse,
/// because JWTs and device tokens are looked up in different places.)
#[derive(Debug, Clone)]
pub struct DeviceCaller {
    pub device: std::sync::Arc<DeviceRecord>,
}

/// A device request's bearer token, hashed, with its device when the token cache knows it.
/// [`DeviceCaller`] is what routes take; the poll takes this to look the token up together
/// with its own reads when the cache misses (see `Store::device_poll_by_token`).
#[derive(Debug)]
pub struct DeviceToken {
    pub hash: String,
    pub known: Option<std::sync::Arc<DeviceRecord>>,
}

impl DeviceToken {
    /// Takes what the store found for this token: the device (remembered in the token cache),
    /// or UNAUTHENTICATED when the token is unknown.
    pub fn resolve(
        self,
        tokens: &TokenCache,
        found: Option<DeviceRecord>,
    ) -> Result<DeviceCaller, AppError> {
        let device = std::sync::Arc::new(
            found.ok_or_else(|| ApiError::unauthenticated("unknown device token"))?,
        );
        tokens.put(self.hash, device.clone());
        Ok(DeviceCaller { device })
    }
}

impl DeviceCaller {
    /// The device API only serves a device its own resources: another device's id is 403
    /// whether or not that device exists (nothing leaks).
    pub fn require_self(&self, device_id: &str) -> Result<(), AppError> {
        if self.device.id == device_id {
            Ok(())
        } else {
            Err(ApiError::permission_denied("this device token belongs to another device").into())
        }
    }

    pub fn tenant_id(&self) -> &str {
        &self.device.tenant_id
    }
}
