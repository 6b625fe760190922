//! The rollout port on PostgreSQL: plain statements over the caller's transaction, each a
//! point read, a point write or one set-based statement over what the engine names. The engine
//! calls the port synchronously, so a unit runs on the blocking pool (a report batch on a
//! report thread) and each statement waits there for the async driver ([`Driver`]). Writes whose answer the
//! engine does not read wait in [`Pending`] and go out, pipelined, ahead of the next statement
//! whose answer it needs (`pipeline`): a device report is two round trips.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::sync::RwLock;

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::{RolloutOutcome, RolloutStatus};
use airlift_core::wire::{CommandKind, FailureReason, Rollout, RolloutEventData, TimelinePoint};
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use super::pipeline::{self, param, Param, Pending, Read};
use super::queries::{self, load_row, parse_state, rollback_counters, rollout_row};
use super::{catalog, exec, fleet, i64_of, notices, one, opt, rows, u64_of, ApiError, StoreResult};
use crate::ids;
use crate::store::rollout_port::{
    DeviceTx, HistoryEntry, LookupTx, OverdueTarget, RangeChange, ReportRows, RolloutRow,
    RolloutRowTx, RolloutTx, RolloutUpdate, TargetRow, TargetTx, TransitionRecord,
};
use crate::store::{DeviceRecord, NewDevice, Notice, PackageRecord, ValidatedReport};

/// What a synchronous unit waits on for each of its round trips.
#[derive(Clone, Copy)]
pub enum Driver<'r> {
    /// The server's runtime, from a thread of its blocking pool: the connection's task runs on
    /// the runtime's threads.
    Shared(&'r tokio::runtime::Handle),
    /// The calling thread's own current-thread runtime (`report_threads`): waiting on it runs
    /// the connection's task on this thread, so a round trip waits for no other thread.
    Own(&'r tokio::runtime::Runtime),
}

impl Driver<'_> {
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        match self {
            Driver::Shared(handle) => handle.block_on(f),
            Driver::Own(runtime) => runtime.block_on(f),
        }
    }
}

/// The port over one transaction (`write`) or one connection (a read unit).
pub struct PgTx<'t, C> {
    c: &'t C,
    rt: Driver<'t>,
    /// A write unit: rows it reads to change (the rollout, a device it checks) are locked.
    write: bool,
    known: &'t Immutable,
    /// Writes not sent yet (see `pipeline`).
    pending: RefCell<Pending>,
    /// A report batch's first try (`report_batches`): the rollout row's update is answered
    /// before it runs and checked when it goes out with the next report's reads.
    deferred_checks: bool,
    /// A statement failed in the database (the transaction may be aborted).
    failed: Cell<bool>,
}

/// What never changes once written, kept across units: tenant names and package versions
/// (packages are immutable). Every report reads both; on PostgreSQL each read is a round trip
/// made while the rollout's row is locked.
#[derive(Default)]
pub struct Immutable {
    tenant_names: RwLock<HashMap<String, String>>,
    package_versions: RwLock<HashMap<String, String>>,
}

fn known(map: &RwLock<HashMap<String, String>>, key: &str) -> Option<String> {
    map.read().ok()?.get(key).cloned()
}

fn remember(map: &RwLock<HashMap<String, String>>, key: &str, value: &str) {
    if let Ok(mut m) = map.write() {
        m.insert(key.to_owned(), value.to_owned());
    }
}

impl<'t, C: GenericClient> PgTx<'t, C> {
    pub fn new(c: &'t C, rt: Driver<'t>, write: bool, known: &'t Immutable) -> Self {
        Self {
            c,
            rt,
            write,
            known,
            pending: RefCell::default(),
            deferred_checks: false,
            failed: Cell::new(false),
        }
    }

    /// The port of a report batch's first try: the rollout row's update is answered at once
    /// (the row is locked, so its version is the one read) and checked when it goes out, with
    /// the next report's reads or the commit; any failure there gives the batch up (`failed`).
    pub fn with_deferred_checks(mut self) -> Self {
        self.deferred_checks = true;
        self
    }

    /// Whether a statement failed in the database since this port was made.
    pub fn failed(&self) -> bool {
        self.failed.get()
    }

    /// Notes a statement's failure.
    fn noted<T>(&self, result: StoreResult<T>) -> StoreResult<T> {
        if result.is_err() {
            self.failed.set(true);
        }
        result
    }

    /// Runs `f` once the waiting writes are sent (it may read what they wrote).
    fn block<T>(&self, f: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        self.flush()?;
        self.noted(self.rt.block_on(f))
    }

