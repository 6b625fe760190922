//! S3-compatible storage (`--storage s3://BUCKET[/PREFIX]`): every key lives below the
//! prefix; writes are single PUTs up to one part, S3 multipart uploads beyond.
//!
//! S3 keeps an unfinished multipart upload (invisible, but billed) until it is completed or
//! aborted. So that a killed server leaves none behind, each one is recorded before its first
//! part in a small marker object under `inflight/` (its key and upload id), removed once the
//! upload is completed or aborted; at start-up [`Artifacts::abort_uploads`] aborts
//! every upload a marker still names. A bucket lifecycle rule expiring incomplete multipart
//! uploads is the operator's backstop (see `docs/storage.md`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt as _};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, PutPayload, RetryConfig};
use serde::{Deserialize, Serialize};

use super::{Artifacts, MAX_IN_FLIGHT, PART_SIZE};
use crate::error::AppError;

/// Markers of multipart uploads in progress.
pub(super) const INFLIGHT: &str = "inflight";

/// Where the bucket is and how to reach it.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// Below the bucket's root, without slashes at either end; empty for the root.
    pub prefix: String,
    /// `--s3-endpoint` (any S3-compatible service; path-style addressing).
    pub endpoint: Option<url::Url>,
    pub region: String,
}

impl S3Config {
    /// `s3://BUCKET[/PREFIX]`.
    pub fn parse(storage: &str) -> Result<(String, String), String> {
        let rest = storage
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{storage:?} is not s3://BUCKET[/PREFIX]"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid_bucket {
            return Err(format!(
                "{bucket:?} is not an S3 bucket name (3 to 63 lowercase letters, digits, '-', '.')"
            ));
        }
        let prefix = prefix.trim_matches('/').to_owned();
        if Path::parse(&prefix).is_err() || prefix.contains("//") {
            return Err(format!("{prefix:?} is not a usable key prefix"));
        }
        Ok((bucket.to_owned(), prefix))
    }
}

/// The bucket itself, beside the prefixed store the rest of `Artifacts` uses: multipart
/// uploads and presigned URLs name full keys.
pub struct S3Bucket {
    raw: Arc<AmazonS3>,
    /// The same bucket, sending payloads unsigned (`UNSIGNED-PAYLOAD`): for upload job parts,
    /// whose MD5 the server checked before sending and whose assembly S3's ETag proves, so
    /// neither side spends a SHA-256 pass on each part for the signature.
    parts: Arc<AmazonS3>,
    prefix: Path,
    config: S3Config,
    /// For the requests object_store has no call for (UploadPartCopy).
    http: reqwest::Client,
}

impl std::fmt::Debug for S3Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.config.bucket, self.prefix)
    }
}

impl S3Bucket {
    /// The key in the bucket of the store's `key`.
    pub fn full_key(&self, key: &Path) -> Path {
        Path::from_iter(self.prefix.parts().chain(key.parts()))
    }

    pub(super) fn raw(&self) -> &AmazonS3 {
        &self.raw
    }

    pub(super) fn parts(&self) -> &AmazonS3 {
        &self.parts
    }

    pub(super) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(super) fn region(&self) -> &str {
        &self.config.region
    }

    /// The URL of a full key, addressed as object_store does: path-style, at `--s3-endpoint`
    /// or AWS's regional endpoint.
    pub(super) fn object_url(&self, full: &Path) -> String {
        let base = match &self.config.endpoint {
            Some(e) => e.as_str().trim_end_matches('/').to_owned(),
            None => format!("https://s3.{}.amazonaws.com", self.config.region),
        };
        format!("{base}/{}/{full}", self.config.bucket)
    }

    /// A presigned GET of `key`, valid for `expires_in`.
    pub async fn presigned_get(
        &self,
        key: &Path,
        expires_in: Duration,
    ) -> Result<String, AppError> {
        use object_store::signer::Signer as _;
        let url = self
            .raw
            .signed_url(reqwest::Method::GET, &self.full_key(key), expires_in)
            .await?;
        Ok(url.to_string())
    }
}

/// What a marker records.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Marker {
    pub key: String,
    pub upload_id: String,
}

