//! The callers a request can carry: a user (JWT) and a device (device token), taken from
//! the `Authorization` header against the shared state. The rules (roles, permissions, token
//! hashing) are `crate::auth`'s; this is their HTTP side.

use airlift_core::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{bearer, device_token, Caller, DeviceCaller, DeviceToken};
use crate::error::AppError;
use crate::state::AppState;

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts)?;
        let claims = state.jwt.verify(token)?;
        // A token outlives nothing it names: if the tenant is gone, so is the access.
        let tenant = state
            .store
            .tenant(&claims.tid)
            .await?
            .ok_or_else(|| ApiError::unauthenticated("token names an unknown tenant"))?;
        if tenant.name != claims.tenant {
            return Err(ApiError::unauthenticated("token does not match its tenant").into());
        }
        let span = tracing::Span::current();
        span.record("tenant", tenant.name.as_str());
        span.record("role", claims.role.as_str());
        Ok(Caller {
            tenant,
            role: claims.role,
            subject: claims.sub,
        })
    }
}

impl FromRequestParts<AppState> for DeviceCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = DeviceToken::from_request_parts(parts, state).await?;
        if let Some(device) = token.known.clone() {
            return Ok(DeviceCaller { device });
        }
        let found = state.store.device_by_token_hash(&token.hash).await?;
        token.resolve(&state.device_tokens, found)
    }
}

impl FromRequestParts<AppState> for DeviceToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let hash = device_token::hash(bearer(parts)?);
        let known = state.device_tokens.get(&hash);
        Ok(DeviceToken { hash, known })
    }
}