    /// Sends the waiting writes and then `reads`, one round trip; the rows of each read.
    fn pipelined(&self, reads: &[Read<'_>]) -> StoreResult<Vec<Vec<tokio_postgres::Row>>> {
        let mut pending = self.pending.borrow_mut();
        self.noted(
            self.rt
                .block_on(pipeline::send(self.c, &mut pending, reads)),
        )
    }

    /// Sends the waiting writes, if any (before a read, and before the commit).
    pub fn flush(&self) -> StoreResult<()> {
        if self.pending.borrow().is_empty() {
            return Ok(());
        }
        self.pipelined(&[]).map(|_| ())
    }

    /// A write whose answer is not needed: sent with the next statement that needs one.
    fn later(&self, sql: &'static str, params: Vec<Param>) -> StoreResult<()> {
        self.pending.borrow_mut().push(sql, params);
        Ok(())
    }

    /// A statement without parameters (`SAVEPOINT`), sent with the next one.
    pub fn later_simple(&self, sql: &'static str) {
        self.pending.borrow_mut().push_simple(sql);
    }

    /// How many times waiting writes went out so far (a unit that failed before the next
    /// send sent nothing of its own).
    pub fn sends(&self) -> u64 {
        self.pending.borrow().sends()
    }

    /// How many writes wait, and forgetting those after the first `keep`.
    pub fn waiting(&self) -> usize {
        self.pending.borrow().len()
    }

    pub fn forget_after(&self, keep: usize) {
        self.pending.borrow_mut().truncate(keep);
    }

    /// How many writes were made so far (sent or waiting), and how many went out.
    pub fn made(&self) -> u64 {
        self.pending.borrow().made()
    }

    pub fn sent(&self) -> u64 {
        self.pending.borrow().sent()
    }

    /// Forgets the writes made since `mark`, none of which went out.
    pub fn forget_since(&self, mark: u64) {
        self.pending.borrow_mut().forget_since(mark);
    }
}

/// The first key of the tenant's "targets change" advisory lock (the second is the tenant's
/// hash): "tg" in ASCII, apart from every other lock this schema takes.
const TARGETS_LOCK: i32 = 0x7467;

fn state_names(states: &[DeviceRolloutState]) -> Vec<&'static str> {
    states.iter().map(|s| s.as_str()).collect()
}

/// One target (`$1` the rollout, `$2` the device), read by [`target_row`].
const TARGET_SQL: &str = "SELECT position, state, rollback_state, progress, last_status,
         last_message, reported_version, attempts, retry_at_unix IS NOT NULL
     FROM rollout_targets WHERE rollout_id = $1 AND device_id = $2";

/// Whether the device sent a report with this id (`$1` the device, `$2` the id).
const REPORT_SEEN_SQL: &str =
    "SELECT 1 FROM device_reports WHERE device_id = $1 AND report_id = $2";

fn target_row(r: &tokio_postgres::Row) -> StoreResult<TargetRow> {
    Ok(TargetRow {
        position: u64_of(r.get(0)),
        state: stored_state(r.get(1))?,
        rollback_state: stored_state(r.get(2))?,
        progress: r.get::<_, Option<i64>>(3).map(super::u32_of),
        last_status: r.get(4),
        last_message: r.get(5),
        reported_version: r.get(6),
        attempts: super::u32_of(r.get(7)),
        retry_pending: r.get(8),
    })
}

fn stored_state(s: Option<&str>) -> StoreResult<Option<DeviceRolloutState>> {
    match s {
        None => Ok(None),
        Some(s) => Ok(Some(parse_state(s).ok_or_else(|| {
            ApiError::internal(format!("stored device state {s:?} is unknown"))
        })?)),
    }
}

impl<C: GenericClient> RolloutTx for PgTx<'_, C> {
    /// The three reads in one round trip, behind the previous report's waiting writes: the
    /// rollout row first (locked in a write unit), so the target is read once the lock is held.
    fn report_rows(
        &mut self,
        tenant_id: &str,
        rollout_id: &str,
        device_id: &str,
        report_id: Option<&str>,
    ) -> StoreResult<ReportRows> {
        let row_sql = queries::row_sql(self.write);
        let answers = self.pipelined(&[
            Read {
                sql: &row_sql,
                params: &[&tenant_id, &rollout_id],
            },
            Read {
                sql: TARGET_SQL,
                params: &[&rollout_id, &device_id],
            },
            Read {
                sql: REPORT_SEEN_SQL,
                params: &[&device_id, &report_id],
            },
        ])?;
        let [rollout, target, seen] = answers.as_slice() else {
            return Err(ApiError::internal("a report's reads came back incomplete").into());
        };
        let Some(rollout) = rollout.first().map(rollout_row).transpose()? else {
            return Ok(ReportRows::default());
        };
        Ok(ReportRows {
            rollout: Some(rollout),
            target: target.first().map(target_row).transpose()?,
            seen: report_id.is_some() && !seen.is_empty(),
        })
    }
}

