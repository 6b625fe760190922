//! The user side of the API the simulator and the demo need: profiles, bulk provisioning,
//! signing keys, upload jobs, packages, and generic JSON calls (rollouts, for tests).

use std::time::Duration;

use airlift_core::wire::{
    BulkCreateDevices, BulkProvisioned, CreateDevice, CreatePackage, CreateProfile,
    CreateSigningKey, CreateUploadJob, FirmwareImage, ListResponse, Package, Profile,
    ProvisionedDevice, SigningKey, UploadJob,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::{Digest as _, Md5};
use reqwest::header::AUTHORIZATION;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;

use airlift_device::http::{error_of, json_of, CallError, Http};

/// At most this many devices per bulk call (the server accepts up to 10,000).
pub const BULK_BATCH: usize = 2_000;
/// Upload chunk size for the demo's artifacts: seed 003's minimum, which every chunk but the
/// last must reach (5 MiB).
const UPLOAD_CHUNK: usize = airlift_core::upload_parts::MIN_PART_BYTES as usize;

/// A user JWT (never printed by `Debug`).
#[derive(Clone)]
pub struct UserApi {
    http: Http,
    token: String,
}

impl std::fmt::Debug for UserApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserApi")
            .field("base", &self.http.base())
            .finish_non_exhaustive()
    }
}

impl UserApi {
    pub fn new(http: Http, token: &str) -> Self {
        Self {
            http,
            token: token.trim().to_owned(),
        }
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .client()
            .request(method, self.http.url(path))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
    }

    /// Sends once, and again after a 429's `Retry-After` (waited as told, bounded): the
    /// server's rate limit answers before any work, so even a create is safe to send again.
    async fn send<T: DeserializeOwned>(
        &self,
        mut rb: reqwest::RequestBuilder,
    ) -> Result<T, CallError> {
        use airlift_device::retry::{ATTEMPTS, MAX_RETRY_AFTER};
        let mut attempt = 1;
        let resp = loop {
            let again = rb.try_clone();
            let resp = rb.send().await.map_err(CallError::transport)?;
            if resp.status().is_success() {
                break resp;
            }
            let err = error_of(resp).await;
            let wait = err.retry_after().filter(|_| err.status() == Some(429));
            match (wait, again) {
                (Some(wait), Some(next)) if attempt < ATTEMPTS => {
                    tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
                    rb = next;
                    attempt += 1;
                }
                _ => return Err(err),
            }
        };
        if resp.status() == reqwest::StatusCode::NO_CONTENT {
            return serde_json::from_value(serde_json::Value::Null)
                .map_err(|e| CallError::Protocol(format!("no content: {e}")));
        }
        json_of(resp).await
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        self.send(self.req(Method::GET, path)).await
    }

    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CallError> {
        self.send(self.req(Method::POST, path).json(body)).await
    }

    /// A POST without a body (rollout transitions).
    pub async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        self.send(self.req(Method::POST, path)).await
    }

    /// Every item of a paged list (`?limit=1000&after=`), `id` naming an item's cursor.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        id: impl Fn(&T) -> String,
    ) -> Result<Vec<T>, CallError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &after {
                Some(a) => format!("{path}{sep}limit=1000&after={a}"),
                None => format!("{path}{sep}limit=1000"),
            };
            let page: ListResponse<T> = self.get(&url).await?;
            let next = page.data.last().map(&id);
            out.extend(page.data);
            match next {
                Some(n) if page.has_more => after = Some(n),
                _ => return Ok(out),
            }
        }
    }

    pub async fn profiles(&self) -> Result<Vec<Profile>, CallError> {
        self.list_all("/api/v1/profiles", |p: &Profile| p.profile_id.clone())
            .await
    }

    /// The profile named `name`, created if missing.
    pub async fn ensure_profile(
        &self,
        name: &str,
        device_type: &str,
    ) -> Result<Profile, CallError> {
        if let Some(p) = self.profiles().await?.into_iter().find(|p| p.name == name) {
            return Ok(p);
        }
        self.post(
            "/api/v1/profiles",
            &CreateProfile {
                name: name.to_owned(),
                device_type: device_type.to_owned(),
            },
        )
        .await
    }

    /// Provisions `devices` in bulk calls of [`BULK_BATCH`]; tokens are in the answer only.
    pub async fn provision(
        &self,
        devices: Vec<CreateDevice>,
    ) -> Result<Vec<ProvisionedDevice>, CallError> {
        let mut out = Vec::with_capacity(devices.len());
        for batch in devices.chunks(BULK_BATCH) {
            let r: BulkProvisioned = self
                .post(
                    "/api/v1/devices/bulk",
                    &BulkCreateDevices {
                        devices: batch.to_vec(),
                    },
                )
                .await?;
            out.extend(r.data);
        }
        Ok(out)
    }

    /// Every device of the tenant (ids and firmware versions; never tokens).
    pub async fn devices(&self) -> Result<Vec<airlift_core::wire::Device>, CallError> {
        self.list_all("/api/v1/devices", |d: &airlift_core::wire::Device| {
            d.device_id.clone()
        })
        .await
    }

    pub async fn signing_keys(&self) -> Result<Vec<SigningKey>, CallError> {
        // The signing-key list may or may not be paged; accept both shapes.
        let v: serde_json::Value = self.get("/api/v1/signing-keys?limit=1000").await?;
        let data = if v.is_array() {
            v
        } else {
            v.get("data").cloned().unwrap_or_default()
        };
        serde_json::from_value(data).map_err(|e| CallError::Protocol(format!("signing keys: {e}")))
    }

    pub async fn create_signing_key(
        &self,
        req: &CreateSigningKey,
    ) -> Result<SigningKey, CallError> {
        self.post("/api/v1/signing-keys", req).await
    }

    pub async fn packages(&self) -> Result<Vec<Package>, CallError> {
        self.list_all("/api/v1/ota/packages", |p: &Package| p.package_id.clone())
            .await
    }

    pub async fn create_package(&self, req: &CreatePackage) -> Result<Package, CallError> {
        self.post("/api/v1/ota/packages", req).await
    }

    /// Uploads `data` as an upload job named `name` (seed 003: chunks with Content-MD5, a
    /// zero-length chunk completes) and returns the resulting firmware image.
    pub async fn upload_image(&self, name: &str, data: &[u8]) -> Result<FirmwareImage, CallError> {
        let job: UploadJob = self
            .post(
                "/api/v1/ota/upload-jobs",
                &CreateUploadJob {
                    name: name.to_owned(),
                    description: format!("airlift-sim demo artifact {name}"),
                    datafile_encryption: false,
                },
            )
            .await?;
        let chunks_path = format!("/api/v1/ota/upload-jobs/{}/chunks", job.id);
        for piece in data.chunks(UPLOAD_CHUNK).chain(std::iter::once(&[][..])) {
            let md5 = STANDARD.encode(Md5::digest(piece));
            let _: serde_json::Value = self
                .send(
                    self.req(Method::POST, &chunks_path)
                        .header("content-md5", md5)
                        .header("content-type", "application/octet-stream")
                        .body(piece.to_vec()),
                )
                .await?;
        }
        // Completion assembles and hashes; wait for the image id.
        let job_path = format!("/api/v1/ota/upload-jobs/{}", job.id);
        for _ in 0..600 {
            let j: UploadJob = self.get(&job_path).await?;
            if j.completed && !j.firmware_image_id.is_empty() {
                return self
                    .get(&format!("/api/v1/ota/images/{}", j.firmware_image_id))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(CallError::Protocol(format!(
            "upload job {} did not complete within a minute",
            job.id
        )))
    }
}
