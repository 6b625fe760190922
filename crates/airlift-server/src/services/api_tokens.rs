//! API tokens: an admin makes one with a role and an expiry; its secret is shown once and
//! stored only as a hash; a revoked token is refused from the next request on.

use airlift_core::error::ApiError;
use airlift_core::wire::{CreateApiToken, CreatedApiToken};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::text::required_text;
use crate::auth::api_token;
use crate::auth::jwt::JwtKeys;
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{ApiTokenRecord, ApiTokenStore, TenantRecord};

pub async fn create(
    store: &dyn ApiTokenStore,
    keys: &JwtKeys,
    tenant: &TenantRecord,
    body: CreateApiToken,
) -> AppResult<CreatedApiToken> {
    let name = required_text("name", &body.name, 128)?;
    let expires_at = body
        .expires_at
        .as_deref()
        .map(|s| {
            OffsetDateTime::parse(s.trim(), &Rfc3339)
                .map(|t| t.unix_timestamp())
                .map_err(|_| {
                    ApiError::invalid_argument(format!(
                        "expires_at must be an RFC 3339 time such as 2027-01-31T00:00:00Z, got {s:?}"
                    ))
                })
        })
        .transpose()?;
    let now = ids::unix_now();
    let exp = airlift_core::api_token::expiry(now, body.expires_in_days, expires_at)?;
    let mut record = ApiTokenRecord {
        id: ids::new_id("tok"),
        tenant_id: tenant.id.clone(),
        name,
        role: body.role,
        token_hash: String::new(),
        created_at: ids::now(),
        expires_at: api_token::rfc3339(exp),
        last_used_at: None,
        revoked_at: None,
    };
    let token = api_token::mint(keys, &record, &tenant.name, now, exp)
        .map_err(|e| AppError::internal("signing an API token", e))?;
    record.token_hash = api_token::hash(&token);
    store.create_api_token(record.clone()).await?;
    // The id names it; the secret never reaches a log line.
    tracing::info!(tenant = %tenant.id, token = %record.id, role = %record.role, expires_at = %record.expires_at, "API token created");
    Ok(CreatedApiToken {
        id: record.id,
        name: record.name,
        role: record.role,
        token,
        created_at: record.created_at,
        expires_at: record.expires_at,
    })
}

/// The tenant's tokens, revoked ones included, in creation order.
pub async fn list(store: &dyn ApiTokenStore, tenant_id: &str) -> AppResult<Vec<ApiTokenRecord>> {
    Ok(store.list_api_tokens(tenant_id).await?)
}

/// Revokes the token: every request carrying it is refused from now on.
pub async fn revoke(store: &dyn ApiTokenStore, tenant_id: &str, id: &str) -> AppResult<()> {
    store.revoke_api_token(tenant_id, id, &ids::now()).await?;
    tracing::info!(tenant = %tenant_id, token = %id, "API token revoked");
    Ok(())
}
