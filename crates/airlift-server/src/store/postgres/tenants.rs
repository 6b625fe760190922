//! Tenants.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{exec, one, opt, ApiError, StoreResult, TenantRecord};

const COLUMNS: &str = "id, name, require_signatures, created_at";

fn from_row(r: &Row) -> TenantRecord {
    TenantRecord {
        id: r.get(0),
        name: r.get(1),
        require_signatures: r.get(2),
        created_at: r.get(3),
    }
}

/// The tenant named `name`, created (requiring signatures, the safe default) if missing.
/// Two servers creating it at once both get the one row (`ON CONFLICT DO NOTHING`).
pub async fn ensure(c: &impl GenericClient, name: &str) -> StoreResult<TenantRecord> {
    crate::store::validate_tenant_name(name)?;
    exec(
        c,
        "INSERT INTO tenants (id, name, require_signatures, created_at) VALUES ($1, $2, TRUE, $3)
         ON CONFLICT (name) DO NOTHING",
        &[&crate::ids::new_id("ten"), &name, &crate::ids::now()],
    )
    .await?;
    let row = one(
        c,
        &format!("SELECT {COLUMNS} FROM tenants WHERE name = $1"),
        &[&name],
    )
    .await?;
    Ok(from_row(&row))
}

pub async fn named(c: &impl GenericClient, name: &str) -> StoreResult<Option<TenantRecord>> {
    let row = opt(
        c,
        &format!("SELECT {COLUMNS} FROM tenants WHERE name = $1"),
        &[&name],
    )
    .await?;
    Ok(row.as_ref().map(from_row))
}

pub async fn get(c: &impl GenericClient, id: &str) -> StoreResult<Option<TenantRecord>> {
    let row = opt(
        c,
        &format!("SELECT {COLUMNS} FROM tenants WHERE id = $1"),
        &[&id],
    )
    .await?;
    Ok(row.as_ref().map(from_row))
}

pub async fn set_require_signatures(
    c: &impl GenericClient,
    id: &str,
    on: bool,
) -> StoreResult<TenantRecord> {
    let row = opt(
        c,
        &format!("UPDATE tenants SET require_signatures = $2 WHERE id = $1 RETURNING {COLUMNS}"),
        &[&id, &on],
    )
    .await?;
    row.as_ref()
        .map(from_row)
        .ok_or_else(|| ApiError::not_found("tenant not found").into())
}
