//! Profiles and devices.

use rusqlite::{params, Connection, OptionalExtension as _, Row};

use super::{
    conflict, db, i64_of, page_of, ApiError, DeviceRecord, NewDevice, Page, PageOf, ProfileRecord,
    StoreResult,
};

const PROFILE_COLUMNS: &str = "id, tenant_id, name, device_type, created_at";

fn profile_row(r: &Row<'_>) -> rusqlite::Result<ProfileRecord> {
    Ok(ProfileRecord {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        name: r.get(2)?,
        device_type: r.get(3)?,
        created_at: r.get(4)?,
    })
}

pub fn create_profile(c: &mut Connection, p: &ProfileRecord) -> StoreResult<()> {
    c.execute(
        "INSERT INTO profiles (id, tenant_id, name, device_type, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![p.id, p.tenant_id, p.name, p.device_type, p.created_at],
    )
    .map_err(|e| conflict(e, || format!("a profile named {:?} already exists", p.name)))?;
    Ok(())
}

pub fn profile(c: &Connection, tenant: &str, id: &str) -> StoreResult<Option<ProfileRecord>> {
    c.query_row(
        &format!("SELECT {PROFILE_COLUMNS} FROM profiles WHERE tenant_id = ?1 AND id = ?2"),
        [tenant, id],
        profile_row,
    )
    .optional()
    .map_err(db)
}

pub fn list_profiles(
    c: &mut Connection,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<ProfileRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {PROFILE_COLUMNS} FROM profiles WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(
            params![tenant, page.after.as_deref().unwrap_or(""), page.limit + 1],
            profile_row,
        )
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, page.limit))
}

const DEVICE_COLUMNS: &str =
    "id, tenant_id, profile_id, name, device_type, firmware_version, created_at, change_seq";

fn device_row(r: &Row<'_>) -> rusqlite::Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        profile_id: r.get(2)?,
        name: r.get(3)?,
        device_type: r.get(4)?,
        firmware_version: r.get(5)?,
        created_at: r.get(6)?,
        change_seq: super::u64_of(r.get(7)?),
    })
}

/// Inserts `devices` in the caller's transaction: all of them, or an error naming the first
/// whose profile is not the tenant's (the engine then lets them join rollouts, same
/// transaction, so 10,000 inserts still commit in one fsync).
pub fn insert_devices(c: &Connection, tenant: &str, devices: &[NewDevice]) -> StoreResult<()> {
    let mut profile_ok = c
        .prepare_cached("SELECT 1 FROM profiles WHERE tenant_id = ?1 AND id = ?2")
        .map_err(db)?;
    let mut insert = c
        .prepare_cached(
            "INSERT INTO devices (id, tenant_id, profile_id, name, device_type, firmware_version, token_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(db)?;
    let mut known_profiles = std::collections::HashSet::new();
    for (i, d) in devices.iter().enumerate() {
        let r = &d.record;
        if !known_profiles.contains(&r.profile_id) {
            if !profile_ok.exists([tenant, &r.profile_id]).map_err(db)? {
                return Err(ApiError::invalid_argument(format!(
                    "device {i}: profile_id {:?} does not exist",
                    r.profile_id
                ))
                .into());
            }
            known_profiles.insert(r.profile_id.clone());
        }
        insert
            .execute(params![
                r.id,
                tenant,
                r.profile_id,
                r.name,
                r.device_type,
                r.firmware_version,
                d.token_hash,
                r.created_at
            ])
            .map_err(db)?;
    }
    Ok(())
}

/// The profile's devices in id order.
pub fn profile_devices(
    c: &Connection,
    tenant: &str,
    profile: &str,
) -> StoreResult<Vec<DeviceRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = ?1 AND profile_id = ?2 ORDER BY id"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map([tenant, profile], device_row)
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(rows)
}

pub fn device(c: &Connection, tenant: &str, id: &str) -> StoreResult<Option<DeviceRecord>> {
    c.query_row(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = ?1 AND id = ?2"),
        [tenant, id],
        device_row,
    )
    .optional()
    .map_err(db)
}

pub fn device_by_token_hash(c: &Connection, hash: &str) -> StoreResult<Option<DeviceRecord>> {
    // Cached: every device request whose token is not in the token cache comes here.
    c.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1"
    ))
    .and_then(|mut stmt| stmt.query_row([hash], device_row).optional())
    .map_err(db)
}

pub fn list_devices(
    c: &mut Connection,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<DeviceRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(
            params![tenant, page.after.as_deref().unwrap_or(""), page.limit + 1],
            device_row,
        )
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, page.limit))
}

pub fn list_devices_changed(
    c: &mut Connection,
    tenant: &str,
    since: u64,
    limit: u32,
) -> StoreResult<PageOf<DeviceRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = ?1 AND change_seq > ?2 ORDER BY change_seq LIMIT ?3"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(params![tenant, i64_of(since), limit + 1], device_row)
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, limit))
}
