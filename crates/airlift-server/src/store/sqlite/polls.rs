//! The device poll's reads, without writes: `GET .../ota` is the request every device makes
//! every few seconds, so it must not take SQLite's single write lock (nor wait for an fsync).
//!
//! Deliveries are still counted: the caller keeps the counts in memory and hands them to
//! [`add_delivery_counts`] in one transaction now and then (see
//! `device_protocol::deliveries`), instead of one `UPDATE` (and one fsync) per poll.

use airlift_core::wire::{CommandKind, DeviceCommand};
use rusqlite::{params, Connection, OptionalExtension as _};

use super::package_memo::PackageMemo;
use super::rollouts::commands;
use super::{db, fleet, i64_of, u64_of};
use crate::store::{ApiError, Assignment, DeviceAgent, DeviceRecord, DeviceSeen, StoreResult};

/// What a poll reads: the assignment and the unacknowledged commands (`None`: nothing assigned).
pub type Polled = Option<(Assignment, Vec<DeviceCommand>)>;

/// The device's assignment and its unacknowledged commands, in one read transaction.
pub fn poll(
    c: &mut Connection,
    packages: &PackageMemo,
    tenant: &str,
    device: &str,
) -> StoreResult<Polled> {
    in_read_transaction(c, |c| read_poll(c, packages, tenant, device))
}

/// The device a token belongs to and, if it is `device_id`, its poll, in one read transaction
/// (one SQLite read lock instead of two for a token the cache does not know yet).
pub fn poll_by_token(
    c: &mut Connection,
    packages: &PackageMemo,
    token_hash: &str,
    device_id: &str,
) -> StoreResult<Option<(DeviceRecord, Polled)>> {
    in_read_transaction(c, |c| {
        let Some(device) = fleet::device_by_token_hash(c, token_hash)? else {
            return Ok(None);
        };
        let polled = if device.id == device_id {
            read_poll(c, packages, &device.tenant_id, device_id)?
        } else {
            None // another device's URL: the caller refuses it
        };
        Ok(Some((device, polled)))
    })
}

/// Runs `f` in one read transaction with cached `BEGIN`/`COMMIT` statements: rusqlite's
/// `Transaction` parses both on every call, which showed up in the poll's profile.
fn in_read_transaction<T>(
    c: &mut Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    c.prepare_cached("BEGIN")
        .and_then(|mut s| s.execute([]))
        .map_err(db)?;
    let result = f(c);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = c.prepare_cached(end).and_then(|mut s| s.execute([]));
    let value = result?;
    ended.map_err(db)?;
    Ok(value)
}

fn read_poll(
    c: &Connection,
    packages: &PackageMemo,
    tenant: &str,
    device: &str,
) -> StoreResult<Polled> {
    let Some(assignment) = commands::assignment(c, packages, tenant, device)? else {
        return Ok(None);
    };
    let commands = undelivered(c, packages, tenant, device)?;
    Ok(Some((assignment, commands)))
}

/// Unacknowledged, not withdrawn commands, oldest first, with `delivery_count` as stored
/// (the deliveries not written yet are the caller's to add). Each command's version comes
/// from its package in memory.
pub fn undelivered(
    c: &Connection,
    packages: &PackageMemo,
    tenant: &str,
    device: &str,
) -> StoreResult<Vec<DeviceCommand>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id, kind, rollout_id, package_id, created_at, delivery_count
             FROM device_commands
             WHERE device_id = ?2 AND tenant_id = ?1 AND acked_at IS NULL AND cancelled_at IS NULL
             ORDER BY id",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([tenant, device], |r| {
            let kind: String = r.get(1)?;
            Ok((
                r.get::<_, String>(0)?,
                kind,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    rows.into_iter()
        .map(
            |(command_id, kind, rollout_id, package_id, created_at, count)| {
                let version = packages
                    .get(c, tenant, &package_id)?
                    .ok_or_else(|| ApiError::internal("a command's package is missing"))?
                    .key
                    .version
                    .clone();
                Ok(DeviceCommand {
                    command_id,
                    kind: CommandKind::parse(&kind).unwrap_or(CommandKind::OtaStart),
                    rollout_id,
                    package_id,
                    version,
                    created_at,
                    delivery_count: u64_of(count),
                })
            },
        )
        .collect()
}

/// Adds `(command id, deliveries)` to the stored delivery counts, all in one transaction.
pub fn add_delivery_counts(c: &mut Connection, counts: &[(String, u64)]) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    {
        let mut stmt = tx
            .prepare_cached(
                "UPDATE device_commands SET delivery_count = delivery_count + ?2 WHERE id = ?1",
            )
            .map_err(db)?;
        for (id, added) in counts {
            stmt.execute(params![id, i64_of(*added)]).map_err(db)?;
        }
    }
    tx.commit().map_err(db)
}

/// Keeps devices' `User-Agent`s in one transaction; a row already holding the value is not
/// rewritten.
pub fn store_device_agents(c: &mut Connection, agents: &[DeviceAgent]) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    {
        let mut stmt = tx
            .prepare_cached(
                "UPDATE devices SET user_agent = ?3
                 WHERE tenant_id = ?1 AND id = ?2 AND user_agent IS NOT ?3",
            )
            .map_err(db)?;
        for a in agents {
            stmt.execute(params![a.tenant_id, a.device_id, a.user_agent])
                .map_err(db)?;
        }
    }
    tx.commit().map_err(db)
}

/// Keeps devices' last contacts in one transaction, never moving one back in time; a row
/// already as new is not rewritten.
pub fn store_last_seen(c: &mut Connection, seen: &[DeviceSeen]) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    {
        let mut stmt = tx
            .prepare_cached(
                "UPDATE devices SET last_seen_unix = ?3
                 WHERE tenant_id = ?1 AND id = ?2
                   AND (last_seen_unix IS NULL OR last_seen_unix < ?3)",
            )
            .map_err(db)?;
        for s in seen {
            stmt.execute(params![s.tenant_id, s.device_id, s.at_unix])
                .map_err(db)?;
        }
    }
    tx.commit().map_err(db)
}

/// The last contacts kept for those of `devices` that are the tenant's.
pub fn devices_last_seen(
    c: &Connection,
    tenant: &str,
    devices: &[String],
) -> StoreResult<Vec<(String, i64)>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT last_seen_unix FROM devices
             WHERE tenant_id = ?1 AND id = ?2 AND last_seen_unix IS NOT NULL",
        )
        .map_err(db)?;
    let mut found = Vec::new();
    for device in devices {
        let at: Option<i64> = stmt
            .query_row(params![tenant, device], |r| r.get(0))
            .optional()
            .map_err(db)?;
        if let Some(at) = at {
            found.push((device.clone(), at));
        }
    }
    Ok(found)
}

/// The `User-Agent` kept for one of the tenant's devices.
pub fn device_agent(c: &Connection, tenant: &str, device: &str) -> StoreResult<Option<String>> {
    c.prepare_cached("SELECT user_agent FROM devices WHERE tenant_id = ?1 AND id = ?2")
        .and_then(|mut stmt| {
            stmt.query_row(params![tenant, device], |r| r.get::<_, Option<String>>(0))
                .optional()
        })
        .map(Option::flatten)
        .map_err(db)
}
