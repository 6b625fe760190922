//! The records of `airliftd token`'s JWTs, on PostgreSQL: the same rows as SQLite's
//! `bootstrap_tokens`.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{
    conflict, db, exec, opt, rows, ApiError, BootstrapTokenRecord, StoreError, StoreResult,
};

const COLUMNS: &str = "id, tenant_id, role, label, created_at, expires_at, revoked_at";

fn from_row(r: &Row) -> StoreResult<BootstrapTokenRecord> {
    let role: &str = r.get(2);
    Ok(BootstrapTokenRecord {
        id: r.get(0),
        tenant_id: r.get(1),
        role: role.parse().map_err(|e: String| {
            StoreError::Backend(anyhow::anyhow!("bootstrap_tokens.role: {e}"))
        })?,
        label: r.get(3),
        created_at: r.get(4),
        expires_at: r.get(5),
        revoked_at: r.get(6),
    })
}

pub async fn create(c: &impl GenericClient, t: &BootstrapTokenRecord) -> StoreResult<()> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO bootstrap_tokens (id, tenant_id, role, label, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await
        .map_err(db)?;
    c.execute(
        &stmt,
        &[
            &t.id,
            &t.tenant_id,
            &t.role.as_str(),
            &t.label,
            &t.created_at,
            &t.expires_at,
        ],
    )
    .await
    .map_err(|e| conflict(e, || format!("token {} already exists", t.id)))?;
    Ok(())
}

pub async fn get(c: &impl GenericClient, id: &str) -> StoreResult<Option<BootstrapTokenRecord>> {
    opt(
        c,
        &format!("SELECT {COLUMNS} FROM bootstrap_tokens WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

pub async fn list(
    c: &impl GenericClient,
    tenant: Option<&str>,
) -> StoreResult<Vec<BootstrapTokenRecord>> {
    rows(
        c,
        &format!(
            "SELECT {COLUMNS} FROM bootstrap_tokens
             WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY id"
        ),
        &[&tenant],
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

pub async fn revoke(c: &impl GenericClient, id: &str, at: &str) -> StoreResult<()> {
    let n = exec(
        c,
        "UPDATE bootstrap_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
        &[&id, &at],
    )
    .await?;
    if n == 0 {
        return Err(ApiError::not_found(format!("token {id} not found")).into());
    }
    Ok(())
}

/// Both tables in one statement, so all or nothing is revoked.
pub async fn revoke_all(c: &impl GenericClient, tenant: &str, at: &str) -> StoreResult<u64> {
    let row = opt(
        c,
        "WITH b AS (UPDATE bootstrap_tokens SET revoked_at = $2
                    WHERE tenant_id = $1 AND revoked_at IS NULL RETURNING 1),
              a AS (UPDATE api_tokens SET revoked_at = $2
                    WHERE tenant_id = $1 AND revoked_at IS NULL RETURNING 1)
         SELECT (SELECT count(*) FROM b) + (SELECT count(*) FROM a)",
        &[&tenant, &at],
    )
    .await?;
    let n: i64 = row.map_or(0, |r| r.get(0));
    Ok(u64::try_from(n).unwrap_or(0))
}
