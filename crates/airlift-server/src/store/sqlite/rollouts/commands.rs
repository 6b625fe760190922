//! What a device should install now, and its persistent commands.
//!
//! Assignment: the device's open rollout target (command sent or in progress on the way up
//! while active or paused; its rollback command while rolling back). A rollout that names the
//! device explicitly (`device_ids`, device-level) beats one that reached it through its profile;
//! among equals the newest wins. The rule is written once, as the `device_assignments` view
//! (schema V5); `device_polls` keeps its answer per device.

use airlift_core::wire::{CommandAck, CommandKind};
use rusqlite::{params, Connection, OptionalExtension as _};

use super::{db, history};
use crate::store::sqlite::package_memo::PackageMemo;
use crate::store::{ApiError, Assignment, PackageRecord, StoreResult};

pub fn assignment(
    c: &Connection,
    packages: &PackageMemo,
    tenant: &str,
    device: &str,
) -> StoreResult<Option<Assignment>> {
    // `device_polls` is `device_assignments` (schema V5) kept by triggers: one primary-key read.
    let found: Option<(String, String, String)> = c
        .prepare_cached(
            "SELECT rollout_id, package_id, command FROM device_polls
             WHERE device_id = ?2 AND tenant_id = ?1",
        )
        .map_err(db)?
        .query_row([tenant, device], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
        .map_err(db)?;
    let Some((rollout_id, package_id, command)) = found else {
        return Ok(None);
    };
    let command = CommandKind::parse(&command)
        .ok_or_else(|| ApiError::internal(format!("unknown command kind {command:?}")))?;
    let package = packages
        .get(c, tenant, &package_id)?
        .ok_or_else(|| ApiError::internal("an assigned package is missing"))?;
    Ok(Some(Assignment {
        package: PackageRecord::clone(&package),
        rollout_id,
        command,
    }))
}

/// Acknowledges a command (idempotent). NOT_FOUND for another device's command.
pub fn ack(
    c: &mut Connection,
    tenant: &str,
    device: &str,
    command: &str,
    at: &str,
) -> StoreResult<CommandAck> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let row: Option<(Option<String>, String, String)> = tx
        .query_row(
            "SELECT acked_at, rollout_id, package_id FROM device_commands
             WHERE id = ?1 AND device_id = ?2 AND tenant_id = ?3",
            [command, device, tenant],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(db)?;
    let (acked, rollout, package) = row.ok_or_else(|| ApiError::not_found("command not found"))?;
    if let Some(at) = acked {
        return Ok(CommandAck {
            command_id: command.to_owned(),
            acked_at: at,
        });
    }
    let changed = tx
        .execute(
            "UPDATE device_commands SET acked_at = ?2 WHERE id = ?1 AND acked_at IS NULL",
            params![command, at],
        )
        .map_err(db)?;
    if changed == 1 {
        history(
            &tx,
            tenant,
            device,
            "command_acked",
            Some(&rollout),
            Some(&package),
            Some(command),
            None,
            None,
            None,
            None,
            at,
        )?;
    }
    tx.commit().map_err(db)?;
    Ok(CommandAck {
        command_id: command.to_owned(),
        acked_at: at.to_owned(),
    })
}
