//! A tenant's package signing keys (public halves only).

use airlift_core::error::ApiError;
use airlift_core::signing::{PublicKey, SigningAlgorithm};
use airlift_core::wire::{CreateSigningKey, ListResponse, SigningKey};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

use super::{created, required_text};
use crate::app::AppState;
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path};
use crate::ids;
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
    let name = required_text("name", &body.name, 128)?;
    let algorithm: SigningAlgorithm = body.algorithm.parse()?;
    if body.public_key_pem.len() > 16 * 1024 {
        return Err(ApiError::invalid_argument("public_key_pem is too long").into());
    }
    let key = PublicKey::from_pem(algorithm, &body.public_key_pem)?;
    let record = SigningKeyRecord {
        id: ids::new_id("key"),
        tenant_id: caller.tenant.id.clone(),
        name,
        algorithm,
        public_key_pem: body.public_key_pem.trim().to_owned() + "\n",
        fingerprint: key.fingerprint(),
        created_at: ids::now(),
        revoked_at: None,
    };
    state.store.create_signing_key(record.clone()).await?;
    tracing::info!(tenant = %caller.tenant.id, key = %record.id, fingerprint = %record.fingerprint, "signing key added");
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
    let keys = state.store.list_signing_keys(caller.tenant_id()).await?;
    let limit = u32::try_from(keys.len()).unwrap_or(u32::MAX);
    Ok(Json(ListResponse::new(
        keys.into_iter().map(to_wire).collect(),
        false,
        limit,
        None,
    )))
}

/// Revokes the key: it verifies no new package. Packages it already verified stay valid
/// (they were checked when created); re-sign and re-publish to replace them.
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    caller.require(Permission::Administer)?;
    state
        .store
        .revoke_signing_key(caller.tenant_id(), &id, &ids::now())
        .await?;
    tracing::info!(tenant = %caller.tenant.id, key = %id, "signing key revoked");
    Ok(StatusCode::NO_CONTENT)
}
