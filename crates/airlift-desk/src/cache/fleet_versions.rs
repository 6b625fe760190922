//! The fleet's firmware versions per device type, as the server last counted them (the
//! dashboard's chart), replaced whole at each sync.

use rusqlite::params;

use super::rows::FleetVersionRow;
use super::{get_u64, to_sql_u64, Cache};
use crate::error::DeskError;

impl Cache {
    /// Replaces the cached counts of `connection_id` with `rows`, in one transaction.
    pub fn replace_fleet_versions(
        &mut self,
        connection_id: &str,
        rows: &[FleetVersionRow],
    ) -> Result<(), DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save the fleet versions", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        tx.execute(
            "DELETE FROM fleet_versions WHERE connection_id = ?1",
            [connection_id],
        )
        .map_err(fail)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO fleet_versions
                         (connection_id, device_type, firmware_version, devices)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(fail)?;
            for r in rows {
                stmt.execute(params![
                    connection_id,
                    r.device_type,
                    r.firmware_version,
                    to_sql_u64("devices", r.devices)?
                ])
                .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }

    /// The cached counts: by device type, then most devices first.
    pub fn fleet_versions(&self, connection_id: &str) -> Result<Vec<FleetVersionRow>, DeskError> {
        self.conn
            .prepare_cached(
                "SELECT device_type, firmware_version, devices FROM fleet_versions
                 WHERE connection_id = ?1
                 ORDER BY device_type, devices DESC, firmware_version",
            )
            .and_then(|mut stmt| {
                stmt.query_map([connection_id], |row| {
                    Ok(FleetVersionRow {
                        device_type: row.get(0)?,
                        firmware_version: row.get(1)?,
                        devices: get_u64(row, 2)?,
                    })
                })?
                .collect()
            })
            .map_err(|err| DeskError::cache("read the fleet versions", &err))
    }
}
