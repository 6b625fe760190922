//! A tenant's package signing keys (public halves only): HTTP over `services::signing_keys`.

use airlift_core::audit::AuditAction;
use airlift_core::wire::{CreateSigningKey, ListResponse, SigningKey};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

use super::{created, record_change, whole_list};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path};
use crate::services::signing_keys as service;
use crate::state::AppState;
use crate::store::SigningKeyRecord;

fn to_wire(k: SigningKeyRecord) -> SigningKey {
    SigningKey {
        key_id: k.id,
        name: k.name,
        algorithm: k.algorithm,
        public_key_pem: k.public_key_pem,
        fingerprint: k.fingerprint,
        created_at: k.created_at,
        revoked_at: k.revoked_at,
    }
}

/// Admin only: whoever registers keys decides what firmware the fleet will trust.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreateSigningKey>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Administer)?;
    let extract::Json(body) = body?;
    let record = service::create(&*state.store, caller.tenant_id(), body).await?;
    let summary = format!(
        "signing key {:?} ({}, fingerprint {}) registered",
        record.name,
        record.algorithm.as_str(),
        record.fingerprint
    );
    record_change(
        &state,
        &caller,
        AuditAction::SigningKeyCreate,
        &record.id,
        &summary,
    )
    .await;
    Ok(created(
        &format!("/api/v1/signing-keys/{}", record.id),
        to_wire(record),
    ))
}

/// All keys, revoked ones included (with `revoked_at`), in creation order.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<ListResponse<SigningKey>>> {
    caller.require(Permission::Read)?;
    let keys = service::list(&*state.store, caller.tenant_id()).await?;
    Ok(Json(whole_list(keys, to_wire)))
}

/// Revokes the key (see [`service::revoke`]).
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
        AuditAction::SigningKeyRevoke,
        &id,
        "signing key revoked: new packages can no longer be signed with it",
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
