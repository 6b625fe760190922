//! Device reports: idempotent (a client `report_id`, or an exact repeat of the previous
//! report), classified with airlift-core's rules, and recorded in the same transaction as any
//! auto-pause, batch advance or completion they cause. A device on the rollback track moves by
//! core's `rollback_report`; the aggregate finishes the rollback once none is open.

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::error::ApiError;
use airlift_core::failure_reason::reason_of;
use airlift_core::install_status::{classify, ReportOutcome};
use airlift_core::retry_policy::{decide, RetryDecision};
use airlift_core::rollout::RolloutStatus;
use airlift_core::rollout_aggregate::rollback_report;
use airlift_core::wire::{ReportAccepted, RolloutEventData};

use super::session::{Session, OPEN};
use crate::ids;
use crate::rollouts::Ctx;
use crate::store::rollout_port::{HistoryEntry, RolloutTx, TargetRow};
use crate::store::{StoreResult, ValidatedReport};

fn package_version(s: &mut Session<'_>, package: &str) -> StoreResult<semver::Version> {
    let v = s.tx.package_version(package)?;
    semver::Version::parse(&v)
        .map_err(|e| ApiError::internal(format!("stored package version is invalid: {e}")).into())
}

/// The report a device repeats exactly (status, message, progress and version) is its last.
fn is_exact_repeat(t: &TargetRow, report: &ValidatedReport) -> bool {
    t.last_status.as_deref() == Some(report.status.as_str())
        && t.last_message == report.message
        && t.progress == report.progress
        && t.reported_version.as_deref() == Some(report.firmware_version.as_str())
}

/// Records one report in the caller's transaction; on an error nothing of it may be kept.
pub fn record(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    device: &str,
    report: &ValidatedReport,
    ctx: Ctx,
) -> StoreResult<(ReportAccepted, Vec<RolloutEventData>)> {
    let rollout = report.rollout_id.as_str();
    // The rollout, the target and the report id, read once, together.
    let first = tx.report_rows(tenant, rollout, device, report.report_id.as_deref())?;
    let mut s = Session::restore(tx, first.rollout, ctx.clone())?;
    let t = first
        .target
        .ok_or_else(|| ApiError::not_found("this device is not a target of that rollout"))?;
    let current_state = t
        .rollback_state
        .or(t.state)
        .map(|st| st.as_str().to_owned());
    let duplicate = |report_id: String, s: &Session<'_>| ReportAccepted {
        report_id,
        duplicate: true,
        device_state: current_state.clone(),
        rollout_status: s.agg.status().as_str().to_owned(),
    };
    // Idempotency: a report id seen before, or an exact repeat of the last report.
    if let Some(id) = report.report_id.as_ref().filter(|_| first.seen) {
        return Ok((duplicate(id.clone(), &s), Vec::new()));
    }
    if is_exact_repeat(&t, report) {
        let id = report.report_id.clone().unwrap_or_default();
        return Ok((duplicate(id, &s), Vec::new()));
    }

    let new_state = match t.rollback_state {
        Some(from) if s.agg.status() == RolloutStatus::RollingBack => {
            let pkg = s
                .row
                .rollback_package_id
                .clone()
                .ok_or_else(|| ApiError::internal("rolling back without a rollback package"))?;
            let version = package_version(&mut s, &pkg)?;
            let to = rollback_report(
                from,
                classify(report.status, &report.firmware_version, &version),
            )?;
            if to != from {
                let deadline = OPEN.contains(&to).then(|| s.deadline());
                s.tx.set_rollback_state(rollout, device, to, deadline, &ctx.at)?;
                if to == DeviceRolloutState::Successful {
                    s.set_firmware(device, &pkg)?;
                }
            }
            s.check_rollback_done()?;
            s.tx.store_last_report(rollout, device, report, None, &ctx.at)?;
            Some(to.as_str().to_owned())
        }
        _ => {
            let pkg = s.row.package_id.clone();
            let version = package_version(&mut s, &pkg)?;
            let classified = classify(report.status, &report.firmware_version, &version);
            // A failed attempt with attempts left is no verdict: the device stays in progress
            // and is told again after its backoff (core's retry rule).
            let open_before = t.state.is_some_and(|st| OPEN.contains(&st));
            let retry = match decide(s.row.retry, classified, t.attempts) {
                RetryDecision::RetryLater {
                    after_seconds,
                    next_attempt,
                } if open_before && !t.retry_pending => Some((after_seconds, next_attempt)),
                _ => None,
            };
            // A failure repeated while the retry waits is the same failed attempt: it counts
            // neither as a verdict nor as another attempt.
            let waiting = t.retry_pending && classified == ReportOutcome::Failed && open_before;
            let outcome = if retry.is_some() || waiting {
                ReportOutcome::Progress
            } else {
                classified
            };
            s.track_row(device, &t)?;
            let events = s.agg.record_report(device, outcome)?;
            s.apply(events, &ctx.actor)?;
            let failed_now = s.agg.device_state(device) == Some(DeviceRolloutState::Failed);
            if failed_now && t.state != Some(DeviceRolloutState::Failed) {
                let reason = reason_of(report.status.as_str(), report.message.as_deref());
                s.tx.count_failure(
                    rollout,
                    &reason,
                    report.status.as_str(),
                    device,
                    report.message.as_deref(),
                )?;
            }
            let open = s
                .agg
                .device_state(device)
                .is_some_and(|st| OPEN.contains(&st));
            let restart_deadline = if let Some((after, next)) = retry.filter(|_| open) {
                let at = ctx
                    .now_unix
                    .saturating_add(i64::try_from(after).unwrap_or(i64::MAX));
                s.tx.set_retry(rollout, device, next, Some(at), None)?;
                let entry = HistoryEntry {
                    package_id: Some(s.row.package_id.clone()),
                    message: Some(format!(
                        "attempt {} failed; attempt {next} in {after} s",
                        t.attempts
                    )),
                    ..s.history(device, "retry_scheduled")
                };
                s.tx.append_history(&entry)?;
                None
            } else if outcome == ReportOutcome::Progress && open && !t.retry_pending {
                // Progress keeps a device alive: its deadline restarts.
                Some(s.deadline())
            } else {
                None
            };
            // The report's fields and the restarted deadline in one row update (the target
            // row is the report's costliest write on PostgreSQL: each update a new version).
            s.tx.store_last_report(rollout, device, report, restart_deadline, &ctx.at)?;
            s.drive()?;
            s.agg.device_state(device).map(|st| st.as_str().to_owned())
        }
    };
    let status = report.status.as_str();
    let report_id = report
        .report_id
        .clone()
        .unwrap_or_else(|| ids::new_id("rep"));
    s.tx.insert_report(device, &report_id, rollout, status, &ctx.at)?;
    s.tx.append_history(&HistoryEntry {
        tenant_id: tenant.to_owned(),
        device_id: device.to_owned(),
        kind: "report",
        rollout_id: Some(rollout.to_owned()),
        status: Some(status.to_owned()),
        message: report.message.clone(),
        progress: report.progress,
        firmware_version: Some(report.firmware_version.clone()),
        at: ctx.at.clone(),
        ..HistoryEntry::default()
    })?;
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
