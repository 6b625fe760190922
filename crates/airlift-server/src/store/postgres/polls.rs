//! What devices read and acknowledge: the assignment (one `device_polls` row by primary key),
//! unacknowledged commands, delivery counts, acknowledgements.

use airlift_core::wire::{CommandAck, CommandKind, DeviceCommand};
use deadpool_postgres::GenericClient;

use super::{catalog, exec, fleet, i64_of, opt, rows, u64_of, ApiError, StoreResult};
use crate::store::package_memo::PackageMemo;
use crate::store::{Assignment, DeviceAgent, DeviceRecord, PackageRecord};
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
    let (rollout_id, package_id, command): (String, String, String) =
        (row.get(0), row.get(1), row.get(2));
    let command = CommandKind::parse(&command)
        .ok_or_else(|| ApiError::internal(format!("unknown command kind {command:?}")))?;
    let package = package(c, packages, tenant, &package_id)
        .await?
        .ok_or_else(|| ApiError::internal("an assigned package is missing"))?;
    Ok(Some(Assignment {
        package: PackageRecord::clone(&package),
        rollout_id,
        command,
    }))
}

/// The assignment and the open commands. Two point reads without a transaction: the commands
/// may be a moment newer than the assignment, which the next poll settles.
pub async fn poll(
    c: &impl GenericClient,
    packages: &PackageMemo,
    tenant: &str,
    device: &str,
) -> StoreResult<Polled> {
    let Some(assignment) = assignment(c, packages, tenant, device).await? else {
        return Ok(None);
    };
    let commands = undelivered(c, packages, tenant, device).await?;
    Ok(Some((assignment, commands)))
}

pub async fn poll_by_token(
    c: &impl GenericClient,
    packages: &PackageMemo,
    token_hash: &str,
    device_id: &str,
) -> StoreResult<Option<(DeviceRecord, Polled)>> {
    let Some(device) = fleet::device_by_token_hash(c, token_hash).await? else {
        return Ok(None);
    };
    let polled = if device.id == device_id {
        poll(c, packages, &device.tenant_id, device_id).await?
    } else {
        None // another device's URL: the caller refuses it
    };
    Ok(Some((device, polled)))
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
        let package_id: String = r.get(3);
        let version = package(c, packages, tenant, &package_id)
            .await?
            .ok_or_else(|| ApiError::internal("a command's package is missing"))?
            .key
            .version
            .clone();
        out.push(DeviceCommand {
            command_id: r.get(0),
            kind: CommandKind::parse(r.get(1)).unwrap_or(CommandKind::OtaStart),
            rollout_id: r.get(2),
            package_id,
            version,
            created_at: r.get(4),
            delivery_count: u64_of(r.get(5)),
        });
    }
    Ok(out)
}

/// Raises stored delivery counts to `(command id, total)` in one statement (a count never
/// goes down, whatever order flushes commit in).
pub async fn store_delivery_counts(
    c: &impl GenericClient,
    counts: &[(String, u64)],
) -> StoreResult<()> {
    let ids: Vec<&str> = counts.iter().map(|(id, _)| id.as_str()).collect();
    let totals: Vec<i64> = counts.iter().map(|(_, n)| i64_of(*n)).collect();
    exec(
        c,
        "UPDATE device_commands d SET delivery_count = u.total
         FROM unnest($1::text[], $2::bigint[]) AS u(id, total)
         WHERE d.id = u.id AND d.delivery_count < u.total",
        &[&ids, &totals],
    )
    .await?;
    Ok(())
}

/// Keeps devices' `User-Agent`s in one statement; a row already holding the value is not
/// rewritten.
pub async fn store_device_agents(
    c: &impl GenericClient,
    agents: &[DeviceAgent],
) -> StoreResult<()> {
    let tenants: Vec<&str> = agents.iter().map(|a| a.tenant_id.as_str()).collect();
    let devices: Vec<&str> = agents.iter().map(|a| a.device_id.as_str()).collect();
    let values: Vec<&str> = agents.iter().map(|a| a.user_agent.as_str()).collect();
    exec(
        c,
        "UPDATE devices d SET user_agent = u.agent
         FROM unnest($1::text[], $2::text[], $3::text[]) AS u(tenant_id, id, agent)
         WHERE d.tenant_id = u.tenant_id AND d.id = u.id
           AND d.user_agent IS DISTINCT FROM u.agent",
        &[&tenants, &devices, &values],
    )
    .await?;
    Ok(())
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
