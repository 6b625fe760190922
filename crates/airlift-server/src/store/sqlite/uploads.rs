//! Upload jobs, their chunks (parts) and the firmware images they turn into.

use airlift_core::upload_parts::PartSize;
use airlift_core::wire::UploadJobStatus;
use rusqlite::{params, Connection, OptionalExtension as _, Row, Transaction, TransactionBehavior};

use crate::store::upload_states::{check_complete, ensure_open, status_of};

use super::{
    db, i64_of, page_of, u64_of, ApiError, ChunkRecord, ImageDeletion, ImageRecord, NewChunk, Page,
    PageOf, StoreError, StoreResult, UploadJobRecord,
};

// chunk_count and bytes_received describe what the server holds right now; once a job is
// completed its parts are gone and the image's size is what was received.
const JOB_SELECT: &str = "
    SELECT j.id, j.tenant_id, j.name, j.description, j.status, j.firmware_image_id,
           j.created_at, j.updated_at,
           (SELECT COUNT(*) FROM upload_chunks c WHERE c.job_id = j.id),
           COALESCE((SELECT size FROM images i WHERE i.id = j.firmware_image_id),
                    (SELECT COALESCE(SUM(length), 0) FROM upload_chunks c WHERE c.job_id = j.id)),
           (SELECT sealed FROM data_keys d WHERE d.id = j.data_key_id)
    FROM upload_jobs j";

fn job_row(r: &Row<'_>) -> rusqlite::Result<UploadJobRecord> {
    Ok(UploadJobRecord {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        status: status_of(&r.get::<_, String>(4)?),
        firmware_image_id: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        chunk_count: u64_of(r.get(8)?),
        bytes_received: u64_of(r.get(9)?),
        data_key: super::data_keys::parse(r.get(10)?)?,
    })
}

fn name_taken(tx: &Transaction<'_>, tenant: &str, name: &str) -> StoreResult<bool> {
    let q = "SELECT EXISTS (SELECT 1 FROM upload_jobs WHERE tenant_id = ?1 AND name = ?2)
                OR EXISTS (SELECT 1 FROM images WHERE tenant_id = ?1 AND name = ?2)";
    tx.query_row(q, [tenant, name], |r| r.get(0)).map_err(db)
}

pub fn create_job(c: &mut Connection, job: &UploadJobRecord) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    // Seed 003: a name used by a job or an image of the account is a conflict.
    if name_taken(&tx, &job.tenant_id, &job.name)? {
        return Err(ApiError::already_exists(format!(
            "an upload job or firmware image named {:?} already exists",
            job.name
        ))
        .into());
    }
    if let Some(key) = &job.data_key {
        super::data_keys::insert(&tx, &job.tenant_id, key, &job.created_at)?;
    }
    tx.execute(
        "INSERT INTO upload_jobs (id, tenant_id, name, description, status, firmware_image_id, created_at, updated_at, data_key_id)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?6, ?7)",
        params![job.id, job.tenant_id, job.name, job.description, job.status.as_str(), job.created_at,
                job.data_key.as_ref().map(|k| &k.id)],
    )
    .map_err(db)?;
    tx.commit().map_err(db)
}

pub fn job(c: &Connection, tenant: &str, id: &str) -> StoreResult<Option<UploadJobRecord>> {
    c.query_row(
        &format!("{JOB_SELECT} WHERE j.tenant_id = ?1 AND j.id = ?2"),
        [tenant, id],
        job_row,
    )
    .optional()
    .map_err(db)
}

pub fn list_jobs(
    c: &mut Connection,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<UploadJobRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "{JOB_SELECT} WHERE j.tenant_id = ?1 AND j.id > ?2 ORDER BY j.id LIMIT ?3"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(
            params![tenant, page.after.as_deref().unwrap_or(""), page.limit + 1],
            job_row,
        )
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, page.limit))
}

fn not_found() -> StoreError {
    ApiError::not_found("upload job not found").into()
}

