//! [`UploadStore`] on SQLite.

use super::super::*;
use airlift_core::upload_parts::PartSize;

#[async_trait]
impl UploadStore for SqliteStore {
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

    async fn part_sizes(&self, tenant_id: &str, job_id: &str) -> StoreResult<Vec<PartSize>> {
        let (t, j) = (tenant_id.to_owned(), job_id.to_owned());
        self.call(move |c| uploads::part_sizes(c, &t, &j)).await
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
        max_images: u64,
    ) -> StoreResult<(UploadJobRecord, Vec<String>)> {
        self.call(move |c| uploads::finish_completion(c, &image, max_images))
            .await
    }

    async fn create_image(&self, image: ImageRecord, max_images: u64) -> StoreResult<()> {
        self.call(move |c| uploads::create_image(c, &image, max_images))
            .await
    }

    async fn check_new_image(
        &self,
        tenant_id: &str,
        name: &str,
        max_images: u64,
    ) -> StoreResult<()> {
        let (t, n) = (tenant_id.to_owned(), name.to_owned());
        self.call(move |c| image_rows::check_room(c, &t, &n, None, max_images))
            .await
    }

    async fn count_images(&self, tenant_id: &str) -> StoreResult<u64> {
        let t = tenant_id.to_owned();
        self.call(move |c| image_rows::count(c, &t)).await
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

    async fn reset_interrupted_completions(&self) -> StoreResult<u64> {
        self.call(uploads::reset_interrupted_completions).await
    }

    async fn forget_part(&self, job_id: &str, chunk_id: u32, md5_hex: &str) -> StoreResult<bool> {
        let (j, m) = (job_id.to_owned(), md5_hex.to_owned());
        self.call(move |c| uploads::forget_part(c, &j, chunk_id, &m))
            .await
    }
}
