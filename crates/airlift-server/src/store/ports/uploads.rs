//! Upload jobs, their chunks, and the images they complete into.

use airlift_core::upload_parts::PartSize;
use async_trait::async_trait;

use crate::store::{
    ChunkRecord, ImageDeletion, ImageRecord, NewChunk, Page, PageOf, StoreResult, UploadJobRecord,
};

#[async_trait]
pub trait UploadStore: Send + Sync {
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
    /// Every part the job holds: id and length (NOT_FOUND for an unknown job).
    async fn part_sizes(&self, tenant_id: &str, job_id: &str) -> StoreResult<Vec<PartSize>>;
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
    /// gone. Returns the job and the chunk objects to delete. RESOURCE_EXHAUSTED (nothing
    /// changes) when the tenant already holds `max_images` images.
    async fn finish_completion(
        &self,
        image: ImageRecord,
        max_images: u64,
    ) -> StoreResult<(UploadJobRecord, Vec<String>)>;
    /// Records an image that no job made (a single-shot upload), in one transaction with the
    /// same checks as [`UploadStore::check_new_image`].
    async fn create_image(&self, image: ImageRecord, max_images: u64) -> StoreResult<()>;
    /// Ok if the tenant could record an image named `name` now: ALREADY_EXISTS if a job or an
    /// image has that name, RESOURCE_EXHAUSTED if it holds `max_images` images. The caller's
    /// bound, checked again where the image is written.
    async fn check_new_image(
        &self,
        tenant_id: &str,
        name: &str,
        max_images: u64,
    ) -> StoreResult<()>;
    /// How many images the tenant holds.
    async fn count_images(&self, tenant_id: &str) -> StoreResult<u64>;
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
    /// Jobs left `completing` by a crash go back to `in_progress`; returns how many.
    async fn reset_interrupted_completions(&self) -> StoreResult<u64>;
    /// Drops part `chunk_id` of the job if it still has MD5 `md5_hex` (its bytes were found
    /// not to be that part): the job no longer holds it, and the client sends it again.
    /// Returns whether a row went.
    async fn forget_part(&self, job_id: &str, chunk_id: u32, md5_hex: &str) -> StoreResult<bool>;
}
