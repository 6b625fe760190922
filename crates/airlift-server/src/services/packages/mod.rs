//! Packages (seed 000): created only after their artifact is read ([`fetch`]), hashed, sized
//! and (when present or required) its signature verified ([`check`]). There is no "pending"
//! package: until every check passes there is no row at all, so nothing can ever roll out
//! unverified bytes.

pub mod check;
pub mod fetch;

use std::sync::Arc;

use airlift_core::error::ApiError;
use airlift_core::package::{parse_version, validate_device_type, validate_size, Sha256Hex};
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
    pub artifact_uri: String,
    pub artifact: ArtifactRef,
    pub sha256: Sha256Hex,
    pub size_bytes: u64,
    pub signature: Option<String>,
    pub release_notes: String,
}

pub fn validate(
    body: CreatePackage,
    allowed_hosts: &[AllowedHost],
    tenant: &TenantRecord,
) -> Result<PackageInput, ApiError> {
    let version = parse_version("version", body.version.trim())?;
    let sha256 = Sha256Hex::parse(body.sha256.trim())?;
    validate_size(body.size_bytes)?;
    validate_device_type(&body.compatibility.device_type)?;
    let min_version = parse_version(
        "compatibility.min_version",
        body.compatibility.min_version.trim(),
    )?;
    let release_notes = bounded_text("release_notes", &body.release_notes, 16 * 1024)?;
    let artifact = fetch::parse_artifact_uri(&body.artifact_uri, allowed_hosts)?;
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
        artifact_uri: body.artifact_uri.trim().to_owned(),
        artifact,
        sha256,
        size_bytes: body.size_bytes,
        signature,
        release_notes,
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
    let record = tokio::spawn(async move { publish(&task, &tenant_id, v, keys).await })
        .await
        .map_err(|e| AppError::internal("creating a package", e))??;
    tracing::info!(
        tenant = %record.tenant_id, package = %record.id, version = %record.key.version,
        sha256 = %record.sha256, size = record.size_bytes, "package verified and available"
    );
    Ok(record)
}

/// Fetch → check → move into place → commit; every failure removes what it wrote.
async fn publish(
    p: &Publisher,
    tenant_id: &str,
    v: PackageInput,
    keys: Vec<(String, PublicKey)>,
) -> AppResult<PackageRecord> {
    let sources = Sources {
        images: &*p.store,
        artifacts: &p.artifacts,
        http: &p.http,
        data_keys: &p.data_keys,
    };
    let fetched = fetch::fetch_to_staging(sources, tenant_id, &v.artifact, v.size_bytes).await?;
    let signing_key_id = match check::check(&fetched, &v, &keys) {
        Ok(k) => k,
        Err(e) => {
            p.artifacts.delete(&fetched.staging).await;
            return Err(e.into());
        }
    };
    let storage_key = match &fetched.data_key {
        None => keys::firmware(tenant_id, &v.key.version, v.sha256.as_str()),
        // Encrypted bytes differ per data key: packages of the same plain bytes under two keys
        // must not share (and overwrite) one object.
        Some(k) => keys::encrypted_firmware(tenant_id, &v.key.version, v.sha256.as_str(), &k.id),
    };
    let record = PackageRecord {
        id: ids::new_id("pkg"),
        tenant_id: tenant_id.to_owned(),
        key: v.key,
        min_version: v.min_version,
        artifact_uri: v.artifact_uri,
        sha256: v.sha256.as_str().to_owned(),
        signature: v.signature,
        signing_key_id,
        size_bytes: fetched.size,
        release_notes: v.release_notes,
        storage_key: storage_key.to_string(),
        created_at: ids::now(),
        change_seq: 0,
        data_key: fetched.data_key.clone(),
    };
    // Two packages may share a storage key (same version and bytes, other type or device
    // type); serialize "move into place, insert, clean up" so a failed insert never deletes
    // an object another package has just claimed.
    let _guard = p.lock.lock().await;
    if let Err(e) = p.artifacts.rename(&fetched.staging, &storage_key).await {
        p.artifacts.delete(&fetched.staging).await;
        return Err(e);
    }
    if let Err(e) = p.store.create_package(record.clone()).await {
        if !p
            .store
            .object_key_in_use(&record.storage_key)
            .await
            .unwrap_or(true)
        {
            p.artifacts.delete(&storage_key).await;
        }
        return Err(e.into());
    }
    Ok(record)
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