/// The job's status inside a write transaction, or NOT_FOUND (also for another tenant's job).
fn locked_status(tx: &Transaction<'_>, tenant: &str, id: &str) -> StoreResult<UploadJobStatus> {
    tx.query_row(
        "SELECT status FROM upload_jobs WHERE tenant_id = ?1 AND id = ?2",
        [tenant, id],
        |r| r.get::<_, String>(0),
    )
    .optional()
    .map_err(db)?
    .map(|s| status_of(&s))
    .ok_or_else(not_found)
}

fn chunk_keys(tx: &Transaction<'_>, job_id: &str) -> StoreResult<Vec<String>> {
    let mut stmt = tx
        .prepare_cached("SELECT object_key FROM upload_chunks WHERE job_id = ?1")
        .map_err(db)?;
    let keys = stmt
        .query_map([job_id], |r| r.get(0))
        .map_err(db)?
        .collect::<Result<Vec<String>, _>>()
        .map_err(db)?;
    Ok(keys)
}

pub fn delete_job(c: &mut Connection, tenant: &str, id: &str) -> StoreResult<Vec<String>> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    if locked_status(&tx, tenant, id)? == UploadJobStatus::Completing {
        return Err(ApiError::failed_precondition(
            "the upload job is being completed; delete it once that has finished",
        )
        .into());
    }
    let keys = chunk_keys(&tx, id)?;
    tx.execute("DELETE FROM upload_chunks WHERE job_id = ?1", [id])
        .map_err(db)?;
    tx.execute("DELETE FROM upload_jobs WHERE id = ?1", [id])
        .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(keys)
}

/// Checks a job can take a chunk before its bytes are stored (the answer is re-checked when
/// the chunk is recorded).
pub fn check_open(c: &Connection, tenant: &str, id: &str) -> StoreResult<()> {
    let status = c
        .query_row(
            "SELECT status FROM upload_jobs WHERE tenant_id = ?1 AND id = ?2",
            [tenant, id],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(db)?
        .ok_or_else(not_found)?;
    ensure_open(status_of(&status))
}

pub fn put_chunk(
    c: &mut Connection,
    tenant: &str,
    job_id: &str,
    chunk: &NewChunk,
) -> StoreResult<(ChunkRecord, Option<String>)> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    ensure_open(locked_status(&tx, tenant, job_id)?)?;
    let chunk_id: u32 = match chunk.chunk_id {
        Some(n) => n,
        None => tx
            .query_row(
                "SELECT COALESCE(MAX(chunk_id), 0) + 1 FROM upload_chunks WHERE job_id = ?1",
                [job_id],
                |r| r.get(0),
            )
            .map_err(db)?,
    };
    let previous: Option<(String, String)> = tx
        .query_row(
            "SELECT object_key, created_at FROM upload_chunks WHERE job_id = ?1 AND chunk_id = ?2",
            params![job_id, chunk_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)?;
    let created_at = previous
        .as_ref()
        .map_or_else(|| chunk.at.clone(), |(_, created)| created.clone());
    tx.execute(
        "INSERT INTO upload_chunks (job_id, chunk_id, length, md5_hex, object_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (job_id, chunk_id) DO UPDATE SET
             length = excluded.length, md5_hex = excluded.md5_hex,
             object_key = excluded.object_key, updated_at = excluded.updated_at",
        params![job_id, chunk_id, i64_of(chunk.length), chunk.md5_hex, chunk.object_key, created_at, chunk.at],
    )
    .map_err(db)?;
    tx.execute(
        "UPDATE upload_jobs SET status = 'in_progress', updated_at = ?2 WHERE id = ?1",
        params![job_id, chunk.at],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    let record = ChunkRecord {
        chunk_id,
        length: chunk.length,
        md5_hex: chunk.md5_hex.clone(),
        object_key: chunk.object_key.clone(),
        created_at,
        updated_at: chunk.at.clone(),
    };
    Ok((record, previous.map(|(key, _)| key)))
}

const CHUNK_COLUMNS: &str = "chunk_id, length, md5_hex, object_key, created_at, updated_at";

fn chunk_row(r: &Row<'_>) -> rusqlite::Result<ChunkRecord> {
    Ok(ChunkRecord {
        chunk_id: r.get(0)?,
        length: u64_of(r.get(1)?),
        md5_hex: r.get(2)?,
        object_key: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
    })
}

fn require_job(c: &Connection, tenant: &str, job_id: &str) -> StoreResult<()> {
    let exists: bool = c
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM upload_jobs WHERE tenant_id = ?1 AND id = ?2)",
            [tenant, job_id],
            |r| r.get(0),
        )
        .map_err(db)?;
    if exists {
        Ok(())
    } else {
        Err(not_found())
    }
}

