//! An upload job's parts as the parts of one S3 multipart upload of its image (issue 16): part
//! N of the job is UploadPart N of an upload of `images/{tenant}/{job}.bin`, and completing the
//! job is CompleteMultipartUpload. S3 receives the bytes once and assembles them itself: no
//! object per part, no copy.
//!
//! The upload is created by the job's first part and recorded in a marker object,
//! `inflight/jobs/{its key}` (written with If-None-Match, so two servers starting the same job
//! agree on one upload), which every later part (on any server, after any restart) reads. It
//! is removed once the upload is completed or aborted. At start-up a marker whose key no
//! upload part row names (the job was deleted, or none of its parts was ever recorded) has its
//! upload aborted (`s3.rs`).
//!
//! What S3 assembled is checked against the parts the database lists: the completed object's
//! ETag is, on S3 and the S3-compatible servers we know, the MD5 of the parts' MD5s and their
//! count; when it is not the one the recorded parts make, the caller hashes the object as
//! stored rather than trusting the parts' hashes.

use std::collections::HashMap;
use std::sync::Arc;

use airlift_core::error::ApiError;
use bytes::Bytes;
use md5::{Digest as _, Md5};
use object_store::aws::AwsAuthorizer;
use object_store::client::{HttpRequest, HttpRequestBody};
use object_store::multipart::{MultipartStore as _, PartId};
use object_store::path::Path;
use object_store::{ObjectStore as _, PutMode, PutPayload};

use super::s3::{Marker, S3Bucket, INFLIGHT};
use super::Artifacts;
use crate::error::AppError;

/// Markers of job uploads, below [`INFLIGHT`].
pub(super) const JOB_MARKERS: &str = "jobs";

/// One recorded part of a job, as completion passes it.
#[derive(Debug, Clone)]
pub struct RecordedPart {
    pub number: u32,
    pub length: u64,
    pub md5: [u8; 16],
}

/// What a job's completion left under its key.
#[derive(Debug)]
pub struct AssembledJob {
    /// The object's size in the bucket.
    pub size: u64,
    /// Whether S3 proved the object is exactly the recorded parts (its multipart ETag).
    pub matches_parts: bool,
}

fn job_marker(key: &Path) -> Path {
    Path::from(format!("{INFLIGHT}/{JOB_MARKERS}/{key}").as_str())
}

/// The store key a job marker stands for.
pub(super) fn marker_job_key(marker: &Path) -> Option<String> {
    let mut parts = marker.parts();
    (parts.next()?.as_ref() == INFLIGHT && parts.next()?.as_ref() == JOB_MARKERS).then(|| {
        parts
            .map(|p| p.as_ref().to_owned())
            .collect::<Vec<_>>()
            .join("/")
    })
}

impl Artifacts {
    /// Whether upload job parts can be the parts of S3 multipart uploads here.
    pub fn has_job_uploads(&self) -> bool {
        self.s3.is_some()
    }

