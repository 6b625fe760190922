//! Upload jobs, their chunks (parts) and the firmware images they turn into. Every change to a
//! job runs in one transaction that first locks the job's row, so a chunk, a completion and a
//! deletion of one job queue behind each other.

use airlift_core::upload_parts::PartSize;
use airlift_core::wire::UploadJobStatus;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{
    data_keys, exec, i64_of, one, opt, page_of, rows, u64_of, ApiError, ChunkRecord, ImageDeletion,
    ImageRecord, NewChunk, Page, PageOf, StoreError, StoreResult, UploadJobRecord,
};
use crate::store::upload_states::{check_complete, ensure_open, status_of};

// chunk_count and bytes_received describe what the server holds right now; once a job is
// completed its parts are gone and the image's size is what was received.
const JOB_SELECT: &str = "
    SELECT j.id, j.tenant_id, j.name, j.description, j.status, j.firmware_image_id,
           j.created_at, j.updated_at,
           (SELECT COUNT(*) FROM upload_chunks c WHERE c.job_id = j.id),
           COALESCE((SELECT size FROM images i WHERE i.id = j.firmware_image_id),
                    (SELECT COALESCE(SUM(length), 0)::BIGINT FROM upload_chunks c WHERE c.job_id = j.id)),
           (SELECT sealed FROM data_keys d WHERE d.id = j.data_key_id)
    FROM upload_jobs j";

fn job_row(r: &Row) -> UploadJobRecord {
    UploadJobRecord {
        id: r.get(0),
        tenant_id: r.get(1),
        name: r.get(2),
        description: r.get(3),
        status: status_of(r.get(4)),
        firmware_image_id: r.get(5),
        created_at: r.get(6),
        updated_at: r.get(7),
        chunk_count: u64_of(r.get(8)),
        bytes_received: u64_of(r.get(9)),
        data_key: data_keys::parse(r.get(10)),
    }
}

fn not_found() -> StoreError {
    ApiError::not_found("upload job not found").into()
}

/// Locks the tenant's row: names (jobs and images together) and the image quota are checked
/// and written under it, so two creations cannot both take one name or the last place.
async fn lock_tenant(c: &impl GenericClient, tenant: &str) -> StoreResult<()> {
    exec(
        c,
        "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE",
        &[&tenant],
    )
    .await?;
    Ok(())
}

pub async fn create_job(c: &impl GenericClient, job: &UploadJobRecord) -> StoreResult<()> {
    lock_tenant(c, &job.tenant_id).await?;
    // Seed 003: a name used by a job or an image of the account is a conflict.
    if name_taken(c, &job.tenant_id, &job.name, None).await? {
        return Err(ApiError::already_exists(format!(
            "an upload job or firmware image named {:?} already exists",
            job.name
        ))
        .into());
    }
    if let Some(key) = &job.data_key {
        data_keys::insert(c, &job.tenant_id, key, &job.created_at).await?;
    }
    exec(
        c,
        "INSERT INTO upload_jobs (id, tenant_id, name, description, status, firmware_image_id,
             created_at, updated_at, data_key_id)
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $6, $7)",
        &[
            &job.id,
            &job.tenant_id,
            &job.name,
            &job.description,
            &job.status.as_str(),
            &job.created_at,
            &job.data_key.as_ref().map(|k| &k.id),
        ],
    )
    .await?;
    Ok(())
}

async fn name_taken(
    c: &impl GenericClient,
    tenant: &str,
    name: &str,
    own_job: Option<&str>,
) -> StoreResult<bool> {
    let row = one(
        c,
        "SELECT EXISTS (SELECT 1 FROM upload_jobs
                        WHERE tenant_id = $1 AND name = $2 AND id IS DISTINCT FROM $3)
             OR EXISTS (SELECT 1 FROM images WHERE tenant_id = $1 AND name = $2)",
        &[&tenant, &name, &own_job],
    )
    .await?;
    Ok(row.get(0))
}

