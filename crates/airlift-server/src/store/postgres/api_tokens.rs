//! API tokens (their hashes), on PostgreSQL: the same rows as SQLite's `api_tokens`.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{conflict, db, exec, opt, rows, ApiError, ApiTokenRecord, StoreError, StoreResult};

const COLUMNS: &str =
    "id, tenant_id, name, role, token_hash, created_at, expires_at, last_used_at, revoked_at";

fn from_row(r: &Row) -> StoreResult<ApiTokenRecord> {
    let role: &str = r.get(3);
    Ok(ApiTokenRecord {
        id: r.get(0),
        tenant_id: r.get(1),
        name: r.get(2),
        role: role
            .parse()
            .map_err(|e: String| StoreError::Backend(anyhow::anyhow!("api_tokens.role: {e}")))?,
        token_hash: r.get(4),
        created_at: r.get(5),
        expires_at: r.get(6),
        last_used_at: r.get(7),
        revoked_at: r.get(8),
    })
}

pub async fn create(c: &impl GenericClient, t: &ApiTokenRecord) -> StoreResult<()> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO api_tokens (id, tenant_id, name, role, token_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await
        .map_err(db)?;
    c.execute(
        &stmt,
        &[
            &t.id,
            &t.tenant_id,
            &t.name,
            &t.role.as_str(),
            &t.token_hash,
            &t.created_at,
            &t.expires_at,
        ],
    )
    .await
    .map_err(|e| conflict(e, || format!("API token {} already exists", t.id)))?;
    Ok(())
}

pub async fn list(c: &impl GenericClient, tenant: &str) -> StoreResult<Vec<ApiTokenRecord>> {
    rows(
        c,
        &format!("SELECT {COLUMNS} FROM api_tokens WHERE tenant_id = $1 ORDER BY id"),
        &[&tenant],
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

pub async fn get(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<ApiTokenRecord>> {
    opt(
        c,
        &format!("SELECT {COLUMNS} FROM api_tokens WHERE tenant_id = $1 AND id = $2"),
        &[&tenant, &id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

pub async fn revoke(c: &impl GenericClient, tenant: &str, id: &str, at: &str) -> StoreResult<()> {
    let n = exec(
        c,
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3)
         WHERE tenant_id = $1 AND id = $2",
        &[&tenant, &id, &at],
    )
    .await?;
    if n == 0 {
        return Err(ApiError::not_found(format!("API token {id} not found")).into());
    }
    Ok(())
}

pub async fn touch(c: &impl GenericClient, tenant: &str, id: &str, at: &str) -> StoreResult<()> {
    exec(
        c,
        "UPDATE api_tokens SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2",
        &[&tenant, &id, &at],
    )
    .await?;
    Ok(())
}
