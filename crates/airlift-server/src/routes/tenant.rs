//! The caller's tenant and its settings (`require_signatures`).

use airlift_core::wire::{Tenant, UpdateTenant};
use axum::extract::State;
use axum::Json;

use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract;
use crate::services::tenants;
use crate::state::AppState;
use crate::store::TenantRecord;

pub fn to_wire(t: TenantRecord) -> Tenant {
    Tenant {
        tenant_id: t.id,
        name: t.name,
        require_signatures: t.require_signatures,
        created_at: t.created_at,
    }
}

pub async fn get_tenant(caller: Caller) -> AppResult<Json<Tenant>> {
    caller.require(Permission::Read)?;
    Ok(Json(to_wire(caller.tenant)))
}

/// Admin only: turning signature enforcement off is a security decision.
pub async fn update_tenant(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<UpdateTenant>, AppError>,
) -> AppResult<Json<Tenant>> {
    caller.require(Permission::Administer)?;
    let extract::Json(body) = body?;
    let tenant = tenants::update(&*state.store, caller.tenant, body).await?;
    Ok(Json(to_wire(tenant)))
}
