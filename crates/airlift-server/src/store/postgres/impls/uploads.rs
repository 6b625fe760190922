//! [`UploadStore`] on PostgreSQL.

use airlift_core::upload_parts::PartSize;
use async_trait::async_trait;

use super::super::{in_tx, uploads, PgStore};
use crate::store::*;

#[async_trait]
impl UploadStore for PgStore {
    async fn create_upload_job(&self, job: UploadJobRecord) -> StoreResult<()> {
        in_tx!(self, |tx| uploads::create_job(&tx, &job))
    }

    async fn upload_job(&self, tenant_id: &str, id: &str) -> StoreResult<Option<UploadJobRecord>> {
        uploads::job(&self.client().await?, tenant_id, id).await
    }

    async fn list_upload_jobs(
        &self,
        tenant_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<UploadJobRecord>> {
        uploads::list_jobs(&self.client().await?, tenant_id, &page).await
    }

    async fn delete_upload_job(&self, tenant_id: &str, id: &str) -> StoreResult<Vec<String>> {
        in_tx!(self, |tx| uploads::delete_job(&tx, tenant_id, id))
    }

    async fn check_accepts_chunks(&self, tenant_id: &str, job_id: &str) -> StoreResult<()> {
        uploads::check_open(&self.client().await?, tenant_id, job_id).await
    }

    async fn put_chunk(
        &self,
        tenant_id: &str,
        job_id: &str,
        chunk: NewChunk,
    ) -> StoreResult<(ChunkRecord, Option<String>)> {
        in_tx!(self, |tx| uploads::put_chunk(
            &tx, tenant_id, job_id, &chunk
        ))
    }

    async fn part_sizes(&self, tenant_id: &str, job_id: &str) -> StoreResult<Vec<PartSize>> {
        uploads::part_sizes(&self.client().await?, tenant_id, job_id).await
    }

    async fn chunk(
        &self,
        tenant_id: &str,
        job_id: &str,
        chunk_id: u32,
    ) -> StoreResult<Option<ChunkRecord>> {
        uploads::chunk(&self.client().await?, tenant_id, job_id, chunk_id).await
    }

    async fn list_chunks(
        &self,
        tenant_id: &str,
        job_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<ChunkRecord>> {
        uploads::list_chunks(&self.client().await?, tenant_id, job_id, &page).await
    }

    async fn begin_completion(
        &self,
        tenant_id: &str,
        job_id: &str,
    ) -> StoreResult<Vec<ChunkRecord>> {
        in_tx!(self, |tx| uploads::begin_completion(&tx, tenant_id, job_id))
    }

    async fn abort_completion(&self, tenant_id: &str, job_id: &str) -> StoreResult<()> {
        uploads::abort_completion(&self.client().await?, tenant_id, job_id).await
    }

    async fn finish_completion(
        &self,
        image: ImageRecord,
        max_images: u64,
    ) -> StoreResult<(UploadJobRecord, Vec<String>)> {
        in_tx!(self, |tx| uploads::finish_completion(
            &tx, &image, max_images
        ))
    }

    async fn create_image(&self, image: ImageRecord, max_images: u64) -> StoreResult<()> {
        in_tx!(self, |tx| uploads::create_image(&tx, &image, max_images))
    }

    async fn check_new_image(
        &self,
        tenant_id: &str,
        name: &str,
        max_images: u64,
    ) -> StoreResult<()> {
        uploads::check_room(&self.client().await?, tenant_id, name, None, max_images).await
    }

    async fn count_images(&self, tenant_id: &str) -> StoreResult<u64> {
        uploads::count_images(&self.client().await?, tenant_id).await
    }

    async fn image(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ImageRecord>> {
        uploads::image(&self.client().await?, tenant_id, id).await
    }

    async fn list_images(&self, tenant_id: &str, page: Page) -> StoreResult<PageOf<ImageRecord>> {
        uploads::list_images(&self.client().await?, tenant_id, &page).await
    }

    async fn delete_image(
        &self,
        tenant_id: &str,
        id: &str,
        datafile_uri: &str,
    ) -> StoreResult<ImageDeletion> {
        in_tx!(self, |tx| uploads::delete_image(
            &tx,
            tenant_id,
            id,
            datafile_uri
        ))
    }

    async fn reset_interrupted_completions(&self) -> StoreResult<u64> {
        uploads::reset_interrupted_completions(&self.client().await?).await
    }

    async fn forget_part(&self, job_id: &str, chunk_id: u32, md5_hex: &str) -> StoreResult<bool> {
        uploads::forget_part(&self.client().await?, job_id, chunk_id, md5_hex).await
    }
}
