//! [`TargetTx`] on SQLite: A rollout's targets: point reads and writes, and set-based changes over a range.

use super::*;

impl TargetTx for SqlTx<'_> {
    fn insert_targets(
        &mut self,
        rollout_id: &str,
        first_position: u64,
        devices: &[String],
        at: &str,
    ) -> StoreResult<()> {
        let mut stmt = self
            .c
            .prepare_cached(
                "INSERT INTO rollout_targets (rollout_id, position, device_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(db)?;
        for (position, device_id) in (first_position..).zip(devices) {
            stmt.execute(params![rollout_id, i64_of(position), device_id, at])
                .map_err(db)?;
        }
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
            i64,
            bool,
        );
        let raw: Option<Raw> = self
            .c
            .prepare_cached(
                "SELECT position, state, rollback_state, progress, last_status, last_message,
                     reported_version, attempts, retry_at_unix IS NOT NULL
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
                    r.get(7)?,
                    r.get(8)?,
                ))
            })
            .optional()
            .map_err(db)?;
        let Some((
            position,
            state,
            rollback_state,
            progress,
            last_status,
            last_message,
            version,
            attempts,
            retry_pending,
        )) = raw
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
            attempts: u32::try_from(attempts).unwrap_or(1),
            retry_pending,
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
        super::super::rollback_counters(self.c, rollout_id)
    }

    fn overdue_targets(
        &mut self,
        rollout_id: &str,
        now_unix: i64,
    ) -> StoreResult<Vec<OverdueTarget>> {
        let mut stmt = self
            .c
            .prepare_cached(
                "SELECT device_id, state, rollback_state, retry_at_unix IS NOT NULL
                 FROM rollout_targets
                 WHERE rollout_id = ?1 AND deadline_unix IS NOT NULL AND deadline_unix <= ?2",
            )
            .map_err(db)?;
        type Raw = (String, Option<String>, Option<String>, bool);
        let rows = stmt
            .query_map(params![rollout_id, now_unix], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(db)?
            .collect::<Result<Vec<Raw>, _>>()
            .map_err(db)?;
        rows.into_iter()
            .map(|(device_id, state, rollback_state, retry_due)| {
                Ok(OverdueTarget {
                    device_id,
                    state: stored_state(state)?,
                    rollback_state: stored_state(rollback_state)?,
                    retry_due,
                })
            })
            .collect()
    }

    fn count_failure(
        &mut self,
        rollout_id: &str,
        reason: &str,
        status: &str,
        device_id: &str,
        message: Option<&str>,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "INSERT INTO rollout_failure_reasons
                     (rollout_id, reason, status, count, samples, example)
                 VALUES (?1, ?2, ?3, 1, json_array(?4), ?5)
                 ON CONFLICT (rollout_id, reason, status) DO UPDATE SET
                     count = count + 1,
                     samples = CASE WHEN json_array_length(samples) < 5
                                    THEN json_insert(samples, '$[#]', ?4) ELSE samples END,
                     example = COALESCE(example, excluded.example)",
            )
            .map_err(db)?
            .execute(params![rollout_id, reason, status, device_id, message])
            .map_err(db)?;
        self.c
            .prepare_cached(
                "UPDATE rollout_targets SET failure_reason = ?2, failure_status = ?3
                 WHERE rollout_id = ?1 AND device_id = ?4",
            )
            .map_err(db)?
            .execute(params![rollout_id, reason, status, device_id])
            .map_err(db)?;
        Ok(())
    }

    fn failure_reasons(&mut self, rollout_id: &str) -> StoreResult<Vec<FailureReason>> {
        let mut stmt = self
            .c
            .prepare_cached(
                "SELECT reason, status, count, samples, example FROM rollout_failure_reasons
                 WHERE rollout_id = ?1 ORDER BY count DESC, reason, status",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([rollout_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        rows.into_iter()
            .map(|(reason, status, count, samples, example_message)| {
                Ok(FailureReason {
                    reason,
                    status,
                    count: u64_of(count),
                    sample_device_ids: serde_json::from_str(&samples).map_err(|e| {
                        ApiError::internal(format!("stored failure samples are corrupt: {e}"))
                    })?,
                    example_message,
                })
            })
            .collect()
    }

    fn record_timeline(
        &mut self,
        rollout_id: &str,
        minute_unix: i64,
        p: &TimelinePoint,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "INSERT OR REPLACE INTO rollout_timeline
                     (rollout_id, minute_unix, succeeded, failed, in_progress, pending)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(db)?
            .execute(params![
                rollout_id,
                minute_unix,
                i64_of(p.succeeded),
                i64_of(p.failed),
                i64_of(p.in_progress),
                i64_of(p.pending)
            ])
            .map_err(db)?;
        Ok(())
    }

    fn timeline(&mut self, rollout_id: &str, limit: u32) -> StoreResult<Vec<(i64, TimelinePoint)>> {
        let mut stmt = self
            .c
            .prepare_cached(
                "SELECT minute_unix, succeeded, failed, in_progress, pending FROM (
                     SELECT * FROM rollout_timeline WHERE rollout_id = ?1
                     ORDER BY minute_unix DESC LIMIT ?2)
                 ORDER BY minute_unix",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![rollout_id, i64::from(limit)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    TimelinePoint {
                        at: String::new(),
                        succeeded: u64_of(r.get(1)?),
                        failed: u64_of(r.get(2)?),
                        in_progress: u64_of(r.get(3)?),
                        pending: u64_of(r.get(4)?),
                    },
                ))
            })
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(rows)
    }

    fn set_retry(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        attempts: u32,
        retry_at_unix: Option<i64>,
        deadline_unix: Option<i64>,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "UPDATE rollout_targets SET attempts = ?3, retry_at_unix = ?4,
                     deadline_unix = coalesce(?4, ?5)
                 WHERE rollout_id = ?1 AND device_id = ?2",
            )
            .map_err(db)?
            .execute(params![
                rollout_id,
                device_id,
                attempts,
                retry_at_unix,
                deadline_unix
            ])
            .map_err(db)?;
        Ok(())
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
        let sql = "UPDATE rollout_targets SET state = ?3, deadline_unix = ?4, updated_at = ?5
                   WHERE rollout_id = ?1 AND device_id = ?2";
        update_target(
            self.c,
            sql,
            (rollout_id, device_id),
            state,
            deadline_unix,
            at,
        )
    }

    fn set_rollback_state(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        state: DeviceRolloutState,
        deadline_unix: Option<i64>,
        at: &str,
    ) -> StoreResult<()> {
        let sql =
            "UPDATE rollout_targets SET rollback_state = ?3, deadline_unix = ?4, updated_at = ?5
                   WHERE rollout_id = ?1 AND device_id = ?2";
        update_target(
            self.c,
            sql,
            (rollout_id, device_id),
            state,
            deadline_unix,
            at,
        )
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
        restart_deadline: Option<i64>,
        at: &str,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "UPDATE rollout_targets SET progress = COALESCE(?3, progress), last_status = ?4,
                     last_message = ?5, reported_version = ?6, updated_at = ?7,
                     deadline_unix = COALESCE(?8, deadline_unix)
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
                at,
                restart_deadline
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
}

/// One target's (state column, deadline, time) by `sql`, whose parameters are (rollout,
/// device, state, deadline, at): the way up and the rollback track differ only in the column.
fn update_target(
    c: &Connection,
    sql: &'static str,
    (rollout_id, device_id): (&str, &str),
    state: DeviceRolloutState,
    deadline_unix: Option<i64>,
    at: &str,
) -> StoreResult<()> {
    c.prepare_cached(sql)
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
