use rusqlite::{params, Connection, OptionalExtension as _, Row, TransactionBehavior};

use super::{db, ApiError, StoreResult, TenantRecord};

const COLUMNS: &str = "id, name, require_signatures, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<TenantRecord> {
    Ok(TenantRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        require_signatures: r.get(2)?,
        created_at: r.get(3)?,
    })
}

pub fn ensure(c: &mut Connection, name: &str) -> StoreResult<TenantRecord> {
    crate::store::validate_tenant_name(name)?;
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let existing = tx
        .query_row(
            &format!("SELECT {COLUMNS} FROM tenants WHERE name = ?1"),
            [name],
            from_row,
        )
        .optional()
        .map_err(db)?;
    let tenant = match existing {
        Some(t) => t,
        None => {
            // New tenants require signed packages: the safe default, switched off explicitly.
            let t = TenantRecord {
                id: crate::ids::new_id("ten"),
                name: name.to_owned(),
                require_signatures: true,
                created_at: crate::ids::now(),
            };
            tx.execute(
                "INSERT INTO tenants (id, name, require_signatures, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![t.id, t.name, t.require_signatures, t.created_at],
            )
            .map_err(db)?;
            t
        }
    };
    tx.commit().map_err(db)?;
    Ok(tenant)
}

pub fn named(c: &mut Connection, name: &str) -> StoreResult<Option<TenantRecord>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM tenants WHERE name = ?1"),
        [name],
        from_row,
    )
    .optional()
    .map_err(db)
}

pub fn get(c: &mut Connection, id: &str) -> StoreResult<Option<TenantRecord>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM tenants WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()
    .map_err(db)
}

pub fn set_require_signatures(c: &mut Connection, id: &str, on: bool) -> StoreResult<TenantRecord> {
    c.execute(
        "UPDATE tenants SET require_signatures = ?2 WHERE id = ?1",
        params![id, on],
    )
    .map_err(db)?;
    get(c, id)?.ok_or_else(|| ApiError::not_found("tenant not found").into())
}
