//! A synthetic fleet for the cache benchmarks, defined twice on purpose: as Rust rows (what the
//! desk's sync writes) and as SQL that builds the very same rows inside SQLite (what the `sqlite3`
//! reference runs). Keeping both in one file is what keeps them equal; bench/desk-cache.sh also
//! compares the two resulting tables row by row.
//!
//! Device `i` (0-based) has id `dev-%07d`, and a name drawn from a permutation of `0..1,000,000`
//! (`i * 7919 mod 1,000,000`; 7919 is prime), so name order differs from id order and index
//! inserts land all over the name index, as they do for a real fleet.

#![allow(dead_code)] // Each bench target uses a different part of this file.

use airlift_desk::cache::rows::DeviceRow;

/// The connection every benchmark row belongs to.
pub const CONNECTION: &str = "bench";

const NAME_SPACE: u64 = 1_000_000;
const NAME_STRIDE: u64 = 7919;

/// Device `i` as the first (full) sync sees it.
pub fn device(i: u64) -> DeviceRow {
    DeviceRow {
        id: format!("dev-{i:07}"),
        name: format!("gateway-{:07}", (i * NAME_STRIDE) % NAME_SPACE),
        profile_id: Some(format!("prof-{}", i % 7)),
        device_type: "edge-gw".into(),
        firmware_version: Some("1.4.2".into()),
        target_version: None,
        ota_status: Some("idle".into()),
        progress: None,
        last_update_at: Some("2026-11-20T09:00:00Z".into()),
        updated_at: "2026-11-20T10:00:00Z".into(),
        last_seen_at: None,
        user_agent: None,
    }
}

/// The `k`-th of `changes` devices changed after the first sync, spread evenly over a fleet of
/// `fleet` devices (an incremental sync after a rollout wave).
pub fn changed_index(k: u64, fleet: u64, changes: u64) -> u64 {
    let step = fleet / changes;
    k * step + 37 % step.max(1)
}

/// Device `i` after it installed 1.5.0.
pub fn changed_device(i: u64) -> DeviceRow {
    DeviceRow {
        firmware_version: Some("1.5.0".into()),
        target_version: Some("1.5.0".into()),
        ota_status: Some("installed".into()),
        progress: Some(100),
        last_update_at: Some("2026-11-21T08:00:00Z".into()),
        updated_at: "2026-11-21T08:00:00Z".into(),
        ..device(i)
    }
}

/// `natural_key` of the name `gateway-%07d` of device `i`, in SQL: the number without its
/// leading zeros, after its length in two digits.
fn name_key_sql() -> String {
    let number = format!("CAST((i * {NAME_STRIDE}) % {NAME_SPACE} AS TEXT)");
    format!("'gateway-' || printf('%02d', length({number})) || {number}")
}

/// SQL that inserts devices `0..fleet` (the same rows as [`device`]) in one statement.
pub fn initial_sql(fleet: u64) -> String {
    format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last})
         INSERT INTO devices (connection_id, id, name, profile_id, device_type, firmware_version,
                              target_version, ota_status, progress, last_update_at, updated_at,
                              name_key)
         SELECT '{CONNECTION}', printf('dev-%07d', i), printf('gateway-%07d', (i * {NAME_STRIDE}) % {NAME_SPACE}),
                'prof-' || (i % 7), 'edge-gw', '1.4.2', NULL, 'idle', NULL,
                '2026-11-20T09:00:00Z', '2026-11-20T10:00:00Z', {key}
         FROM n;",
        last = fleet - 1,
        key = name_key_sql(),
    )
}

/// SQL that upserts the `changes` changed devices (the same rows as [`changed_device`]).
pub fn incremental_sql(fleet: u64, changes: u64) -> String {
    let step = fleet / changes;
    format!(
        "WITH RECURSIVE k(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM k WHERE x < {last}),
              n(i) AS (SELECT x * {step} + {offset} FROM k)
         INSERT INTO devices (connection_id, id, name, profile_id, device_type, firmware_version,
                              target_version, ota_status, progress, last_update_at, updated_at,
                              name_key)
         SELECT '{CONNECTION}', printf('dev-%07d', i), printf('gateway-%07d', (i * {NAME_STRIDE}) % {NAME_SPACE}),
                'prof-' || (i % 7), 'edge-gw', '1.5.0', '1.5.0', 'installed', 100,
                '2026-11-21T08:00:00Z', '2026-11-21T08:00:00Z', {key}
         FROM n WHERE true
         ON CONFLICT (connection_id, id) DO UPDATE SET
             name = excluded.name, name_key = excluded.name_key, profile_id = excluded.profile_id,
             device_type = excluded.device_type, firmware_version = excluded.firmware_version,
             target_version = excluded.target_version, ota_status = excluded.ota_status,
             progress = excluded.progress, last_update_at = excluded.last_update_at,
             updated_at = excluded.updated_at;",
        last = changes - 1,
        offset = 37 % step.max(1),
        key = name_key_sql(),
    )
}
