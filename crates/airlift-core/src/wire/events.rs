//! Live events (`GET /api/v1/events`, Server-Sent Events).

use serde::{Deserialize, Serialize};

use crate::device_counters::DeviceCounters;
use crate::rollout::{RolloutOutcome, RolloutStatus};

/// The SSE `data` of every event. Rollout transitions carry `id` (the SSE `id`: per tenant,
/// strictly increasing, replayable with `Last-Event-ID`) and the spec's `subject`
/// (`profile.ota.rollout.{kind}.{tenant}.{rollout_id}`, also the SSE `event` name).
/// `rollout.progress` events (SSE `event: rollout.progress`) are coalesced counter updates
/// with no `id`; they are not replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutEventData {
    pub id: Option<u64>,
    pub subject: String,
    /// `started`, `paused`, `resumed`, `advanced`, `rolling_back`, `completed` or `progress`.
    pub kind: String,
    pub tenant: String,
    pub rollout_id: String,
    pub status: RolloutStatus,
    /// How the rollout ended, once `completed` (the `completed` event carries it).
    #[serde(default)]
    pub outcome: Option<RolloutOutcome>,
    pub canary_percent: u32,
    pub counters: DeviceCounters,
    pub rollback_counters: Option<DeviceCounters>,
    /// The trigger of a transition (`pause`, `auto_pause`, ...); `start` for `started`.
    pub trigger: Option<String>,
    pub actor: Option<String>,
    pub at: String,
}
