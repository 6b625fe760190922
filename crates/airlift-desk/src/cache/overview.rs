//! What the dashboard reads from the cache besides the lists: how much of each kind is cached
//! (and when it was synced), the rollouts' pauses from their cached status histories.

use airlift_core::wire::RolloutSummary;
use rusqlite::{params, OptionalExtension as _};
use serde::Serialize;

use super::{get_u64, Cache, Collection};
use crate::error::DeskError;

/// How many rows of one kind the cache holds for a connection, and when they were synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CachedCount {
    pub collection: Collection,
    pub count: u64,
    pub synced_at_ms: Option<i64>,
}

/// A pause in a rollout's cached history: when, and whether the failure threshold paused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PauseRow {
    pub rollout_id: String,
    pub at: String,
    /// The rollout paused itself (its failure rate reached the threshold).
    pub automatic: bool,
}

/// The kinds the dashboard lists, with the table that holds each.
const KINDS: &[(Collection, &str)] = &[
    (Collection::Packages, "packages"),
    (Collection::Rollouts, "rollouts"),
    (Collection::Devices, "devices"),
    (Collection::DeviceHistory, "device_history"),
    (Collection::FleetVersions, "fleet_versions"),
    (Collection::Audit, "audit_entries"),
];

/// How the cache records an automatic pause (`transition_rows`: "{trigger} by {actor}").
const AUTO_PAUSE: &str = "auto_pause by ";

impl Cache {
    /// The cached summaries of rollouts that have not finished (not completed, not cancelled),
    /// newest first: the dashboard reads these few, not every rollout ever made.
    pub fn unfinished_rollout_summaries(
        &self,
        connection_id: &str,
    ) -> Result<Vec<RolloutSummary>, DeskError> {
        let texts: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT summary FROM rollouts
                 WHERE connection_id = ?1 AND summary IS NOT NULL
                   AND status NOT IN ('completed', 'cancelled')
                 ORDER BY created_at DESC, id",
            )
            .and_then(|mut stmt| stmt.query_map([connection_id], |row| row.get(0))?.collect())
            .map_err(|err| DeskError::cache("list the unfinished rollouts", &err))?;
        texts
            .iter()
            .map(|t| {
                serde_json::from_str(t).map_err(|err| {
                    DeskError::new(
                        crate::DeskErrorCode::CacheCorrupt,
                        format!("a cached rollout is unreadable ({err}); resync to replace it"),
                    )
                })
            })
            .collect()
    }

    /// Rows per kind and the kind's last sync, for the dashboard's "offline" panel.
    pub fn cached_counts(&self, connection_id: &str) -> Result<Vec<CachedCount>, DeskError> {
        KINDS
            .iter()
            .map(|(collection, table)| {
                let count = self
                    .conn
                    .query_row(
                        &format!("SELECT count(*) FROM {table} WHERE connection_id = ?1"),
                        [connection_id],
                        |row| get_u64(row, 0),
                    )
                    .map_err(|err| DeskError::cache("count what is cached", &err))?;
                Ok(CachedCount {
                    collection: *collection,
                    count,
                    synced_at_ms: self.synced_at_ms(connection_id, *collection)?,
                })
            })
            .collect()
    }

    /// The newest automatic pauses of any rollout, newest first.
    pub fn recent_auto_pauses(
        &self,
        connection_id: &str,
        limit: u32,
    ) -> Result<Vec<PauseRow>, DeskError> {
        self.conn
            .prepare_cached(
                "SELECT rollout_id, at FROM rollout_transitions
                 WHERE connection_id = ?1 AND to_status = 'paused' AND substr(reason, 1, ?2) = ?3
                 ORDER BY at DESC, rollout_id LIMIT ?4",
            )
            .and_then(|mut stmt| {
                stmt.query_map(
                    params![
                        connection_id,
                        AUTO_PAUSE.len() as i64,
                        AUTO_PAUSE,
                        i64::from(limit)
                    ],
                    |row| {
                        Ok(PauseRow {
                            rollout_id: row.get(0)?,
                            at: row.get(1)?,
                            automatic: true,
                        })
                    },
                )?
                .collect()
            })
            .map_err(|err| DeskError::cache("read the recent auto-pauses", &err))
    }

    /// The rollout's latest pause in its cached history, if any.
    pub fn latest_pause(
        &self,
        connection_id: &str,
        rollout_id: &str,
    ) -> Result<Option<PauseRow>, DeskError> {
        self.conn
            .prepare_cached(
                "SELECT at, reason FROM rollout_transitions
                 WHERE connection_id = ?1 AND rollout_id = ?2 AND to_status = 'paused'
                 ORDER BY at DESC LIMIT 1",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![connection_id, rollout_id], |row| {
                    let reason: Option<String> = row.get(1)?;
                    Ok(PauseRow {
                        rollout_id: rollout_id.to_owned(),
                        at: row.get(0)?,
                        automatic: reason.is_some_and(|r| r.starts_with(AUTO_PAUSE)),
                    })
                })
                .optional()
            })
            .map_err(|err| DeskError::cache("read a rollout's pauses", &err))
    }
}