impl<C: GenericClient> RolloutRowTx for PgTx<'_, C> {
    fn rollout(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<RolloutRow>> {
        self.block(load_row(self.c, tenant_id, id, self.write))
    }

    fn rollout_exists(&mut self, tenant_id: &str, id: &str) -> StoreResult<bool> {
        self.block(queries::rollout_exists(self.c, tenant_id, id))
    }

    fn rollout_view(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<Rollout>> {
        self.block(queries::rollout(self.c, tenant_id, id))
    }

    fn first_targeted(
        &mut self,
        tenant_id: &str,
        devices: &[String],
        done: &[RolloutStatus],
    ) -> StoreResult<Option<(String, String)>> {
        if devices.is_empty() {
            return Ok(None);
        }
        let done: Vec<&str> = done.iter().map(|s| s.as_str()).collect();
        self.block(async {
            if self.write {
                // Two units that would both target a device queue here, and the second sees
                // the first's targets (its check is a new statement, a new snapshot). One
                // lock per tenant, not one per device row: locking a million rows writes a
                // million WAL records. Two-key form: `airlift_change_horizon` reads the
                // one-key advisory locks as change keys.
                exec(
                    self.c,
                    "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                    &[&TARGETS_LOCK, &tenant_id],
                )
                .await?;
            }
            Ok(opt(
                self.c,
                "SELECT r.id, u.device_id
                 FROM unnest($1::text[]) WITH ORDINALITY AS u(device_id, n)
                 JOIN rollout_targets t ON t.device_id = u.device_id
                 JOIN rollouts r ON r.id = t.rollout_id
                 WHERE r.tenant_id = $2 AND r.status <> ALL ($3)
                 ORDER BY u.n, r.id LIMIT 1",
                &[&devices, &tenant_id, &done],
            )
            .await?
            .map(|r| (r.get(0), r.get(1))))
        })
    }

    fn profile_rollouts(
        &mut self,
        tenant_id: &str,
        profile_id: &str,
        statuses: &[RolloutStatus],
    ) -> StoreResult<Vec<String>> {
        let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        self.block(async {
            Ok(rows(
                self.c,
                "SELECT id FROM rollouts WHERE tenant_id = $1 AND target_profile_id = $2
                 AND target_kind = 'profile' AND status = ANY ($3) ORDER BY id",
                &[&tenant_id, &profile_id, &names],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
    }

    fn rollouts_in_status(&mut self, status: RolloutStatus) -> StoreResult<Vec<(String, String)>> {
        self.block(async {
            Ok(rows(
                self.c,
                "SELECT tenant_id, id FROM rollouts WHERE status = $1 ORDER BY id",
                &[&status.as_str()],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
        })
    }

    fn rollouts_to_start(&mut self, now_unix: i64) -> StoreResult<Vec<(String, String)>> {
        self.block(async {
            Ok(rows(
                self.c,
                "SELECT tenant_id, id FROM rollouts
                 WHERE status = 'scheduled' AND start_at_unix <= $1
                 ORDER BY start_at_unix, id LIMIT 100",
                &[&now_unix],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
        })
    }

    fn rollouts_to_advance(&mut self, now_unix: i64) -> StoreResult<Vec<(String, String)>> {
        self.block(async {
            Ok(rows(
                self.c,
                "SELECT tenant_id, id FROM rollouts
                 WHERE status = 'active' AND next_advance_unix IS NOT NULL
                   AND next_advance_unix <= $1
                 ORDER BY next_advance_unix, id LIMIT 100",
                &[&now_unix],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
        })
    }

    fn rollouts_waiting_for_window(&mut self) -> StoreResult<Vec<(String, String, String)>> {
        self.block(async {
            Ok(rows(
                self.c,
                "SELECT tenant_id, id, window_json FROM rollouts
                 WHERE status = 'active' AND window_json IS NOT NULL AND n_scheduled > 0
                 ORDER BY id LIMIT 100",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
        })
    }

    fn insert_rollout(&mut self, row: &RolloutRow, skipped_json: &str) -> StoreResult<u64> {
        self.block(async {
            let change: i64 = one(
                self.c,
                "INSERT INTO rollouts (id, tenant_id, package_id, rollback_package_id,
                     target_profile_id, target_kind, strategy, status, canary_percent,
                     failure_threshold_percent, batch_percent, min_batch_success_percent, force,
                     device_timeout_seconds, skipped_count, version, change_seq, created_by,
                     created_at, updated_at, retry_of, allow_downgrade, start_at, start_at_unix,
                     phases_json, min_devices, retry_max_attempts, retry_backoff_seconds,
                     window_json)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     airlift_next_change(), $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27,
                     $28)
                 RETURNING change_seq",
                &[
                    &row.id,
                    &row.tenant_id,
                    &row.package_id,
                    &row.rollback_package_id,
                    &row.target_profile_id,
                    &row.target_kind,
                    &row.strategy.as_str(),
                    &row.status.as_str(),
                    &i64::from(row.canary_percent),
                    &i64::from(row.failure_threshold_percent),
                    &row.batch_percent.map(i64::from),
                    &row.min_batch_success_percent.map(i64::from),
                    &row.force,
                    &i64_of(row.device_timeout_seconds),
                    &i64_of(row.skipped_count),
                    &i64_of(row.version),
                    &row.created_by,
                    &row.created_at,
                    &row.updated_at,
                    &row.retry_of,
                    &row.allow_downgrade,
                    &row.start_at,
                    &row.start_at_unix,
                    &row.phases_json,
                    &i64_of(row.min_devices),
                    &row.retry.map(|r| i64::from(r.max_attempts)),
                    &row.retry.map(|r| i64_of(r.backoff_seconds)),
                    &row.window_json,
                ],
            )
            .await?
            .get(0);
            exec(
                self.c,
                "INSERT INTO rollout_skipped (rollout_id, devices_json) VALUES ($1, $2)",
                &[&row.id, &skipped_json],
            )
            .await?;
            Ok(u64_of(change))
        })
    }

    fn update_rollout(&mut self, u: &RolloutUpdate) -> StoreResult<bool> {
        const SQL: &str = "UPDATE rollouts SET status = $3, canary_percent = $4,
                 version = version + 1, change_seq = airlift_next_change(), updated_at = $5,
                 target_count = $6, n_scheduled = $7, n_command_sent = $8,
                 n_in_progress = $9, n_successful = $10, n_failed = $11, n_timed_out = $12,
                 outcome = $13, last_verdict_unix = $14, next_advance_unix = $15
             WHERE id = $1 AND version = $2
             RETURNING 1";
        let params: Vec<Param> = vec![
            param(u.id.clone()),
            param(i64_of(u.expected_version)),
            param(u.status.as_str()),
            param(i64::from(u.canary_percent)),
            param(u.at.clone()),
            param(i64_of(u.target_count)),
            param(i64_of(u.counters.scheduled)),
            param(i64_of(u.counters.command_sent)),
            param(i64_of(u.counters.in_progress)),
            param(i64_of(u.counters.successful)),
            param(i64_of(u.counters.failed)),
            param(i64_of(u.counters.timed_out)),
            param(u.outcome.map(RolloutOutcome::as_str)),
            param(u.last_verdict_unix),
            param(u.next_advance_unix),
        ];
        if self.deferred_checks {
            // Goes out with the next report's reads: one round trip a report.
            self.pending.borrow_mut().push_checked(SQL, params, 1);
            return Ok(true);
        }
        // Sent with the unit's waiting writes: a report's writes are one round trip.
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
        let answers = self.pipelined(&[Read {
            sql: SQL,
            params: &refs,
        }])?;
        Ok(answers.first().is_some_and(|rows| rows.len() == 1))
    }

    fn append_transition(&mut self, rollout_id: &str, t: &TransitionRecord) -> StoreResult<()> {
        // Numbered under the rollout's row lock (the unit read the rollout to change it).
        self.later(
            "INSERT INTO rollout_transitions (rollout_id, seq, from_status, to_status, trigger,
                 actor, actor_role, canary_percent, at)
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8
             FROM rollout_transitions WHERE rollout_id = $1",
            vec![
                param(rollout_id.to_owned()),
                param(t.from.map(RolloutStatus::as_str)),
                param(t.to.as_str()),
                param(t.trigger.clone()),
                param(t.actor.clone()),
                param(t.actor_role.clone()),
                param(i64::from(t.canary_percent)),
                param(t.at.clone()),
            ],
        )
    }

    fn append_event(
        &mut self,
        tenant_id: &str,
        mut event: RolloutEventData,
    ) -> StoreResult<RolloutEventData> {
        self.block(async {
            // The tenant's row lock orders its events: ids commit in the order they are taken,
            // so a replay after id N never misses one committed later with a smaller id.
            exec(
                self.c,
                "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE",
                &[&tenant_id],
            )
            .await?;
            let id: i64 = one(
                self.c,
                "SELECT COALESCE(MAX(id), 0) + 1 FROM events WHERE tenant_id = $1",
                &[&tenant_id],
            )
            .await?
            .get(0);
            event.id = Some(u64_of(id));
            let payload = serde_json::to_string(&event)
                .map_err(|e| ApiError::internal(format!("encoding an event: {e}")))?;
            exec(
                self.c,
                "INSERT INTO events (tenant_id, id, subject, rollout_id, payload, at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &tenant_id,
                    &id,
                    &event.subject,
                    &event.rollout_id,
                    &payload,
                    &event.at,
                ],
            )
            .await?;
            // Every server hears of it once it is committed (see `postgres::notices`).
            let notice = notices::encode(&Notice::Event {
                tenant_id: tenant_id.to_owned(),
                id: u64_of(id),
            });
            exec(
                self.c,
                "SELECT pg_notify($1, $2)",
                &[&notices::CHANNEL, &notice],
            )
            .await?;
            Ok(event)
        })
    }
}

impl<C: GenericClient> TargetTx for PgTx<'_, C> {
    fn insert_targets(
        &mut self,
        rollout_id: &str,
        first_position: u64,
        devices: &[String],
        at: &str,
    ) -> StoreResult<()> {
        // One statement over an array, whatever the number of devices (a round trip per
        // target made a rollout over 100k devices take half a minute).
        self.block(exec(
            self.c,
            "INSERT INTO rollout_targets (rollout_id, position, device_id, updated_at)
             SELECT $1, $2 + u.n - 1, u.device_id, $4
             FROM unnest($3::text[]) WITH ORDINALITY AS u(device_id, n)",
            &[&rollout_id, &i64_of(first_position), &devices, &at],
        ))?;
        Ok(())
    }

    fn target(&mut self, rollout_id: &str, device_id: &str) -> StoreResult<Option<TargetRow>> {
        self.block(opt(self.c, TARGET_SQL, &[&rollout_id, &device_id]))?
            .as_ref()
            .map(target_row)
            .transpose()
    }

    fn targets_in_states(
        &mut self,
        rollout_id: &str,
        states: &[DeviceRolloutState],
    ) -> StoreResult<Vec<String>> {
        let names = state_names(states);
        self.block(async {
            Ok(rows(
                self.c,
                "SELECT device_id FROM rollout_targets
                 WHERE rollout_id = $1 AND state = ANY ($2) ORDER BY position",
                &[&rollout_id, &names],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
    }

    fn count_rollback_in_states(
        &mut self,
        rollout_id: &str,
        states: &[DeviceRolloutState],
    ) -> StoreResult<u64> {
        let names = state_names(states);
        let n: i64 = self
            .block(one(
                self.c,
                "SELECT COUNT(*) FROM rollout_targets
                 WHERE rollout_id = $1 AND rollback_state = ANY ($2)",
                &[&rollout_id, &names],
            ))?
            .get(0);
        Ok(u64_of(n))
    }

    fn rollback_counters(&mut self, rollout_id: &str) -> StoreResult<Option<DeviceCounters>> {
        self.block(rollback_counters(self.c, rollout_id))
    }

    fn overdue_targets(
        &mut self,
        rollout_id: &str,
        now_unix: i64,
    ) -> StoreResult<Vec<OverdueTarget>> {
        let found = self.block(rows(
            self.c,
            "SELECT device_id, state, rollback_state, retry_at_unix IS NOT NULL
             FROM rollout_targets
             WHERE rollout_id = $1 AND deadline_unix IS NOT NULL AND deadline_unix <= $2",
            &[&rollout_id, &now_unix],
        ))?;
        found
            .iter()
            .map(|r| {
                Ok(OverdueTarget {
                    device_id: r.get(0),
                    state: stored_state(r.get(1))?,
                    rollback_state: stored_state(r.get(2))?,
                    retry_due: r.get(3),
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
        self.later(
            "INSERT INTO rollout_failure_reasons AS f
                 (rollout_id, reason, status, count, samples, example)
             VALUES ($1, $2, $3, 1, json_build_array($4::text)::text, $5)
             ON CONFLICT (rollout_id, reason, status) DO UPDATE SET
                 count = f.count + 1,
                 samples = CASE WHEN json_array_length(f.samples::json) < 5
                                THEN (f.samples::jsonb || to_jsonb($4::text))::text
                                ELSE f.samples END,
                 example = COALESCE(f.example, EXCLUDED.example)",
            vec![
                param(rollout_id.to_owned()),
                param(reason.to_owned()),
                param(status.to_owned()),
                param(device_id.to_owned()),
                param(message.map(str::to_owned)),
            ],
        )?;
        self.later(
            "UPDATE rollout_targets SET failure_reason = $2, failure_status = $3
             WHERE rollout_id = $1 AND device_id = $4",
            vec![
                param(rollout_id.to_owned()),
                param(reason.to_owned()),
                param(status.to_owned()),
                param(device_id.to_owned()),
            ],
        )
    }

    fn failure_reasons(&mut self, rollout_id: &str) -> StoreResult<Vec<FailureReason>> {
        let found = self.block(rows(
            self.c,
            "SELECT reason, status, count, samples, example FROM rollout_failure_reasons
             WHERE rollout_id = $1 ORDER BY count DESC, reason, status",
            &[&rollout_id],
        ))?;
        found
            .iter()
            .map(|r| {
                Ok(FailureReason {
                    reason: r.get(0),
                    status: r.get(1),
                    count: u64_of(r.get(2)),
                    sample_device_ids: serde_json::from_str(r.get(3)).map_err(|e| {
                        ApiError::internal(format!("stored failure samples are corrupt: {e}"))
                    })?,
                    example_message: r.get(4),
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
        self.later(
            "INSERT INTO rollout_timeline
                 (rollout_id, minute_unix, succeeded, failed, in_progress, pending)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (rollout_id, minute_unix) DO UPDATE SET
                 succeeded = EXCLUDED.succeeded, failed = EXCLUDED.failed,
                 in_progress = EXCLUDED.in_progress, pending = EXCLUDED.pending",
            vec![
                param(rollout_id.to_owned()),
                param(minute_unix),
                param(i64_of(p.succeeded)),
                param(i64_of(p.failed)),
                param(i64_of(p.in_progress)),
                param(i64_of(p.pending)),
            ],
        )
    }

    fn timeline(&mut self, rollout_id: &str, limit: u32) -> StoreResult<Vec<(i64, TimelinePoint)>> {
        let found = self.block(rows(
            self.c,
            "SELECT minute_unix, succeeded, failed, in_progress, pending FROM (
                 SELECT * FROM rollout_timeline WHERE rollout_id = $1
                 ORDER BY minute_unix DESC LIMIT $2) t
             ORDER BY minute_unix",
            &[&rollout_id, &i64::from(limit)],
        ))?;
        Ok(found
            .iter()
            .map(|r| {
                (
                    r.get::<_, i64>(0),
                    TimelinePoint {
                        at: String::new(),
                        succeeded: u64_of(r.get(1)),
                        failed: u64_of(r.get(2)),
                        in_progress: u64_of(r.get(3)),
                        pending: u64_of(r.get(4)),
                    },
                )
            })
            .collect())
    }

    fn set_retry(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        attempts: u32,
        retry_at_unix: Option<i64>,
        deadline_unix: Option<i64>,
    ) -> StoreResult<()> {
        self.later(
            "UPDATE rollout_targets SET attempts = $3, retry_at_unix = $4::bigint,
                 deadline_unix = COALESCE($4::bigint, $5::bigint)
             WHERE rollout_id = $1 AND device_id = $2",
            vec![
                param(rollout_id.to_owned()),
                param(device_id.to_owned()),
                param(i64::from(attempts)),
                param(retry_at_unix),
                param(deadline_unix),
            ],
        )
    }

    fn schedule_range(&mut self, ch: RangeChange<'_>, from: u64, to: u64) -> StoreResult<u64> {
        let (from, to) = (i64_of(from), i64_of(to));
        self.block(async {
            exec(
                self.c,
                "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, at)
                 SELECT $1, device_id, 'assigned', rollout_id, $2, $3 FROM rollout_targets
                 WHERE rollout_id = $4 AND position >= $5 AND position < $6 ORDER BY position",
                &[&ch.tenant_id, &ch.package_id, &ch.at, &ch.rollout_id, &from, &to],
            )
            .await?;
            exec(
                self.c,
                "UPDATE rollout_targets SET state = 'scheduled', updated_at = $4
                 WHERE rollout_id = $1 AND position >= $2 AND position < $3 AND state IS NULL",
                &[&ch.rollout_id, &from, &to, &ch.at],
            )
            .await
        })
    }

    fn send_start_commands(&mut self, ch: RangeChange<'_>, deadline_unix: i64) -> StoreResult<u64> {
        let kind = CommandKind::OtaStart.as_str();
        self.block(async {
            // Command ids are made here (ULIDs, the shape every id has) and the rows written
            // by one statement over arrays.
            let devices: Vec<String> = rows(
                self.c,
                "SELECT device_id FROM rollout_targets
                 WHERE rollout_id = $1 AND state = 'scheduled' ORDER BY position",
                &[&ch.rollout_id],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
            if devices.is_empty() {
                return Ok(0);
            }
            let ids: Vec<String> = devices.iter().map(|_| ids::new_id("cmd")).collect();
            exec(
                self.c,
                "INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind,
                     package_id, created_at)
                 SELECT u.id, $1, u.device_id, $2, $3, $4, $5
                 FROM unnest($6::text[], $7::text[]) WITH ORDINALITY AS u(id, device_id, n)
                 ORDER BY u.n",
                &[
                    &ch.tenant_id,
                    &ch.rollout_id,
                    &kind,
                    &ch.package_id,
                    &ch.at,
                    &ids,
                    &devices,
                ],
            )
            .await?;
            exec(
                self.c,
                "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id,
                     command_id, status, at)
                 SELECT $1, u.device_id, 'command', $2, $3, u.id, $4, $5
                 FROM unnest($6::text[], $7::text[]) WITH ORDINALITY AS u(id, device_id, n)
                 ORDER BY u.n",
                &[
                    &ch.tenant_id,
                    &ch.rollout_id,
                    &ch.package_id,
                    &kind,
                    &ch.at,
                    &ids,
                    &devices,
                ],
            )
            .await?;
            exec(
                self.c,
                "UPDATE rollout_targets SET state = 'command_sent', deadline_unix = $2,
                     updated_at = $3
                 WHERE rollout_id = $1 AND state = 'scheduled'",
                &[&ch.rollout_id, &deadline_unix, &ch.at],
            )
            .await
        })
    }

    fn set_state(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        state: DeviceRolloutState,
        deadline_unix: Option<i64>,
        at: &str,
    ) -> StoreResult<()> {
        self.later(
            "UPDATE rollout_targets SET state = $3, deadline_unix = $4, updated_at = $5
             WHERE rollout_id = $1 AND device_id = $2",
            vec![
                param(rollout_id.to_owned()),
                param(device_id.to_owned()),
                param(state.as_str()),
                param(deadline_unix),
                param(at.to_owned()),
            ],
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
        self.later(
            "UPDATE rollout_targets SET rollback_state = $3, deadline_unix = $4, updated_at = $5
             WHERE rollout_id = $1 AND device_id = $2",
            vec![
                param(rollout_id.to_owned()),
                param(device_id.to_owned()),
                param(state.as_str()),
                param(deadline_unix),
                param(at.to_owned()),
            ],
        )
    }

    fn set_deadline(
        &mut self,
        rollout_id: &str,
        device_id: &str,
        deadline_unix: Option<i64>,
    ) -> StoreResult<()> {
        self.later(
            "UPDATE rollout_targets SET deadline_unix = $3 WHERE rollout_id = $1 AND device_id = $2",
            vec![
                param(rollout_id.to_owned()),
                param(device_id.to_owned()),
                param(deadline_unix),
            ],
        )
    }

    fn clear_deadlines(&mut self, rollout_id: &str) -> StoreResult<()> {
        self.block(exec(
            self.c,
            "UPDATE rollout_targets SET deadline_unix = NULL
             WHERE rollout_id = $1 AND deadline_unix IS NOT NULL",
            &[&rollout_id],
        ))?;
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
        self.later(
            "UPDATE rollout_targets SET progress = COALESCE($3, progress), last_status = $4,
                 last_message = $5, reported_version = $6, updated_at = $7,
                 deadline_unix = COALESCE($8, deadline_unix)
             WHERE rollout_id = $1 AND device_id = $2",
            vec![
                param(rollout_id.to_owned()),
                param(device_id.to_owned()),
                param(report.progress.map(i64::from)),
                param(report.status.as_str()),
                param(report.message.clone()),
                param(report.firmware_version.clone()),
                param(at.to_owned()),
                param(restart_deadline),
            ],
        )
    }

    fn report_seen(&mut self, device_id: &str, report_id: &str) -> StoreResult<bool> {
        Ok(self
            .block(opt(self.c, REPORT_SEEN_SQL, &[&device_id, &report_id]))?
            .is_some())
    }

    fn insert_report(
        &mut self,
        device_id: &str,
        report_id: &str,
        rollout_id: &str,
        status: &str,
        at: &str,
    ) -> StoreResult<()> {
        self.later(
            "INSERT INTO device_reports (device_id, report_id, rollout_id, status, at)
             VALUES ($1, $2, $3, $4, $5)",
            vec![
                param(device_id.to_owned()),
                param(report_id.to_owned()),
                param(rollout_id.to_owned()),
                param(status.to_owned()),
                param(at.to_owned()),
            ],
        )
    }
}

impl<C: GenericClient> LookupTx for PgTx<'_, C> {
    fn tenant_name(&mut self, tenant_id: &str) -> StoreResult<String> {
        if let Some(name) = known(&self.known.tenant_names, tenant_id) {
            return Ok(name);
        }
        let name = self.block(queries::tenant_name(self.c, tenant_id))?;
        remember(&self.known.tenant_names, tenant_id, &name);
        Ok(name)
    }

    fn package(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<PackageRecord>> {
        self.block(catalog::package(self.c, tenant_id, id))
    }

    fn package_version(&mut self, package_id: &str) -> StoreResult<String> {
        if let Some(version) = known(&self.known.package_versions, package_id) {
            return Ok(version);
        }
        let version = self.block(catalog::package_version(self.c, package_id))?;
        remember(&self.known.package_versions, package_id, &version);
        Ok(version)
    }

    fn profile_exists(&mut self, tenant_id: &str, profile_id: &str) -> StoreResult<bool> {
        Ok(self
            .block(fleet::profile(self.c, tenant_id, profile_id))?
            .is_some())
    }

    fn profile_devices(
        &mut self,
        tenant_id: &str,
        profile_id: &str,
    ) -> StoreResult<Vec<DeviceRecord>> {
        self.block(fleet::profile_devices(self.c, tenant_id, profile_id))
    }

    fn device(&mut self, tenant_id: &str, id: &str) -> StoreResult<Option<DeviceRecord>> {
        self.block(fleet::device(self.c, tenant_id, id))
    }
}

impl<C: GenericClient> DeviceTx for PgTx<'_, C> {
    fn insert_devices(&mut self, tenant_id: &str, devices: &[NewDevice]) -> StoreResult<()> {
        self.block(fleet::insert_devices(self.c, tenant_id, devices))
    }

    fn firmware_version(&mut self, device_id: &str) -> StoreResult<Option<String>> {
        Ok(self
            .block(opt(
                self.c,
                "SELECT firmware_version FROM devices WHERE id = $1",
                &[&device_id],
            ))?
            .map(|r| r.get(0)))
    }

    fn set_firmware_version(&mut self, device_id: &str, version: &str) -> StoreResult<()> {
        self.later(
            "UPDATE devices SET firmware_version = $2 WHERE id = $1",
            vec![param(device_id.to_owned()), param(version.to_owned())],
        )
    }

    fn append_history(&mut self, e: &HistoryEntry) -> StoreResult<()> {
        self.later(
            "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id,
                 command_id, status, message, progress, firmware_version, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            vec![
                param(e.tenant_id.clone()),
                param(e.device_id.clone()),
                param(e.kind),
                param(e.rollout_id.clone()),
                param(e.package_id.clone()),
                param(e.command_id.clone()),
                param(e.status.clone()),
                param(e.message.clone()),
                param(e.progress.map(i64::from)),
                param(e.firmware_version.clone()),
                param(e.at.clone()),
            ],
        )
    }

    fn insert_command(
        &mut self,
        ch: RangeChange<'_>,
        device_id: &str,
        kind: CommandKind,
    ) -> StoreResult<String> {
        let id = ids::new_id("cmd");
        self.later(
            "INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind, package_id,
                 created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                param(id.clone()),
                param(ch.tenant_id.to_owned()),
                param(device_id.to_owned()),
                param(ch.rollout_id.to_owned()),
                param(kind.as_str()),
                param(ch.package_id.to_owned()),
                param(ch.at.to_owned()),
            ],
        )?;
        Ok(id)
    }

    fn cancel_commands(
        &mut self,
        rollout_id: &str,
        kind: Option<CommandKind>,
        at: &str,
    ) -> StoreResult<()> {
        let kind = kind.map(CommandKind::as_str);
        self.block(async {
            exec(
                self.c,
                "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id,
                     command_id, status, at)
                 SELECT tenant_id, device_id, 'command_cancelled', rollout_id, package_id, id,
                     kind, $3
                 FROM device_commands
                 WHERE rollout_id = $1 AND ($2::text IS NULL OR kind = $2::text)
                   AND acked_at IS NULL AND cancelled_at IS NULL
                 ORDER BY id",
                &[&rollout_id, &kind, &at],
            )
            .await?;
            exec(
                self.c,
                "UPDATE device_commands SET cancelled_at = $3
                 WHERE rollout_id = $1 AND ($2::text IS NULL OR kind = $2::text)
                   AND acked_at IS NULL AND cancelled_at IS NULL",
                &[&rollout_id, &kind, &at],
            )
            .await?;
            Ok(())
        })
    }
}
