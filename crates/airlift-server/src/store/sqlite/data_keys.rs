//! Encrypted images' data keys, sealed (wrapped by the server key; see `crate::crypto`): one
//! row per key, named by the image, the packages made from it and, while it uploads, its job.
//! Stored as the sealed JSON so a rotation rewrites one column and packages stay immutable.

use airlift_core::encryption::SealedDataKey;
use rusqlite::{params, Connection, OptionalExtension as _, Transaction, TransactionBehavior};

use super::{db, StoreError, StoreResult};

/// A sealed key read back from its column (`None` for a plain image or package).
pub fn parse(json: Option<String>) -> rusqlite::Result<Option<SealedDataKey>> {
    json.map(|j| {
        serde_json::from_str(&j).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

/// Inserts `key` unless its row exists (a package names its image's key).
pub fn insert(
    tx: &Transaction<'_>,
    tenant: &str,
    key: &SealedDataKey,
    at: &str,
) -> StoreResult<()> {
    let json = serde_json::to_string(key).map_err(|e| StoreError::Backend(anyhow::anyhow!(e)))?;
    tx.execute(
        "INSERT INTO data_keys (id, tenant_id, sealed, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO NOTHING",
        params![key.id, tenant, json, at],
    )
    .map_err(db)?;
    Ok(())
}

/// Every sealed key (for a rotation of the server key).
pub fn all(c: &mut Connection) -> StoreResult<Vec<SealedDataKey>> {
    let mut stmt = c
        .prepare("SELECT sealed FROM data_keys ORDER BY id")
        .map_err(db)?;
    let rows = stmt.query_map([], |r| parse(Some(r.get(0)?))).map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.extend(row.map_err(db)?);
    }
    Ok(out)
}

/// Replaces every given key's sealed form, all or nothing (a rotation's re-wrap).
pub fn replace_all(c: &mut Connection, keys: &[SealedDataKey]) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    for key in keys {
        let json =
            serde_json::to_string(key).map_err(|e| StoreError::Backend(anyhow::anyhow!(e)))?;
        let n = tx
            .execute(
                "UPDATE data_keys SET sealed = ?2 WHERE id = ?1",
                params![key.id, json],
            )
            .map_err(db)?;
        if n != 1 {
            return Err(StoreError::Backend(anyhow::anyhow!(
                "data key {} is missing",
                key.id
            )));
        }
    }
    tx.commit().map_err(db)
}

/// Removes a key no image, package or job names any more (after an image was deleted).
pub fn delete_unused(tx: &Transaction<'_>, id: &str) -> StoreResult<()> {
    let used: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM images WHERE data_key_id = ?1
             UNION ALL SELECT 1 FROM packages WHERE data_key_id = ?1
             UNION ALL SELECT 1 FROM upload_jobs WHERE data_key_id = ?1 LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    if used.is_none() {
        tx.execute("DELETE FROM data_keys WHERE id = ?1", [id])
            .map_err(db)?;
    }
    Ok(())
}
