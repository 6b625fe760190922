//! One change to one rollout, inside the caller's `IMMEDIATE` transaction: restore the
//! aggregate from the rollout row, track the devices the change is about, apply the events it
//! returns (device rows, commands, history, rollback commands), run the strategy's automatic
//! steps, then write the rollout row (version-checked, with its counters), its transitions and
//! its events.

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::{
    event_subject, RolloutEventKind, RolloutOutcome, RolloutStatus, RolloutTrigger,
};
use airlift_core::rollout_aggregate::{RolloutAggregate, RolloutEvent};
use airlift_core::wire::{CommandKind, RolloutEventData};
use rusqlite::{params, Connection, OptionalExtension as _};

use super::{db, history, load_row, next_change, parse_state, RolloutRow};
use crate::ids;
use crate::rollouts::drive::{self, StrategySettings};
use crate::rollouts::{Actor, Ctx};
use crate::store::sqlite::{i64_of, u64_of};
use crate::store::{ApiError, StoreResult};

struct PendingTransition {
    from: Option<RolloutStatus>,
    to: RolloutStatus,
    trigger: String,
    kind: RolloutEventKind,
    actor: Actor,
    /// How the rollout ended, for a transition to `completed`.
    outcome: Option<RolloutOutcome>,
}

pub struct Session<'c> {
    pub c: &'c Connection,
    pub row: RolloutRow,
    pub agg: RolloutAggregate,
    pub ctx: Ctx,
    tenant_name: String,
    transitions: Vec<PendingTransition>,
}

impl<'c> Session<'c> {
    /// Loads rollout `id` of `tenant` (NOT_FOUND if it is not the tenant's), tracking no
    /// device yet (see [`Session::track`]).
    pub fn open(c: &'c Connection, tenant: &str, id: &str, ctx: Ctx) -> StoreResult<Self> {
        let row =
            load_row(c, tenant, id)?.ok_or_else(|| ApiError::not_found("rollout not found"))?;
        let agg = RolloutAggregate::restore(
            row.status,
            row.canary_percent,
            row.failure_threshold_percent,
            row.target_count,
            row.counters,
        )?;
        Self::with(c, row, agg, ctx)
    }

    /// Lets the aggregate see `device` (its position and state), if it is a target; a device
    /// that is not stays unknown and the aggregate answers NOT_FOUND for it.
    pub fn track(&mut self, device: &str) -> StoreResult<()> {
        let found: Option<(i64, Option<String>)> = self
            .c
            .prepare_cached(
                "SELECT position, state FROM rollout_targets WHERE rollout_id = ?1 AND device_id = ?2",
            )
            .map_err(db)?
            .query_row([&self.row.id, device], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db)?;
        let Some((position, state)) = found else {
            return Ok(());
        };
        let state = match state {
            None => None,
            Some(s) => Some(parse_state(&s).ok_or_else(|| {
                ApiError::internal(format!("stored device state {s:?} is unknown"))
            })?),
        };
        self.agg.track(device, u64_of(position), state)?;
        Ok(())
    }

    /// A session over a rollout row and aggregate the caller just built (create).
    pub fn with(
        c: &'c Connection,
        row: RolloutRow,
        agg: RolloutAggregate,
        ctx: Ctx,
    ) -> StoreResult<Self> {
        let tenant_name: String = c
            .query_row(
                "SELECT name FROM tenants WHERE id = ?1",
                [&row.tenant_id],
                |r| r.get(0),
            )
            .map_err(db)?;
        Ok(Session {
            c,
            row,
            agg,
            ctx,
            tenant_name,
            transitions: Vec::new(),
        })
    }

    pub fn settings(&self) -> StrategySettings {
        StrategySettings {
            strategy: self.row.strategy,
            batch_percent: self.row.batch_percent,
            min_batch_success_percent: self.row.min_batch_success_percent,
        }
    }

    fn deadline(&self) -> i64 {
        self.ctx
            .now_unix
            .saturating_add(i64_of(self.row.device_timeout_seconds))
    }

