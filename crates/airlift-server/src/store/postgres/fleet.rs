//! Profiles and devices.

use std::collections::HashSet;

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{
    conflict, db, i64_of, opt, page_of, rows, u64_of, ApiError, DeviceRecord, NewDevice, Page,
    PageOf, ProfileRecord, StoreResult,
};

const PROFILE_COLUMNS: &str = "id, tenant_id, name, device_type, created_at";

fn profile_row(r: &Row) -> ProfileRecord {
    ProfileRecord {
        id: r.get(0),
        tenant_id: r.get(1),
        name: r.get(2),
        device_type: r.get(3),
        created_at: r.get(4),
    }
}

pub async fn create_profile(c: &impl GenericClient, p: &ProfileRecord) -> StoreResult<()> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO profiles (id, tenant_id, name, device_type, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await
        .map_err(db)?;
    c.execute(
        &stmt,
        &[&p.id, &p.tenant_id, &p.name, &p.device_type, &p.created_at],
    )
    .await
    .map_err(|e| conflict(e, || format!("a profile named {:?} already exists", p.name)))?;
    Ok(())
}

pub async fn profile(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<ProfileRecord>> {
    let row = opt(
        c,
        &format!("SELECT {PROFILE_COLUMNS} FROM profiles WHERE tenant_id = $1 AND id = $2"),
        &[&tenant, &id],
    )
    .await?;
    Ok(row.as_ref().map(profile_row))
}

pub async fn list_profiles(
    c: &impl GenericClient,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<ProfileRecord>> {
    let found = rows(
        c,
        &format!(
            "SELECT {PROFILE_COLUMNS} FROM profiles WHERE tenant_id = $1 AND id > $2
             ORDER BY id LIMIT $3"
        ),
        &[
            &tenant,
            &page.after.as_deref().unwrap_or(""),
            &(i64::from(page.limit) + 1),
        ],
    )
    .await?;
    Ok(page_of(found.iter().map(profile_row).collect(), page.limit))
}

const DEVICE_COLUMNS: &str =
    "id, tenant_id, profile_id, name, device_type, firmware_version, created_at, change_seq";
/// [`DEVICE_COLUMNS`] of a table named `d`, for joins that read a device first.
pub const DEVICE_COLUMNS_OF_D: &str = "d.id, d.tenant_id, d.profile_id, d.name, d.device_type,
     d.firmware_version, d.created_at, d.change_seq";
pub const DEVICE_COLUMN_COUNT: usize = 8;

pub fn device_row(r: &Row) -> DeviceRecord {
    DeviceRecord {
        id: r.get(0),
        tenant_id: r.get(1),
        profile_id: r.get(2),
        name: r.get(3),
        device_type: r.get(4),
        firmware_version: r.get(5),
        created_at: r.get(6),
        change_seq: u64_of(r.get(7)),
    }
}

/// Inserts `devices` in the caller's transaction: all of them, or an error naming the first
/// whose profile is not the tenant's. One statement over arrays, whatever their number.
pub async fn insert_devices(
    c: &impl GenericClient,
    tenant: &str,
    devices: &[NewDevice],
) -> StoreResult<()> {
    let mut known_profiles = HashSet::new();
    for (i, d) in devices.iter().enumerate() {
        let profile = &d.record.profile_id;
        if known_profiles.contains(profile) {
            continue;
        }
        if opt(
            c,
            "SELECT 1 FROM profiles WHERE tenant_id = $1 AND id = $2",
            &[&tenant, profile],
        )
        .await?
        .is_none()
        {
            return Err(ApiError::invalid_argument(format!(
                "device {i}: profile_id {profile:?} does not exist"
            ))
            .into());
        }
        known_profiles.insert(profile.clone());
    }
    let column = |f: fn(&NewDevice) -> &str| -> Vec<&str> { devices.iter().map(f).collect() };
    let (ids, profiles, names) = (
        column(|d| &d.record.id),
        column(|d| &d.record.profile_id),
        column(|d| &d.record.name),
    );
    let (types, versions, hashes, created) = (
        column(|d| &d.record.device_type),
        column(|d| &d.record.firmware_version),
        column(|d| &d.token_hash),
        column(|d| &d.record.created_at),
    );
    super::exec(
        c,
        "INSERT INTO devices (id, tenant_id, profile_id, name, device_type, firmware_version,
             token_hash, created_at)
         SELECT u.id, $1, u.profile_id, u.name, u.device_type, u.firmware_version, u.token_hash,
             u.created_at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::text[]) WITH ORDINALITY
             AS u(id, profile_id, name, device_type, firmware_version, token_hash, created_at, n)
         ORDER BY u.n",
        &[
            &tenant, &ids, &profiles, &names, &types, &versions, &hashes, &created,
        ],
    )
    .await?;
    Ok(())
}

/// The profile's devices in id order.
pub async fn profile_devices(
    c: &impl GenericClient,
    tenant: &str,
    profile: &str,
) -> StoreResult<Vec<DeviceRecord>> {
    let found = rows(
        c,
        &format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = $1 AND profile_id = $2
             ORDER BY id"
        ),
        &[&tenant, &profile],
    )
    .await?;
    Ok(found.iter().map(device_row).collect())
}

pub async fn device(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<DeviceRecord>> {
    let row = opt(
        c,
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = $1 AND id = $2"),
        &[&tenant, &id],
    )
    .await?;
    Ok(row.as_ref().map(device_row))
}

pub async fn device_by_token_hash(
    c: &impl GenericClient,
    hash: &str,
) -> StoreResult<Option<DeviceRecord>> {
    let row = opt(
        c,
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = $1"),
        &[&hash],
    )
    .await?;
    Ok(row.as_ref().map(device_row))
}

pub async fn list_devices(
    c: &impl GenericClient,
    tenant: &str,
    page: &Page,
) -> StoreResult<PageOf<DeviceRecord>> {
    let found = rows(
        c,
        &format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = $1 AND id > $2
             ORDER BY id LIMIT $3"
        ),
        &[
            &tenant,
            &page.after.as_deref().unwrap_or(""),
            &(i64::from(page.limit) + 1),
        ],
    )
    .await?;
    Ok(page_of(found.iter().map(device_row).collect(), page.limit))
}

pub async fn list_devices_changed(
    c: &impl GenericClient,
    tenant: &str,
    since: u64,
    limit: u32,
) -> StoreResult<PageOf<DeviceRecord>> {
    let horizon = super::change_horizon(c).await?;
    let found = rows(
        c,
        &format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = $1 AND change_seq > $2
                 AND change_seq <= $4
             ORDER BY change_seq LIMIT $3"
        ),
        &[&tenant, &i64_of(since), &(i64::from(limit) + 1), &horizon],
    )
    .await?;
    Ok(page_of(found.iter().map(device_row).collect(), limit))
}
