//! What devices read and acknowledge: the assignment (one `device_polls` row by primary key),
//! unacknowledged commands, delivery counts, acknowledgements.

use airlift_core::wire::{CommandAck, CommandKind, DeviceCommand};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::fleet::{DEVICE_COLUMNS_OF_D, DEVICE_COLUMN_COUNT};
use super::{catalog, exec, fleet, i64_of, opt, rows, u64_of, ApiError, StoreResult};
use crate::store::package_memo::PackageMemo;
use crate::store::{Assignment, DeviceAgent, DeviceRecord, DeviceSeen, PackageRecord};
use std::sync::Arc;

/// What a poll reads: the assignment and the unacknowledged commands (`None`: nothing assigned).
pub type Polled = Option<(Assignment, Vec<DeviceCommand>)>;

async fn package(
    c: &impl GenericClient,
    packages: &PackageMemo,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<Arc<PackageRecord>>> {
    if let Some(known) = packages.lookup(tenant, id) {
        return Ok(known);
    }
    Ok(catalog::package(c, tenant, id)
        .await?
        .map(|p| packages.remember(p)))
}

pub async fn assignment(
    c: &impl GenericClient,
    packages: &PackageMemo,
    tenant: &str,
    device: &str,
) -> StoreResult<Option<Assignment>> {
    let Some(row) = opt(
        c,
        "SELECT rollout_id, package_id, command FROM device_polls
         WHERE device_id = $2 AND tenant_id = $1",
        &[&tenant, &device],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(
        assignment_of(c, packages, tenant, row.get(0), row.get(1), row.get(2)).await?,
    ))
}

async fn assignment_of(
    c: &impl GenericClient,
    packages: &PackageMemo,
    tenant: &str,
    rollout_id: String,
    package_id: String,
    command: &str,
) -> StoreResult<Assignment> {
    let command = CommandKind::parse(command)
        .ok_or_else(|| ApiError::internal(format!("unknown command kind {command:?}")))?;
    let package = package(c, packages, tenant, &package_id)
        .await?
        .ok_or_else(|| ApiError::internal("an assigned package is missing"))?;
    Ok(Assignment {
        package: PackageRecord::clone(&package),
        rollout_id,
        command,
    })
}

/// The poll's columns after the device's (if any): the assignment, then one open command per
/// row (NULLs when there is none), oldest first. One statement, so one round trip and one
/// snapshot: the poll is the hottest path and on PostgreSQL every statement is a round trip.
const POLL_COLUMNS: &str = "p.rollout_id, p.package_id, p.command,
     c.id, c.kind, c.rollout_id, c.package_id, c.created_at, c.delivery_count";
const OPEN_COMMANDS_OF_P: &str = "LEFT JOIN device_commands c
       ON c.tenant_id = p.tenant_id AND c.device_id = p.device_id
      AND c.acked_at IS NULL AND c.cancelled_at IS NULL";

/// The assignment and the open commands, read together (one statement).
pub async fn poll(
    c: &impl GenericClient,
    packages: &PackageMemo,
    tenant: &str,
    device: &str,
) -> StoreResult<Polled> {
    let found = rows(
        c,
        &format!(
            "SELECT {POLL_COLUMNS} FROM device_polls p {OPEN_COMMANDS_OF_P}
             WHERE p.tenant_id = $1 AND p.device_id = $2 ORDER BY c.id"
        ),
        &[&tenant, &device],
    )
    .await?;
    polled_from(c, packages, tenant, &found, 0).await
}

/// The device of a token and, when it is the device of the URL, its poll: one statement.
pub async fn poll_by_token(
    c: &impl GenericClient,
    packages: &PackageMemo,
    token_hash: &str,
    device_id: &str,
) -> StoreResult<Option<(DeviceRecord, Polled)>> {
    let found = rows(
        c,
        &format!(
            "SELECT {DEVICE_COLUMNS_OF_D}, {POLL_COLUMNS}
             FROM devices d
             LEFT JOIN device_polls p
               ON p.tenant_id = d.tenant_id AND p.device_id = d.id AND d.id = $2
             {OPEN_COMMANDS_OF_P}
             WHERE d.token_hash = $1 ORDER BY c.id"
        ),
        &[&token_hash, &device_id],
    )
    .await?;
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let device = fleet::device_row(first);
    // Another device's URL leaves p NULL: the caller refuses it.
    let polled = polled_from(c, packages, &device.tenant_id, &found, DEVICE_COLUMN_COUNT).await?;
    Ok(Some((device, polled)))
}

/// Decodes [`POLL_COLUMNS`] starting at column `at` of `found`.
async fn polled_from(
    c: &impl GenericClient,
    packages: &PackageMemo,
    tenant: &str,
    found: &[Row],
    at: usize,
) -> StoreResult<Polled> {
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let Some(rollout_id) = first.get::<_, Option<String>>(at) else {
        return Ok(None);
    };
    let assignment = assignment_of(
        c,
        packages,
        tenant,
        rollout_id,
        first.get(at + 1),
        first.get(at + 2),
    )
    .await?;
    let mut commands = Vec::with_capacity(found.len());
    for r in found {
        if r.get::<_, Option<String>>(at + 3).is_some() {
            commands.push(command_of(c, packages, tenant, r, at + 3).await?);
        }
    }
    Ok(Some((assignment, commands)))
}

/// Unacknowledged, not withdrawn commands, oldest first, `delivery_count` as stored.
pub async fn undelivered(
    c: &impl GenericClient,
    packages: &PackageMemo,
    tenant: &str,
    device: &str,
) -> StoreResult<Vec<DeviceCommand>> {
    let found = rows(
        c,
        "SELECT id, kind, rollout_id, package_id, created_at, delivery_count
         FROM device_commands
         WHERE device_id = $2 AND tenant_id = $1 AND acked_at IS NULL AND cancelled_at IS NULL
         ORDER BY id",
        &[&tenant, &device],
    )
    .await?;
    let mut out = Vec::with_capacity(found.len());
    for r in &found {
        out.push(command_of(c, packages, tenant, r, 0).await?);
    }
    Ok(out)
}

/// A command from columns `at..at + 6`: id, kind, rollout, package, created, delivery count.
async fn command_of(
    c: &impl GenericClient,
    packages: &PackageMemo,
    tenant: &str,
    r: &Row,
    at: usize,
) -> StoreResult<DeviceCommand> {
    let package_id: String = r.get(at + 3);
    let version = package(c, packages, tenant, &package_id)
        .await?
        .ok_or_else(|| ApiError::internal("a command's package is missing"))?
        .key
        .version
        .clone();
    Ok(DeviceCommand {
        command_id: r.get(at),
        kind: CommandKind::parse(r.get(at + 1)).unwrap_or(CommandKind::OtaStart),
        rollout_id: r.get(at + 2),
        package_id,
        version,
        created_at: r.get(at + 4),
        delivery_count: u64_of(r.get(at + 5)),
    })
}

/// Adds `(command id, deliveries)` to the stored delivery counts in one statement (servers
/// adding at once all count).
pub async fn add_delivery_counts(
    c: &impl GenericClient,
    counts: &[(String, u64)],
) -> StoreResult<()> {
    let ids: Vec<&str> = counts.iter().map(|(id, _)| id.as_str()).collect();
    let added: Vec<i64> = counts.iter().map(|(_, n)| i64_of(*n)).collect();
    exec(
        c,
        "UPDATE device_commands d SET delivery_count = d.delivery_count + u.added
         FROM unnest($1::text[], $2::bigint[]) AS u(id, added)
         WHERE d.id = u.id",
        &[&ids, &added],
    )
    .await?;
    Ok(())
}

/// Keeps devices' `User-Agent`s in one statement; a row already holding the value is not
/// rewritten, a row another transaction holds is skipped (`SKIP LOCKED`: a report batch locks
/// device rows in its reports' order, so waiting here could close a lock cycle). Returns the
/// skipped devices: their rows still differ and were not written.
pub async fn store_device_agents(
    c: &impl GenericClient,
    agents: &[DeviceAgent],
) -> StoreResult<Vec<String>> {
    let tenants: Vec<&str> = agents.iter().map(|a| a.tenant_id.as_str()).collect();
    let devices: Vec<&str> = agents.iter().map(|a| a.device_id.as_str()).collect();
    let values: Vec<&str> = agents.iter().map(|a| a.user_agent.as_str()).collect();
    // Every part of the statement sees the rows as they were before it: `stale` is what needed
    // writing, `written` what was.
    skipped(
        c,
        "WITH wanted AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS u(tenant_id, id, agent)),
         stale AS (
             SELECT d.id, u.agent FROM devices d
             JOIN wanted u ON d.tenant_id = u.tenant_id AND d.id = u.id
             WHERE d.user_agent IS DISTINCT FROM u.agent),
         locked AS (
             SELECT d.id FROM devices d JOIN stale s ON s.id = d.id
             FOR UPDATE OF d SKIP LOCKED),
         written AS (
             UPDATE devices d SET user_agent = s.agent FROM stale s, locked l
             WHERE d.id = s.id AND l.id = s.id
             RETURNING d.id)
         SELECT s.id FROM stale s WHERE s.id NOT IN (SELECT id FROM written)",
        &[&tenants, &devices, &values],
    )
    .await
}

/// The ids the statement returns (the devices it skipped).
async fn skipped(
    c: &impl GenericClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> StoreResult<Vec<String>> {
    Ok(rows(c, sql, params)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Keeps devices' last contacts in one statement, never moving one back in time (several
/// servers write what they saw, in any order); a row already as new is not rewritten, a row
/// another transaction holds is skipped and returned (as in [`store_device_agents`]).
pub async fn store_last_seen(
    c: &impl GenericClient,
    seen: &[DeviceSeen],
) -> StoreResult<Vec<String>> {
    let tenants: Vec<&str> = seen.iter().map(|s| s.tenant_id.as_str()).collect();
    let devices: Vec<&str> = seen.iter().map(|s| s.device_id.as_str()).collect();
    let at: Vec<i64> = seen.iter().map(|s| s.at_unix).collect();
    skipped(
        c,
        "WITH wanted AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(tenant_id, id, at)),
         stale AS (
             SELECT d.id, u.at FROM devices d
             JOIN wanted u ON d.tenant_id = u.tenant_id AND d.id = u.id
             WHERE d.last_seen_unix IS NULL OR d.last_seen_unix < u.at),
         locked AS (
             SELECT d.id FROM devices d JOIN stale s ON s.id = d.id
             FOR UPDATE OF d SKIP LOCKED),
         written AS (
             UPDATE devices d SET last_seen_unix = GREATEST(d.last_seen_unix, s.at)
             FROM stale s, locked l
             WHERE d.id = s.id AND l.id = s.id
             RETURNING d.id)
         SELECT s.id FROM stale s WHERE s.id NOT IN (SELECT id FROM written)",
        &[&tenants, &devices, &at],
    )
    .await
}

/// The last contacts kept for those of `devices` that are the tenant's.
pub async fn devices_last_seen(
    c: &impl GenericClient,
    tenant: &str,
    devices: &[String],
) -> StoreResult<Vec<(String, i64)>> {
    Ok(rows(
        c,
        "SELECT id, last_seen_unix FROM devices
         WHERE tenant_id = $1 AND id = ANY ($2) AND last_seen_unix IS NOT NULL",
        &[&tenant, &devices],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

/// The `User-Agent` kept for one of the tenant's devices.
pub async fn device_agent(
    c: &impl GenericClient,
    tenant: &str,
    device: &str,
) -> StoreResult<Option<String>> {
    Ok(opt(
        c,
        "SELECT user_agent FROM devices WHERE tenant_id = $1 AND id = $2",
        &[&tenant, &device],
    )
    .await?
    .and_then(|r| r.get::<_, Option<String>>(0)))
}

/// Acknowledges a command (idempotent). NOT_FOUND for another device's command.
pub async fn ack(
    c: &impl GenericClient,
    tenant: &str,
    device: &str,
    command: &str,
    at: &str,
) -> StoreResult<CommandAck> {
    let row = opt(
        c,
        "SELECT acked_at, rollout_id, package_id FROM device_commands
         WHERE id = $1 AND device_id = $2 AND tenant_id = $3 FOR UPDATE",
        &[&command, &device, &tenant],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("command not found"))?;
    let acked: Option<String> = row.get(0);
    if let Some(at) = acked {
        return Ok(CommandAck {
            command_id: command.to_owned(),
            acked_at: at,
        });
    }
    let (rollout, package): (String, String) = (row.get(1), row.get(2));
    exec(
        c,
        "UPDATE device_commands SET acked_at = $2 WHERE id = $1 AND acked_at IS NULL",
        &[&command, &at],
    )
    .await?;
    exec(
        c,
        "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id,
             command_id, at)
         VALUES ($1, $2, 'command_acked', $3, $4, $5, $6)",
        &[&tenant, &device, &rollout, &package, &command, &at],
    )
    .await?;
    Ok(CommandAck {
        command_id: command.to_owned(),
        acked_at: at.to_owned(),
    })
}
