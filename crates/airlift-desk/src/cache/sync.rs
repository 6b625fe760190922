//! Sync bookkeeping: a server cursor and a last-synced time per collection.
//!
//! The cursor lets the next sync ask only for what changed; `synced_at` lets every cached list
//! say how old it is ("as of 4 minutes ago", or "never synced").

use std::time::Duration;

use rusqlite::{params, OptionalExtension as _};
use serde::{Deserialize, Serialize};

use super::Cache;
use crate::clock::now_ms;
use crate::error::DeskError;

/// The collections the desk syncs separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    Packages,
    Rollouts,
    Devices,
    DeviceHistory,
    /// Devices' OTA states from the rollouts' device lists.
    DeviceStates,
    /// Devices per device type and firmware version (the dashboard's chart).
    FleetVersions,
    /// The audit log pages seen.
    Audit,
}

impl Collection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Packages => "packages",
            Self::Rollouts => "rollouts",
            Self::Devices => "devices",
            Self::DeviceHistory => "device_history",
            Self::DeviceStates => "device_states",
            Self::FleetVersions => "fleet_versions",
            Self::Audit => "audit",
        }
    }
}

/// What the cache knows about the last sync of one collection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The server's cursor for the next incremental sync.
    pub cursor: Option<String>,
    /// When the last sync finished (Unix milliseconds).
    pub synced_at_ms: Option<i64>,
}

impl Cache {
    /// Records a finished sync of `collection` at the desk's current time, with the server's
    /// cursor for the next incremental sync (`None` to start over next time).
    pub fn mark_synced(
        &mut self,
        connection_id: &str,
        collection: Collection,
        cursor: Option<&str>,
    ) -> Result<(), DeskError> {
        self.mark_synced_at(connection_id, collection, cursor, now_ms())
    }

    /// [`Cache::mark_synced`] with an explicit time (Unix milliseconds), for tests and imports.
    pub fn mark_synced_at(
        &mut self,
        connection_id: &str,
        collection: Collection,
        cursor: Option<&str>,
        at_ms: i64,
    ) -> Result<(), DeskError> {
        self.conn
            .execute(
                "INSERT INTO sync_state (connection_id, collection, cursor, synced_at_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (connection_id, collection) DO UPDATE SET
                     cursor = excluded.cursor, synced_at_ms = excluded.synced_at_ms",
                params![connection_id, collection.as_str(), cursor, at_ms],
            )
            .map_err(|err| DeskError::cache("record the sync", &err))?;
        Ok(())
    }

    /// The cursor saved by the last sync of `collection`, if any.
    pub fn sync_cursor(
        &self,
        connection_id: &str,
        collection: Collection,
    ) -> Result<Option<String>, DeskError> {
        Ok(self.sync_state(connection_id, collection)?.cursor)
    }

    /// When `collection` was last synced (Unix milliseconds), or `None` if never.
    pub fn synced_at_ms(
        &self,
        connection_id: &str,
        collection: Collection,
    ) -> Result<Option<i64>, DeskError> {
        Ok(self.sync_state(connection_id, collection)?.synced_at_ms)
    }

    /// How old the cached `collection` is at `now_ms`; `None` if it was never synced. A sync
    /// time in the future (clock moved back) counts as fresh rather than negative.
    pub fn data_age(
        &self,
        connection_id: &str,
        collection: Collection,
        now_ms: i64,
    ) -> Result<Option<Duration>, DeskError> {
        Ok(self
            .synced_at_ms(connection_id, collection)?
            .map(|at| Duration::from_millis(u64::try_from(now_ms.saturating_sub(at)).unwrap_or(0))))
    }

    /// Both halves of the sync state; the default (all `None`) if never synced.
    pub fn sync_state(
        &self,
        connection_id: &str,
        collection: Collection,
    ) -> Result<SyncState, DeskError> {
        self.conn
            .query_row(
                "SELECT cursor, synced_at_ms FROM sync_state
                 WHERE connection_id = ?1 AND collection = ?2",
                params![connection_id, collection.as_str()],
                |row| {
                    Ok(SyncState {
                        cursor: row.get(0)?,
                        synced_at_ms: row.get(1)?,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|err| DeskError::cache("read the sync state", &err))
    }
}
