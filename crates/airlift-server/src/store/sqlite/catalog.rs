//! Signing keys and packages.

use airlift_core::package::PackageType;
use airlift_core::payload::PayloadType;
use rusqlite::{params, Connection, OptionalExtension as _, Row, TransactionBehavior};

use super::{
    conflict, db, i64_of, page_of, u64_of, ApiError, PackageKey, PackageRecord, Page, PageOf,
    SigningKeyRecord, StoreResult,
};

const KEY_COLUMNS: &str =
    "id, tenant_id, name, algorithm, public_key_pem, fingerprint, created_at, revoked_at";

fn key_row(r: &Row<'_>) -> rusqlite::Result<SigningKeyRecord> {
    let algorithm: String = r.get(3)?;
    Ok(SigningKeyRecord {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        name: r.get(2)?,
        algorithm: algorithm.parse().map_err(|e: ApiError| {
            rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                e.message.into(),
            )
        })?,
        public_key_pem: r.get(4)?,
        fingerprint: r.get(5)?,
        created_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

pub fn create_signing_key(c: &mut Connection, k: &SigningKeyRecord) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let dup: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM signing_keys
                            WHERE tenant_id = ?1 AND fingerprint = ?2 AND revoked_at IS NULL)",
            [&k.tenant_id, &k.fingerprint],
            |r| r.get(0),
        )
        .map_err(db)?;
    if dup {
        return Err(ApiError::already_exists(format!(
            "this public key is already registered (fingerprint {})",
            k.fingerprint
        ))
        .into());
    }
    tx.execute(
        "INSERT INTO signing_keys (id, tenant_id, name, algorithm, public_key_pem, fingerprint, created_at, revoked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)",
        params![k.id, k.tenant_id, k.name, k.algorithm.as_str(), k.public_key_pem, k.fingerprint, k.created_at],
    )
    .map_err(db)?;
    tx.commit().map_err(db)
}

pub fn list_signing_keys(c: &mut Connection, tenant: &str) -> StoreResult<Vec<SigningKeyRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM signing_keys WHERE tenant_id = ?1 ORDER BY id"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map([tenant], key_row)
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(rows)
}

pub fn revoke_signing_key(c: &mut Connection, tenant: &str, id: &str, at: &str) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let exists: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM signing_keys WHERE tenant_id = ?1 AND id = ?2)",
            [tenant, id],
            |r| r.get(0),
        )
        .map_err(db)?;
    if !exists {
        return Err(ApiError::not_found("signing key not found").into());
    }
    tx.execute(
        "UPDATE signing_keys SET revoked_at = ?3 WHERE tenant_id = ?1 AND id = ?2 AND revoked_at IS NULL",
        params![tenant, id, at],
    )
    .map_err(db)?;
    tx.commit().map_err(db)
}

const PACKAGE_COLUMNS: &str =
    "id, tenant_id, type, version, device_type, min_version, artifact_uri,
    sha256, signature, signing_key_id, size_bytes, release_notes, storage_key, created_at, rowid,
    payload_type, payload, file_keys,
    (SELECT sealed FROM data_keys d WHERE d.id = packages.data_key_id)";

fn package_row(r: &Row<'_>) -> rusqlite::Result<PackageRecord> {
    let ty: String = r.get(2)?;
    let package_type = match ty.as_str() {
        "sw" => PackageType::Sw,
        _ => PackageType::Fw,
    };
    Ok(PackageRecord {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        key: PackageKey {
            package_type,
            version: r.get(3)?,
            device_type: r.get(4)?,
        },
        min_version: r.get(5)?,
        artifact_uri: r.get(6)?,
        sha256: r.get(7)?,
        signature: r.get(8)?,
        signing_key_id: r.get(9)?,
        size_bytes: u64_of(r.get(10)?),
        release_notes: r.get(11)?,
        storage_key: r.get(12)?,
        created_at: r.get(13)?,
        change_seq: u64_of(r.get(14)?),
        payload_type: r.get::<_, String>(15)?.parse().unwrap_or(PayloadType::File),
        payload: r.get(16)?,
        file_keys: match r.get::<_, Option<String>>(17)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(17, rusqlite::types::Type::Text, e.into())
            })?,
            None => Vec::new(),
        },
        data_key: super::data_keys::parse(r.get(18)?)?,
    })
}

pub fn package_exists(c: &mut Connection, tenant: &str, key: &PackageKey) -> StoreResult<bool> {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM packages
                        WHERE tenant_id = ?1 AND type = ?2 AND version = ?3 AND device_type = ?4)",
        params![
            tenant,
            key.package_type.as_str(),
            key.version,
            key.device_type
        ],
        |r| r.get(0),
    )
    .map_err(db)
}

pub fn create_package(c: &mut Connection, p: &PackageRecord) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    // The image's key row normally exists already; the package names it either way.
    if let Some(key) = &p.data_key {
        super::data_keys::insert(&tx, &p.tenant_id, key, &p.created_at)?;
    }
    tx.execute(
        "INSERT INTO packages (id, tenant_id, type, version, device_type, min_version, artifact_uri,
             sha256, signature, signing_key_id, size_bytes, release_notes, storage_key,
             status, checksum_verified, created_at, payload_type, payload, file_keys, data_key_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'available', 1, ?14,
             ?15, ?16, ?17, ?18)",
        params![
            p.id,
            p.tenant_id,
            p.key.package_type.as_str(),
            p.key.version,
            p.key.device_type,
            p.min_version,
            p.artifact_uri,
            p.sha256,
            p.signature,
            p.signing_key_id,
            i64_of(p.size_bytes),
            p.release_notes,
            p.storage_key,
            p.created_at,
            p.payload_type.as_str(),
            p.payload,
            file_keys_json(p),
            p.data_key.as_ref().map(|k| &k.id)
        ],
    )
    .map_err(|e| conflict(e, || p.key.duplicate_message()))?;
    tx.commit().map_err(db)
}

pub fn package(c: &Connection, tenant: &str, id: &str) -> StoreResult<Option<PackageRecord>> {
    // Cached: every device poll with an assignment reads its package.
    c.prepare_cached(&format!(
        "SELECT {PACKAGE_COLUMNS} FROM packages WHERE tenant_id = ?1 AND id = ?2"
    ))
    .and_then(|mut stmt| stmt.query_row([tenant, id], package_row).optional())
    .map_err(db)
}

pub fn list_packages(
    c: &mut Connection,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<PackageRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {PACKAGE_COLUMNS} FROM packages WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(
            params![tenant, page.after.as_deref().unwrap_or(""), page.limit + 1],
            package_row,
        )
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, page.limit))
}

/// A URL_LIST package's file keys as the JSON array the `file_keys` column holds.
fn file_keys_json(p: &PackageRecord) -> Option<String> {
    (p.payload_type == PayloadType::UrlList)
        .then(|| serde_json::to_string(&p.file_keys).unwrap_or_else(|_| "[]".to_owned()))
}

pub fn object_key_in_use(c: &mut Connection, key: &str) -> StoreResult<bool> {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM packages WHERE storage_key = ?1)
             OR EXISTS (SELECT 1 FROM packages, json_each(packages.file_keys) f
                        WHERE packages.file_keys IS NOT NULL AND f.value = ?1)",
        [key],
        |r| r.get(0),
    )
    .map_err(db)
}

pub fn list_packages_changed(
    c: &mut Connection,
    tenant: &str,
    since: u64,
    limit: u32,
) -> StoreResult<PageOf<PackageRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {PACKAGE_COLUMNS} FROM packages WHERE tenant_id = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(params![tenant, i64_of(since), limit + 1], package_row)
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, limit))
}
