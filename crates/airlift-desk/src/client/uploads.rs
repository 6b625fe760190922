//! Upload jobs (seed 003), their chunks / parts, and firmware images.

use airlift_core::wire::{CreateUploadJob, FirmwareImage, ListResponse, UploadChunk, UploadJob};
use bytes::Bytes;
use md5::{Digest as _, Md5};
use reqwest::Method;

use super::fleet::ListParams;
use super::{seg, Client, Kind, Payload};
use crate::error::DeskError;

/// One part's bytes and MD5, ready to send.
#[derive(Debug, Clone)]
pub struct PartBody {
    pub bytes: Bytes,
    /// Base64 of the 16 raw MD5 bytes, as `Content-MD5` wants it.
    pub md5_base64: String,
}

impl Client {
    pub async fn create_upload_job(&self, req: &CreateUploadJob) -> Result<UploadJob, DeskError> {
        self.post("/api/v1/ota/upload-jobs", req, None).await
    }

    pub async fn upload_jobs(
        &self,
        page: &ListParams,
    ) -> Result<ListResponse<UploadJob>, DeskError> {
        self.get(&format!("/api/v1/ota/upload-jobs{}", page.query()))
            .await
    }

    pub async fn upload_job(&self, id: &str) -> Result<UploadJob, DeskError> {
        self.get(&format!("/api/v1/ota/upload-jobs/{}", seg(id)))
            .await
    }

    /// Cancels a job and drops its parts.
    pub async fn delete_upload_job(&self, id: &str) -> Result<(), DeskError> {
        let path = format!("/api/v1/ota/upload-jobs/{}", seg(id));
        self.call(Method::DELETE, &path, Payload::None, Kind::Idempotent, None)
            .await?;
        Ok(())
    }

    /// One page of a job's stored chunks, ascending by id.
    pub async fn upload_chunks(
        &self,
        job_id: &str,
        page: &ListParams,
    ) -> Result<ListResponse<UploadChunk>, DeskError> {
        self.get(&format!(
            "/api/v1/ota/upload-jobs/{}/chunks{}",
            seg(job_id),
            page.query()
        ))
        .await
    }

    /// Every stored chunk of a job (all pages).
    pub async fn all_upload_chunks(&self, job_id: &str) -> Result<Vec<UploadChunk>, DeskError> {
        let mut all = Vec::new();
        let mut page = ListParams::new(1000, None);
        loop {
            let list = self.upload_chunks(job_id, &page).await?;
            let last = list.data.last().map(|c| c.id.to_string());
            all.extend(list.data);
            match last {
                Some(last) if list.has_more => page.after = Some(last),
                _ => return Ok(all),
            }
        }
    }

    /// `PUT .../chunks/{n}`: stores part `n` (any order; re-sending replaces). Idempotent, so
    /// retried on transient failures.
    pub async fn put_upload_part(
        &self,
        job_id: &str,
        part_number: u32,
        part: PartBody,
    ) -> Result<UploadChunk, DeskError> {
        let path = format!(
            "/api/v1/ota/upload-jobs/{}/chunks/{part_number}",
            seg(job_id)
        );
        let payload = Payload::Raw {
            bytes: part.bytes,
            md5_base64: part.md5_base64,
        };
        let timeout = Some(self.options.transfer_timeout);
        self.call(Method::PUT, &path, payload, Kind::Idempotent, timeout)
            .await?
            .json()
    }

    /// `POST .../chunks` with an empty body: completes the job (the server assembles the parts,
    /// hashes them and creates the firmware image). Sent once; after a lost answer, read the job.
    pub async fn complete_upload_job(&self, job_id: &str) -> Result<UploadChunk, DeskError> {
        let path = format!("/api/v1/ota/upload-jobs/{}/chunks", seg(job_id));
        let empty_md5 =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, Md5::digest(b""));
        let payload = Payload::Raw {
            bytes: Bytes::new(),
            md5_base64: empty_md5,
        };
        let timeout = Some(self.options.transfer_timeout);
        self.call(Method::POST, &path, payload, Kind::Once, timeout)
            .await?
            .json()
    }

    pub async fn images(
        &self,
        page: &ListParams,
    ) -> Result<ListResponse<FirmwareImage>, DeskError> {
        self.get(&format!("/api/v1/ota/images{}", page.query()))
            .await
    }

    pub async fn image(&self, id: &str) -> Result<FirmwareImage, DeskError> {
        self.get(&format!("/api/v1/ota/images/{}", seg(id))).await
    }

    /// Deletes an image no package was made from (`FAILED_PRECONDITION` naming the package
    /// otherwise), and its stored bytes.
    pub async fn delete_image(&self, id: &str) -> Result<(), DeskError> {
        let path = format!("/api/v1/ota/images/{}", seg(id));
        self.call(Method::DELETE, &path, Payload::None, Kind::Idempotent, None)
            .await?;
        Ok(())
    }
}
