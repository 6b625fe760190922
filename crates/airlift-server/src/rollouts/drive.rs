//! What happens automatically after every change to a rollout: a rolling rollout advances to
//! its next batch once the current batch is done and healthy enough, and every device the
//! slice covers gets its `ota_start` command while the rollout is active and its maintenance
//! window (if any) is open.

use airlift_core::error::ApiError;
use airlift_core::rollout::RolloutStatus;
use airlift_core::rollout_aggregate::{RolloutAggregate, RolloutEvent};
use airlift_core::wire::RolloutStrategy;

/// The strategy settings `drive` needs.
#[derive(Debug, Clone, Copy)]
pub struct StrategySettings {
    pub strategy: RolloutStrategy,
    pub batch_percent: Option<u32>,
    pub min_batch_success_percent: Option<u32>,
    /// Devices may be told to start now (no maintenance window, or inside it).
    pub window_open: bool,
}

/// Applies the automatic steps; returns their events (all made by `system`).
pub fn drive(
    agg: &mut RolloutAggregate,
    s: StrategySettings,
) -> Result<Vec<RolloutEvent>, ApiError> {
    let mut events = Vec::new();
    if s.strategy == RolloutStrategy::Rolling {
        while let Some(next) = next_batch(agg, s) {
            events.extend(agg.advance(next)?);
            send_commands(agg, s, &mut events)?;
        }
    }
    send_commands(agg, s, &mut events)?;
    Ok(events)
}

/// The next rolling percentage, if the current batch is finished and healthy.
///
/// "Healthy": of every device scheduled so far, at least `min_batch_success_percent` succeeded
/// (cumulative, so an early bad batch is not forgotten by later good ones).
fn next_batch(agg: &RolloutAggregate, s: StrategySettings) -> Option<u32> {
    if agg.status() != RolloutStatus::Active || agg.pending_count() == 0 {
        return None;
    }
    let c = agg.counters();
    let in_flight = c.scheduled + c.command_sent + c.in_progress;
    if in_flight > 0 || c.total() == 0 {
        return None;
    }
    let min = u128::from(s.min_batch_success_percent.unwrap_or(100));
    if u128::from(c.successful) * 100 < min * u128::from(c.total()) {
        return None;
    }
    let batch = s.batch_percent.unwrap_or(100).max(1);
    Some(agg.canary_percent().saturating_add(batch).min(100))
}

/// While active and inside the window, every scheduled device gets its command (one
/// set-based change); outside the window they wait, scheduled, for the window sweep.
fn send_commands(
    agg: &mut RolloutAggregate,
    s: StrategySettings,
    events: &mut Vec<RolloutEvent>,
) -> Result<(), ApiError> {
    if agg.status() == RolloutStatus::Active && s.window_open {
        events.extend(agg.send_commands()?);
    }
    Ok(())
}
