//! [`RolloutRowTx`] on SQLite: The rollout row, its transitions and events.

use super::*;

impl RolloutRowTx for SqlTx<'_> {
    fn rollout(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<RolloutRow>> {
        load_row(self.c, tenant_id, id)
    }

    fn rollout_exists(&mut self, tenant_id: &str, id: &str) -> StoreResult<bool> {
        super::super::rollout_exists(self.c, tenant_id, id)
    }

    fn rollout_view(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>> {
        queries::rollout(self.c, tenant_id, id)
    }

    fn first_targeted(
        &mut self,
        tenant_id: &str,
        devices: &[String],
        done: &[RolloutStatus],
    ) -> StoreResult<Option<(String, String)>> {
        // One indexed point read per device: in-process, cheaper than shipping the list into
        // a temporary table. The single writer makes the check and the insert atomic.
        // The statuses are the engine's enum, never input: safe to spell out in the SQL.
        let list = done
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = self
            .c
            .prepare_cached(&format!(
                "SELECT r.id FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
                 WHERE t.device_id = ?1 AND r.tenant_id = ?2 AND r.status NOT IN ({list})
                 ORDER BY r.id LIMIT 1"
            ))
            .map_err(db)?;
        for device in devices {
            let found: Option<String> = stmt
                .query_row(params![device, tenant_id], |r| r.get(0))
                .optional()
                .map_err(db)?;
            if let Some(rollout) = found {
                return Ok(Some((rollout, device.clone())));
            }
        }
        Ok(None)
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

    fn rollouts_to_start(&mut self, now_unix: i64) -> StoreResult<Vec<(String, String)>> {
        let mut stmt = self
            .c
            .prepare_cached(
                "SELECT tenant_id, id FROM rollouts
                 WHERE status = 'scheduled' AND start_at_unix <= ?1
                 ORDER BY start_at_unix, id LIMIT 100",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([now_unix], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(rows)
    }

    fn rollouts_to_advance(&mut self, now_unix: i64) -> StoreResult<Vec<(String, String)>> {
        let mut stmt = self
            .c
            .prepare_cached(
                "SELECT tenant_id, id FROM rollouts
                 WHERE status = 'active' AND next_advance_unix IS NOT NULL
                   AND next_advance_unix <= ?1
                 ORDER BY next_advance_unix, id LIMIT 100",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([now_unix], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(rows)
    }

    fn rollouts_waiting_for_window(&mut self) -> StoreResult<Vec<(String, String, String)>> {
        let mut stmt = self
            .c
            .prepare_cached(
                "SELECT tenant_id, id, window_json FROM rollouts
                 WHERE status = 'active' AND window_json IS NOT NULL AND n_scheduled > 0
                 ORDER BY id LIMIT 100",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(rows)
    }

    fn insert_rollout(&mut self, row: &RolloutRow, skipped_json: &str) -> StoreResult<u64> {
        let change = next_change(self.c)?;
        self.c
            .execute(
                "INSERT INTO rollouts (id, tenant_id, package_id, rollback_package_id, target_profile_id, target_kind,
                     strategy, status, canary_percent, failure_threshold_percent, batch_percent,
                     min_batch_success_percent, force, device_timeout_seconds, skipped_count, version,
                     change_seq, created_by, created_at, updated_at, retry_of, allow_downgrade,
                     start_at, start_at_unix, phases_json, min_devices, retry_max_attempts,
                     retry_backoff_seconds, window_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                     ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
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
                    i64_of(row.skipped_count),
                    i64_of(row.version),
                    i64_of(change),
                    row.created_by,
                    row.created_at,
                    row.updated_at,
                    row.retry_of,
                    row.allow_downgrade,
                    row.start_at,
                    row.start_at_unix,
                    row.phases_json,
                    i64_of(row.min_devices),
                    row.retry.map(|r| i64::from(r.max_attempts)),
                    row.retry.map(|r| i64_of(r.backoff_seconds)),
                    row.window_json
                ],
            )
            .map_err(db)?;
        self.c
            .execute(
                "INSERT INTO rollout_skipped (rollout_id, devices_json) VALUES (?1, ?2)",
                params![row.id, skipped_json],
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
                     n_timed_out = ?13, outcome = ?14, last_verdict_unix = ?15,
                     next_advance_unix = ?16
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
                u.last_verdict_unix,
                u.next_advance_unix,
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
}
