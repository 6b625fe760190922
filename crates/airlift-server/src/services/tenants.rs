//! The caller's tenant and its settings.

use airlift_core::wire::UpdateTenant;

use crate::error::AppResult;
use crate::store::{TenantRecord, TenantStore};

/// Applies the settings the request names; the tenant as it stands afterwards.
pub async fn update(
    store: &dyn TenantStore,
    tenant: TenantRecord,
    body: UpdateTenant,
) -> AppResult<TenantRecord> {
    let Some(on) = body.require_signatures else {
        return Ok(tenant);
    };
    let tenant = store.set_require_signatures(&tenant.id, on).await?;
    tracing::info!(tenant = %tenant.id, require_signatures = on, "tenant signing policy changed");
    Ok(tenant)
}
