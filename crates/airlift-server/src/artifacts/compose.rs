//! Assembling an object from whole objects inside S3 (UploadPartCopy): an upload job's parts
//! become the image's parts by server-side copies, so completing a job on S3 reads the parts
//! once (to hash them) and writes nothing through the server. object_store has no call for
//! UploadPartCopy; the request is signed with its SigV4 authorizer.

use std::sync::Arc;

use object_store::aws::AwsAuthorizer;
use object_store::client::{HttpRequest, HttpRequestBody};
use object_store::multipart::{MultipartStore as _, PartId};
use object_store::path::Path;

use super::s3::S3Bucket;
use super::{Artifacts, PART_SIZE};
use crate::error::AppError;

/// S3's bounds on UploadPartCopy: parts up to 5 GiB, at most 10,000 of them.
const MAX_COPY_PART: u64 = 5 * 1024 * 1024 * 1024;
const MAX_PARTS: usize = 10_000;

impl Artifacts {
    /// Whether [`Artifacts::compose`] can assemble `sources` (key, size): the store is S3,
    /// and every part but the last holds 5 MiB to 5 GiB (seed 003's minimum is S3's).
    pub fn composable(&self, sources: &[(Path, u64)]) -> bool {
        let Some(((_, last), rest)) = sources.split_last() else {
            return false;
        };
        self.s3.is_some()
            && sources.len() <= MAX_PARTS
            && *last <= MAX_COPY_PART
            && rest
                .iter()
                .all(|(_, n)| (PART_SIZE as u64..=MAX_COPY_PART).contains(n))
    }

    /// Makes `dest` the concatenation of `sources` by copies inside the bucket, as one
    /// multipart upload (recorded like any other, see `s3.rs`). Only for [`composable`]
    /// sources.
    ///
    /// [`composable`]: Artifacts::composable
    pub async fn compose(&self, dest: &Path, sources: &[(Path, u64)]) -> Result<(), AppError> {
        let Some(bucket) = self.s3_bucket().filter(|_| self.composable(sources)) else {
            return Err(AppError::internal(
                "assembling an object inside S3",
                "the parts cannot be copied into one object",
            ));
        };
        let upload = self.start_upload(&bucket, dest).await?;
        let mut parts = Vec::with_capacity(sources.len());
        let mut outcome = Ok(());
        for (i, (source, _)) in sources.iter().enumerate() {
            match bucket
                .upload_part_copy(&upload.full, &upload.upload_id, i + 1, source)
                .await
            {
                Ok(etag) => parts.push(PartId { content_id: etag }),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        if outcome.is_ok() {
            outcome = bucket
                .raw()
                .complete_multipart(&upload.full, &upload.upload_id, parts)
                .await
                .map(|_| ())
                .map_err(AppError::from);
        }
        match outcome {
            Ok(()) => {
                self.delete(&upload.marker).await;
                Ok(())
            }
            Err(e) => {
                upload.abort(self).await;
                Err(e)
            }
        }
    }
}

impl S3Bucket {
    /// `PUT dest?partNumber=N&uploadId=ID` with `x-amz-copy-source`; answers the part's ETag.
    async fn upload_part_copy(
        &self,
        dest_full: &Path,
        upload_id: &str,
        part_number: usize,
        source: &Path,
    ) -> Result<String, AppError> {
        let failed = |e: String| AppError::internal("copying a part inside S3", e);
        let credential: Arc<_> = self.raw().credentials().get_credential().await?;
        let upload_id: String =
            url::form_urlencoded::byte_serialize(upload_id.as_bytes()).collect();
        let url = format!(
            "{}?partNumber={part_number}&uploadId={upload_id}",
            self.object_url(dest_full)
        );
        let copy_source = format!("/{}/{}", self.bucket_name(), self.full_key(source));
        let mut request: HttpRequest = http::Request::builder()
            .method("PUT")
            .uri(&url)
            .header("x-amz-copy-source", &copy_source)
            .body(HttpRequestBody::empty())
            .map_err(|e| failed(e.to_string()))?;
        AwsAuthorizer::new(&credential, "s3", self.region()).authorize(&mut request, None);
        let mut out = self.http().put(&url);
        for (name, value) in request.headers() {
            out = out.header(name.as_str(), value.as_bytes());
        }
        let resp = out.send().await.map_err(|e| failed(e.to_string()))?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| failed(e.to_string()))?;
        if !status.is_success() {
            return Err(failed(format!("UploadPartCopy answered {status}: {body}")));
        }
        etag_of(&body).ok_or_else(|| failed(format!("no ETag in {body:?}")))
    }
}

/// The `<ETag>` of a CopyPartResult, quotes kept as S3 sends them.
fn etag_of(body: &str) -> Option<String> {
    let start = body.find("<ETag>")? + "<ETag>".len();
    let end = start + body[start..].find("</ETag>")?;
    Some(
        body[start..end]
            .replace("&quot;", "\"")
            .replace("&#34;", "\""),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_etag_of_a_copy_part_result() {
        let xml = "<CopyPartResult><LastModified>x</LastModified><ETag>&quot;ab12&quot;</ETag></CopyPartResult>";
        assert_eq!(super::etag_of(xml).as_deref(), Some("\"ab12\""));
        assert_eq!(super::etag_of("<Error/>"), None);
    }
}