pub fn part_sizes(c: &Connection, tenant: &str, job_id: &str) -> StoreResult<Vec<PartSize>> {
    require_job(c, tenant, job_id)?;
    let mut stmt = c
        .prepare_cached("SELECT chunk_id, length FROM upload_chunks WHERE job_id = ?1")
        .map_err(db)?;
    let rows = stmt
        .query_map([job_id], |r| {
            Ok(PartSize {
                id: r.get(0)?,
                length: u64_of(r.get(1)?),
            })
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db);
    rows
}

pub fn chunk(
    c: &mut Connection,
    tenant: &str,
    job_id: &str,
    chunk_id: u32,
) -> StoreResult<Option<ChunkRecord>> {
    require_job(c, tenant, job_id)?;
    c.query_row(
        &format!("SELECT {CHUNK_COLUMNS} FROM upload_chunks WHERE job_id = ?1 AND chunk_id = ?2"),
        params![job_id, chunk_id],
        chunk_row,
    )
    .optional()
    .map_err(db)
}

pub fn list_chunks(
    c: &mut Connection,
    tenant: &str,
    job_id: &str,
    page: &Page,
) -> StoreResult<PageOf<ChunkRecord>> {
    require_job(c, tenant, job_id)?;
    let after: u32 = page
        .after
        .as_deref()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {CHUNK_COLUMNS} FROM upload_chunks WHERE job_id = ?1 AND chunk_id > ?2 ORDER BY chunk_id LIMIT ?3"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(params![job_id, after, page.limit + 1], chunk_row)
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, page.limit))
}

pub fn begin_completion(
    c: &mut Connection,
    tenant: &str,
    job_id: &str,
) -> StoreResult<Vec<ChunkRecord>> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    ensure_open(locked_status(&tx, tenant, job_id)?)?;
    let chunks = {
        let mut stmt = tx
            .prepare_cached(&format!(
                "SELECT {CHUNK_COLUMNS} FROM upload_chunks WHERE job_id = ?1 ORDER BY chunk_id"
            ))
            .map_err(db)?;
        let rows = stmt
            .query_map([job_id], chunk_row)
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        rows
    };
    check_complete(&chunks)?;
    tx.execute(
        "UPDATE upload_jobs SET status = 'completing', updated_at = ?2 WHERE id = ?1",
        params![job_id, crate::ids::now()],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(chunks)
}

pub fn abort_completion(c: &mut Connection, tenant: &str, job_id: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE upload_jobs SET status = 'in_progress', updated_at = ?3
         WHERE tenant_id = ?1 AND id = ?2 AND status = 'completing'",
        params![tenant, job_id, crate::ids::now()],
    )
    .map_err(db)?;
    Ok(())
}

pub fn finish_completion(
    c: &mut Connection,
    image: &ImageRecord,
    max_images: u64,
) -> StoreResult<(UploadJobRecord, Vec<String>)> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let status = locked_status(&tx, &image.tenant_id, &image.upload_job_id)?;
    if status != UploadJobStatus::Completing {
        return Err(
            ApiError::failed_precondition("the upload job is no longer being completed").into(),
        );
    }
    super::image_rows::insert(&tx, image, max_images)?;
    tx.execute(
        "UPDATE upload_jobs SET status = 'completed', firmware_image_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![image.upload_job_id, image.id, image.created_at],
    )
    .map_err(db)?;
    let keys = chunk_keys(&tx, &image.upload_job_id)?;
    tx.execute(
        "DELETE FROM upload_chunks WHERE job_id = ?1",
        [&image.upload_job_id],
    )
    .map_err(db)?;
    let job = job(&tx, &image.tenant_id, &image.upload_job_id)?.ok_or_else(not_found)?;
    tx.commit().map_err(db)?;
    Ok((job, keys))
}

