//! Device reports: idempotent (a client `report_id`, or an exact repeat of the previous
//! report), classified with airlift-core's rules, and recorded in the same transaction as any
//! auto-pause, batch advance or completion they cause.

use airlift_core::device_state::{DeviceRolloutState, DeviceTrigger};
use airlift_core::install_status::{classify, ReportOutcome};
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{ReportAccepted, RolloutEventData};
use rusqlite::{params, Connection, OptionalExtension as _};

use super::session::{set_firmware, Session};
use super::{db, history, parse_state};
use crate::ids;
use crate::rollouts::Ctx;
use crate::store::{ApiError, StoreResult, ValidatedReport};

struct TargetRow {
    state: Option<String>,
    rollback_state: Option<String>,
    progress: Option<u32>,
    last_status: Option<String>,
    last_message: Option<String>,
    reported_version: Option<String>,
}

fn target(c: &Connection, rollout: &str, device: &str) -> StoreResult<Option<TargetRow>> {
    c.prepare_cached(
        "SELECT state, rollback_state, progress, last_status, last_message, reported_version
         FROM rollout_targets WHERE rollout_id = ?1 AND device_id = ?2",
    )
    .map_err(db)?
    .query_row([rollout, device], |r| {
        Ok(TargetRow {
            state: r.get(0)?,
            rollback_state: r.get(1)?,
            progress: r
                .get::<_, Option<i64>>(2)?
                .map(|p| u32::try_from(p).unwrap_or(0)),
            last_status: r.get(3)?,
            last_message: r.get(4)?,
            reported_version: r.get(5)?,
        })
    })
    .optional()
    .map_err(db)
}

fn package_version(c: &Connection, package: &str) -> StoreResult<semver::Version> {
    let v: String = c
        .query_row(
            "SELECT version FROM packages WHERE id = ?1",
            [package],
            |r| r.get(0),
        )
        .map_err(db)?;
    semver::Version::parse(&v)
        .map_err(|e| ApiError::internal(format!("stored package version is invalid: {e}")).into())
}

