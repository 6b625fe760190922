//! The dashboard: the rollouts still under way with their health and pauses, the fleet's
//! firmware versions per device type, the recent auto-pauses, and what the cache holds. Read
//! from the cache first (the start screen paints without the network), then refreshed.

use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::RolloutSummary;
use serde::Serialize;

use super::Session;
use crate::cache::rows::FleetVersionRow;
use crate::cache::{Cache, Collection, PauseRow};
use crate::error::DeskError;
use crate::sync::{
    read_through, sync_fleet_versions, sync_profiles, sync_rollouts, Cached, SyncReport,
};

/// How many recent auto-pauses the dashboard lists.
pub const RECENT_PAUSES: u32 = 5;

/// A rollout that has not finished, with its latest pause when it is paused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnfinishedRollout {
    pub summary: RolloutSummary,
    /// Set while the rollout is paused: when, and whether it paused itself.
    pub pause: Option<PauseRow>,
}

/// Everything the dashboard shows but the cache counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    /// Scheduled, active, paused and rolling-back rollouts, newest first.
    pub rollouts: Vec<UnfinishedRollout>,
    /// The newest automatic pauses of any rollout, newest first.
    pub auto_pauses: Vec<PauseRow>,
    pub fleet_versions: Vec<FleetVersionRow>,
    /// When the fleet versions were last read from the server (Unix ms).
    pub fleet_synced_at_ms: Option<i64>,
}

/// The dashboard from the cache alone.
pub fn overview(cache: &Cache, connection_id: &str) -> Result<Overview, DeskError> {
    let mut rollouts = Vec::new();
    for summary in cache.unfinished_rollout_summaries(connection_id)? {
        let pause = if summary.status == RolloutStatus::Paused {
            cache.latest_pause(connection_id, &summary.rollout_id)?
        } else {
            None
        };
        rollouts.push(UnfinishedRollout { summary, pause });
    }
    Ok(Overview {
        rollouts,
        auto_pauses: cache.recent_auto_pauses(connection_id, RECENT_PAUSES)?,
        fleet_versions: cache.fleet_versions(connection_id)?,
        fleet_synced_at_ms: cache.synced_at_ms(connection_id, Collection::FleetVersions)?,
    })
}

/// Syncs the rollouts (what changed), the profiles they target (so each is named, offline
/// too) and the fleet versions, then reads the dashboard from the cache; offline, the cached
/// dashboard with the reason.
pub async fn refresh(s: Session<'_>) -> Result<Cached<Overview>, DeskError> {
    let sync = async {
        let rollouts = sync_rollouts(s.client, s.cache, s.connection_id).await?;
        sync_profiles(s.client, s.cache, s.connection_id).await?;
        sync_fleet_versions(s.client, s.cache, s.connection_id).await?;
        Ok::<SyncReport, DeskError>(rollouts)
    };
    read_through(s.cache, s.connection_id, Collection::Rollouts, sync, |c| {
        overview(c, s.connection_id)
    })
    .await
}
