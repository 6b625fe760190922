//! Rollouts on SQLite: the engine's port ([`port`]) and the reads. The engine
//! (`crate::engine`) decides every change; [`units`] runs each of its units of work in one
//! `BEGIN IMMEDIATE` transaction, and device reports in the group commit of
//! [`super::report_writer`] (a savepoint each). Nothing here loads every target: the port's
//! statements are point reads and writes, or one set-based statement over a range.
//!
//! - [`port`]: the engine's reads and writes; [`units`]: transactions for its units of work.
//! - [`commands`]: assignments and persistent commands; [`queries`]: reads.

pub mod commands;
pub mod port;
pub mod queries;
pub mod units;

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::RolloutOutcome;
use airlift_core::wire::RolloutStrategy;
use rusqlite::{Connection, OptionalExtension as _, Row};

pub use crate::store::rollout_port::RolloutRow;

use super::{db, u64_of, ApiError, StoreResult};

pub const ROLLOUT_COLUMNS: &str = "id, tenant_id, package_id, rollback_package_id, target_profile_id, target_kind,
    strategy, status, canary_percent, failure_threshold_percent, batch_percent, min_batch_success_percent,
    force, device_timeout_seconds, skipped_count, version, change_seq, created_by, created_at, updated_at,
    target_count, n_scheduled, n_command_sent, n_in_progress, n_successful, n_failed, n_timed_out,
    outcome, retry_of, allow_downgrade, start_at, start_at_unix, phases_json, last_verdict_unix,
    next_advance_unix, min_devices, retry_max_attempts, retry_backoff_seconds, window_json";

fn conversion(i: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, what.into())
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

pub fn rollout_row(r: &Row<'_>) -> rusqlite::Result<RolloutRow> {
    let strategy: String = r.get(6)?;
    let status: String = r.get(7)?;
    Ok(RolloutRow {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        package_id: r.get(2)?,
        rollback_package_id: r.get(3)?,
        target_profile_id: r.get(4)?,
        target_kind: r.get(5)?,
        strategy: RolloutStrategy::parse(&strategy)
            .ok_or_else(|| conversion(6, format!("bad strategy {strategy}")))?,
        status: status
            .parse()
            .map_err(|e: ApiError| conversion(7, e.message))?,
        canary_percent: u32_of(r.get(8)?),
        failure_threshold_percent: u32_of(r.get(9)?),
        batch_percent: r.get::<_, Option<i64>>(10)?.map(u32_of),
        min_batch_success_percent: r.get::<_, Option<i64>>(11)?.map(u32_of),
        force: r.get::<_, i64>(12)? != 0,
        device_timeout_seconds: u64_of(r.get(13)?),
        skipped_count: u64_of(r.get(14)?),
        version: u64_of(r.get(15)?),
        change_seq: u64_of(r.get(16)?),
        created_by: r.get(17)?,
        created_at: r.get(18)?,
        updated_at: r.get(19)?,
        target_count: u64_of(r.get(20)?),
        counters: DeviceCounters {
            scheduled: u64_of(r.get(21)?),
            command_sent: u64_of(r.get(22)?),
            in_progress: u64_of(r.get(23)?),
            successful: u64_of(r.get(24)?),
            failed: u64_of(r.get(25)?),
            timed_out: u64_of(r.get(26)?),
        },
        outcome: r
            .get::<_, Option<String>>(27)?
            .map(|o| {
                o.parse::<RolloutOutcome>()
                    .map_err(|e: ApiError| conversion(27, e.message))
            })
            .transpose()?,
        retry_of: r.get(28)?,
        allow_downgrade: r.get::<_, i64>(29)? != 0,
        start_at: r.get(30)?,
        start_at_unix: r.get(31)?,
        phases_json: r.get(32)?,
        last_verdict_unix: r.get(33)?,
        next_advance_unix: r.get(34)?,
        min_devices: u64_of(r.get(35)?),
        retry: match (r.get::<_, Option<i64>>(36)?, r.get::<_, Option<i64>>(37)?) {
            (Some(max), Some(backoff)) => Some(airlift_core::retry_policy::RetryPolicy {
                max_attempts: u32_of(max),
                backoff_seconds: u64_of(backoff),
            }),
            _ => None,
        },
        window_json: r.get(38)?,
    })
}

pub fn load_row(c: &Connection, tenant: &str, id: &str) -> StoreResult<Option<RolloutRow>> {
    c.prepare_cached(&format!(
        "SELECT {ROLLOUT_COLUMNS} FROM rollouts WHERE tenant_id = ?1 AND id = ?2"
    ))
    .map_err(db)?
    .query_row([tenant, id], rollout_row)
    .optional()
    .map_err(db)
}

/// Whether the tenant has rollout `id`: its primary key alone, never the row's wide columns.
pub fn rollout_exists(c: &Connection, tenant: &str, id: &str) -> StoreResult<bool> {
    c.prepare_cached("SELECT 1 FROM rollouts WHERE id = ?2 AND tenant_id = ?1")
        .map_err(db)?
        .query_row([tenant, id], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
        .map_err(db)
}

pub fn parse_state(s: &str) -> Option<DeviceRolloutState> {
    DeviceRolloutState::ALL
        .into_iter()
        .find(|st| st.as_str() == s)
}

/// The next value of the global change counter (every `change_seq`).
pub fn next_change(c: &Connection) -> StoreResult<u64> {
    c.execute("UPDATE change_counter SET n = n + 1 WHERE id = 1", [])
        .map_err(db)?;
    let n: i64 = c
        .query_row("SELECT n FROM change_counter WHERE id = 1", [], |r| {
            r.get(0)
        })
        .map_err(db)?;
    Ok(u64_of(n))
}

/// Appends one entry to a device's history.
#[allow(clippy::too_many_arguments)]
pub fn history(
    c: &Connection,
    tenant: &str,
    device: &str,
    kind: &str,
    rollout: Option<&str>,
    package: Option<&str>,
    command: Option<&str>,
    status: Option<&str>,
    message: Option<&str>,
    progress: Option<u32>,
    firmware: Option<&str>,
    at: &str,
) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, command_id,
             status, message, progress, firmware_version, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .map_err(db)?
    .execute(rusqlite::params![
        tenant, device, kind, rollout, package, command, status, message, progress, firmware, at
    ])
    .map_err(db)?;
    Ok(())
}

/// Counts of the rollback track's states, or `None` before any rollback command.
pub fn rollback_counters(c: &Connection, rollout: &str) -> StoreResult<Option<DeviceCounters>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT rollback_state FROM rollout_targets WHERE rollout_id = ?1 AND rollback_state IS NOT NULL",
        )
        .map_err(db)?;
    let states = stmt
        .query_map([rollout], |r| r.get::<_, String>(0))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    if states.is_empty() {
        return Ok(None);
    }
    Ok(Some(DeviceCounters::from_states(
        states.iter().filter_map(|s| parse_state(s)),
    )))
}
