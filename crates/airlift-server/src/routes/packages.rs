//! Packages (seed 000): created only after their artifact is read, hashed, sized and (when
//! present or required) its signature verified. There is no "pending" package: until every
//! check passes there is no row at all, so nothing can ever roll out unverified bytes.

use airlift_core::error::ApiError;
use airlift_core::package::{parse_version, validate_device_type, validate_size, Sha256Hex};
use airlift_core::signing::PublicKey;
use airlift_core::wire::{CompatibilitySpec, CreatePackage, ListResponse, Package, PackageStatus};
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{bounded_text, created, list_response, SyncListQuery};
use crate::app::AppState;
use crate::artifacts::keys;
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query};
use crate::ids;
use crate::store::{PackageKey, PackageRecord, TenantRecord};
use crate::verify::{self, ArtifactRef};

fn to_wire(p: PackageRecord) -> Package {
    Package {
        package_id: p.id,
        package_type: p.key.package_type,
        version: p.key.version,
        artifact_uri: p.artifact_uri,
        sha256: p.sha256,
        signature: p.signature,
        signing_key_id: p.signing_key_id,
        size_bytes: p.size_bytes,
        compatibility: CompatibilitySpec {
            device_type: p.key.device_type,
            min_version: p.min_version,
        },
        release_notes: p.release_notes,
        status: PackageStatus::Available,
        checksum_verified: true,
        created_at: p.created_at,
        change_seq: p.change_seq,
    }
}

/// A request that passed every check that needs no I/O.
struct Validated {
    key: PackageKey,
    min_version: String,
    artifact_uri: String,
    artifact: ArtifactRef,
    sha256: Sha256Hex,
    size_bytes: u64,
    signature: Option<String>,
    release_notes: String,
}

fn validate(
    body: CreatePackage,
    state: &AppState,
    tenant: &TenantRecord,
) -> Result<Validated, ApiError> {
    let version = parse_version("version", body.version.trim())?;
    let sha256 = Sha256Hex::parse(body.sha256.trim())?;
    validate_size(body.size_bytes)?;
    validate_device_type(&body.compatibility.device_type)?;
    let min_version = parse_version(
        "compatibility.min_version",
        body.compatibility.min_version.trim(),
    )?;
    let release_notes = bounded_text("release_notes", &body.release_notes, 16 * 1024)?;
    let artifact =
        verify::parse_artifact_uri(&body.artifact_uri, &state.config.allowed_artifact_hosts)?;
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
    Ok(Validated {
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

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreatePackage>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Publish)?;
    let extract::Json(body) = body?;
    let v = validate(body, &state, &caller.tenant)?;
    let tenant_id = caller.tenant.id.clone();
    // Cheap checks first: no download for a request that cannot succeed.
    if state.store.package_exists(&tenant_id, &v.key).await? {
        return Err(ApiError::already_exists(v.key.duplicate_message()).into());
    }
    let keys = match &v.signature {
        Some(_) => active_keys(&state, &tenant_id).await?,
        None => Vec::new(),
    };
    // Detached from the request: a client that disconnects mid-download cannot interrupt the
    // sequence between "object in place" and "row committed" (which cleans up on failure).
    let task_state = state.clone();
    let record = tokio::spawn(async move { publish(&task_state, &tenant_id, v, keys).await })
        .await
        .map_err(|e| AppError::internal("creating a package", e))??;
    tracing::info!(
        tenant = %record.tenant_id, package = %record.id, version = %record.key.version,
        sha256 = %record.sha256, size = record.size_bytes, "package verified and available"
    );
    Ok(created(
        &format!("/api/v1/ota/packages/{}", record.id),
        to_wire(record),
    ))
}

async fn active_keys(state: &AppState, tenant_id: &str) -> AppResult<Vec<(String, PublicKey)>> {
    let mut out = Vec::new();
    for k in state.store.list_signing_keys(tenant_id).await? {
        if k.revoked_at.is_some() {
            continue;
        }
        match PublicKey::from_pem(k.algorithm, &k.public_key_pem) {
            Ok(key) => out.push((k.id, key)),
            Err(e) => tracing::error!(key = %k.id, error = %e, "stored signing key does not parse"),
        }
    }
    if out.is_empty() {
        return Err(ApiError::invalid_argument(
            "the signature cannot be verified: the tenant has no active signing keys",
        )
        .into());
    }
    Ok(out)
}

/// Fetch → check → move into place → commit; every failure removes what it wrote.
async fn publish(
    state: &AppState,
    tenant_id: &str,
    v: Validated,
    keys: Vec<(String, PublicKey)>,
) -> AppResult<PackageRecord> {
    let fetched = verify::fetch_to_staging(state, tenant_id, &v.artifact, v.size_bytes).await?;
    let checked = check(&fetched, &v, &keys);
    let signing_key_id = match checked {
        Ok(k) => k,
        Err(e) => {
            state.artifacts.delete(&fetched.staging).await;
            return Err(e.into());
        }
    };
    let storage_key = keys::firmware(tenant_id, &v.key.version, v.sha256.as_str());
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
    };
    // Two packages may share a storage key (same version and bytes, other type or device
    // type); serialize "move into place, insert, clean up" so a failed insert never deletes
    // an object another package has just claimed.
    let _guard = state.publish_lock.lock().await;
    if let Err(e) = state.artifacts.rename(&fetched.staging, &storage_key).await {
        state.artifacts.delete(&fetched.staging).await;
        return Err(e);
    }
    if let Err(e) = state.store.create_package(record.clone()).await {
        if !state
            .store
            .object_key_in_use(&record.storage_key)
            .await
            .unwrap_or(true)
        {
            state.artifacts.delete(&storage_key).await;
        }
        return Err(e.into());
    }
    Ok(record)
}

/// Size, checksum and signature of the fetched bytes. Returns the key that verified the
/// signature, if one was given.
fn check(
    fetched: &crate::verify::Fetched,
    v: &Validated,
    keys: &[(String, PublicKey)],
) -> Result<Option<String>, ApiError> {
    if fetched.size != v.size_bytes {
        return Err(ApiError::invalid_argument(format!(
            "size mismatch: the artifact is {} bytes, size_bytes says {}",
            fetched.size, v.size_bytes
        )));
    }
    let computed = Sha256Hex::from_digest(&fetched.digest);
    if computed != v.sha256 {
        return Err(ApiError::invalid_argument(format!(
            "checksum mismatch: the artifact's SHA-256 is {}, sha256 says {}",
            computed.as_str(),
            v.sha256.as_str()
        )));
    }
    let Some(signature) = &v.signature else {
        return Ok(None);
    };
    keys.iter()
        .find(|(_, key)| key.verify_digest(&fetched.digest, signature).is_ok())
        .map(|(id, _)| Some(id.clone()))
        .ok_or_else(|| {
            ApiError::invalid_argument(
                "signature does not verify over the artifact's SHA-256 with any of the tenant's active signing keys",
            )
        })
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SyncListQuery>,
) -> AppResult<Json<ListResponse<Package>>> {
    caller.require(Permission::Read)?;
    let (page, since) = q.split()?;
    let items = match since {
        Some(since) => {
            state
                .store
                .list_packages_changed(caller.tenant_id(), since, page.limit)
                .await?
        }
        None => {
            state
                .store
                .list_packages(caller.tenant_id(), page.clone())
                .await?
        }
    };
    Ok(Json(list_response(&page, items, to_wire)))
}

pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Package>> {
    caller.require(Permission::Read)?;
    let p = state
        .store
        .package(caller.tenant_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("package not found"))?;
    Ok(Json(to_wire(p)))
}