pub async fn job(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<UploadJobRecord>> {
    let row = opt(
        c,
        &format!("{JOB_SELECT} WHERE j.tenant_id = $1 AND j.id = $2"),
        &[&tenant, &id],
    )
    .await?;
    Ok(row.as_ref().map(job_row))
}

pub async fn list_jobs(
    c: &impl GenericClient,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<UploadJobRecord>> {
    let found = rows(
        c,
        &format!("{JOB_SELECT} WHERE j.tenant_id = $1 AND j.id > $2 ORDER BY j.id LIMIT $3"),
        &[
            &tenant,
            &page.after.as_deref().unwrap_or(""),
            &(i64::from(page.limit) + 1),
        ],
    )
    .await?;
    Ok(page_of(found.iter().map(job_row).collect(), page.limit))
}

/// The job's status, its row locked until the transaction ends (NOT_FOUND also for another
/// tenant's job).
async fn locked_status(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<UploadJobStatus> {
    let row = opt(
        c,
        "SELECT status FROM upload_jobs WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        &[&tenant, &id],
    )
    .await?;
    row.map(|r| status_of(r.get(0))).ok_or_else(not_found)
}

async fn chunk_keys(c: &impl GenericClient, job_id: &str) -> StoreResult<Vec<String>> {
    Ok(rows(
        c,
        "SELECT object_key FROM upload_chunks WHERE job_id = $1",
        &[&job_id],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

pub async fn delete_job(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Vec<String>> {
    if locked_status(c, tenant, id).await? == UploadJobStatus::Completing {
        return Err(ApiError::failed_precondition(
            "the upload job is being completed; delete it once that has finished",
        )
        .into());
    }
    let keys = chunk_keys(c, id).await?;
    exec(c, "DELETE FROM upload_chunks WHERE job_id = $1", &[&id]).await?;
    exec(c, "DELETE FROM upload_jobs WHERE id = $1", &[&id]).await?;
    Ok(keys)
}

pub async fn check_open(c: &impl GenericClient, tenant: &str, id: &str) -> StoreResult<()> {
    let row = opt(
        c,
        "SELECT status FROM upload_jobs WHERE tenant_id = $1 AND id = $2",
        &[&tenant, &id],
    )
    .await?
    .ok_or_else(not_found)?;
    ensure_open(status_of(row.get(0)))
}

pub async fn put_chunk(
    c: &impl GenericClient,
    tenant: &str,
    job_id: &str,
    chunk: &NewChunk,
) -> StoreResult<(ChunkRecord, Option<String>)> {
    ensure_open(locked_status(c, tenant, job_id).await?)?;
    let chunk_id: i64 = match chunk.chunk_id {
        Some(n) => i64::from(n),
        None => one(
            c,
            "SELECT COALESCE(MAX(chunk_id), 0) + 1 FROM upload_chunks WHERE job_id = $1",
            &[&job_id],
        )
        .await?
        .get(0),
    };
    let previous: Option<(String, String)> = opt(
        c,
        "SELECT object_key, created_at FROM upload_chunks WHERE job_id = $1 AND chunk_id = $2",
        &[&job_id, &chunk_id],
    )
    .await?
    .map(|r| (r.get(0), r.get(1)));
    let created_at = previous
        .as_ref()
        .map_or_else(|| chunk.at.clone(), |(_, created)| created.clone());
    exec(
        c,
        "INSERT INTO upload_chunks (job_id, chunk_id, length, md5_hex, object_key, created_at,
             updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (job_id, chunk_id) DO UPDATE SET
             length = excluded.length, md5_hex = excluded.md5_hex,
             object_key = excluded.object_key, updated_at = excluded.updated_at",
        &[
            &job_id,
            &chunk_id,
            &i64_of(chunk.length),
            &chunk.md5_hex,
            &chunk.object_key,
            &created_at,
            &chunk.at,
        ],
    )
    .await?;
    exec(
        c,
        "UPDATE upload_jobs SET status = 'in_progress', updated_at = $2 WHERE id = $1",
        &[&job_id, &chunk.at],
    )
    .await?;
    let record = ChunkRecord {
        chunk_id: u32::try_from(chunk_id).unwrap_or(u32::MAX),
        length: chunk.length,
        md5_hex: chunk.md5_hex.clone(),
        object_key: chunk.object_key.clone(),
        created_at,
        updated_at: chunk.at.clone(),
    };
    Ok((record, previous.map(|(key, _)| key)))
}

const CHUNK_COLUMNS: &str = "chunk_id, length, md5_hex, object_key, created_at, updated_at";

fn chunk_row(r: &Row) -> ChunkRecord {
    ChunkRecord {
        chunk_id: u32::try_from(r.get::<_, i64>(0)).unwrap_or(0),
        length: u64_of(r.get(1)),
        md5_hex: r.get(2),
        object_key: r.get(3),
        created_at: r.get(4),
        updated_at: r.get(5),
    }
}

async fn require_job(c: &impl GenericClient, tenant: &str, job_id: &str) -> StoreResult<()> {
    opt(
        c,
        "SELECT 1 FROM upload_jobs WHERE tenant_id = $1 AND id = $2",
        &[&tenant, &job_id],
    )
    .await?
    .map(|_| ())
    .ok_or_else(not_found)
}

pub async fn part_sizes(
    c: &impl GenericClient,
    tenant: &str,
    job_id: &str,
) -> StoreResult<Vec<PartSize>> {
    require_job(c, tenant, job_id).await?;
    Ok(rows(
        c,
        "SELECT chunk_id, length FROM upload_chunks WHERE job_id = $1",
        &[&job_id],
    )
    .await?
    .iter()
    .map(|r| PartSize {
        id: u32::try_from(r.get::<_, i64>(0)).unwrap_or(0),
        length: u64_of(r.get(1)),
    })
    .collect())
}

pub async fn chunk(
    c: &impl GenericClient,
    tenant: &str,
    job_id: &str,
    chunk_id: u32,
) -> StoreResult<Option<ChunkRecord>> {
    require_job(c, tenant, job_id).await?;
    let row = opt(
        c,
        &format!("SELECT {CHUNK_COLUMNS} FROM upload_chunks WHERE job_id = $1 AND chunk_id = $2"),
        &[&job_id, &i64::from(chunk_id)],
    )
    .await?;
    Ok(row.as_ref().map(chunk_row))
}

pub async fn list_chunks(
    c: &impl GenericClient,
    tenant: &str,
    job_id: &str,
    page: &Page,
) -> StoreResult<PageOf<ChunkRecord>> {
    require_job(c, tenant, job_id).await?;
    let after: i64 = page
        .after
        .as_deref()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let found = rows(
        c,
        &format!(
            "SELECT {CHUNK_COLUMNS} FROM upload_chunks WHERE job_id = $1 AND chunk_id > $2
             ORDER BY chunk_id LIMIT $3"
        ),
        &[&job_id, &after, &(i64::from(page.limit) + 1)],
    )
    .await?;
    Ok(page_of(found.iter().map(chunk_row).collect(), page.limit))
}

pub async fn begin_completion(
    c: &impl GenericClient,
    tenant: &str,
    job_id: &str,
) -> StoreResult<Vec<ChunkRecord>> {
    ensure_open(locked_status(c, tenant, job_id).await?)?;
    let chunks: Vec<ChunkRecord> = rows(
        c,
        &format!("SELECT {CHUNK_COLUMNS} FROM upload_chunks WHERE job_id = $1 ORDER BY chunk_id"),
        &[&job_id],
    )
    .await?
    .iter()
    .map(chunk_row)
    .collect();
    check_complete(&chunks)?;
    exec(
        c,
        "UPDATE upload_jobs SET status = 'completing', updated_at = $2 WHERE id = $1",
        &[&job_id, &crate::ids::now()],
    )
    .await?;
    Ok(chunks)
}

pub async fn abort_completion(
    c: &impl GenericClient,
    tenant: &str,
    job_id: &str,
) -> StoreResult<()> {
    exec(
        c,
        "UPDATE upload_jobs SET status = 'in_progress', updated_at = $3
         WHERE tenant_id = $1 AND id = $2 AND status = 'completing'",
        &[&tenant, &job_id, &crate::ids::now()],
    )
    .await?;
    Ok(())
}

pub async fn finish_completion(
    c: &impl GenericClient,
    image: &ImageRecord,
    max_images: u64,
) -> StoreResult<(UploadJobRecord, Vec<String>)> {
    lock_tenant(c, &image.tenant_id).await?;
    let status = locked_status(c, &image.tenant_id, &image.upload_job_id).await?;
    if status != UploadJobStatus::Completing {
        return Err(
            ApiError::failed_precondition("the upload job is no longer being completed").into(),
        );
    }
    insert_image(c, image, max_images).await?;
    exec(
        c,
        "UPDATE upload_jobs SET status = 'completed', firmware_image_id = $2, updated_at = $3
         WHERE id = $1",
        &[&image.upload_job_id, &image.id, &image.created_at],
    )
    .await?;
    let keys = chunk_keys(c, &image.upload_job_id).await?;
    exec(
        c,
        "DELETE FROM upload_chunks WHERE job_id = $1",
        &[&image.upload_job_id],
    )
    .await?;
    let job = job(c, &image.tenant_id, &image.upload_job_id)
        .await?
        .ok_or_else(not_found)?;
    Ok((job, keys))
}

pub async fn count_images(c: &impl GenericClient, tenant: &str) -> StoreResult<u64> {
    Ok(u64_of(
        one(
            c,
            "SELECT COUNT(*) FROM images WHERE tenant_id = $1",
            &[&tenant],
        )
        .await?
        .get(0),
    ))
}

/// ALREADY_EXISTS when a job other than `own_job` or any image has the name;
/// RESOURCE_EXHAUSTED when `max_images` are held.
pub async fn check_room(
    c: &impl GenericClient,
    tenant: &str,
    name: &str,
    own_job: Option<&str>,
    max_images: u64,
) -> StoreResult<()> {
    if name_taken(c, tenant, name, own_job).await? {
        return Err(ApiError::already_exists(format!(
            "an upload job or firmware image named {name:?} already exists"
        ))
        .into());
    }
    let held = count_images(c, tenant).await?;
    if held >= max_images {
        return Err(ApiError::resource_exhausted(format!(
            "the tenant holds {held} firmware images, its limit is {max_images}; delete an image \
             to make room"
        ))
        .into());
    }
    Ok(())
}

/// Inserts the row after [`check_room`], under the tenant's lock (the caller's transaction).
async fn insert_image(
    c: &impl GenericClient,
    image: &ImageRecord,
    max_images: u64,
) -> StoreResult<()> {
    let own_job = Some(image.upload_job_id.as_str()).filter(|j| !j.is_empty());
    check_room(c, &image.tenant_id, &image.name, own_job, max_images).await?;
    if let Some(key) = &image.data_key {
        data_keys::insert(c, &image.tenant_id, key, &image.created_at).await?;
    }
    exec(
        c,
        "INSERT INTO images (id, tenant_id, name, description, object_key, sha256, size,
             upload_job_id, created_at, data_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &image.id,
            &image.tenant_id,
            &image.name,
            &image.description,
            &image.object_key,
            &image.sha256,
            &i64_of(image.size),
            &image.upload_job_id,
            &image.created_at,
            &image.data_key.as_ref().map(|k| &k.id),
        ],
    )
    .await?;
    Ok(())
}

/// A single-shot image: no job, so only the name and the quota are checked.
pub async fn create_image(
    c: &impl GenericClient,
    image: &ImageRecord,
    max_images: u64,
) -> StoreResult<()> {
    lock_tenant(c, &image.tenant_id).await?;
    insert_image(c, image, max_images).await
}

const IMAGE_COLUMNS: &str = "id, tenant_id, name, description, object_key, sha256, size, \
    upload_job_id, created_at, (SELECT sealed FROM data_keys d WHERE d.id = images.data_key_id)";

fn image_row(r: &Row) -> ImageRecord {
    ImageRecord {
        id: r.get(0),
        tenant_id: r.get(1),
        name: r.get(2),
        description: r.get(3),
        object_key: r.get(4),
        sha256: r.get(5),
        size: u64_of(r.get(6)),
        upload_job_id: r.get(7),
        created_at: r.get(8),
        data_key: data_keys::parse(r.get(9)),
    }
}

pub async fn image(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<ImageRecord>> {
    let row = opt(
        c,
        &format!("SELECT {IMAGE_COLUMNS} FROM images WHERE tenant_id = $1 AND id = $2"),
        &[&tenant, &id],
    )
    .await?;
    Ok(row.as_ref().map(image_row))
}

pub async fn list_images(
    c: &impl GenericClient,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<ImageRecord>> {
    let found = rows(
        c,
        &format!(
            "SELECT {IMAGE_COLUMNS} FROM images WHERE tenant_id = $1 AND id > $2
             ORDER BY id LIMIT $3"
        ),
        &[
            &tenant,
            &page.after.as_deref().unwrap_or(""),
            &(i64::from(page.limit) + 1),
        ],
    )
    .await?;
    Ok(page_of(found.iter().map(image_row).collect(), page.limit))
}

pub async fn delete_image(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
    datafile_uri: &str,
) -> StoreResult<ImageDeletion> {
    let Some(row) = opt(
        c,
        "SELECT object_key, data_key_id FROM images WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        &[&tenant, &id],
    )
    .await?
    else {
        return Ok(ImageDeletion::Missing);
    };
    let object_key: String = row.get(0);
    let data_key: Option<String> = row.get(1);
    if let Some(p) = opt(
        c,
        "SELECT id FROM packages WHERE tenant_id = $1 AND artifact_uri = $2 LIMIT 1",
        &[&tenant, &datafile_uri],
    )
    .await?
    {
        return Ok(ImageDeletion::UsedBy {
            package_id: p.get(0),
        });
    }
    exec(
        c,
        "DELETE FROM images WHERE tenant_id = $1 AND id = $2",
        &[&tenant, &id],
    )
    .await?;
    if let Some(key) = data_key {
        data_keys::delete_unused(c, &key).await?;
    }
    Ok(ImageDeletion::Deleted { object_key })
}

pub async fn reset_interrupted_completions(c: &impl GenericClient) -> StoreResult<u64> {
    exec(
        c,
        "UPDATE upload_jobs SET status = 'in_progress' WHERE status = 'completing'",
        &[],
    )
    .await
}

pub async fn forget_part(
    c: &impl GenericClient,
    job_id: &str,
    chunk_id: u32,
    md5_hex: &str,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "DELETE FROM upload_chunks WHERE job_id = $1 AND chunk_id = $2 AND md5_hex = $3",
        &[&job_id, &i64::from(chunk_id), &md5_hex],
    )
    .await?;
    Ok(n > 0)
}
