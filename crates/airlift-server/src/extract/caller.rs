//! The callers a request can carry: a user (JWT) and a device (device token), taken from
//! the `Authorization` header against the shared state. The rules (roles, permissions, token
//! hashing) are `crate::auth`'s; this is their HTTP side.

use airlift_core::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{
    api_token, bearer, bootstrap_token, device_token, Caller, Credential, DeviceCaller, DeviceToken,
};
use crate::error::AppError;
use crate::state::AppState;

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts)?;
        // An API token is `aat_` + a JWT naming its row (`jti`); a JWT without the prefix
        // names the record `airliftd token` made of it.
        let (jwt, is_api_token) = match token.strip_prefix(api_token::PREFIX) {
            Some(jwt) => (jwt, true),
            None => (token, false),
        };
        let claims = state.jwt.verify(jwt)?;
        // Every user token names the row that vouches for it: an API token's (with the
        // prefix) or an `airliftd token` JWT's record (without).
        let credential = match claims.jti.clone() {
            Some(id) if is_api_token => Credential::ApiToken(id),
            Some(id) => Credential::Bootstrap(id),
            None => {
                return Err(ApiError::unauthenticated(
                    "this token was made by an older airliftd and cannot be revoked, so it is \
                     no longer accepted; make a new one with `airliftd token`",
                )
                .into())
            }
        };
        // A token outlives nothing it names: if the tenant is gone, so is the access.
        let tenant = state
            .store
            .tenant(&claims.tid)
            .await?
            .ok_or_else(|| ApiError::unauthenticated("token names an unknown tenant"))?;
        if tenant.name != claims.tenant {
            return Err(ApiError::unauthenticated("token does not match its tenant").into());
        }
        match &credential {
            Credential::ApiToken(id) => {
                let row = state.store.api_token(&tenant.id, id).await?;
                api_token::check(token, row.as_ref())?;
                let now = crate::ids::unix_now();
                if let Some(row) =
                    row.filter(|r| api_token::needs_touch(r.last_used_at.as_deref(), now))
                {
                    // Off the request's path: a lost write only leaves `last_used_at` a minute old.
                    let store = state.store.clone();
                    tokio::spawn(async move {
                        let at = api_token::rfc3339(now);
                        if let Err(e) = store.touch_api_token(&row.tenant_id, &row.id, &at).await {
                            tracing::warn!(error = %e, token = %row.id, "could not record an API token's use");
                        }
                    });
                }
            }
            Credential::Bootstrap(id) => {
                let row = state.store.bootstrap_token(id).await?;
                bootstrap_token::check(row.as_ref(), &tenant.id)?;
            }
        }
        let span = tracing::Span::current();
        span.record("tenant", tenant.name.as_str());
        span.record("role", claims.role.as_str());
        Ok(Caller {
            tenant,
            role: claims.role,
            subject: claims.sub,
            credential,
            expires_at: claims.exp,
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
