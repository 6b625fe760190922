//! The device poll's reads, without writes: `GET .../ota` is the request every device makes
//! every few seconds, so it must not take SQLite's single write lock (nor wait for an fsync).
//!
//! Deliveries are still counted: the caller keeps the counts in memory and hands them to
//! [`store_delivery_counts`] in one transaction now and then (see
//! `device_protocol::deliveries`), instead of one `UPDATE` (and one fsync) per poll.

use airlift_core::wire::{CommandKind, DeviceCommand};
use rusqlite::{params, Connection};

use super::rollouts::commands;
use super::{db, fleet, i64_of, u64_of};
use crate::store::{Assignment, DeviceRecord, StoreResult};

/// What a poll reads: the assignment and the unacknowledged commands (`None`: nothing assigned).
pub type Polled = Option<(Assignment, Vec<DeviceCommand>)>;

/// The device's assignment and its unacknowledged commands, in one read transaction.
pub fn poll(c: &mut Connection, tenant: &str, device: &str) -> StoreResult<Polled> {
    let tx = c.transaction().map_err(db)?;
    let polled = read_poll(&tx, tenant, device)?;
    tx.commit().map_err(db)?;
    Ok(polled)
}

/// The device a token belongs to and, if it is `device_id`, its poll, in one read transaction
/// (one SQLite read lock instead of two for a token the cache does not know yet).
pub fn poll_by_token(
    c: &mut Connection,
    token_hash: &str,
    device_id: &str,
) -> StoreResult<Option<(DeviceRecord, Polled)>> {
    let tx = c.transaction().map_err(db)?;
    let Some(device) = fleet::device_by_token_hash(&tx, token_hash)? else {
        return Ok(None);
    };
    let polled = if device.id == device_id {
        read_poll(&tx, &device.tenant_id, device_id)?
    } else {
        None // another device's URL: the caller refuses it
    };
    tx.commit().map_err(db)?;
    Ok(Some((device, polled)))
}

fn read_poll(c: &Connection, tenant: &str, device: &str) -> StoreResult<Polled> {
    let Some(assignment) = commands::assignment(c, tenant, device)? else {
        return Ok(None);
    };
    let commands = undelivered(c, tenant, device)?;
    Ok(Some((assignment, commands)))
}

/// Unacknowledged, not withdrawn commands, oldest first, with `delivery_count` as stored
/// (the deliveries not written yet are the caller's to add).
pub fn undelivered(c: &Connection, tenant: &str, device: &str) -> StoreResult<Vec<DeviceCommand>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT dc.id, dc.kind, dc.rollout_id, dc.package_id, p.version, dc.created_at, dc.delivery_count
             FROM device_commands dc JOIN packages p ON p.id = dc.package_id
             WHERE dc.device_id = ?2 AND dc.tenant_id = ?1 AND dc.acked_at IS NULL AND dc.cancelled_at IS NULL
             ORDER BY dc.id",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([tenant, device], |r| {
            let kind: String = r.get(1)?;
            Ok(DeviceCommand {
                command_id: r.get(0)?,
                kind: CommandKind::parse(&kind).unwrap_or(CommandKind::OtaStart),
                rollout_id: r.get(2)?,
                package_id: r.get(3)?,
                version: r.get(4)?,
                created_at: r.get(5)?,
                delivery_count: u64_of(r.get::<_, i64>(6)?),
            })
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(rows)
}

/// Raises stored delivery counts to `(command id, total)`, all in one transaction (a count
/// never goes down, whatever order flushes commit in).
pub fn store_delivery_counts(c: &mut Connection, counts: &[(String, u64)]) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    {
        let mut stmt = tx
            .prepare_cached(
                "UPDATE device_commands SET delivery_count = ?2 WHERE id = ?1 AND delivery_count < ?2",
            )
            .map_err(db)?;
        for (id, total) in counts {
            stmt.execute(params![id, i64_of(*total)]).map_err(db)?;
        }
    }
    tx.commit().map_err(db)
}
