//! API tokens (their hashes), on SQLite.

use rusqlite::{params, Connection, OptionalExtension as _, Row};

use super::{conflict, db, ApiError, ApiTokenRecord, StoreResult};

const COLUMNS: &str =
    "id, tenant_id, name, role, token_hash, created_at, expires_at, last_used_at, revoked_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ApiTokenRecord> {
    let role: String = r.get(3)?;
    Ok(ApiTokenRecord {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        name: r.get(2)?,
        role: role.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
        })?,
        token_hash: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
        last_used_at: r.get(7)?,
        revoked_at: r.get(8)?,
    })
}

pub fn create(c: &mut Connection, t: &ApiTokenRecord) -> StoreResult<()> {
    c.execute(
        "INSERT INTO api_tokens (id, tenant_id, name, role, token_hash, created_at, expires_at,
                                 last_used_at, revoked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, NULL)",
        params![
            t.id,
            t.tenant_id,
            t.name,
            t.role.as_str(),
            t.token_hash,
            t.created_at,
            t.expires_at
        ],
    )
    .map_err(|e| conflict(e, || format!("API token {} already exists", t.id)))?;
    Ok(())
}

pub fn list(c: &mut Connection, tenant: &str) -> StoreResult<Vec<ApiTokenRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE tenant_id = ?1 ORDER BY id"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map([tenant], from_row)
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(rows)
}

pub fn get(c: &mut Connection, tenant: &str, id: &str) -> StoreResult<Option<ApiTokenRecord>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE tenant_id = ?1 AND id = ?2"
    ))
    .map_err(db)?
    .query_row([tenant, id], from_row)
    .optional()
    .map_err(db)
}

pub fn revoke(c: &mut Connection, tenant: &str, id: &str, at: &str) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?3)
             WHERE tenant_id = ?1 AND id = ?2",
            params![tenant, id, at],
        )
        .map_err(db)?;
    if n == 0 {
        return Err(ApiError::not_found(format!("API token {id} not found")).into());
    }
    Ok(())
}

pub fn touch(c: &mut Connection, tenant: &str, id: &str, at: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE api_tokens SET last_used_at = ?3 WHERE tenant_id = ?1 AND id = ?2",
        params![tenant, id, at],
    )
    .map_err(db)?;
    Ok(())
}
