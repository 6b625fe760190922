//! Signing keys and packages.

use airlift_core::package::PackageType;
use airlift_core::payload::PayloadType;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{
    conflict, data_keys, db, exec, i64_of, one, opt, page_of, rows, u64_of, ApiError, PackageKey,
    PackageRecord, Page, PageOf, SigningKeyRecord, StoreResult,
};

const KEY_COLUMNS: &str =
    "id, tenant_id, name, algorithm, public_key_pem, fingerprint, created_at, revoked_at";

fn key_row(r: &Row) -> StoreResult<SigningKeyRecord> {
    let algorithm: String = r.get(3);
    Ok(SigningKeyRecord {
        id: r.get(0),
        tenant_id: r.get(1),
        name: r.get(2),
        algorithm: algorithm.parse()?,
        public_key_pem: r.get(4),
        fingerprint: r.get(5),
        created_at: r.get(6),
        revoked_at: r.get(7),
    })
}

/// ALREADY_EXISTS if an unrevoked key of the tenant has the fingerprint. The tenant row is
/// locked first, so two registrations of one key cannot both pass the check.
pub async fn create_signing_key(c: &impl GenericClient, k: &SigningKeyRecord) -> StoreResult<()> {
    exec(
        c,
        "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE",
        &[&k.tenant_id],
    )
    .await?;
    let dup = opt(
        c,
        "SELECT 1 FROM signing_keys WHERE tenant_id = $1 AND fingerprint = $2 AND revoked_at IS NULL",
        &[&k.tenant_id, &k.fingerprint],
    )
    .await?;
    if dup.is_some() {
        return Err(ApiError::already_exists(format!(
            "this public key is already registered (fingerprint {})",
            k.fingerprint
        ))
        .into());
    }
    exec(
        c,
        "INSERT INTO signing_keys (id, tenant_id, name, algorithm, public_key_pem, fingerprint,
             created_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        &[
            &k.id,
            &k.tenant_id,
            &k.name,
            &k.algorithm.as_str(),
            &k.public_key_pem,
            &k.fingerprint,
            &k.created_at,
        ],
    )
    .await?;
    Ok(())
}

pub async fn list_signing_keys(
    c: &impl GenericClient,
    tenant: &str,
) -> StoreResult<Vec<SigningKeyRecord>> {
    rows(
        c,
        &format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE tenant_id = $1 ORDER BY id"),
        &[&tenant],
    )
    .await?
    .iter()
    .map(key_row)
    .collect()
}

pub async fn revoke_signing_key(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
    at: &str,
) -> StoreResult<()> {
    let found = opt(
        c,
        "SELECT 1 FROM signing_keys WHERE tenant_id = $1 AND id = $2",
        &[&tenant, &id],
    )
    .await?;
    if found.is_none() {
        return Err(ApiError::not_found("signing key not found").into());
    }
    exec(
        c,
        "UPDATE signing_keys SET revoked_at = $3
         WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
        &[&tenant, &id, &at],
    )
    .await?;
    Ok(())
}

const PACKAGE_COLUMNS: &str = "id, tenant_id, type, version, device_type, min_version, artifact_uri,
    sha256, signature, signing_key_id, size_bytes, release_notes, storage_key, created_at, change_seq,
    payload_type, payload, file_keys,
    (SELECT sealed FROM data_keys d WHERE d.id = packages.data_key_id)";

fn package_row(r: &Row) -> PackageRecord {
    let ty: String = r.get(2);
    let package_type = match ty.as_str() {
        "sw" => PackageType::Sw,
        _ => PackageType::Fw,
    };
    PackageRecord {
        id: r.get(0),
        tenant_id: r.get(1),
        key: PackageKey {
            package_type,
            version: r.get(3),
            device_type: r.get(4),
        },
        min_version: r.get(5),
        artifact_uri: r.get(6),
        sha256: r.get(7),
        signature: r.get(8),
        signing_key_id: r.get(9),
        size_bytes: u64_of(r.get(10)),
        release_notes: r.get(11),
        storage_key: r.get(12),
        created_at: r.get(13),
        change_seq: u64_of(r.get(14)),
        payload_type: r.get::<_, &str>(15).parse().unwrap_or(PayloadType::File),
        payload: r.get(16),
        // Written by `file_keys_json` below, so it parses; a damaged value reads as no files.
        file_keys: r
            .get::<_, Option<&str>>(17)
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default(),
        data_key: data_keys::parse(r.get(18)),
    }
}

