//! Encrypted images' data keys, sealed (see `crate::crypto`), on PostgreSQL: one row per key,
//! named by the image, the packages made from it and, while it uploads, its job; the same
//! shape as SQLite's `data_keys` (the sealed JSON, so a rotation rewrites one column).

use airlift_core::encryption::SealedDataKey;
use deadpool_postgres::GenericClient;

use super::{exec, opt, rows, StoreError, StoreResult};

/// The sealed key a row's `(SELECT sealed FROM data_keys ...)` column read back; `None` for a
/// plain image, package or job. The column is written by [`insert`] from a `SealedDataKey`,
/// so it parses.
pub fn parse(json: Option<&str>) -> Option<SealedDataKey> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

fn to_json(key: &SealedDataKey) -> StoreResult<String> {
    serde_json::to_string(key).map_err(|e| StoreError::Backend(anyhow::anyhow!(e)))
}

/// Inserts `key` unless its row exists (a package names its image's key).
pub async fn insert(
    c: &impl GenericClient,
    tenant: &str,
    key: &SealedDataKey,
    at: &str,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO data_keys (id, tenant_id, sealed, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING",
        &[&key.id, &tenant, &to_json(key)?, &at],
    )
    .await?;
    Ok(())
}

/// Every sealed key, ordered by id.
pub async fn all(c: &impl GenericClient) -> StoreResult<Vec<SealedDataKey>> {
    let found = rows(c, "SELECT sealed FROM data_keys ORDER BY id", &[]).await?;
    found
        .iter()
        .map(|r| {
            serde_json::from_str(r.get::<_, &str>(0))
                .map_err(|e| StoreError::Backend(anyhow::anyhow!("a sealed data key: {e}")))
        })
        .collect()
}

/// Replaces every given key's sealed form (the caller's transaction: all or nothing).
pub async fn replace_all(c: &impl GenericClient, keys: &[SealedDataKey]) -> StoreResult<()> {
    for key in keys {
        let n = exec(
            c,
            "UPDATE data_keys SET sealed = $2 WHERE id = $1",
            &[&key.id, &to_json(key)?],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::Backend(anyhow::anyhow!(
                "data key {} is missing",
                key.id
            )));
        }
    }
    Ok(())
}

/// Removes a key no image, package or job names any more (after an image was deleted).
pub async fn delete_unused(c: &impl GenericClient, id: &str) -> StoreResult<()> {
    let used = opt(
        c,
        "SELECT 1 FROM images WHERE data_key_id = $1
         UNION ALL SELECT 1 FROM packages WHERE data_key_id = $1
         UNION ALL SELECT 1 FROM upload_jobs WHERE data_key_id = $1 LIMIT 1",
        &[&id],
    )
    .await?;
    if used.is_none() {
        exec(c, "DELETE FROM data_keys WHERE id = $1", &[&id]).await?;
    }
    Ok(())
}
