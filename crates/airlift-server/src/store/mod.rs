//! The database, behind one narrow trait.
//!
//! Handlers see only [`Store`] and plain records; nothing about SQL leaks out, so a PostgreSQL
//! implementation can be added next to [`sqlite`] without touching a handler. Every method that
//! reads or writes a tenant's objects takes the tenant id and filters by it: this is the one
//! place tenant isolation is enforced, and why another tenant's object is "not found".
//!
//! Domain outcomes (not found, name taken, wrong job state) come back as
//! [`StoreError::Api`] with the spec's code; anything else is a backend failure.

pub mod idempotency;
pub mod records;
pub mod rollout_port;
pub mod sqlite;

use std::collections::HashSet;

use airlift_core::error::ApiError;
use airlift_core::wire::{
    CommandAck, DeviceCommand, DeviceHistoryEntry, Rollout, RolloutDevice, RolloutEventData,
    RolloutSummary,
};
use async_trait::async_trait;

pub use records::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("database: {0:#}")]
    Backend(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Pagination by id cursor (ids sort by creation time).
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub limit: u32,
    pub after: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

/// One rollout the timeout sweep changed.
#[derive(Debug, Clone)]
pub struct SweptRollout {
    pub tenant_id: String,
    pub rollout_id: String,
    pub events: Vec<RolloutEventData>,
}

#[async_trait]
pub trait Store:
    idempotency::IdempotencyStore + rollout_port::RolloutUnits + Send + Sync + 'static
{
    // --- tenants ---
    /// The tenant named `name`, created (requiring signatures) if it does not exist.
    async fn ensure_tenant(&self, name: &str) -> StoreResult<TenantRecord>;
    async fn tenant(&self, tenant_id: &str) -> StoreResult<Option<TenantRecord>>;
    async fn set_require_signatures(&self, tenant_id: &str, on: bool) -> StoreResult<TenantRecord>;

    // --- profiles and devices ---
    /// ALREADY_EXISTS if the tenant has a profile of that name.
    async fn create_profile(&self, profile: ProfileRecord) -> StoreResult<()>;
    async fn profile(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ProfileRecord>>;
    async fn list_profiles(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<ProfileRecord>>;
    async fn device(&self, tenant_id: &str, id: &str) -> StoreResult<Option<DeviceRecord>>;
    async fn list_devices(&self, tenant_id: &str, page: Page) -> StoreResult<PageOf<DeviceRecord>>;
    /// The device a token hash belongs to (for the device API, part 2).
    async fn device_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<DeviceRecord>>;

    // --- upload jobs, chunks, images ---
    /// ALREADY_EXISTS if a job or an image of the tenant has that name.
    async fn create_upload_job(&self, job: UploadJobRecord) -> StoreResult<()>;
    async fn upload_job(&self, tenant_id: &str, id: &str) -> StoreResult<Option<UploadJobRecord>>;
    async fn list_upload_jobs(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<UploadJobRecord>>;
    /// Deletes the job and its chunk rows; returns the chunk objects to delete.
    async fn delete_upload_job(&self, tenant_id: &str, id: &str) -> StoreResult<Vec<String>>;
    /// Ok if the job exists and takes chunks (checked before a chunk's bytes are streamed, and
    /// again when the chunk is recorded).
    async fn check_accepts_chunks(&self, tenant_id: &str, job_id: &str) -> StoreResult<()>;
    /// Records a stored chunk. `chunk.chunk_id == None` appends (next id); `Some(n)` puts part
    /// `n`, replacing an earlier part `n` (whose object key is returned for deletion).
    /// INVALID_ARGUMENT on a completed job, FAILED_PRECONDITION while it completes.
    async fn put_chunk(
        &self,
        tenant_id: &str,
        job_id: &str,
        chunk: NewChunk,
    ) -> StoreResult<(ChunkRecord, Option<String>)>;
    async fn chunk(
        &self,
        tenant_id: &str,
        job_id: &str,
        chunk_id: u32,
    ) -> StoreResult<Option<ChunkRecord>>;
    async fn list_chunks(
        &self,
        tenant_id: &str,
        job_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<ChunkRecord>>;
    /// Moves the job to `completing` and returns its chunks in order. INVALID_ARGUMENT when it
    /// has no data or is completed; FAILED_PRECONDITION when parts are missing (gaps) or it is
    /// already completing.
    async fn begin_completion(
        &self,
        tenant_id: &str,
        job_id: &str,
    ) -> StoreResult<Vec<ChunkRecord>>;
    /// Back to `in_progress` after a failed assembly.
    async fn abort_completion(&self, tenant_id: &str, job_id: &str) -> StoreResult<()>;
    /// Atomically: the image exists, the job is completed and names it, the chunk rows are
    /// gone. Returns the job and the chunk objects to delete.
    async fn finish_completion(
        &self,
        image: ImageRecord,
    ) -> StoreResult<(UploadJobRecord, Vec<String>)>;
    async fn image(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ImageRecord>>;
    async fn list_images(&self, tenant_id: &str, page: Page) -> StoreResult<PageOf<ImageRecord>>;
    /// In one transaction: the image's row is deleted unless a package of the tenant names
    /// `datafile_uri` as its artifact.
    async fn delete_image(
        &self,
        tenant_id: &str,
        id: &str,
        datafile_uri: &str,
    ) -> StoreResult<ImageDeletion>;

    // --- signing keys ---
    /// ALREADY_EXISTS if an unrevoked key of the tenant has the same fingerprint.
    async fn create_signing_key(&self, key: SigningKeyRecord) -> StoreResult<()>;
    async fn list_signing_keys(&self, tenant_id: &str) -> StoreResult<Vec<SigningKeyRecord>>;
    /// NOT_FOUND if unknown; revoking a revoked key changes nothing.
    async fn revoke_signing_key(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()>;

    // --- packages ---
    async fn package_exists(&self, tenant_id: &str, key: &PackageKey) -> StoreResult<bool>;
    /// ALREADY_EXISTS on a duplicate (type, version, device_type).
    async fn create_package(&self, package: PackageRecord) -> StoreResult<()>;
    async fn package(&self, tenant_id: &str, id: &str) -> StoreResult<Option<PackageRecord>>;
    async fn list_packages(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<PackageRecord>>;

    /// Devices whose `change_seq` is above `since`, in `change_seq` order (incremental sync).
    async fn list_devices_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<DeviceRecord>>;
    /// Packages created after change `since`, in `change_seq` order (incremental sync).
    async fn list_packages_changed(
        &self,
        tenant_id: &str,
        since: u64,
        limit: u32,
    ) -> StoreResult<PageOf<PackageRecord>>;

    // --- rollouts (reads; every change is the engine's, through `rollout_port`) ---
    async fn rollout(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>>;
    async fn list_rollouts(
        &self,
        tenant_id: &str,
        filter: RolloutFilter,
        page: Page,
    ) -> StoreResult<PageOf<RolloutSummary>>;
    /// NOT_FOUND if the rollout is not the tenant's. `page.after` is a position.
    async fn rollout_devices(
        &self,
        tenant_id: &str,
        id: &str,
        listing: RolloutDeviceListing,
        page: Page,
    ) -> StoreResult<PageOf<RolloutDevice>>;
    async fn rollout_progress(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<RolloutEventData>>;
    async fn events_after(
        &self,
        tenant_id: &str,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<RolloutEventData>>;

    // --- device protocol ---
    async fn assignment(&self, tenant_id: &str, device_id: &str)
        -> StoreResult<Option<Assignment>>;
    async fn ack_command(
        &self,
        tenant_id: &str,
        device_id: &str,
        command_id: &str,
        at: &str,
    ) -> StoreResult<CommandAck>;
    /// Newest first; `page.after` is a `seq` (older entries follow).
    async fn device_history(
        &self,
        tenant_id: &str,
        device_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<DeviceHistoryEntry>>;

    // --- housekeeping ---
    /// Whether any package's artifact is stored under `object_key`.
    async fn object_key_in_use(&self, object_key: &str) -> StoreResult<bool>;
    /// Every object key the database refers to (chunks, images, packages).
    async fn referenced_object_keys(&self) -> StoreResult<HashSet<String>>;
    /// Jobs left `completing` by a crash go back to `in_progress`; returns how many.
    async fn reset_interrupted_completions(&self) -> StoreResult<u64>;

    // --- device polls (reads only; deliveries are counted by the caller, see
    // `device_protocol::deliveries`) ---
    /// The device's assignment and unacknowledged commands (`delivery_count` as stored).
    async fn device_poll(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<(Assignment, Vec<DeviceCommand>)>>;
    /// The device a token hash belongs to (`None`: unknown token) and, when that device is
    /// `device_id`, its [`Store::device_poll`], read together: a poll whose token is not cached
    /// yet costs one read instead of two.
    async fn device_poll_by_token(
        &self,
        token_hash: &str,
        device_id: &str,
    ) -> StoreResult<Option<(DeviceRecord, Option<(Assignment, Vec<DeviceCommand>)>)>>;
    /// Unacknowledged commands (`delivery_count` as stored), whatever the assignment.
    async fn undelivered_commands(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Vec<DeviceCommand>>;
    /// Raises stored delivery counts to (command id, total), in one transaction.
    async fn store_delivery_counts(&self, counts: Vec<(String, u64)>) -> StoreResult<()>;
}
