//! Packages (seed 000): created only after their artifact is read ([`fetch`]), hashed, sized
//! and (when present or required) its signature verified ([`check`]). JSON and URL_LIST
//! packages (seed 002) are [`inline`]: their payload's canonical JSON is what is hashed and
//! signed, and a URL list's every file is fetched and verified like an artifact. There is no "pending"
//! package: until every check passes there is no row at all, so nothing can ever roll out
//! unverified bytes.

pub mod check;
pub mod fetch;
mod inline;

use std::sync::Arc;

use airlift_core::error::ApiError;
use airlift_core::package::{parse_version, validate_device_type, validate_size, Sha256Hex};
use airlift_core::payload::{self, InlineKind, InlinePayload, PayloadType};
use airlift_core::signing::PublicKey;
use airlift_core::wire::CreatePackage;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::found;
use super::text::bounded_text;
use crate::artifacts::{keys, Artifacts};
use crate::config::{AllowedHost, Config};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{CatalogStore, PackageKey, PackageRecord, Page, PageOf, Store, TenantRecord};
use fetch::{ArtifactRef, Sources};

/// What publishing a package uses (cheap to clone: the task that publishes owns a copy).
#[derive(Clone)]
pub struct Publisher {
    pub store: Arc<dyn Store>,
    pub artifacts: Artifacts,
    /// For fetching artifacts from allowed hosts.
    pub http: reqwest::Client,
    /// Its `allowed_artifact_hosts`.
    pub config: Arc<Config>,
    /// Serializes the short "move artifact into place + insert package" step.
    pub lock: Arc<tokio::sync::Mutex<()>>,
    /// Opens an encrypted image's data key to verify its plain bytes.
    pub data_keys: crate::crypto::DataKeys,
}

/// A request that passed every check that needs no I/O.
pub struct PackageInput {
    pub key: PackageKey,
    pub min_version: String,
    pub signature: Option<String>,
    pub release_notes: String,
    pub content: Content,
}

/// What a package is made of.
pub enum Content {
    /// FILE: an artifact to fetch and verify.
    Artifact(ArtifactInput),
    /// JSON or URL_LIST: the payload; for URL_LIST also where each file comes from, in order.
    Inline {
        payload_type: PayloadType,
        payload: InlinePayload,
        sources: Vec<url::Url>,
    },
}

/// A FILE package's artifact as the request declares it.
pub struct ArtifactInput {
    pub artifact_uri: String,
    pub artifact: ArtifactRef,
    pub sha256: Sha256Hex,
    pub size_bytes: u64,
}

pub fn validate(
    body: CreatePackage,
    allowed_hosts: &[AllowedHost],
    tenant: &TenantRecord,
) -> Result<PackageInput, ApiError> {
    let version = parse_version("version", body.version.trim())?;
    let declared = match body.payload_type {
        PayloadType::File => Some(declared_artifact(&body)?),
        _ => None,
    };
    validate_device_type(&body.compatibility.device_type)?;
    let min_version = parse_version(
        "compatibility.min_version",
        body.compatibility.min_version.trim(),
    )?;
    let release_notes = bounded_text("release_notes", &body.release_notes, 16 * 1024)?;
    let content = match declared {
        Some((artifact_uri, sha256, size_bytes)) => Content::Artifact(ArtifactInput {
            artifact: fetch::parse_artifact_uri(&artifact_uri, allowed_hosts)?,
            artifact_uri: artifact_uri.trim().to_owned(),
            sha256,
            size_bytes,
        }),
        None => inline_content(&body, allowed_hosts)?,
    };
    let signature = body
        .signature
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    match &signature {
        None if tenant.require_signatures => {
            return Err(ApiError::invalid_argument(
                "this tenant requires signed packages: signature is missing",
            ))
        }
        Some(s) if s.len() > 4096 || STANDARD.decode(s).is_err() => {
            return Err(ApiError::invalid_argument("signature is not valid base64"))
        }
        _ => {}
    }
    Ok(PackageInput {
        key: PackageKey {
            package_type: body.package_type,
            version: version.to_string(),
            device_type: body.compatibility.device_type,
        },
        min_version: min_version.to_string(),
        signature,
        release_notes,
        content,
    })
}

