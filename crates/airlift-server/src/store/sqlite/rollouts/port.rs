//! The rollout port on SQLite: plain statements over the caller's transaction (or savepoint),
//! each a point read, a point write or one set-based statement over what the engine names.
//! Nothing here decides: which states, ranges and deadlines are the engine's arguments.

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::{RolloutOutcome, RolloutStatus};
use airlift_core::wire::{CommandKind, Rollout, RolloutEventData};
use rusqlite::{params, Connection, OptionalExtension as _};

use super::{db, history, load_row, next_change, parse_state, queries};
use crate::ids;
use crate::store::rollout_port::{
    HistoryEntry, OverdueTarget, RangeChange, RolloutRow, RolloutTx, RolloutUpdate, TargetRow,
    TransitionRecord,
};
use crate::store::sqlite::{catalog, fleet, i64_of, u64_of};
use crate::store::{
    ApiError, DeviceRecord, NewDevice, PackageRecord, StoreResult, ValidatedReport,
};

/// The port over one connection inside a transaction the adapter opened.
pub struct SqlTx<'c> {
    pub c: &'c Connection,
}

/// `'a', 'b'` for an `IN (...)` list: the states' names are fixed identifiers, not input.
fn state_list(states: &[DeviceRolloutState]) -> String {
    states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn stored_state(s: Option<String>) -> StoreResult<Option<DeviceRolloutState>> {
    match s {
        None => Ok(None),
        Some(s) => Ok(Some(parse_state(&s).ok_or_else(|| {
            ApiError::internal(format!("stored device state {s:?} is unknown"))
        })?)),
    }
}

fn strings(c: &Connection, sql: &str, args: impl rusqlite::Params) -> StoreResult<Vec<String>> {
    let mut stmt = c.prepare_cached(sql).map_err(db)?;
    let rows = stmt
        .query_map(args, |r| r.get(0))
        .map_err(db)?
        .collect::<Result<Vec<String>, _>>()
        .map_err(db)?;
    Ok(rows)
}

impl RolloutTx for SqlTx<'_> {
    fn rollout(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<RolloutRow>> {
        load_row(self.c, tenant_id, id)
    }

    fn rollout_view(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>> {
        queries::rollout(self.c, tenant_id, id)
    }

    fn tenant_name(&mut self, tenant_id: &str) -> StoreResult<String> {
        self.c
            .query_row("SELECT name FROM tenants WHERE id = ?1", [tenant_id], |r| {
                r.get(0)
            })
            .map_err(db)
    }

    fn package(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<PackageRecord>> {
        catalog::package(self.c, tenant_id, id)
    }

    fn package_version(&mut self, package_id: &str) -> StoreResult<String> {
        self.c
            .query_row(
                "SELECT version FROM packages WHERE id = ?1",
                [package_id],
                |r| r.get(0),
            )
            .map_err(db)
    }

    fn profile_exists(&mut self, tenant_id: &str, profile_id: &str) -> StoreResult<bool> {
        Ok(fleet::profile(self.c, tenant_id, profile_id)?.is_some())
    }

    fn profile_devices(
        &mut self,
        tenant_id: &str,
        profile_id: &str,
    ) -> StoreResult<Vec<DeviceRecord>> {
        fleet::profile_devices(self.c, tenant_id, profile_id)
    }

    fn device(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<DeviceRecord>> {
        fleet::device(self.c, tenant_id, id)
    }

    fn insert_devices(&mut self, tenant_id: &str, devices: &[NewDevice]) -> StoreResult<()> {
        fleet::insert_devices(self.c, tenant_id, devices)
    }

    fn rollout_targeting(
        &mut self,
        tenant_id: &str,
        device_id: &str,
        done: RolloutStatus,
    ) -> StoreResult<Option<String>> {
        self.c
            .prepare_cached(
                "SELECT r.id FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
                 WHERE t.device_id = ?1 AND r.tenant_id = ?2 AND r.status != ?3
                 ORDER BY r.id LIMIT 1",
            )
            .map_err(db)?
            .query_row(params![device_id, tenant_id, done.as_str()], |r| r.get(0))
            .optional()
            .map_err(db)
    }

    fn profile_rollouts(
        &mut self,
        tenant_id: &str,
        profile_id: &str,
        statuses: &[RolloutStatus],
    ) -> StoreResult<Vec<String>> {
        let list = statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        strings(
            self.c,
            &format!(
                "SELECT id FROM rollouts WHERE tenant_id = ?1 AND target_profile_id = ?2
                 AND target_kind = 'profile' AND status IN ({list}) ORDER BY id"
            ),
            params![tenant_id, profile_id],
        )
    }

    fn rollouts_in_status(&mut self, status: RolloutStatus) -> StoreResult<Vec<(String, String)>> {
        let mut stmt = self
            .c
            .prepare_cached("SELECT tenant_id, id FROM rollouts WHERE status = ?1 ORDER BY id")
            .map_err(db)?;
        let rows = stmt
            .query_map([status.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(rows)
    }

    fn insert_rollout(&mut self, row: &RolloutRow) -> StoreResult<u64> {
        let change = next_change(self.c)?;
        self.c
            .execute(
                "INSERT INTO rollouts (id, tenant_id, package_id, rollback_package_id, target_profile_id, target_kind,
                     strategy, status, canary_percent, failure_threshold_percent, batch_percent,
                     min_batch_success_percent, force, device_timeout_seconds, skipped_json, version,
                     change_seq, created_by, created_at, updated_at, retry_of, allow_downgrade)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                     ?19, ?20, ?21, ?22)",
                params![
                    row.id,
                    row.tenant_id,
                    row.package_id,
                    row.rollback_package_id,
                    row.target_profile_id,
                    row.target_kind,
                    row.strategy.as_str(),
                    row.status.as_str(),
                    row.canary_percent,
                    row.failure_threshold_percent,
                    row.batch_percent,
                    row.min_batch_success_percent,
                    row.force,
                    i64_of(row.device_timeout_seconds),
                    row.skipped_json,
                    i64_of(row.version),
                    i64_of(change),
                    row.created_by,
                    row.created_at,
                    row.updated_at,
                    row.retry_of,
                    row.allow_downgrade
                ],
            )
            .map_err(db)?;
        Ok(change)
    }

    fn update_rollout(&mut self, u: &RolloutUpdate) -> StoreResult<bool> {
        let change = next_change(self.c)?;
        let updated = self
            .c
            .prepare_cached(
                "UPDATE rollouts SET status = ?3, canary_percent = ?4, version = version + 1,
                     change_seq = ?5, updated_at = ?6, target_count = ?7, n_scheduled = ?8,
                     n_command_sent = ?9, n_in_progress = ?10, n_successful = ?11, n_failed = ?12,
                     n_timed_out = ?13, outcome = ?14
                 WHERE id = ?1 AND version = ?2",
            )
            .map_err(db)?
            .execute(params![
                u.id,
                i64_of(u.expected_version),
                u.status.as_str(),
                u.canary_percent,
                i64_of(change),
                u.at,
                i64_of(u.target_count),
                i64_of(u.counters.scheduled),
                i64_of(u.counters.command_sent),
                i64_of(u.counters.in_progress),
                i64_of(u.counters.successful),
                i64_of(u.counters.failed),
                i64_of(u.counters.timed_out),
                u.outcome.map(RolloutOutcome::as_str),
            ])
            .map_err(db)?;
        Ok(updated == 1)
    }

    fn append_transition(&mut self, rollout_id: &str, t: &TransitionRecord) -> StoreResult<()> {
        let seq: i64 = self
            .c
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM rollout_transitions WHERE rollout_id = ?1",
                [rollout_id],
                |r| r.get(0),
            )
            .map_err(db)?;
        self.c
            .execute(
                "INSERT INTO rollout_transitions (rollout_id, seq, from_status, to_status, trigger,
                     actor, actor_role, canary_percent, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    rollout_id,
                    seq,
                    t.from.map(RolloutStatus::as_str),
                    t.to.as_str(),
                    t.trigger,
                    t.actor,
                    t.actor_role,
                    t.canary_percent,
                    t.at
                ],
            )
            .map_err(db)?;
        Ok(())
    }

    fn append_event(
        &mut self,
        tenant_id: &str,
        mut event: RolloutEventData,
    ) -> StoreResult<RolloutEventData> {
        let id: i64 = self
            .c
            .query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM events WHERE tenant_id = ?1",
                [tenant_id],
                |r| r.get(0),
            )
            .map_err(db)?;
        event.id = Some(u64_of(id));
        let payload = serde_json::to_string(&event)
            .map_err(|e| ApiError::internal(format!("encoding an event: {e}")))?;
        self.c
            .execute(
                "INSERT INTO events (tenant_id, id, subject, rollout_id, payload, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    tenant_id,
                    id,
                    event.subject,
                    event.rollout_id,
                    payload,
                    event.at
                ],
            )
            .map_err(db)?;
        Ok(event)
    }

    fn insert_target(
        &mut self,
        rollout_id: &str,
        position: u64,
        device_id: &str,
        at: &str,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "INSERT INTO rollout_targets (rollout_id, position, device_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(db)?
            .execute(params![rollout_id, i64_of(position), device_id, at])
            .map_err(db)?;
        Ok(())
    }

    fn target(&mut self, rollout_id: &str, device_id: &str) -> StoreResult<Option<TargetRow>> {
        type Raw = (
            i64,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let raw: Option<Raw> = self
            .c
            .prepare_cached(
                "SELECT position, state, rollback_state, progress, last_status, last_message,
                     reported_version
                 FROM rollout_targets WHERE rollout_id = ?1 AND device_id = ?2",
            )
            .map_err(db)?
            .query_row([rollout_id, device_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .optional()
            .map_err(db)?;
        let Some((position, state, rollback_state, progress, last_status, last_message, version)) =
            raw
        else {
            return Ok(None);
        };
        Ok(Some(TargetRow {
            position: u64_of(position),
            state: stored_state(state)?,
            rollback_state: stored_state(rollback_state)
                .map_err(|_| ApiError::internal("stored rollback state is unknown"))?,
            progress: progress.map(|p| u32::try_from(p).unwrap_or(0)),
            last_status,
            last_message,
            reported_version: version,
        }))
    }

    fn targets_in_states(
        &mut self,
        rollout_id: &str,
        states: &[DeviceRolloutState],
    ) -> StoreResult<Vec<String>> {
        strings(
            self.c,
            &format!(
                "SELECT device_id FROM rollout_targets
                 WHERE rollout_id = ?1 AND state IN ({}) ORDER BY position",
                state_list(states)
            ),
            [rollout_id],
        )
    }

    fn count_rollback_in_states(
        &mut self,
        rollout_id: &str,
        states: &[DeviceRolloutState],
    ) -> StoreResult<u64> {
        let n: i64 = self
            .c
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM rollout_targets
                 WHERE rollout_id = ?1 AND rollback_state IN ({})",
                state_list(states)
            ))
            .map_err(db)?
            .query_row([rollout_id], |r| r.get(0))
            .map_err(db)?;
        Ok(u64_of(n))
    }

    fn rollback_counters(&mut self, rollout_id: &str) -> StoreResult<Option<DeviceCounters>> {
        super::rollback_counters(self.c, rollout_id)
    }

    fn overdue_targets(
        &mut self,
        rollout_id: &str,
        now_unix: i64,
    ) -> StoreResult<Vec<OverdueTarget>> {
        let mut stmt = self
            .c
            .prepare_cached(
                "SELECT device_id, state, rollback_state FROM rollout_targets
                 WHERE rollout_id = ?1 AND deadline_unix IS NOT NULL AND deadline_unix <= ?2",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![rollout_id, now_unix], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(db)?
            .collect::<Result<Vec<(String, Option<String>, Option<String>)>, _>>()
            .map_err(db)?;
        rows.into_iter()
            .map(|(device_id, state, rollback_state)| {
                Ok(OverdueTarget {
                    device_id,
                    state: stored_state(state)?,
                    rollback_state: stored_state(rollback_state)?,
                })
            })
            .collect()
    }

    fn schedule_range(&mut self, ch: RangeChange<'_>, from: u64, to: u64) -> StoreResult<u64> {
        let (from, to) = (i64_of(from), i64_of(to));
        self.c
            .prepare_cached(
                "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, at)
                 SELECT ?1, device_id, 'assigned', rollout_id, ?2, ?3 FROM rollout_targets
                 WHERE rollout_id = ?4 AND position >= ?5 AND position < ?6 ORDER BY position",
            )
            .map_err(db)?
            .execute(params![ch.tenant_id, ch.package_id, ch.at, ch.rollout_id, from, to])
            .map_err(db)?;
        let updated = self
            .c
            .prepare_cached(
                "UPDATE rollout_targets SET state = 'scheduled', updated_at = ?4
                 WHERE rollout_id = ?1 AND position >= ?2 AND position < ?3 AND state IS NULL",
            )
            .map_err(db)?
            .execute(params![ch.rollout_id, from, to, ch.at])
            .map_err(db)?;
        Ok(updated as u64)
    }

    fn send_start_commands(&mut self, ch: RangeChange<'_>, deadline_unix: i64) -> StoreResult<u64> {
        let kind = CommandKind::OtaStart.as_str();
        self.c
            .prepare_cached(
                "INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind, package_id, created_at)
                 SELECT airlift_id('cmd'), ?1, device_id, rollout_id, ?2, ?3, ?4 FROM rollout_targets
                 WHERE rollout_id = ?5 AND state = 'scheduled' ORDER BY position",
            )
            .map_err(db)?
            .execute(params![ch.tenant_id, kind, ch.package_id, ch.at, ch.rollout_id])
            .map_err(db)?;
        self.c
            .prepare_cached(
                "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, command_id, status, at)
                 SELECT c.tenant_id, c.device_id, 'command', c.rollout_id, c.package_id, c.id, c.kind, c.created_at
                 FROM rollout_targets t JOIN device_commands c
                     ON c.device_id = t.device_id AND c.rollout_id = t.rollout_id AND c.kind = ?2
                         AND c.acked_at IS NULL AND c.cancelled_at IS NULL
                 WHERE t.rollout_id = ?1 AND t.state = 'scheduled' ORDER BY t.position",
            )
            .map_err(db)?
            .execute(params![ch.rollout_id, kind])
            .map_err(db)?;
        let updated = self
            .c
            .prepare_cached(
                "UPDATE rollout_targets SET state = 'command_sent', deadline_unix = ?2, updated_at = ?3
                 WHERE rollout_id = ?1 AND state = 'scheduled'",
            )
            .map_err(db)?
            .execute(params![ch.rollout_id, deadline_unix, ch.at])
            .map_err(db)?;
        Ok(updated as u64)
    }

    fn set_state(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        state: DeviceRolloutState,
        deadline_unix: Option<i64>,
        at: &str,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "UPDATE rollout_targets SET state = ?3, deadline_unix = ?4, updated_at = ?5
                 WHERE rollout_id = ?1 AND device_id = ?2",
            )
            .map_err(db)?
            .execute(params![
                rollout_id,
                device_id,
                state.as_str(),
                deadline_unix,
                at
            ])
            .map_err(db)?;
        Ok(())
    }

    fn set_rollback_state(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        state: DeviceRolloutState,
        deadline_unix: Option<i64>,
        at: &str,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "UPDATE rollout_targets SET rollback_state = ?3, deadline_unix = ?4, updated_at = ?5
                 WHERE rollout_id = ?1 AND device_id = ?2",
            )
            .map_err(db)?
            .execute(params![rollout_id, device_id, state.as_str(), deadline_unix, at])
            .map_err(db)?;
        Ok(())
    }

    fn set_deadline(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        deadline_unix: Option<i64>,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "UPDATE rollout_targets SET deadline_unix = ?3 WHERE rollout_id = ?1 AND device_id = ?2",
            )
            .map_err(db)?
            .execute(params![rollout_id, device_id, deadline_unix])
            .map_err(db)?;
        Ok(())
    }

    fn clear_deadlines(&mut self, rollout_id: &str) -> StoreResult<()> {
        self.c
            .execute(
                "UPDATE rollout_targets SET deadline_unix = NULL WHERE rollout_id = ?1",
                [rollout_id],
            )
            .map_err(db)?;
        Ok(())
    }

    fn store_last_report(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        report: &ValidatedReport,
        at: &str,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "UPDATE rollout_targets SET progress = COALESCE(?3, progress), last_status = ?4,
                     last_message = ?5, reported_version = ?6, updated_at = ?7
                 WHERE rollout_id = ?1 AND device_id = ?2",
            )
            .map_err(db)?
            .execute(params![
                rollout_id,
                device_id,
                report.progress,
                report.status.as_str(),
                report.message,
                report.firmware_version,
                at
            ])
            .map_err(db)?;
        Ok(())
    }

    fn report_seen(&mut self, device_id: &str, report_id: &str) -> StoreResult<bool> {
        self.c
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM device_reports WHERE device_id = ?1 AND report_id = ?2)",
            )
            .map_err(db)?
            .query_row([device_id, report_id], |r| r.get(0))
            .map_err(db)
    }

    fn insert_report(
        &mut self,
        device_id: &str,
        report_id: &str,
        rollout_id: &str,
        status: &str,
        at: &str,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "INSERT INTO device_reports (device_id, report_id, rollout_id, status, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(db)?
            .execute(params![device_id, report_id, rollout_id, status, at])
            .map_err(db)?;
        Ok(())
    }

    fn insert_command(
        &mut self,
        ch: RangeChange<'_>,
        device_id: &str,
        kind: CommandKind,
    ) -> StoreResult<String> {
        let id = ids::new_id("cmd");
        self.c
            .prepare_cached(
                "INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind, package_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(db)?
            .execute(params![
                id,
                ch.tenant_id,
                device_id,
                ch.rollout_id,
                kind.as_str(),
                ch.package_id,
                ch.at
            ])
            .map_err(db)?;
        Ok(id)
    }

    fn cancel_commands(
        &mut self,
        rollout_id: &str,
        kind: Option<CommandKind>,
        at: &str,
    ) -> StoreResult<()> {
        let kind = kind.map(CommandKind::as_str);
        self.c
            .execute(
                "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, command_id, status, at)
                 SELECT tenant_id, device_id, 'command_cancelled', rollout_id, package_id, id, kind, ?3
                 FROM device_commands
                 WHERE rollout_id = ?1 AND (?2 IS NULL OR kind = ?2) AND acked_at IS NULL AND cancelled_at IS NULL",
                params![rollout_id, kind, at],
            )
            .map_err(db)?;
        self.c
            .execute(
                "UPDATE device_commands SET cancelled_at = ?3
                 WHERE rollout_id = ?1 AND (?2 IS NULL OR kind = ?2) AND acked_at IS NULL AND cancelled_at IS NULL",
                params![rollout_id, kind, at],
            )
            .map_err(db)?;
        Ok(())
    }

    fn firmware_version(&mut self, device_id: &str) -> StoreResult<Option<String>> {
        self.c
            .query_row(
                "SELECT firmware_version FROM devices WHERE id = ?1",
                [device_id],
                |r| r.get(0),
            )
            .map_err(db)
    }

    fn set_firmware_version(&mut self, device_id: &str, version: &str) -> StoreResult<()> {
        self.c
            .execute(
                "UPDATE devices SET firmware_version = ?2 WHERE id = ?1",
                params![device_id, version],
            )
            .map_err(db)?;
        Ok(())
    }

    fn append_history(&mut self, e: &HistoryEntry) -> StoreResult<()> {
        history(
            self.c,
            &e.tenant_id,
            &e.device_id,
            e.kind,
            e.rollout_id.as_deref(),
            e.package_id.as_deref(),
            e.command_id.as_deref(),
            e.status.as_deref(),
            e.message.as_deref(),
            e.progress,
            e.firmware_version.as_deref(),
            &e.at,
        )
    }
}
