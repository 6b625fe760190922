//! Writing image rows, with the two bounds every new image obeys: its name is free among the
//! tenant's jobs and images (seed 003), and the tenant holds fewer images than the caller's
//! `max_images` (`--max-images`). Both are checked inside the writing transaction, so
//! concurrent completions can never leave more images than the bound.

use rusqlite::{params, Connection, Transaction};

use super::{db, i64_of, u64_of, ApiError, ImageRecord, StoreResult};

pub fn count(c: &Connection, tenant: &str) -> StoreResult<u64> {
    c.query_row(
        "SELECT COUNT(*) FROM images WHERE tenant_id = ?1",
        [tenant],
        |r| r.get::<_, i64>(0),
    )
    .map(u64_of)
    .map_err(db)
}

/// ALREADY_EXISTS when a job other than `own_job` or any image has the name;
/// RESOURCE_EXHAUSTED when `max_images` are held.
pub fn check_room(
    c: &Connection,
    tenant: &str,
    name: &str,
    own_job: Option<&str>,
    max_images: u64,
) -> StoreResult<()> {
    let taken: bool = c
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM upload_jobs
                            WHERE tenant_id = ?1 AND name = ?2 AND id IS NOT ?3)
                 OR EXISTS (SELECT 1 FROM images WHERE tenant_id = ?1 AND name = ?2)",
            params![tenant, name, own_job],
            |r| r.get(0),
        )
        .map_err(db)?;
    if taken {
        return Err(ApiError::already_exists(format!(
            "an upload job or firmware image named {name:?} already exists"
        ))
        .into());
    }
    let held = count(c, tenant)?;
    if held >= max_images {
        return Err(ApiError::resource_exhausted(format!(
            "the tenant holds {held} firmware images, its limit is {max_images}; delete an image \
             to make room"
        ))
        .into());
    }
    Ok(())
}

/// Inserts the row after [`check_room`], in the caller's (immediate) transaction.
pub fn insert(tx: &Transaction<'_>, image: &ImageRecord, max_images: u64) -> StoreResult<()> {
    let own_job = Some(image.upload_job_id.as_str()).filter(|j| !j.is_empty());
    check_room(tx, &image.tenant_id, &image.name, own_job, max_images)?;
    if let Some(key) = &image.data_key {
        super::data_keys::insert(tx, &image.tenant_id, key, &image.created_at)?;
    }
    tx.execute(
        "INSERT INTO images (id, tenant_id, name, description, object_key, sha256, size, upload_job_id, created_at, data_key_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            image.id,
            image.tenant_id,
            image.name,
            image.description,
            image.object_key,
            image.sha256,
            i64_of(image.size),
            image.upload_job_id,
            image.created_at,
            image.data_key.as_ref().map(|k| &k.id)
        ],
    )
    .map_err(db)?;
    Ok(())
}