/// A FILE package's `artifact_uri`, `sha256` and `size_bytes` (all required), and no payload.
fn declared_artifact(body: &CreatePackage) -> Result<(String, Sha256Hex, u64), ApiError> {
    if body.payload.is_some() {
        return Err(ApiError::invalid_argument(
            "payload is for JSON and URL_LIST packages; a FILE package's bytes come from \
             artifact_uri (set payload_type to send a payload)",
        ));
    }
    let required =
        |field: &str| ApiError::invalid_argument(format!("{field} is required for a FILE package"));
    let artifact_uri = body
        .artifact_uri
        .clone()
        .ok_or_else(|| required("artifact_uri"))?;
    let sha256 = Sha256Hex::parse(
        body.sha256
            .as_deref()
            .ok_or_else(|| required("sha256"))?
            .trim(),
    )?;
    let size_bytes = body.size_bytes.ok_or_else(|| required("size_bytes"))?;
    validate_size(size_bytes)?;
    Ok((artifact_uri, sha256, size_bytes))
}

/// A JSON or URL_LIST package: no artifact fields, a payload that keeps its type's rules, and
/// (URL_LIST) every URL on an allowed host.
fn inline_content(
    body: &CreatePackage,
    allowed_hosts: &[AllowedHost],
) -> Result<Content, ApiError> {
    let payload_type = body.payload_type;
    let artifact_fields: Vec<&str> = [
        ("artifact_uri", body.artifact_uri.is_some()),
        ("sha256", body.sha256.is_some()),
        ("size_bytes", body.size_bytes.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    if !artifact_fields.is_empty() {
        return Err(ApiError::invalid_argument(format!(
            "a {payload_type} package has no artifact: remove {} (the server computes sha256 and \
             size_bytes from the payload's canonical JSON)",
            artifact_fields.join(", ")
        )));
    }
    let payload = payload::parse_inline(payload_type, body.payload.as_ref())?;
    let sources = match &payload.kind {
        InlineKind::Json(_) => Vec::new(),
        InlineKind::UrlList(entries) => entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                fetch::parse_list_url(&format!("payload[{i}].url"), &e.url, allowed_hosts)
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(Content::Inline {
        payload_type,
        payload,
        sources,
    })
}

/// Validates, fetches, checks and publishes a package of `tenant`.
pub async fn create(
    publisher: &Publisher,
    tenant: &TenantRecord,
    body: CreatePackage,
) -> AppResult<PackageRecord> {
    let v = validate(body, &publisher.config.allowed_artifact_hosts, tenant)?;
    let tenant_id = tenant.id.clone();
    // Cheap checks first: no download for a request that cannot succeed.
    if publisher.store.package_exists(&tenant_id, &v.key).await? {
        return Err(ApiError::already_exists(v.key.duplicate_message()).into());
    }
    let keys = match &v.signature {
        Some(_) => check::active_keys(&*publisher.store, &tenant_id).await?,
        None => Vec::new(),
    };
    // Detached from the request: a client that disconnects mid-download cannot interrupt the
    // sequence between "object in place" and "row committed" (which cleans up on failure).
    let task = publisher.clone();
    let record = tokio::spawn(async move {
        match v.content {
            Content::Artifact(_) => publish(&task, &tenant_id, v, keys).await,
            Content::Inline { .. } => inline::publish(&task, &tenant_id, v, keys).await,
        }
    })
    .await
    .map_err(|e| AppError::internal("creating a package", e))??;
    tracing::info!(
        tenant = %record.tenant_id, package = %record.id, version = %record.key.version,
        payload_type = %record.payload_type, sha256 = %record.sha256, size = record.size_bytes,
        "package verified and available"
    );
    Ok(record)
}

/// A FILE package: fetch → check → move into place → commit; every failure removes what it
/// wrote.
async fn publish(
    p: &Publisher,
    tenant_id: &str,
    v: PackageInput,
    keys: Vec<(String, PublicKey)>,
) -> AppResult<PackageRecord> {
    let Content::Artifact(artifact) = v.content else {
        return Err(AppError::internal(
            "creating a package",
            "not a FILE package",
        ));
    };
    let sources = Sources {
        images: &*p.store,
        artifacts: &p.artifacts,
        http: &p.http,
        data_keys: &p.data_keys,
    };
    let fetched =
        fetch::fetch_to_staging(sources, tenant_id, &artifact.artifact, artifact.size_bytes)
            .await?;
    let signing_key_id = match check::check(&fetched, &artifact, v.signature.as_deref(), &keys) {
        Ok(k) => k,
        Err(e) => {
            p.artifacts.delete(&fetched.staging).await;
            return Err(e.into());
        }
    };
    let storage_key = match &fetched.data_key {
        None => keys::firmware(tenant_id, &v.key.version, artifact.sha256.as_str()),
        // Encrypted bytes differ per data key: packages of the same plain bytes under two keys
        // must not share (and overwrite) one object.
        Some(k) => {
            keys::encrypted_firmware(tenant_id, &v.key.version, artifact.sha256.as_str(), &k.id)
        }
    };
    let record = PackageRecord {
        id: ids::new_id("pkg"),
        tenant_id: tenant_id.to_owned(),
        key: v.key,
        min_version: v.min_version,
        artifact_uri: artifact.artifact_uri,
        sha256: artifact.sha256.as_str().to_owned(),
        signature: v.signature,
        signing_key_id,
        size_bytes: fetched.size,
        release_notes: v.release_notes,
        storage_key: storage_key.to_string(),
        created_at: ids::now(),
        change_seq: 0,
        data_key: fetched.data_key.clone(),
        payload_type: PayloadType::File,
        payload: None,
        file_keys: Vec::new(),
    };
    place_and_insert(p, vec![(fetched.staging, storage_key)], &record).await?;
    Ok(record)
}

/// Moves each staged object to its key and inserts the package row. Two packages may share an
/// object (same version and bytes, another type or device type; a file in two lists), so
/// "move into place, insert, clean up" runs under the publish lock, and a failure removes only
/// the objects no package uses: never one another package has just claimed.
async fn place_and_insert(
    p: &Publisher,
    moves: Vec<(object_store::path::Path, object_store::path::Path)>,
    record: &PackageRecord,
) -> AppResult<()> {
    let _guard = p.lock.lock().await;
    let mut placed = Vec::new();
    for (from, to) in &moves {
        if let Err(e) = p.artifacts.rename(from, to).await {
            for (staging, _) in &moves {
                p.artifacts.delete(staging).await;
            }
            remove_unused(p, &placed).await;
            return Err(e);
        }
        placed.push(to.clone());
    }
    if let Err(e) = p.store.create_package(record.clone()).await {
        remove_unused(p, &placed).await;
        return Err(e.into());
    }
    Ok(())
}

async fn remove_unused(p: &Publisher, keys: &[object_store::path::Path]) {
    for key in keys {
        if !p
            .store
            .object_key_in_use(key.as_ref())
            .await
            .unwrap_or(true)
        {
            p.artifacts.delete(key).await;
        }
    }
}

/// A page of packages: by id, or (with `changed_since`) those created after that change.
pub async fn list(
    store: &dyn CatalogStore,
    tenant_id: &str,
    page: Page,
    changed_since: Option<u64>,
) -> AppResult<PageOf<PackageRecord>> {
    Ok(match changed_since {
        Some(since) => {
            store
                .list_packages_changed(tenant_id, since, page.limit)
                .await?
        }
        None => store.list_packages(tenant_id, page).await?,
    })
}

pub async fn get(store: &dyn CatalogStore, tenant_id: &str, id: &str) -> AppResult<PackageRecord> {
    Ok(found(store.package(tenant_id, id).await?, "package")?)
}