    /// Memory for one S3 job part of `bytes` (waits while other parts hold the budget).
    pub async fn part_buffer(&self, bytes: u64) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.jobs.buffer(bytes).await
    }

    /// Held while an appended part takes the job's next number (one at a time per job).
    pub async fn job_appending(&self, tenant: &str, job: &str) -> tokio::sync::OwnedMutexGuard<()> {
        self.jobs
            .entry(tenant, job)
            .appends
            .clone()
            .lock_owned()
            .await
    }

    /// Makes sure the job has its multipart upload (before a part's bytes are read, so that a
    /// part that cannot be stored is refused early).
    pub async fn start_job_upload(
        &self,
        tenant: &str,
        job: &str,
        key: &Path,
    ) -> Result<(), AppError> {
        let bucket = self.bucket_or_internal()?;
        self.job_upload_id(&bucket, tenant, job, key, true)
            .await
            .map(|_| ())
    }

    /// Drops what the store holds of a job that is gone: its S3 upload, or its local folder
    /// (its file of parts and any part stored alone).
    pub async fn discard_job(&self, tenant: &str, job: &str) {
        if self.s3.is_some() {
            self.abort_job_upload(tenant, job, &super::keys::job_upload(tenant, job))
                .await;
            return;
        }
        self.jobs.forget(tenant, job);
        if let Some(root) = self.local_root.clone() {
            let folder = super::keys::job_folder(tenant, job)
                .parts()
                .fold(root, |p, part| p.join(part.as_ref()));
            let removed =
                tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&folder) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(e),
                })
                .await;
            if let Ok(Err(e)) = removed {
                tracing::warn!(error = %e, %job, "removing a deleted job's parts failed");
            }
        }
    }

    fn bucket_or_internal(&self) -> Result<Arc<S3Bucket>, AppError> {
        self.s3_bucket().ok_or_else(|| {
            AppError::internal("uploading a part to S3", "the storage is not an S3 bucket")
        })
    }

    /// The job's upload id: remembered, or read from its marker, or (with `create`) a new
    /// upload and its marker.
    async fn job_upload_id(
        &self,
        bucket: &S3Bucket,
        tenant: &str,
        job: &str,
        key: &Path,
        create: bool,
    ) -> Result<Option<String>, AppError> {
        let entry = self.jobs.entry(tenant, job);
        let mut known = entry.s3_upload.lock().await;
        if let Some(id) = known.as_ref() {
            return Ok(Some(id.clone()));
        }
        let marker = job_marker(key);
        if let Some(m) = self.read_marker(&marker).await? {
            *known = Some(m.upload_id.clone());
            return Ok(Some(m.upload_id));
        }
        if !create {
            return Ok(None);
        }
        if self.info(key).await?.is_some() {
            return Err(ApiError::failed_precondition(
                "this upload job's image is already assembled from its parts: complete the job \
                 (a zero-length POST .../chunks) or delete it",
            )
            .into());
        }
        let full = bucket.full_key(key);
        let id = bucket.raw().create_multipart(&full).await?;
        let json = serde_json::to_vec(&Marker {
            key: full.to_string(),
            upload_id: id.clone(),
        })
        .map_err(|e| AppError::internal("recording a multipart upload", e))?;
        let created = self
            .store
            .put_opts(&marker, PutPayload::from(json), PutMode::Create.into())
            .await;
        let id = match created {
            Ok(_) => id,
            Err(object_store::Error::AlreadyExists { .. }) => {
                // Another server started this job's upload first (or a retried PUT found our
                // own marker): use the one the marker names.
                let theirs = self
                    .read_marker(&marker)
                    .await?
                    .ok_or_else(|| {
                        AppError::internal("starting a job's upload", "its marker vanished")
                    })?
                    .upload_id;
                if theirs != id {
                    let _ = bucket.raw().abort_multipart(&full, &id).await;
                }
                theirs
            }
            Err(e) => {
                let _ = bucket.raw().abort_multipart(&full, &id).await;
                return Err(e.into());
            }
        };
        *known = Some(id.clone());
        Ok(Some(id))
    }

    async fn read_marker(&self, marker: &Path) -> Result<Option<Marker>, AppError> {
        let bytes = match self.store.get(marker).await {
            Ok(got) => got.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| AppError::internal("reading a multipart upload marker", e))
    }

    /// Sends part `number` of the job's upload (replacing an earlier one of that number).
    pub async fn put_job_part(
        &self,
        tenant: &str,
        job: &str,
        key: &Path,
        number: u32,
        payload: PutPayload,
    ) -> Result<(), AppError> {
        let bucket = self.bucket_or_internal()?;
        let full = bucket.full_key(key);
        let idx = number.checked_sub(1).ok_or_else(|| {
            AppError::internal("uploading a part to S3", "part numbers start at 1")
        })? as usize;
        for attempt in 0..2 {
            let Some(id) = self.job_upload_id(&bucket, tenant, job, key, true).await? else {
                continue;
            };
            match bucket
                .parts()
                .put_part(&full, &id, idx, payload.clone())
                .await
            {
                Ok(_) => return Ok(()),
                // The upload this server remembered is gone (aborted by another server's
                // start-up): read the marker again once.
                Err(object_store::Error::NotFound { .. }) if attempt == 0 => {
                    *self.jobs.entry(tenant, job).s3_upload.lock().await = None;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::internal(
            "uploading a part to S3",
            "the job's multipart upload disappeared twice",
        ))
    }

    /// Completes the job's upload with `parts` (in order, numbered 1..=N). When an earlier
    /// completion already did (and its image was not recorded), the object it made is used.
    pub async fn complete_job_upload(
        &self,
        tenant: &str,
        job: &str,
        key: &Path,
        parts: &[RecordedPart],
    ) -> Result<AssembledJob, AppError> {
        let bucket = self.bucket_or_internal()?;
        let full = bucket.full_key(key);
        let mut sizes_match = true;
        let mut etag = None;
        if let Some(id) = self.job_upload_id(&bucket, tenant, job, key, false).await? {
            let listed = bucket.list_parts(&full, &id).await?;
            let mut ids = Vec::with_capacity(parts.len());
            for p in parts {
                let Some((size, listed_etag)) = listed.get(&p.number) else {
                    return Err(ApiError::failed_precondition(format!(
                        "part {} is listed but the bucket no longer holds it; re-send it \
                         (PUT .../chunks/{})",
                        p.number, p.number
                    ))
                    .into());
                };
                sizes_match &= *size == p.length;
                ids.push(PartId {
                    content_id: listed_etag
                        .clone()
                        .unwrap_or_else(|| format!("\"{}\"", hex::encode(p.md5))),
                });
            }
            match bucket.raw().complete_multipart(&full, &id, ids).await {
                Ok(done) => etag = done.e_tag,
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            *self.jobs.entry(tenant, job).s3_upload.lock().await = None;
            self.delete(&job_marker(key)).await;
        }
        let Some(object) = self.info(key).await? else {
            return Err(ApiError::failed_precondition(
                "the bucket holds none of this job's parts any more: delete the job and upload \
                 again",
            )
            .into());
        };
        let etag = etag.or(object.e_tag);
        let expected = multipart_etag(parts);
        let matches_parts = sizes_match
            && object.size == parts.iter().map(|p| p.length).sum::<u64>()
            && etag.is_some_and(|e| e.trim_matches('"').eq_ignore_ascii_case(&expected));
        Ok(AssembledJob {
            size: object.size,
            matches_parts,
        })
    }

    /// Aborts the job's upload (if it has one) and removes its marker. (An object a completion
    /// made whose image was never recorded is named by the job's part rows: the caller
    /// deletes it with them.)
    pub async fn abort_job_upload(&self, tenant: &str, job: &str, key: &Path) {
        let Some(bucket) = self.s3_bucket() else {
            return;
        };
        match self.job_upload_id(&bucket, tenant, job, key, false).await {
            Ok(Some(id)) => {
                match bucket
                    .raw()
                    .abort_multipart(&bucket.full_key(key), &id)
                    .await
                {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                        self.delete(&job_marker(key)).await;
                    }
                    // The marker stays, so the next start-up aborts it.
                    Err(e) => tracing::warn!(error = %e, %key, "aborting a job's upload failed"),
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = ?e, %key, "reading a job's upload marker failed"),
        }
        self.jobs.forget(tenant, job);
    }
}

/// S3's ETag of an object completed from `parts`: the MD5 of their MD5s, then `-N`.
fn multipart_etag(parts: &[RecordedPart]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p.md5);
    }
    format!("{}-{}", hex::encode(h.finalize()), parts.len())
}

