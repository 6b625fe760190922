//! Packages (seed 000); creating one (fetch, verify, sign-check) is `services::packages`.

use airlift_core::wire::{CompatibilitySpec, CreatePackage, ListResponse, Package, PackageStatus};
use axum::extract::State;
use axum::response::Response;
use axum::Json;

use super::{created, list_response, record_change, SyncListQuery};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::extract::{self, Path, Query};
use crate::services::packages::{self as service, Publisher};
use crate::state::AppState;
use crate::store::PackageRecord;
use airlift_core::audit::AuditAction;

fn to_wire(p: PackageRecord) -> Package {
    Package {
        package_id: p.id,
        package_type: p.key.package_type,
        version: p.key.version,
        payload_type: p.payload_type,
        payload: p
            .payload
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok()),
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
        datafile_encryption: p.data_key.is_some(),
        storage_key: Some(p.storage_key),
    }
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<extract::Json<CreatePackage>, AppError>,
) -> AppResult<Response> {
    caller.require(Permission::Publish)?;
    let extract::Json(body) = body?;
    let publisher = Publisher {
        store: state.store.clone(),
        artifacts: state.artifacts.clone(),
        http: state.http.clone(),
        config: state.config.clone(),
        lock: state.publish_lock.clone(),
        data_keys: state.data_keys.clone(),
    };
    let record = service::create(&publisher, &caller.tenant, body).await?;
    let summary = format!(
        "{} package {} for {} ({} bytes, {})",
        record.payload_type.as_str(),
        record.key.version,
        record.key.device_type,
        record.size_bytes,
        if record.signing_key_id.is_some() {
            "signed"
        } else {
            "unsigned"
        }
    );
    record_change(
        &state,
        &caller,
        AuditAction::PackageCreate,
        &record.id,
        &summary,
    )
    .await;
    Ok(created(
        &format!("/api/v1/ota/packages/{}", record.id),
        to_wire(record),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SyncListQuery>,
) -> AppResult<Json<ListResponse<Package>>> {
    caller.require(Permission::Read)?;
    let (page, since) = q.split()?;
    let items = service::list(&*state.store, caller.tenant_id(), page.clone(), since).await?;
    Ok(Json(list_response(&page, items, to_wire)))
}

pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Package>> {
    caller.require(Permission::Read)?;
    let p = service::get(&*state.store, caller.tenant_id(), &id).await?;
    Ok(Json(to_wire(p)))
}