const IMAGE_COLUMNS: &str = "id, tenant_id, name, description, object_key, sha256, size, \
    upload_job_id, created_at, (SELECT sealed FROM data_keys d WHERE d.id = images.data_key_id)";

fn image_row(r: &Row<'_>) -> rusqlite::Result<ImageRecord> {
    Ok(ImageRecord {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        object_key: r.get(4)?,
        sha256: r.get(5)?,
        size: u64_of(r.get(6)?),
        upload_job_id: r.get(7)?,
        created_at: r.get(8)?,
        data_key: super::data_keys::parse(r.get(9)?)?,
    })
}

/// A single-shot image: no job, so only the name and the quota are checked.
pub fn create_image(c: &mut Connection, image: &ImageRecord, max_images: u64) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    super::image_rows::insert(&tx, image, max_images)?;
    tx.commit().map_err(db)
}

pub fn image(c: &mut Connection, tenant: &str, id: &str) -> StoreResult<Option<ImageRecord>> {
    c.query_row(
        &format!("SELECT {IMAGE_COLUMNS} FROM images WHERE tenant_id = ?1 AND id = ?2"),
        [tenant, id],
        image_row,
    )
    .optional()
    .map_err(db)
}

pub fn list_images(
    c: &mut Connection,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<ImageRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {IMAGE_COLUMNS} FROM images WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(
            params![tenant, page.after.as_deref().unwrap_or(""), page.limit + 1],
            image_row,
        )
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, page.limit))
}

pub fn delete_image(
    c: &mut Connection,
    tenant: &str,
    id: &str,
    datafile_uri: &str,
) -> StoreResult<ImageDeletion> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let object_key: Option<String> = tx
        .query_row(
            "SELECT object_key FROM images WHERE tenant_id = ?1 AND id = ?2",
            [tenant, id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    let Some(object_key) = object_key else {
        return Ok(ImageDeletion::Missing);
    };
    let package_id: Option<String> = tx
        .query_row(
            "SELECT id FROM packages WHERE tenant_id = ?1 AND artifact_uri = ?2 LIMIT 1",
            [tenant, datafile_uri],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    if let Some(package_id) = package_id {
        return Ok(ImageDeletion::UsedBy { package_id });
    }
    let data_key: Option<String> = tx
        .query_row(
            "SELECT data_key_id FROM images WHERE tenant_id = ?1 AND id = ?2",
            [tenant, id],
            |r| r.get(0),
        )
        .map_err(db)?;
    tx.execute(
        "DELETE FROM images WHERE tenant_id = ?1 AND id = ?2",
        [tenant, id],
    )
    .map_err(db)?;
    if let Some(key) = data_key {
        super::data_keys::delete_unused(&tx, &key)?;
    }
    tx.commit().map_err(db)?;
    Ok(ImageDeletion::Deleted { object_key })
}

pub fn reset_interrupted_completions(c: &mut Connection) -> StoreResult<u64> {
    let n = c
        .execute(
            "UPDATE upload_jobs SET status = 'in_progress' WHERE status = 'completing'",
            [],
        )
        .map_err(db)?;
    Ok(n as u64)
}

pub fn forget_part(
    c: &mut Connection,
    job_id: &str,
    chunk_id: u32,
    md5_hex: &str,
) -> StoreResult<bool> {
    let n = c
        .execute(
            "DELETE FROM upload_chunks WHERE job_id = ?1 AND chunk_id = ?2 AND md5_hex = ?3",
            params![job_id, chunk_id, md5_hex],
        )
        .map_err(db)?;
    Ok(n > 0)
}
