//! [`Store`] on an embedded SQLite database.
//!
//! SQLite in WAL mode lets readers run alongside the single writer; every write transaction
//! starts `IMMEDIATE` so two writers queue on `busy_timeout` instead of failing with
//! SQLITE_BUSY halfway through. rusqlite is blocking, so each call runs on tokio's blocking
//! pool with a connection from a small pool of its own, except the device protocol's point
//! reads (token lookup, assignment, open commands), which are cheaper than the trip ([`Pool::run_inline`]). Device
//! reports, the hot write path, go through a group-committing writer thread
//! ([`report_writer`]).

mod catalog;
#[cfg(test)]
mod device_polls_tests;
mod fleet;
mod idempotency;
mod package_memo;
mod polls;
mod pool;
mod report_writer;
mod rollouts;
mod schema;
mod tenants;
mod uploads;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::Connection;

use super::*;
use package_memo::PackageMemo;
use pool::Pool;
use report_writer::ReportWriter;

/// Readers plus the writer; more would only queue on SQLite's single write lock.
const POOL_SIZE: usize = 4;

#[derive(Clone)]
pub struct SqliteStore {
    pool: Arc<Pool>,
    reports: Arc<ReportWriter>,
    packages: Arc<PackageMemo>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
    pub fn open_blocking(path: &Path) -> anyhow::Result<Self> {
        let pool = Pool::open(path, POOL_SIZE, |conn| {
            schema::migrations()
                .to_latest(conn)
                .map_err(|e| anyhow::anyhow!("migrating {}: {e}", path.display()))
        })?;
        let reports = ReportWriter::start(pool::connect(path)?)?;
        Ok(Self {
            pool: Arc::new(pool),
            reports: Arc::new(reports),
            packages: Arc::default(),
        })
    }

    /// For the `token` command, which runs without an async runtime.
    pub fn ensure_tenant_blocking(&self, name: &str) -> StoreResult<TenantRecord> {
        let mut conn = self.pool.take()?;
        let result = tenants::ensure(&mut conn, name);
        self.pool.give(conn);
        result
    }

    async fn call<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        self.pool.run(f).await
    }

    /// A hot, read-only point lookup of the device protocol, run without leaving the async
    /// thread (see [`Pool::run_inline`]).
    fn read_inline<T>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        self.pool.run_inline(f)
    }
}

/// Maps a UNIQUE/PRIMARY KEY violation to ALREADY_EXISTS with `message`; other errors pass.
fn conflict(e: rusqlite::Error, message: impl FnOnce() -> String) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation
            && matches!(
                f.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            )
        {
            return ApiError::already_exists(message()).into();
        }
    }
    db(e)
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(anyhow::Error::new(e))
}