/// A URL_LIST package's file keys as the JSON array the `file_keys` column holds.
fn file_keys_json(p: &PackageRecord) -> Option<String> {
    (p.payload_type == PayloadType::UrlList)
        .then(|| serde_json::to_string(&p.file_keys).unwrap_or_else(|_| "[]".to_owned()))
}

pub async fn package_exists(
    c: &impl GenericClient,
    tenant: &str,
    key: &PackageKey,
) -> StoreResult<bool> {
    let found = opt(
        c,
        "SELECT 1 FROM packages WHERE tenant_id = $1 AND type = $2 AND version = $3
             AND device_type = $4",
        &[
            &tenant,
            &key.package_type.as_str(),
            &key.version,
            &key.device_type,
        ],
    )
    .await?;
    Ok(found.is_some())
}

pub async fn create_package(c: &impl GenericClient, p: &PackageRecord) -> StoreResult<()> {
    // The image's key row normally exists already; the package names it either way.
    if let Some(key) = &p.data_key {
        data_keys::insert(c, &p.tenant_id, key, &p.created_at).await?;
    }
    let stmt = c
        .prepare_cached(
            "INSERT INTO packages (id, tenant_id, type, version, device_type, min_version,
                 artifact_uri, sha256, signature, signing_key_id, size_bytes, release_notes,
                 storage_key, status, checksum_verified, created_at, payload_type, payload,
                 file_keys, data_key_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'available', TRUE,
                 $14, $15, $16, $17, $18)",
        )
        .await
        .map_err(db)?;
    c.execute(
        &stmt,
        &[
            &p.id,
            &p.tenant_id,
            &p.key.package_type.as_str(),
            &p.key.version,
            &p.key.device_type,
            &p.min_version,
            &p.artifact_uri,
            &p.sha256,
            &p.signature,
            &p.signing_key_id,
            &i64_of(p.size_bytes),
            &p.release_notes,
            &p.storage_key,
            &p.created_at,
            &p.payload_type.as_str(),
            &p.payload,
            &file_keys_json(p),
            &p.data_key.as_ref().map(|k| &k.id),
        ],
    )
    .await
    .map_err(|e| conflict(e, || p.key.duplicate_message()))?;
    Ok(())
}

pub async fn package(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<PackageRecord>> {
    let row = opt(
        c,
        &format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE tenant_id = $1 AND id = $2"),
        &[&tenant, &id],
    )
    .await?;
    Ok(row.as_ref().map(package_row))
}

/// The version of a package known to exist.
pub async fn package_version(c: &impl GenericClient, id: &str) -> StoreResult<String> {
    Ok(one(c, "SELECT version FROM packages WHERE id = $1", &[&id])
        .await?
        .get(0))
}

pub async fn list_packages(
    c: &impl GenericClient,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<PackageRecord>> {
    let found = rows(
        c,
        &format!(
            "SELECT {PACKAGE_COLUMNS} FROM packages WHERE tenant_id = $1 AND id > $2
             ORDER BY id LIMIT $3"
        ),
        &[
            &tenant,
            &page.after.as_deref().unwrap_or(""),
            &(i64::from(page.limit) + 1),
        ],
    )
    .await?;
    Ok(page_of(found.iter().map(package_row).collect(), page.limit))
}

pub async fn list_packages_changed(
    c: &impl GenericClient,
    tenant: &str,
    since: u64,
    limit: u32,
) -> StoreResult<PageOf<PackageRecord>> {
    let horizon = super::change_horizon(c).await?;
    let found = rows(
        c,
        &format!(
            "SELECT {PACKAGE_COLUMNS} FROM packages WHERE tenant_id = $1 AND change_seq > $2
                 AND change_seq <= $4
             ORDER BY change_seq LIMIT $3"
        ),
        &[&tenant, &i64_of(since), &(i64::from(limit) + 1), &horizon],
    )
    .await?;
    Ok(page_of(found.iter().map(package_row).collect(), limit))
}

pub async fn object_key_in_use(c: &impl GenericClient, key: &str) -> StoreResult<bool> {
    Ok(opt(
        c,
        "SELECT 1 FROM packages WHERE storage_key = $1
         UNION ALL
         SELECT 1 FROM packages p, jsonb_array_elements_text(p.file_keys::jsonb) f(key)
         WHERE p.file_keys IS NOT NULL AND f.key = $1
         LIMIT 1",
        &[&key],
    )
    .await?
    .is_some())
}
