//! Each device's OTA record (seed 001: current and target version, status, progress, last
//! update) and the counts behind the device search's version and state filters.
//!
//! The server's device list does not carry OTA state; the rollouts do (`GET
//! /ota/rollouts/{id}/devices`). The record written here is the one of the newest rollout that
//! included the device, so an older rollout synced later never hides a newer one's state.

use rusqlite::{params, OptionalExtension as _};
use serde::{Deserialize, Serialize};

use super::Cache;
use crate::error::DeskError;

/// One device's state in its newest rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceOta {
    pub device_id: String,
    pub rollout_id: String,
    /// The rollout's creation time: which of two rollouts is newer.
    pub rollout_created_at: String,
    /// The version the rollout moves the device to (the rollback package's while rolling back).
    pub target_version: Option<String>,
    /// Seed 001's status: `idle`, `updating`, `completed` or `failed`.
    pub ota_status: String,
    /// The rollout's finer per-device state (`command_sent`, `in_progress`, `timed_out`, ...).
    pub rollout_state: Option<String>,
    pub progress: Option<u8>,
    /// The last install status the device reported (seed 002) and its message.
    pub last_status: Option<String>,
    pub last_message: Option<String>,
    pub last_update_at: Option<String>,
}

/// How many cached devices have each value of a filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// The filter choices of the device search, with counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFacets {
    pub total: u64,
    /// Firmware versions, most devices first.
    pub versions: Vec<FacetCount>,
    /// OTA states, most devices first.
    pub states: Vec<FacetCount>,
}

// Only the newest rollout's state is kept: the row is updated when it has no rollout yet, the
// same rollout, or one created no later than this one.
const SET_OTA: &str = "
    UPDATE devices SET
        rollout_id = ?3, target_version = ?5, ota_status = ?6, rollout_state = ?7,
        progress = ?8, last_status = ?9, last_message = ?10, last_update_at = ?11
    WHERE connection_id = ?1 AND id = ?2
      AND (rollout_id IS NULL OR rollout_id = ?3
           OR COALESCE((SELECT created_at FROM rollouts r
                        WHERE r.connection_id = ?1 AND r.id = devices.rollout_id), '') <= ?4)";

impl Cache {
    /// Records devices' OTA states in one transaction; returns how many rows changed (devices
    /// not cached yet, or owned by a newer rollout, are skipped).
    pub fn set_device_ota(
        &mut self,
        connection_id: &str,
        records: &[DeviceOta],
    ) -> Result<usize, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save device OTA states", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut changed = 0;
        {
            let mut stmt = tx.prepare_cached(SET_OTA).map_err(fail)?;
            for r in records {
                changed += stmt
                    .execute(params![
                        connection_id,
                        r.device_id,
                        r.rollout_id,
                        r.rollout_created_at,
                        r.target_version,
                        r.ota_status,
                        r.rollout_state,
                        r.progress,
                        r.last_status,
                        r.last_message,
                        r.last_update_at,
                    ])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)?;
        Ok(changed)
    }

    /// The device's cached OTA record, if a rollout ever included it.
    pub fn device_ota(
        &self,
        connection_id: &str,
        device_id: &str,
    ) -> Result<Option<DeviceOta>, DeskError> {
        self.conn
            .prepare_cached(
                "SELECT d.id, d.rollout_id, COALESCE(r.created_at, ''), d.target_version,
                        COALESCE(d.ota_status, 'idle'), d.rollout_state, d.progress,
                        d.last_status, d.last_message, d.last_update_at
                 FROM devices d
                 LEFT JOIN rollouts r ON r.connection_id = d.connection_id AND r.id = d.rollout_id
                 WHERE d.connection_id = ?1 AND d.id = ?2 AND d.rollout_id IS NOT NULL",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![connection_id, device_id], |row| {
                    Ok(DeviceOta {
                        device_id: row.get(0)?,
                        rollout_id: row.get(1)?,
                        rollout_created_at: row.get(2)?,
                        target_version: row.get(3)?,
                        ota_status: row.get(4)?,
                        rollout_state: row.get(5)?,
                        progress: row.get(6)?,
                        last_status: row.get(7)?,
                        last_message: row.get(8)?,
                        last_update_at: row.get(9)?,
                    })
                })
                .optional()
            })
            .map_err(|err| DeskError::cache("read a device's OTA state", &err))
    }

    /// Versions and states with their device counts (each a scan of its covering index).
    pub fn device_facets(&self, connection_id: &str) -> Result<DeviceFacets, DeskError> {
        let counts = |column: &str| -> Result<Vec<FacetCount>, DeskError> {
            self.conn
                .prepare_cached(&format!(
                    "SELECT {column}, count(*) AS n FROM devices
                     WHERE connection_id = ?1 AND {column} IS NOT NULL
                     GROUP BY {column} ORDER BY n DESC, {column}"
                ))
                .and_then(|mut stmt| {
                    stmt.query_map([connection_id], |row| {
                        Ok(FacetCount {
                            value: row.get(0)?,
                            count: super::get_u64(row, 1)?,
                        })
                    })?
                    .collect()
                })
                .map_err(|err| DeskError::cache("count devices per filter value", &err))
        };
        Ok(DeviceFacets {
            total: self.count_devices(connection_id)?,
            versions: counts("firmware_version")?,
            states: counts("ota_status")?,
        })
    }
}
