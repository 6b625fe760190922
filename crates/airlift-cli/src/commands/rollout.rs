//! `rollout start | list | status | wait | pause | resume | advance | rollback | cancel |
//! retry-failed` (`start`'s phases, schedule, window and retries: `rollout_plan.rs`;
//! `failure-reasons` and `devices`: `rollout_failures.rs`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use airlift_core::device_counters::DeviceCounters;
use airlift_core::rollout::{RolloutOutcome, RolloutStatus};
use airlift_core::wire::{
    CreateRollout, RetryFailedRollout, Rollout, RolloutStrategy, RolloutSummary,
};
use airlift_desk::cache::{Cache, Collection};
use airlift_desk::client::Client;
use airlift_desk::ops::rollouts::RolloutAct;
use airlift_desk::ops::{self, Session};
use airlift_desk::sync::{store_rollout, sync_rollouts};
use serde_json::json;

use super::{cached, profile, rollout_failures};
use crate::args::{RolloutCommand, Strategy, WaitUntil};
use crate::context::Context;
use crate::exit::{self, Failure, OK};
use crate::output::Output;

/// `12 scheduled, 3 command sent, ...` (only the states some device is in).
pub fn counters(c: &DeviceCounters) -> String {
    let parts: Vec<String> = [
        (c.scheduled, "scheduled"),
        (c.command_sent, "command sent"),
        (c.in_progress, "in progress"),
        (c.successful, "succeeded"),
        (c.failed, "failed"),
        (c.timed_out, "timed out"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "no device told yet".to_owned()
    } else {
        parts.join(", ")
    }
}

/// `completed (some devices failed)`, `rolling back`, ...
pub fn state_words(status: RolloutStatus, outcome: Option<RolloutOutcome>) -> String {
    let status = status.as_str().replace('_', " ");
    match outcome {
        Some(RolloutOutcome::Succeeded) => format!("{status} (every device succeeded)"),
        Some(RolloutOutcome::SomeFailed) => format!("{status} (some devices failed)"),
        Some(RolloutOutcome::RolledBack) => format!("{status} (rolled back)"),
        None => status,
    }
}

/// The exit code of a rollout that stopped moving: completed (by outcome) or paused.
pub fn final_code(status: RolloutStatus, outcome: Option<RolloutOutcome>) -> Option<u8> {
    match (status, outcome) {
        (RolloutStatus::Completed, Some(RolloutOutcome::SomeFailed)) => {
            Some(exit::ROLLOUT_SOME_FAILED)
        }
        (RolloutStatus::Completed, Some(RolloutOutcome::RolledBack)) => {
            Some(exit::ROLLOUT_ROLLED_BACK)
        }
        (RolloutStatus::Completed, _) => Some(exit::ROLLOUT_SUCCEEDED),
        (RolloutStatus::Paused, _) => Some(exit::ROLLOUT_PAUSED),
        (RolloutStatus::Cancelled, _) => Some(exit::ROLLOUT_CANCELLED),
        _ => None,
    }
}

fn summary_lines(s: &RolloutSummary) -> Vec<String> {
    let mut lines = vec![format!(
        "rollout {} of package {} ({}): {}, {} strategy, canary {}%, {} of {} eligible devices scheduled{}",
        s.rollout_id,
        s.package_id,
        s.package_version,
        state_words(s.status, s.outcome),
        s.strategy.as_str().replace('_', " "),
        s.canary_percent,
        s.scheduled_count,
        s.eligible_count,
        if s.skipped_count > 0 {
            format!(", {} skipped", s.skipped_count)
        } else {
            String::new()
        }
    )];
    if let Some(old) = &s.retry_of {
        lines.push(format!("retries the failed devices of rollout {old}"));
    }
    lines.extend(plan_lines(s));
    lines.push(format!("devices: {}", counters(&s.counters)));
    if let Some(back) = &s.rollback_counters {
        lines.push(format!("rollback: {}", counters(back)));
    }
    lines
}

/// The plan's phases, start time, window, retries and `min_devices`, where set.
fn plan_lines(s: &RolloutSummary) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(at) = &s.start_at {
        lines.push(format!("starts at {at}"));
    }
    if let Some(phases) = &s.phases {
        let steps: Vec<String> = phases
            .iter()
            .map(|p| {
                format!(
                    "{}% (soak {}s, gate {}%)",
                    p.percent, p.soak_seconds, p.min_success_percent
                )
            })
            .collect();
        let current = s.current_phase.map_or(String::new(), |c| {
            format!("; in phase {} of {}", c + 1, phases.len())
        });
        let next = s
            .next_advance_at
            .as_deref()
            .map_or(String::new(), |at| format!(", next advance at {at}"));
        lines.push(format!("phases: {}{current}{next}", steps.join(" -> ")));
    }
    if let Some(w) = &s.maintenance_window {
        lines.push(format!(
            "window: {} {}-{} {}",
            w.days.join(","),
            w.start,
            w.end,
            w.timezone
        ));
    }
    if let Some(r) = &s.retry {
        lines.push(format!(
            "retries: {} attempts, first backoff {}s (doubling)",
            r.max_attempts, r.backoff_seconds
        ));
    }
    if s.min_devices > 0 {
        lines.push(format!(
            "failure threshold applies after {} verdicts",
            s.min_devices
        ));
    }
    lines
}