impl Artifacts {
    /// The store in the bucket `config` names. Credentials come from the environment
    /// (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, or the usual AWS chain). The bucket is
    /// reached once before the server starts, so wrong credentials or a missing bucket stop
    /// it with a message instead of failing the first upload.
    pub async fn s3(config: S3Config) -> anyhow::Result<Self> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 5,
                retry_timeout: Duration::from_secs(30),
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(120)),
            );
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint.as_str().trim_end_matches('/'))
                .with_virtual_hosted_style_request(false)
                .with_allow_http(endpoint.scheme() == "http");
        }
        let configuring = |e: object_store::Error| {
            anyhow::anyhow!("configuring S3 storage s3://{}: {e}", config.bucket)
        };
        let parts = Arc::new(
            builder
                .clone()
                .with_unsigned_payload(true)
                .build()
                .map_err(configuring)?,
        );
        let raw = Arc::new(builder.build().map_err(configuring)?);
        let prefix = Path::from(config.prefix.as_str());
        let store: Arc<dyn ObjectStore> = if config.prefix.is_empty() {
            raw.clone()
        } else {
            let inner: Arc<dyn ObjectStore> = raw.clone();
            Arc::new(PrefixStore::new(inner, prefix.clone()))
        };
        let bucket = S3Bucket {
            raw,
            parts,
            prefix,
            config,
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(600))
                .build()?,
        };
        check_reachable(&store, &bucket).await?;
        Ok(Self {
            store,
            local_root: None,
            s3: Some(Arc::new(bucket)),
            jobs: Default::default(),
        })
    }

    /// The bucket, when the store is S3.
    pub fn s3_bucket(&self) -> Option<Arc<S3Bucket>> {
        self.s3.clone()
    }

    /// Streams `body` into `key` on S3: one PUT if it fits in a part, else a multipart upload
    /// with a marker (see the module's comment), at most [`MAX_IN_FLIGHT`] + 1 parts held.
    pub(super) async fn write_stream_s3<S>(
        &self,
        bucket: &S3Bucket,
        key: &Path,
        body: S,
        mut inspect: impl FnMut(&Bytes) -> Result<(), AppError>,
    ) -> Result<u64, AppError>
    where
        S: Stream<Item = Result<Bytes, AppError>>,
    {
        let mut body = std::pin::pin!(body);
        let mut buffer = BytesMut::new();
        let mut upload: Option<Upload> = None;
        let mut written = 0u64;
        let outcome: Result<(), AppError> = async {
            while let Some(piece) = body.next().await {
                let piece = piece?;
                inspect(&piece)?;
                written += piece.len() as u64;
                buffer.extend_from_slice(&piece);
                while buffer.len() >= PART_SIZE {
                    let part = buffer.split_to(PART_SIZE).freeze();
                    if upload.is_none() {
                        upload = Some(self.start_upload(bucket, key).await?);
                    }
                    if let Some(u) = upload.as_mut() {
                        u.send(part).await?;
                    }
                }
            }
            Ok(())
        }
        .await;
        let finished = match (outcome, upload.as_mut()) {
            (Err(e), _) => Err(e),
            (Ok(()), None) => self
                .store
                .put(key, PutPayload::from(buffer.freeze()))
                .await
                .map(|_| ())
                .map_err(AppError::from),
            (Ok(()), Some(u)) => {
                let rest = buffer.split().freeze();
                let sent = if rest.is_empty() {
                    Ok(())
                } else {
                    u.send(rest).await
                };
                match sent {
                    Ok(()) => u.complete().await,
                    Err(e) => Err(e),
                }
            }
        };
        if let Some(u) = upload {
            match &finished {
                Ok(()) => self.delete(&u.marker).await,
                Err(_) => u.abort(self).await,
            }
        }
        finished.map(|()| written)
    }

    pub(super) async fn start_upload(
        &self,
        bucket: &S3Bucket,
        key: &Path,
    ) -> Result<Upload, AppError> {
        let full = bucket.full_key(key);
        let upload_id = bucket.raw.create_multipart(&full).await?;
        let marker = Path::from_iter([INFLIGHT, &ulid::Ulid::new().to_string().to_lowercase()]);
        let record = Marker {
            key: full.to_string(),
            upload_id: upload_id.clone(),
        };
        let json = serde_json::to_vec(&record)
            .map_err(|e| AppError::internal("recording a multipart upload", e))?;
        if let Err(e) = self.store.put(&marker, PutPayload::from(json)).await {
            let _ = bucket.raw.abort_multipart(&full, &upload_id).await;
            return Err(e.into());
        }
        Ok(Upload {
            raw: bucket.raw.clone(),
            full,
            upload_id,
            marker,
            in_flight: VecDeque::new(),
            done: Vec::new(),
        })
    }

    /// The markers of the multipart uploads in progress now (none on other storage): those a
    /// killed server left, when no server is running (see `recovery`).
    pub async fn upload_markers(&self) -> Result<Vec<Path>, AppError> {
        if self.s3_bucket().is_none() {
            return Ok(Vec::new());
        }
        self.list(INFLIGHT).await
    }

    /// Aborts the multipart uploads of `markers` (from [`Artifacts::upload_markers`], taken
    /// while no other server ran) and removes the markers, except those of upload jobs whose
    /// parts rows still name (`referenced`: they go on after the restart). Returns how many
    /// were aborted.
    pub async fn abort_uploads(
        &self,
        markers: Vec<Path>,
        referenced: &std::collections::HashSet<String>,
    ) -> Result<usize, AppError> {
        let Some(bucket) = self.s3_bucket() else {
            return Ok(0);
        };
        let mut aborted = 0;
        for marker in markers {
            if super::s3_jobs::marker_job_key(&marker).is_some_and(|k| referenced.contains(&k)) {
                continue;
            }
            let bytes = match self.store.get(&marker).await {
                Ok(got) => got.bytes().await?,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            if let Ok(m) = serde_json::from_slice::<Marker>(&bytes) {
                if let Ok(full) = Path::parse(&m.key) {
                    match bucket.raw.abort_multipart(&full, &m.upload_id).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => aborted += 1,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            self.delete(&marker).await;
        }
        Ok(aborted)
    }
}

/// One multipart upload in progress: parts go out in order, a few at a time.
pub(super) struct Upload {
    raw: Arc<AmazonS3>,
    pub(super) full: Path,
    pub(super) upload_id: String,
    pub(super) marker: Path,
    in_flight: VecDeque<tokio::task::JoinHandle<Result<PartId, object_store::Error>>>,
    done: Vec<PartId>,
}

impl Upload {
    async fn send(&mut self, part: Bytes) -> Result<(), AppError> {
        // Back-pressure: the client is read no faster than S3 takes the parts.
        while self.in_flight.len() > MAX_IN_FLIGHT {
            self.settle_one().await?;
        }
        let (raw, full, id) = (self.raw.clone(), self.full.clone(), self.upload_id.clone());
        let idx = self.done.len() + self.in_flight.len();
        self.in_flight.push_back(tokio::spawn(async move {
            raw.put_part(&full, &id, idx, PutPayload::from(part)).await
        }));
        Ok(())
    }

    async fn settle_one(&mut self) -> Result<(), AppError> {
        if let Some(task) = self.in_flight.pop_front() {
            let part = task
                .await
                .map_err(|e| AppError::internal("uploading a part to S3", e))??;
            self.done.push(part);
        }
        Ok(())
    }

    async fn complete(&mut self) -> Result<(), AppError> {
        while !self.in_flight.is_empty() {
            self.settle_one().await?;
        }
        let parts = std::mem::take(&mut self.done);
        self.raw
            .complete_multipart(&self.full, &self.upload_id, parts)
            .await?;
        Ok(())
    }

    pub(super) async fn abort(self, artifacts: &Artifacts) {
        for task in &self.in_flight {
            task.abort();
        }
        if let Err(e) = self.raw.abort_multipart(&self.full, &self.upload_id).await {
            // The marker stays, so the next start-up aborts it.
            tracing::warn!(error = %e, key = %self.full, "aborting a multipart upload failed");
            return;
        }
        artifacts.delete(&self.marker).await;
    }
}

/// One listing before the server starts: wrong credentials, a missing bucket or an
/// unreachable endpoint stop it here with a message an operator can act on.
async fn check_reachable(store: &Arc<dyn ObjectStore>, bucket: &S3Bucket) -> anyhow::Result<()> {
    let probe = Path::from(INFLIGHT);
    match store.list_with_delimiter(Some(&probe)).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let endpoint = bucket
                .config
                .endpoint
                .as_ref()
                .map_or_else(|| "AWS S3".to_owned(), |u| u.to_string());
            Err(anyhow::anyhow!(
                "cannot use bucket {:?} at {endpoint} (region {}): {e}\n\
                 check the bucket exists, --s3-endpoint and --s3-region, and the credentials \
                 in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
                bucket.config.bucket,
                bucket.config.region
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::S3Config;

    #[test]
    fn storage_urls_name_a_bucket_and_an_optional_prefix() {
        assert_eq!(
            S3Config::parse("s3://fw-bucket").unwrap(),
            ("fw-bucket".to_owned(), String::new())
        );
        assert_eq!(
            S3Config::parse("s3://fw-bucket/airlift/prod/").unwrap(),
            ("fw-bucket".to_owned(), "airlift/prod".to_owned())
        );
        assert!(S3Config::parse("s3://Bad_Bucket").is_err());
        assert!(S3Config::parse("s3://ab").is_err());
        assert!(S3Config::parse("gs://bucket").is_err());
        assert!(S3Config::parse("s3://bucket/a//b").is_err());
    }
}
