//! The records of `airliftd token`'s JWTs, on SQLite.

use rusqlite::{params, Connection, OptionalExtension as _, Row, TransactionBehavior};

use super::{conflict, db, ApiError, BootstrapTokenRecord, StoreResult};

const COLUMNS: &str = "id, tenant_id, role, label, created_at, expires_at, revoked_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<BootstrapTokenRecord> {
    let role: String = r.get(2)?;
    Ok(BootstrapTokenRecord {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        role: role.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?,
        label: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

pub fn create(c: &mut Connection, t: &BootstrapTokenRecord) -> StoreResult<()> {
    c.execute(
        "INSERT INTO bootstrap_tokens (id, tenant_id, role, label, created_at, expires_at,
                                       revoked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
        params![
            t.id,
            t.tenant_id,
            t.role.as_str(),
            t.label,
            t.created_at,
            t.expires_at
        ],
    )
    .map_err(|e| conflict(e, || format!("token {} already exists", t.id)))?;
    Ok(())
}

pub fn get(c: &mut Connection, id: &str) -> StoreResult<Option<BootstrapTokenRecord>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM bootstrap_tokens WHERE id = ?1"
    ))
    .map_err(db)?
    .query_row([id], from_row)
    .optional()
    .map_err(db)
}

pub fn list(c: &mut Connection, tenant: Option<&str>) -> StoreResult<Vec<BootstrapTokenRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM bootstrap_tokens
             WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY id"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map([tenant], from_row)
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(rows)
}

pub fn revoke(c: &mut Connection, id: &str, at: &str) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE bootstrap_tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
            params![id, at],
        )
        .map_err(db)?;
    if n == 0 {
        return Err(ApiError::not_found(format!("token {id} not found")).into());
    }
    Ok(())
}

pub fn revoke_all(c: &mut Connection, tenant: &str, at: &str) -> StoreResult<u64> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut revoked = 0;
    for table in ["bootstrap_tokens", "api_tokens"] {
        revoked += tx
            .execute(
                &format!(
                    "UPDATE {table} SET revoked_at = ?2
                     WHERE tenant_id = ?1 AND revoked_at IS NULL"
                ),
                params![tenant, at],
            )
            .map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(revoked as u64)
}