fn describe(r: &Rollout) -> String {
    let mut lines = summary_lines(&r.summary);
    if !r.transitions.is_empty() {
        lines.push("history:".to_owned());
    }
    for t in &r.transitions {
        let from = t
            .from
            .map_or("created".to_owned(), |f| f.as_str().replace('_', " "));
        lines.push(format!(
            "  {}  {} -> {} ({} by {})",
            t.at,
            from,
            t.to.as_str().replace('_', " "),
            t.trigger.replace('_', " "),
            t.actor
        ));
    }
    lines.join("\n")
}

/// Plain numbers are seconds; `s`, `m`, `h` suffixes.
pub fn parse_duration(text: &str) -> Result<Duration, Failure> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = number.parse().map_err(|_| bad_duration(text))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(bad_duration(text)),
    };
    Ok(Duration::from_secs(secs))
}

fn bad_duration(text: &str) -> Failure {
    Failure::usage(format!(
        "{text:?} is not a duration: use seconds (90), or 90s, 15m, 2h"
    ))
}

pub async fn run(out: Output, ctx: &Context, cmd: &RolloutCommand) -> Result<u8, Failure> {
    let client = &ctx.client;
    // Every rollout this command changes is cached at once, as the app does (ops::rollouts).
    let cache = || ctx.open_cache();
    let rollout = match cmd {
        RolloutCommand::Start {
            package,
            profile,
            device,
            strategy,
            canary_percent,
            batch_percent,
            min_batch_success_percent,
            failure_threshold_percent,
            rollback_package,
            device_timeout,
            force,
            allow_downgrade,
            plan,
        } => {
            let target_profile_id = match profile {
                Some(p) => Some(profile::resolve(ctx, p).await?.profile_id),
                None => None,
            };
            let mut req = CreateRollout {
                package_id: package.clone(),
                target_profile_id,
                device_ids: (!device.is_empty()).then(|| device.clone()),
                canary_percent: *canary_percent,
                failure_threshold_percent: *failure_threshold_percent,
                rollback_package_id: rollback_package.clone(),
                force: *force,
                strategy: strategy.map(|s| match s {
                    Strategy::Canary => RolloutStrategy::Canary,
                    Strategy::Rolling => RolloutStrategy::Rolling,
                    Strategy::AllAtOnce => RolloutStrategy::AllAtOnce,
                }),
                batch_percent: *batch_percent,
                min_batch_success_percent: *min_batch_success_percent,
                device_timeout_seconds: *device_timeout,
                allow_downgrade: *allow_downgrade,
                ..CreateRollout::default()
            };
            super::rollout_plan::apply(plan, &mut req)?;
            let creating = ctx.creating("rollout", &req)?;
            ops::rollouts::start(session(&creating, &cache()?, ctx), &req)
                .await?
                .rollout
        }
        RolloutCommand::RetryFailed {
            rollout_id,
            canary_percent,
            failure_threshold_percent,
            device_timeout,
        } => {
            let req = RetryFailedRollout {
                canary_percent: *canary_percent,
                failure_threshold_percent: *failure_threshold_percent,
                device_timeout_seconds: *device_timeout,
            };
            let creating = ctx.creating(&format!("retry-failed-{rollout_id}"), &req)?;
            ops::rollouts::retry_failed(session(&creating, &cache()?, ctx), rollout_id, &req)
                .await?
                .rollout
        }
        RolloutCommand::List => return list(out, ctx).await,
        RolloutCommand::FailureReasons { rollout_id } => {
            return rollout_failures::reasons(out, ctx, rollout_id).await;
        }
        RolloutCommand::Devices {
            rollout_id,
            failure_reason,
            failure_status,
            state,
            limit,
            offset,
        } => {
            let filter = rollout_failures::DeviceFilter {
                failure_reason: failure_reason.as_deref(),
                failure_status: failure_status.as_deref(),
                state: state.as_deref(),
                limit: *limit,
                offset: *offset,
            };
            return rollout_failures::devices(out, ctx, rollout_id, &filter).await;
        }
        RolloutCommand::Wait {
            rollout_id,
            until,
            timeout,
            interval,
        } => {
            let timeout = parse_duration(timeout)?;
            return wait(out, ctx, rollout_id, *until, timeout, *interval).await;
        }
        RolloutCommand::Status { rollout_id } => client.rollout(rollout_id).await?,
        RolloutCommand::Pause { rollout_id } => {
            act(ctx, cache()?, rollout_id, RolloutAct::Pause).await?
        }
        RolloutCommand::Resume { rollout_id } => {
            act(ctx, cache()?, rollout_id, RolloutAct::Resume).await?
        }
        RolloutCommand::Advance {
            rollout_id,
            canary_percent,
        } => {
            act(
                ctx,
                cache()?,
                rollout_id,
                RolloutAct::Advance(*canary_percent),
            )
            .await?
        }
        RolloutCommand::Rollback { rollout_id } => {
            act(ctx, cache()?, rollout_id, RolloutAct::Rollback).await?
        }
        RolloutCommand::Cancel { rollout_id } => {
            act(ctx, cache()?, rollout_id, RolloutAct::Cancel).await?
        }
    };
    if let RolloutCommand::Status { .. } = cmd {
        // A status read is cached when the token names its tenant (the cache is per tenant).
        if let Ok(cache) = ctx.open_cache() {
            store_rollout(&cache, &ctx.connection_id, &rollout)?;
        }
    }
    out.result(&json!({"rollout": rollout}), || describe(&rollout))?;
    Ok(OK)
}

