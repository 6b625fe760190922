//! The deadline sweep: a device with no verdict by its deadline is `timed_out` (it counts as
//! failed, so it can auto-pause the rollout), on the way up and on the way down alike.

use airlift_core::device_state::DeviceTrigger;
use airlift_core::error::ApiError;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{CommandKind, RolloutEventData};

use super::session::{Session, OPEN};
use crate::rollouts::{Actor, Ctx};
use crate::store::rollout_port::{HistoryEntry, RolloutTx};
use crate::store::StoreResult;

/// How long a retry that came due while the rollout is not active (or its maintenance window
/// is closed) waits before the sweep looks again: a paused rollout holds its retries like its
/// other commands.
const HELD_RETRY_RECHECK_SECS: i64 = 60;

/// A failed device's backoff is over: while active it is told again (a new `ota_start`, the
/// ordinary device timeout from now); otherwise its retry waits.
fn retell(s: &mut Session<'_>, rollout: &str, device: &str, now: i64) -> StoreResult<()> {
    let Some(target) = s.tx.target(rollout, device)? else {
        return Ok(());
    };
    if target.state.is_none_or(|st| !OPEN.contains(&st)) {
        // It reached a verdict meanwhile: nothing to retry.
        return s.tx.set_retry(rollout, device, target.attempts, None, None);
    }
    if s.agg.status() != RolloutStatus::Active || !s.window_open() {
        let later = now.saturating_add(HELD_RETRY_RECHECK_SECS);
        return s
            .tx
            .set_retry(rollout, device, target.attempts, Some(later), None);
    }
    let deadline = s.deadline();
    s.tx.set_retry(rollout, device, target.attempts, None, Some(deadline))?;
    let pkg = s.row.package_id.clone();
    s.issue_command(device, CommandKind::OtaStart, &pkg)?;
    let entry = HistoryEntry {
        package_id: Some(pkg),
        message: Some(format!("attempt {}", target.attempts)),
        ..s.history(device, "retry")
    };
    s.tx.append_history(&entry)
}

/// Times out every overdue device of one rollout, in the caller's transaction.
pub fn sweep(
    tx: &mut dyn RolloutTx,
    tenant: &str,
    rollout: &str,
    now: i64,
) -> StoreResult<Vec<RolloutEventData>> {
    let ctx = Ctx {
        actor: Actor::system(),
        at: crate::ids::now(),
        now_unix: now,
    };
    // The rollout first (a write unit locks its row), then its overdue devices: read in this
    // order, a sweep that waited for another one's commit (a second server's, or a report's)
    // sees the devices that one already decided as decided, and counts none twice.
    let mut s = Session::open(tx, tenant, rollout, ctx.clone())?;
    let overdue = s.tx.overdue_targets(rollout, now)?;
    for target in overdue {
        let device = target.device_id;
        s.tx.set_deadline(rollout, &device, None)?;
        if s.agg.status().is_terminal() {
            continue;
        }
        if target.retry_due {
            retell(&mut s, rollout, &device, now)?;
            continue;
        }
        match (target.rollback_state, target.state) {
            (Some(from), _) if OPEN.contains(&from) => {
                // The rollback track is not the aggregate's: its edge is the device state
                // machine's, as for a rollback report.
                let to = from
                    .next(DeviceTrigger::TimeOut)
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                s.tx.set_rollback_state(rollout, &device, to, None, &ctx.at)?;
                let entry = HistoryEntry {
                    package_id: s.row.rollback_package_id.clone(),
                    message: Some("no rollback verdict before the device timeout".to_owned()),
                    ..s.history(&device, "timed_out")
                };
                s.tx.append_history(&entry)?;
            }
            (_, Some(state)) if OPEN.contains(&state) => {
                s.track(&device)?;
                let events = s.agg.time_out(&device)?;
                s.apply(events, &Actor::system())?;
            }
            _ => {}
        }
    }
    s.check_rollback_done()?;
    s.drive()?;
    s.finish()
}