    /// Writes the effects of `events`, made by `actor` (automatic ones by `system`).
    pub fn apply(&mut self, events: Vec<RolloutEvent>, actor: &Actor) -> StoreResult<()> {
        for ev in events {
            match ev {
                RolloutEvent::Started => self.transitions.push(PendingTransition {
                    from: None,
                    to: RolloutStatus::Active,
                    trigger: "start".to_owned(),
                    kind: RolloutEventKind::Started,
                    actor: actor.clone(),
                    outcome: None,
                }),
                RolloutEvent::Transitioned { from, to, trigger } => {
                    let automatic = matches!(
                        trigger,
                        RolloutTrigger::AutoPause
                            | RolloutTrigger::AllSucceeded
                            | RolloutTrigger::FinishedWithFailures
                            | RolloutTrigger::RollbackFinished
                    );
                    let outcome = trigger.outcome().filter(|_| to == RolloutStatus::Completed);
                    if outcome.is_some() {
                        self.row.outcome = outcome;
                    }
                    self.transitions.push(PendingTransition {
                        from: Some(from),
                        to,
                        trigger: trigger.as_str().to_owned(),
                        kind: trigger.event_kind(),
                        actor: if automatic {
                            Actor::system()
                        } else {
                            actor.clone()
                        },
                        outcome,
                    });
                    if to == RolloutStatus::RollingBack {
                        self.start_rollback()?;
                    }
                    if to == RolloutStatus::Completed {
                        self.close()?;
                    }
                }
                RolloutEvent::SliceScheduled { from, to } => self.schedule(from, to)?,
                RolloutEvent::CommandsSent { count } => self.send_commands(count)?,
                RolloutEvent::DeviceChanged { device_id, to, .. } => {
                    let deadline = match to {
                        DeviceRolloutState::CommandSent | DeviceRolloutState::InProgress => {
                            Some(self.deadline())
                        }
                        _ => None,
                    };
                    self.set_state(&device_id, to, deadline)?;
                    match to {
                        DeviceRolloutState::CommandSent => {
                            let pkg = self.row.package_id.clone();
                            self.issue_command(&device_id, CommandKind::OtaStart, &pkg)?;
                        }
                        DeviceRolloutState::Successful => {
                            let pkg = self.row.package_id.clone();
                            set_firmware(self.c, &self.row, &device_id, &pkg, &self.ctx.at)?;
                        }
                        DeviceRolloutState::TimedOut => history(
                            self.c,
                            &self.row.tenant_id,
                            &device_id,
                            "timed_out",
                            Some(&self.row.id),
                            Some(&self.row.package_id),
                            None,
                            None,
                            Some("no verdict before the device timeout"),
                            None,
                            None,
                            &self.ctx.at,
                        )?,
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    /// The strategy's automatic steps (batch advances, sending commands), made by `system`.
    pub fn drive(&mut self) -> StoreResult<()> {
        let settings = self.settings();
        let events = drive::drive(&mut self.agg, settings)?;
        self.apply(events, &Actor::system())?;
        self.check_rollback_done()
    }

    /// Targets at positions `from..to` join the slice: `scheduled`, with an `assigned` entry
    /// in each one's history.
    fn schedule(&self, from: u64, to: u64) -> StoreResult<()> {
        let (from, to) = (i64_of(from), i64_of(to));
        self.c
            .prepare_cached(
                "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, at)
                 SELECT ?1, device_id, 'assigned', rollout_id, ?2, ?3 FROM rollout_targets
                 WHERE rollout_id = ?4 AND position >= ?5 AND position < ?6 ORDER BY position",
            )
            .map_err(db)?
            .execute(params![
                self.row.tenant_id,
                self.row.package_id,
                self.ctx.at,
                self.row.id,
                from,
                to
            ])
            .map_err(db)?;
        let updated = self
            .c
            .prepare_cached(
                "UPDATE rollout_targets SET state = 'scheduled', updated_at = ?4
                 WHERE rollout_id = ?1 AND position >= ?2 AND position < ?3 AND state IS NULL",
            )
            .map_err(db)?
            .execute(params![self.row.id, from, to, self.ctx.at])
            .map_err(db)?;
        expect_rows("scheduled", updated, to - from)
    }

    /// Every `scheduled` device of this rollout gets its `ota_start` command (with a history
    /// entry) and becomes `command_sent` with a fresh deadline.
    fn send_commands(&self, count: u64) -> StoreResult<()> {
        let kind = CommandKind::OtaStart.as_str();
        self.c
            .prepare_cached(
                "INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind, package_id, created_at)
                 SELECT airlift_id('cmd'), ?1, device_id, rollout_id, ?2, ?3, ?4 FROM rollout_targets
                 WHERE rollout_id = ?5 AND state = 'scheduled' ORDER BY position",
            )
            .map_err(db)?
            .execute(params![
                self.row.tenant_id,
                kind,
                self.row.package_id,
                self.ctx.at,
                self.row.id
            ])
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
            .execute(params![self.row.id, kind])
            .map_err(db)?;
        let updated = self
            .c
            .prepare_cached(
                "UPDATE rollout_targets SET state = 'command_sent', deadline_unix = ?2, updated_at = ?3
                 WHERE rollout_id = ?1 AND state = 'scheduled'",
            )
            .map_err(db)?
            .execute(params![self.row.id, self.deadline(), self.ctx.at])
            .map_err(db)?;
        expect_rows("sent a command", updated, i64_of(count))
    }

    fn set_state(
        &self,
        device: &str,
        state: DeviceRolloutState,
        deadline: Option<i64>,
    ) -> StoreResult<()> {
        self.c
            .prepare_cached(
                "UPDATE rollout_targets SET state = ?3, deadline_unix = ?4, updated_at = ?5
                 WHERE rollout_id = ?1 AND device_id = ?2",
            )
            .map_err(db)?
            .execute(params![
                self.row.id,
                device,
                state.as_str(),
                deadline,
                self.ctx.at
            ])
            .map_err(db)?;
        Ok(())
    }

    fn issue_command(&self, device: &str, kind: CommandKind, package: &str) -> StoreResult<()> {
        let id = ids::new_id("cmd");
        self.c
            .prepare_cached(
                "INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind, package_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(db)?
            .execute(params![
                id,
                self.row.tenant_id,
                device,
                self.row.id,
                kind.as_str(),
                package,
                self.ctx.at
            ])
            .map_err(db)?;
        history(
            self.c,
            &self.row.tenant_id,
            device,
            "command",
            Some(&self.row.id),
            Some(package),
            Some(&id),
            Some(kind.as_str()),
            None,
            None,
            None,
            &self.ctx.at,
        )
    }

    /// Cancels this rollout's unacknowledged commands of `kind` (all kinds when `None`).
    fn cancel_commands(&self, kind: Option<CommandKind>) -> StoreResult<()> {
        let kind = kind.map(CommandKind::as_str);
        self.c
            .execute(
                "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, command_id, status, at)
                 SELECT tenant_id, device_id, 'command_cancelled', rollout_id, package_id, id, kind, ?3
                 FROM device_commands
                 WHERE rollout_id = ?1 AND (?2 IS NULL OR kind = ?2) AND acked_at IS NULL AND cancelled_at IS NULL",
                params![self.row.id, kind, self.ctx.at],
            )
            .map_err(db)?;
        self.c
            .execute(
                "UPDATE device_commands SET cancelled_at = ?3
                 WHERE rollout_id = ?1 AND (?2 IS NULL OR kind = ?2) AND acked_at IS NULL AND cancelled_at IS NULL",
                params![self.row.id, kind, self.ctx.at],
            )
            .map_err(db)?;
        Ok(())
    }

    /// Rolling back: pending `ota_start` commands are withdrawn, and every device the rollout
    /// touched (sent, in progress, successful, timed out) gets `ota_rollback` with the
    /// rollback package. Devices that failed stayed on their previous build (seed 001).
    fn start_rollback(&mut self) -> StoreResult<()> {
        self.cancel_commands(Some(CommandKind::OtaStart))?;
        let Some(pkg) = self.row.rollback_package_id.clone() else {
            return Ok(());
        };
        let touched: Vec<String> = {
            let mut stmt = self
                .c
                .prepare_cached(
                    "SELECT device_id FROM rollout_targets
                     WHERE rollout_id = ?1 AND state IN ('command_sent', 'in_progress', 'successful', 'timed_out')
                     ORDER BY position",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([&self.row.id], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(db)?;
            rows
        };
        let deadline = self.deadline();
        for device in touched {
            self.c
                .prepare_cached(
                    "UPDATE rollout_targets SET rollback_state = 'command_sent', deadline_unix = ?3, updated_at = ?4
                     WHERE rollout_id = ?1 AND device_id = ?2",
                )
                .map_err(db)?
                .execute(params![self.row.id, device, deadline, self.ctx.at])
                .map_err(db)?;
            self.issue_command(&device, CommandKind::OtaRollback, &pkg)?;
        }
        Ok(())
    }

    /// While rolling back: once every rollback command has a verdict, the rollback is finished.
    pub fn check_rollback_done(&mut self) -> StoreResult<()> {
        if self.agg.status() != RolloutStatus::RollingBack {
            return Ok(());
        }
        let open: i64 = self
            .c
            .query_row(
                "SELECT COUNT(*) FROM rollout_targets
                 WHERE rollout_id = ?1 AND rollback_state IN ('command_sent', 'in_progress')",
                [&self.row.id],
                |r| r.get(0),
            )
            .map_err(db)?;
        if open == 0 {
            let events = self.agg.finish_rollback()?;
            self.apply(events, &Actor::system())?;
        }
        Ok(())
    }

    /// A completed rollout asks nothing more of anyone: deadlines and open commands go.
    fn close(&self) -> StoreResult<()> {
        self.cancel_commands(None)?;
        self.c
            .execute(
                "UPDATE rollout_targets SET deadline_unix = NULL WHERE rollout_id = ?1",
                [&self.row.id],
            )
            .map_err(db)?;
        Ok(())
    }

    /// Writes the rollout row (version-checked), transitions and events; returns the events
    /// to publish once the transaction commits.
    pub fn finish(self) -> StoreResult<Vec<RolloutEventData>> {
        let change = next_change(self.c)?;
        let counters = self.agg.counters();
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
                self.row.id,
                i64_of(self.row.version),
                self.agg.status().as_str(),
                self.agg.canary_percent(),
                i64_of(change),
                self.ctx.at,
                i64_of(self.agg.target_count()),
                i64_of(counters.scheduled),
                i64_of(counters.command_sent),
                i64_of(counters.in_progress),
                i64_of(counters.successful),
                i64_of(counters.failed),
                i64_of(counters.timed_out),
                self.row.outcome.map(RolloutOutcome::as_str),
            ])
            .map_err(db)?;
        if updated != 1 {
            return Err(ApiError::failed_precondition(
                "the rollout was changed concurrently; retry",
            )
            .into());
        }
        if self.transitions.is_empty() {
            return Ok(Vec::new());
        }
        let rollback = rollback_counters(self.c, &self.row.id)?;
        let mut out = Vec::new();
        for t in &self.transitions {
            let seq: i64 = self
                .c
                .query_row(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM rollout_transitions WHERE rollout_id = ?1",
                    [&self.row.id],
                    |r| r.get(0),
                )
                .map_err(db)?;
            self.c
                .execute(
                    "INSERT INTO rollout_transitions (rollout_id, seq, from_status, to_status, trigger,
                         actor, actor_role, canary_percent, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        self.row.id,
                        seq,
                        t.from.map(RolloutStatus::as_str),
                        t.to.as_str(),
                        t.trigger,
                        t.actor.name,
                        t.actor.role,
                        self.agg.canary_percent(),
                        self.ctx.at
                    ],
                )
                .map_err(db)?;
            let id: i64 = self
                .c
                .query_row(
                    "SELECT COALESCE(MAX(id), 0) + 1 FROM events WHERE tenant_id = ?1",
                    [&self.row.tenant_id],
                    |r| r.get(0),
                )
                .map_err(db)?;
            let data = RolloutEventData {
                id: Some(u64_of(id)),
                subject: event_subject(t.kind, &self.tenant_name, &self.row.id),
                kind: t.kind.as_str().to_owned(),
                tenant: self.tenant_name.clone(),
                rollout_id: self.row.id.clone(),
                status: t.to,
                outcome: t.outcome,
                canary_percent: self.agg.canary_percent(),
                counters,
                rollback_counters: rollback,
                trigger: Some(t.trigger.clone()),
                actor: Some(t.actor.name.clone()),
                at: self.ctx.at.clone(),
            };
            let payload = serde_json::to_string(&data)
                .map_err(|e| ApiError::internal(format!("encoding an event: {e}")))?;
            self.c
                .execute(
                    "INSERT INTO events (tenant_id, id, subject, rollout_id, payload, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        self.row.tenant_id,
                        id,
                        data.subject,
                        self.row.id,
                        payload,
                        self.ctx.at
                    ],
                )
                .map_err(db)?;
            out.push(data);
        }
        Ok(out)
    }
}

/// A set-based change touched `got` rows where the aggregate's counters said `want`: the
/// stored targets and counters disagree, so nothing of this change may be committed.
fn expect_rows(what: &str, got: usize, want: i64) -> StoreResult<()> {
    if i64::try_from(got).ok() == Some(want) {
        return Ok(());
    }
    Err(ApiError::internal(format!(
        "stored rollout is inconsistent: {got} devices {what}, its counters say {want}"
    ))
    .into())
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

/// On success the device's firmware version becomes the package's (seed 000).
pub fn set_firmware(
    c: &Connection,
    row: &RolloutRow,
    device: &str,
    package: &str,
    at: &str,
) -> StoreResult<()> {
    let version: String = c
        .query_row(
            "SELECT version FROM packages WHERE id = ?1",
            [package],
            |r| r.get(0),
        )
        .map_err(db)?;
    let old: Option<String> = c
        .query_row(
            "SELECT firmware_version FROM devices WHERE id = ?1",
            [device],
            |r| r.get(0),
        )
        .map_err(db)?;
    if old.as_deref() == Some(version.as_str()) {
        return Ok(());
    }
    c.execute(
        "UPDATE devices SET firmware_version = ?2 WHERE id = ?1",
        params![device, version],
    )
    .map_err(db)?;
    history(
        c,
        &row.tenant_id,
        device,
        "version_changed",
        Some(&row.id),
        Some(package),
        None,
        None,
        old.map(|o| format!("{o} -> {version}")).as_deref(),
        None,
        Some(&version),
        at,
    )
}