fn session<'a>(client: &'a Client, cache: &'a Mutex<Cache>, ctx: &'a Context) -> Session<'a> {
    Session {
        client,
        cache,
        connection_id: &ctx.connection_id,
    }
}

/// `ops::rollouts::act` with this command's client.
async fn act(
    ctx: &Context,
    cache: Mutex<Cache>,
    id: &str,
    what: RolloutAct,
) -> Result<Rollout, Failure> {
    Ok(ops::rollouts::act(session(&ctx.client, &cache, ctx), id, what).await?)
}

/// Every rollout, newest first: synced into the cache (only what changed since the last
/// sync), or the cached list with its age when the server is unreachable.
async fn list(out: Output, ctx: &Context) -> Result<u8, Failure> {
    let cache = ctx.open_cache()?;
    let conn = ctx.connection_id.as_str();
    let cached = cached::read(
        ctx,
        &cache,
        Collection::Rollouts,
        sync_rollouts(&ctx.client, &cache, conn),
        |c| c.rollout_summaries(conn),
    )
    .await?;
    cached::print_list(out, "rollouts", &cached, |r| {
        format!(
            "{}  {} {}  {}  {}  {}",
            r.rollout_id,
            r.package_id,
            r.package_version,
            state_words(r.status, r.outcome),
            counters(&r.counters),
            r.created_at
        )
    })?;
    Ok(OK)
}

/// Polls the rollout until `until` is met or `timeout` passes; one line on stderr per change.
async fn wait(
    out: Output,
    ctx: &Context,
    rollout_id: &str,
    until: WaitUntil,
    timeout: Duration,
    interval: u64,
) -> Result<u8, Failure> {
    let started = Instant::now();
    let mut last_line = String::new();
    loop {
        let rollout = ctx.client.rollout(rollout_id).await?;
        let s = &rollout.summary;
        let line = format!(
            "rollout {}: {}; {}",
            s.rollout_id,
            state_words(s.status, s.outcome),
            counters(&s.counters)
        );
        if line != last_line {
            eprintln!("{line}");
            last_line = line;
        }
        let done = match until {
            // A cancelled rollout never completes: waiting for it ends too.
            WaitUntil::Completed => s.status.is_terminal(),
            WaitUntil::Paused | WaitUntil::AnyFinal => {
                s.status.is_terminal() || s.status == RolloutStatus::Paused
            }
        };
        let timed_out = started.elapsed() >= timeout;
        if done || timed_out {
            let code = if done {
                final_code(s.status, s.outcome).unwrap_or(OK)
            } else {
                exit::TIMED_OUT
            };
            if let Ok(cache) = ctx.open_cache() {
                store_rollout(&cache, &ctx.connection_id, &rollout)?;
            }
            out.result(
                &json!({"rollout": rollout, "timed_out": !done, "exit_code": code}),
                || {
                    let mut text = describe(&rollout);
                    if !done {
                        text.push_str(&format!(
                            "\ngave up waiting after {} s (--timeout)",
                            timeout.as_secs()
                        ));
                    }
                    text
                },
            )?;
            return Ok(code);
        }
        let left = timeout.saturating_sub(started.elapsed());
        tokio::time::sleep(Duration::from_secs(interval.max(1)).min(left)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        for bad in ["", "m", "1.5h", "10d", "-1"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn states_read_as_words() {
        assert_eq!(
            state_words(RolloutStatus::RollingBack, None),
            "rolling back"
        );
        assert_eq!(
            state_words(RolloutStatus::Completed, Some(RolloutOutcome::SomeFailed)),
            "completed (some devices failed)"
        );
        assert_eq!(
            final_code(RolloutStatus::Completed, Some(RolloutOutcome::Succeeded)),
            Some(10)
        );
        assert_eq!(final_code(RolloutStatus::Paused, None), Some(13));
        assert_eq!(final_code(RolloutStatus::Active, None), None);
        let c = DeviceCounters {
            successful: 3,
            failed: 1,
            ..DeviceCounters::default()
        };
        assert_eq!(counters(&c), "3 succeeded, 1 failed");
    }
}
