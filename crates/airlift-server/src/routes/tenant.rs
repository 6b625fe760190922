//! The caller's tenant and its settings (`require_signatures`).

use airlift_core::wire::{ImageQuota, Tenant, UpdateTenant};
use axum::extract::State;
use axum::Json;

use super::record_change;
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract;
use crate::services::{images, tenants};
use crate::state::AppState;
use crate::store::TenantRecord;
use airlift_core::audit::AuditAction;

pub fn to_wire(t: TenantRecord, images: ImageQuota) -> Tenant {
    Tenant {
        tenant_id: t.id,
        name: t.name,
        require_signatures: t.require_signatures,
        created_at: t.created_at,
        images: Some(images),
    }
}

/// The tenant, with how much of its image quota is used ("N of M used").
pub async fn get_tenant(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Tenant>> {
    caller.require(Permission::Read)?;
    let quota = images::quota(&*state.store, caller.tenant_id(), state.config.max_images).await?;
    Ok(Json(to_wire(caller.tenant, quota)))
}

/// Admin only: turning signature enforcement off is a security decision.
pub async fn update_tenant(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<UpdateTenant>, AppError>,
) -> AppResult<Json<Tenant>> {
    caller.require(Permission::Administer)?;
    let extract::Json(body) = body?;
    let quota = images::quota(&*state.store, caller.tenant_id(), state.config.max_images).await?;
    let audited = caller.clone();
    let tenant = tenants::update(&*state.store, caller.tenant, body).await?;
    let summary = format!(
        "tenant settings changed: require_signatures is {}",
        tenant.require_signatures
    );
    record_change(
        &state,
        &audited,
        AuditAction::TenantUpdate,
        &tenant.id,
        &summary,
    )
    .await;
    Ok(Json(to_wire(tenant, quota)))
}
