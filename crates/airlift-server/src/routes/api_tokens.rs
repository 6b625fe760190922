//! A tenant's API tokens (admin only): HTTP over `services::api_tokens`.

use airlift_core::audit::AuditAction;
use airlift_core::wire::{ApiToken, CreateApiToken, ListResponse};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

use super::{created, record_change, whole_list};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path};
use crate::services::api_tokens as service;
use crate::state::AppState;
use crate::store::ApiTokenRecord;

fn to_wire(t: ApiTokenRecord) -> ApiToken {
    ApiToken {
        id: t.id,
        name: t.name,
        role: t.role,
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        revoked_at: t.revoked_at,
    }
}

/// Admin only: a token may carry any role, admin included.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreateApiToken>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Administer)?;
    let extract::Json(body) = body?;
    let created_token = service::create(&*state.store, &state.jwt, &caller.tenant, body).await?;
    // Names, role and expiry only: never the secret.
    let summary = format!(
        "API token {:?} created (role {}, expires {})",
        created_token.name, created_token.role, created_token.expires_at
    );
    record_change(
        &state,
        &caller,
        AuditAction::ApiTokenCreate,
        &created_token.id,
        &summary,
    )
    .await;
    Ok(created(
        &format!("/api/v1/api-tokens/{}", created_token.id),
        created_token,
    ))
}

/// Every token of the tenant without its secret, revoked ones included, in creation order.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<ListResponse<ApiToken>>> {
    caller.require(Permission::Administer)?;
    let tokens = service::list(&*state.store, caller.tenant_id()).await?;
    Ok(Json(whole_list(tokens, to_wire)))
}

/// Revokes the token (see [`service::revoke`]).
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    caller.require(Permission::Administer)?;
    service::revoke(&*state.store, caller.tenant_id(), &id).await?;
    record_change(
        &state,
        &caller,
        AuditAction::ApiTokenRevoke,
        &id,
        "API token revoked: it is refused from its next request on",
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