impl S3Bucket {
    /// ListParts of an upload: size and (where the server gives one) ETag per part number.
    async fn list_parts(
        &self,
        full: &Path,
        upload_id: &str,
    ) -> Result<HashMap<u32, (u64, Option<String>)>, AppError> {
        let failed = |e: String| AppError::internal("listing a multipart upload's parts", e);
        let upload: String = url::form_urlencoded::byte_serialize(upload_id.as_bytes()).collect();
        let mut out = HashMap::new();
        let mut marker = 0u32;
        loop {
            let url = format!(
                "{}?part-number-marker={marker}&uploadId={upload}",
                self.object_url(full)
            );
            let (status, body) = self.signed_get(&url).await.map_err(failed)?;
            if status == reqwest::StatusCode::NOT_FOUND {
                return Err(ApiError::failed_precondition(
                    "this job's multipart upload no longer exists in the bucket: delete the job \
                     and upload again",
                )
                .into());
            }
            if !status.is_success() {
                return Err(failed(format!("ListParts answered {status}: {body}")));
            }
            for part in elements(&body, "Part") {
                let number = element(part, "PartNumber").and_then(|n| n.parse().ok());
                let size = element(part, "Size").and_then(|n| n.parse().ok());
                if let (Some(number), Some(size)) = (number, size) {
                    let etag = element(part, "ETag")
                        .map(unescape)
                        .filter(|e| !e.is_empty());
                    out.insert(number, (size, etag));
                }
            }
            let next = element(&body, "NextPartNumberMarker").and_then(|n| n.parse().ok());
            match (element(&body, "IsTruncated"), next) {
                (Some("true"), Some(next)) if next > marker => marker = next,
                _ => return Ok(out),
            }
        }
    }
}