/// Records one report inside the caller's write transaction (the report writer's batch, in a
/// savepoint of its own, so a refused report leaves nothing behind).
pub fn record(
    tx: &Connection,
    tenant: &str,
    device: &str,
    report: &ValidatedReport,
    ctx: Ctx,
) -> StoreResult<(ReportAccepted, Vec<RolloutEventData>)> {
    let mut s = Session::open(tx, tenant, &report.rollout_id, ctx.clone())?;
    let rollout = report.rollout_id.as_str();
    let t = target(tx, rollout, device)?
        .ok_or_else(|| ApiError::not_found("this device is not a target of that rollout"))?;
    let current_state = |t: &TargetRow| t.rollback_state.clone().or(t.state.clone());
    // Idempotency: a report id seen before, or an exact repeat of the last report.
    if let Some(id) = &report.report_id {
        let seen: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM device_reports WHERE device_id = ?1 AND report_id = ?2)",
                [device, id],
                |r| r.get(0),
            )
            .map_err(db)?;
        if seen {
            return Ok((
                ReportAccepted {
                    report_id: id.clone(),
                    duplicate: true,
                    device_state: current_state(&t),
                    rollout_status: s.agg.status().as_str().to_owned(),
                },
                Vec::new(),
            ));
        }
    }
    let status_str = report.status.as_str();
    let repeat = t.last_status.as_deref() == Some(status_str)
        && t.last_message == report.message
        && t.progress == report.progress
        && t.reported_version.as_deref() == Some(report.firmware_version.as_str());
    if repeat {
        return Ok((
            ReportAccepted {
                report_id: report.report_id.clone().unwrap_or_default(),
                duplicate: true,
                device_state: current_state(&t),
                rollout_status: s.agg.status().as_str().to_owned(),
            },
            Vec::new(),
        ));
    }

    let rollback_track = s.agg.status() == RolloutStatus::RollingBack && t.rollback_state.is_some();
    let new_state;
    if rollback_track {
        let pkg = s
            .row
            .rollback_package_id
            .clone()
            .ok_or_else(|| ApiError::internal("rolling back without a rollback package"))?;
        let version = package_version(tx, &pkg)?;
        let outcome = classify(report.status, &report.firmware_version, &version);
        let from = t
            .rollback_state
            .as_deref()
            .and_then(parse_state)
            .ok_or_else(|| ApiError::internal("stored rollback state is unknown"))?;
        let to = match outcome.trigger() {
            None => from,
            Some(trigger) => match from.next(trigger) {
                Ok(to) => to,
                Err(_) if same_verdict(from, trigger) => from,
                Err(e) => {
                    return Err(ApiError::failed_precondition(format!(
                        "rollback of this device: {e}"
                    ))
                    .into())
                }
            },
        };
        if to != from {
            let deadline = match to {
                DeviceRolloutState::CommandSent | DeviceRolloutState::InProgress => Some(
                    ctx.now_unix
                        .saturating_add(crate::store::sqlite::i64_of(s.row.device_timeout_seconds)),
                ),
                _ => None,
            };
            tx.execute(
                "UPDATE rollout_targets SET rollback_state = ?3, deadline_unix = ?4 WHERE rollout_id = ?1 AND device_id = ?2",
                params![rollout, device, to.as_str(), deadline],
            )
            .map_err(db)?;
            if to == DeviceRolloutState::Successful {
                set_firmware(tx, &s.row, device, &pkg, &ctx.at)?;
            }
        }
        new_state = Some(to.as_str().to_owned());
        s.check_rollback_done()?;
    } else {
        let version = package_version(tx, &s.row.package_id)?;
        let outcome = classify(report.status, &report.firmware_version, &version);
        s.track(device)?;
        let events = s.agg.record_report(device, outcome)?;
        let actor = ctx.actor.clone();
        s.apply(events, &actor)?;
        if outcome == ReportOutcome::Progress {
            // Progress keeps a device alive: its deadline restarts.
            let deadline = ctx
                .now_unix
                .saturating_add(crate::store::sqlite::i64_of(s.row.device_timeout_seconds));
            tx.execute(
                "UPDATE rollout_targets SET deadline_unix = ?3
                 WHERE rollout_id = ?1 AND device_id = ?2 AND state IN ('command_sent', 'in_progress')",
                params![rollout, device, deadline],
            )
            .map_err(db)?;
        }
        s.drive()?;
        new_state = s.agg.device_state(device).map(|st| st.as_str().to_owned());
    }
    tx.execute(
        "UPDATE rollout_targets SET progress = COALESCE(?3, progress), last_status = ?4, last_message = ?5,
             reported_version = ?6, updated_at = ?7
         WHERE rollout_id = ?1 AND device_id = ?2",
        params![
            rollout,
            device,
            report.progress,
            status_str,
            report.message,
            report.firmware_version,
            ctx.at
        ],
    )
    .map_err(db)?;
    let report_id = report
        .report_id
        .clone()
        .unwrap_or_else(|| ids::new_id("rep"));
    tx.execute(
        "INSERT INTO device_reports (device_id, report_id, rollout_id, status, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![device, report_id, rollout, status_str, ctx.at],
    )
    .map_err(db)?;
    history(
        tx,
        tenant,
        device,
        "report",
        Some(rollout),
        None,
        None,
        Some(status_str),
        report.message.as_deref(),
        report.progress,
        Some(&report.firmware_version),
        &ctx.at,
    )?;
    let rollout_status = s.agg.status().as_str().to_owned();
    let published = s.finish()?;
    Ok((
        ReportAccepted {
            report_id,
            duplicate: false,
            device_state: new_state,
            rollout_status,
        },
        published,
    ))
}

fn same_verdict(state: DeviceRolloutState, trigger: DeviceTrigger) -> bool {
    matches!(
        (state, trigger),
        (DeviceRolloutState::Successful, DeviceTrigger::Succeed)
            | (DeviceRolloutState::Failed, DeviceTrigger::Fail)
            | (DeviceRolloutState::TimedOut, DeviceTrigger::TimeOut)
    )
}