/// Integers are stored as SQLite's i64; sizes and counts are never negative.
fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A page from `limit + 1` fetched rows: the extra row only tells whether more follow.
fn page_of<T>(mut rows: Vec<T>, limit: u32) -> PageOf<T> {
    let limit = limit as usize;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    PageOf {
        items: rows,
        has_more,
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ensure_tenant(&self, name: &str) -> StoreResult<TenantRecord> {
        let name = name.to_owned();
        self.call(move |c| tenants::ensure(c, &name)).await
    }
    async fn tenant(&self, tenant_id: &str) -> StoreResult<Option<TenantRecord>> {
        let id = tenant_id.to_owned();
        self.call(move |c| tenants::get(c, &id)).await
    }
    async fn set_require_signatures(&self, tenant_id: &str, on: bool) -> StoreResult<TenantRecord> {
        let id = tenant_id.to_owned();
        self.call(move |c| tenants::set_require_signatures(c, &id, on))
            .await
    }

    async fn create_profile(&self, profile: ProfileRecord) -> StoreResult<()> {
        self.call(move |c| fleet::create_profile(c, &profile)).await
    }
    async fn profile(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ProfileRecord>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| fleet::profile(c, &t, &id)).await
    }
    async fn list_profiles(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<ProfileRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| fleet::list_profiles(c, &t, &page)).await
    }
    async fn device(&self, tenant_id: &str, id: &str) -> StoreResult<Option<DeviceRecord>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| fleet::device(c, &t, &id)).await
    }
    async fn list_devices(&self, tenant_id: &str, page: Page) -> StoreResult<PageOf<DeviceRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| fleet::list_devices(c, &t, &page)).await
    }
    async fn device_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<DeviceRecord>> {
        self.read_inline(|c| fleet::device_by_token_hash(c, token_hash))
    }

    async fn create_upload_job(&self, job: UploadJobRecord) -> StoreResult<()> {
        self.call(move |c| uploads::create_job(c, &job)).await
    }
    async fn upload_job(&self, tenant_id: &str, id: &str) -> StoreResult<Option<UploadJobRecord>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| uploads::job(c, &t, &id)).await
    }
    async fn list_upload_jobs(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<UploadJobRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| uploads::list_jobs(c, &t, &page)).await
    }
    async fn delete_upload_job(&self, tenant_id: &str, id: &str) -> StoreResult<Vec<String>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| uploads::delete_job(c, &t, &id)).await
    }
    async fn check_accepts_chunks(&self, tenant_id: &str, job_id: &str) -> StoreResult<()> {
        let (t, j) = (tenant_id.to_owned(), job_id.to_owned());
        self.call(move |c| uploads::check_open(c, &t, &j)).await
    }
    async fn put_chunk(
        &self,
        tenant_id: &str,
        job_id: &str,
        chunk: NewChunk,
    ) -> StoreResult<(ChunkRecord, Option<String>)> {
        let (t, j) = (tenant_id.to_owned(), job_id.to_owned());
        self.call(move |c| uploads::put_chunk(c, &t, &j, &chunk))
            .await
    }
    async fn chunk(
        &self,
        tenant_id: &str,
        job_id: &str,
        chunk_id: u32,
    ) -> StoreResult<Option<ChunkRecord>> {
        let (t, j) = (tenant_id.to_owned(), job_id.to_owned());
        self.call(move |c| uploads::chunk(c, &t, &j, chunk_id))
            .await
    }
    async fn list_chunks(
        &self,
        tenant_id: &str,
        job_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<ChunkRecord>> {
        let (t, j) = (tenant_id.to_owned(), job_id.to_owned());
        self.call(move |c| uploads::list_chunks(c, &t, &j, &page))
            .await
    }
    async fn begin_completion(
        &self,
        tenant_id: &str,
        job_id: &str,
    ) -> StoreResult<Vec<ChunkRecord>> {
        let (t, j) = (tenant_id.to_owned(), job_id.to_owned());
        self.call(move |c| uploads::begin_completion(c, &t, &j))
            .await
    }
    async fn abort_completion(&self, tenant_id: &str, job_id: &str) -> StoreResult<()> {
        let (t, j) = (tenant_id.to_owned(), job_id.to_owned());
        self.call(move |c| uploads::abort_completion(c, &t, &j))
            .await
    }
    async fn finish_completion(
        &self,
        image: ImageRecord,
    ) -> StoreResult<(UploadJobRecord, Vec<String>)> {
        self.call(move |c| uploads::finish_completion(c, &image))
            .await
    }
    async fn image(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ImageRecord>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| uploads::image(c, &t, &id)).await
    }
    async fn list_images(&self, tenant_id: &str, page: Page) -> StoreResult<PageOf<ImageRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| uploads::list_images(c, &t, &page)).await
    }
    async fn delete_image(
        &self,
        tenant_id: &str,
        id: &str,
        datafile_uri: &str,
    ) -> StoreResult<ImageDeletion> {
        let (t, id, uri) = (tenant_id.to_owned(), id.to_owned(), datafile_uri.to_owned());
        self.call(move |c| uploads::delete_image(c, &t, &id, &uri))
            .await
    }

    async fn create_signing_key(&self, key: SigningKeyRecord) -> StoreResult<()> {
        self.call(move |c| catalog::create_signing_key(c, &key))
            .await
    }
    async fn list_signing_keys(&self, tenant_id: &str) -> StoreResult<Vec<SigningKeyRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| catalog::list_signing_keys(c, &t)).await
    }
    async fn revoke_signing_key(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()> {
        let (t, id, at) = (tenant_id.to_owned(), id.to_owned(), at.to_owned());
        self.call(move |c| catalog::revoke_signing_key(c, &t, &id, &at))
            .await
    }

    async fn package_exists(&self, tenant_id: &str, key: &PackageKey) -> StoreResult<bool> {
        let (t, key) = (tenant_id.to_owned(), key.clone());
        self.call(move |c| catalog::package_exists(c, &t, &key))
            .await
    }
    async fn create_package(&self, package: PackageRecord) -> StoreResult<()> {
        self.call(move |c| catalog::create_package(c, &package))
            .await
    }
    async fn package(&self, tenant_id: &str, id: &str) -> StoreResult<Option<PackageRecord>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| catalog::package(c, &t, &id)).await
    }
    async fn list_packages(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<PackageRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| catalog::list_packages(c, &t, &page))
            .await
    }

    async fn list_devices_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<DeviceRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| fleet::list_devices_changed(c, &t, since, limit))
            .await
    }
    async fn list_packages_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<PackageRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| catalog::list_packages_changed(c, &t, since, limit))
            .await
    }

    async fn rollout(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| rollouts::queries::rollout(c, &t, &id))
            .await
    }
    async fn list_rollouts(
        &self,
        tenant_id: &str,
        filter: RolloutFilter,
        page: Page,
    ) -> StoreResult<PageOf<RolloutSummary>> {
        let t = tenant_id.to_owned();
        self.call(move |c| rollouts::queries::list(c, &t, &filter, &page))
            .await
    }
    async fn rollout_devices(
        &self,
        tenant_id: &str,
        id: &str,
        listing: RolloutDeviceListing,
        page: Page,
    ) -> StoreResult<PageOf<RolloutDevice>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| rollouts::queries::devices(c, &t, &id, &listing, &page))
            .await
    }
    async fn rollout_progress(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<RolloutEventData>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| rollouts::queries::progress(c, &t, &id))
            .await
    }
    async fn events_after(
        &self,
        tenant_id: &str,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<RolloutEventData>> {
        let t = tenant_id.to_owned();
        self.call(move |c| rollouts::queries::events_after(c, &t, after, limit))
            .await
    }

    async fn assignment(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<Assignment>> {
        self.read_inline(|c| {
            rollouts::commands::assignment(c, &self.packages, tenant_id, device_id)
        })
    }
    async fn ack_command(
        &self,
        tenant_id: &str,
        device_id: &str,
        command_id: &str,
        at: &str,
    ) -> StoreResult<CommandAck> {
        let (t, d, id, at) = (
            tenant_id.to_owned(),
            device_id.to_owned(),
            command_id.to_owned(),
            at.to_owned(),
        );
        self.call(move |c| rollouts::commands::ack(c, &t, &d, &id, &at))
            .await
    }
    async fn device_history(
        &self,
        tenant_id: &str,
        device_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<DeviceHistoryEntry>> {
        let (t, d) = (tenant_id.to_owned(), device_id.to_owned());
        self.call(move |c| rollouts::queries::device_history(c, &t, &d, &page))
            .await
    }

    async fn object_key_in_use(&self, object_key: &str) -> StoreResult<bool> {
        let k = object_key.to_owned();
        self.call(move |c| catalog::object_key_in_use(c, &k)).await
    }
    async fn referenced_object_keys(&self) -> StoreResult<HashSet<String>> {
        self.call(|c| {
            let mut keys = HashSet::new();
            for sql in [
                "SELECT object_key FROM upload_chunks",
                "SELECT object_key FROM images",
                "SELECT storage_key FROM packages",
            ] {
                let mut stmt = c.prepare(sql).map_err(db)?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
                for k in rows {
                    keys.insert(k.map_err(db)?);
                }
            }
            Ok(keys)
        })
        .await
    }
    async fn reset_interrupted_completions(&self) -> StoreResult<u64> {
        self.call(uploads::reset_interrupted_completions).await
    }

    async fn device_poll(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<(Assignment, Vec<DeviceCommand>)>> {
        self.read_inline(|c| polls::poll(c, &self.packages, tenant_id, device_id))
    }
    async fn device_poll_by_token(
        &self,
        token_hash: &str,
        device_id: &str,
    ) -> StoreResult<Option<(DeviceRecord, Option<(Assignment, Vec<DeviceCommand>)>)>> {
        self.read_inline(|c| polls::poll_by_token(c, &self.packages, token_hash, device_id))
    }
    async fn undelivered_commands(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Vec<DeviceCommand>> {
        self.read_inline(|c| polls::undelivered(c, &self.packages, tenant_id, device_id))
    }
    async fn store_delivery_counts(&self, counts: Vec<(String, u64)>) -> StoreResult<()> {
        self.call(move |c| polls::store_delivery_counts(c, &counts))
            .await
    }
}