impl S3Bucket {
    /// A GET signed with object_store's SigV4 authorizer, retried (like object_store's own
    /// requests) while S3 answers 5xx or cannot be reached, up to 5 times with backoff.
    async fn signed_get(&self, url: &str) -> Result<(reqwest::StatusCode, String), String> {
        let mut delay = std::time::Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.signed_get_once(url).await;
            match outcome {
                Ok((status, _)) | Err((Some(status), _))
                    if status.is_server_error() && attempt < 6 => {}
                Err((None, _)) if attempt < 6 => {}
                Ok(answer) => return Ok(answer),
                Err((_, e)) => return Err(e),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(5));
        }
    }

    async fn signed_get_once(
        &self,
        url: &str,
    ) -> Result<(reqwest::StatusCode, String), (Option<reqwest::StatusCode>, String)> {
        let credential: Arc<_> = self
            .raw()
            .credentials()
            .get_credential()
            .await
            .map_err(|e| (None, e.to_string()))?;
        let mut request: HttpRequest = http::Request::builder()
            .method("GET")
            .uri(url)
            .body(HttpRequestBody::empty())
            .map_err(|e| (None, e.to_string()))?;
        AwsAuthorizer::new(&credential, "s3", self.region()).authorize(&mut request, None);
        let mut get = self.http().get(url);
        for (name, value) in request.headers() {
            get = get.header(name.as_str(), value.as_bytes());
        }
        let resp = get.send().await.map_err(|e| (None, e.to_string()))?;
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| (Some(status), e.to_string()))?;
        Ok((status, body))
    }
}

/// The text of the first `<name>…</name>` in `xml`.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    elements(xml, name).next()
}

/// The texts of every `<name>…</name>` in `xml`, in order.
fn elements<'a>(xml: &'a str, name: &str) -> impl Iterator<Item = &'a str> + 'a {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let end = start + rest[start..].find(&close)?;
        let found = &rest[start..end];
        rest = &rest[end + close.len()..];
        Some(found)
    })
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

/// Bytes as an S3 part's payload.
pub fn payload(pieces: Vec<Bytes>) -> PutPayload {
    pieces.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parts_answers_are_read_part_by_part() {
        let xml = "<ListPartsResult><IsTruncated>false</IsTruncated>\
            <Part><PartNumber>1</PartNumber><ETag>&quot;ab&quot;</ETag><Size>5</Size></Part>\
            <Part><PartNumber>2</PartNumber><Size>3</Size></Part></ListPartsResult>";
        let parts: Vec<_> = elements(xml, "Part").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            element(parts[0], "ETag").map(unescape).as_deref(),
            Some("\"ab\"")
        );
        assert_eq!(element(parts[1], "ETag"), None);
        assert_eq!(element(parts[1], "Size"), Some("3"));
    }

    #[test]
    fn job_markers_name_their_job_key() {
        let key = Path::from("images/acme/job_1.bin");
        let marker = job_marker(&key);
        assert_eq!(marker.as_ref(), "inflight/jobs/images/acme/job_1.bin");
        assert_eq!(
            marker_job_key(&marker).as_deref(),
            Some("images/acme/job_1.bin")
        );
        assert_eq!(marker_job_key(&Path::from("inflight/01abc")), None);
    }

    #[test]
    fn the_multipart_etag_is_the_md5_of_the_parts_md5s() {
        // Two parts "a" and "b": md5(md5("a") ‖ md5("b")) = known value, "-2".
        let parts = [
            RecordedPart {
                number: 1,
                length: 1,
                md5: Md5::digest(b"a").into(),
            },
            RecordedPart {
                number: 2,
                length: 1,
                md5: Md5::digest(b"b").into(),
            },
        ];
        let mut h = Md5::new();
        h.update(Md5::digest(b"a"));
        h.update(Md5::digest(b"b"));
        assert_eq!(
            multipart_etag(&parts),
            format!("{}-2", hex::encode(h.finalize()))
        );
    }
}
