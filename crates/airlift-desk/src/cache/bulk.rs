//! The first sync of a large fleet: device rows first, their secondary indexes after.
//!
//! A sync writes devices in transactions of 10,000 rows so the UI can read in between. Device
//! names arrive in no particular order, so every such transaction touches most leaf pages of
//! the name index, and WAL mode writes every touched page again at every commit: loading a
//! million devices that way costs about 100 times the size of the index in writes (measured:
//! 3× slower than one INSERT of the same rows, bench/RESULTS-desk.md). When the devices table
//! is empty, the sync instead drops the secondary indexes, appends rows (ids arrive roughly
//! in order, so the table itself grows at its end), and builds the indexes once at the end by
//! sorting, which is what SQLite's CREATE INDEX does best.
//!
//! Until they are back, name-ordered lists and searches still work, by scanning (the loading
//! cache is incomplete anyway). If the app stops before the end, [`ensure_device_indexes`] puts
//! them back when the cache is next opened.

use rusqlite::Connection;

use super::Cache;
use crate::error::DeskError;

/// The devices table's secondary indexes, exactly as the migrations leave them (0006 replaced
/// those of 0001 and 0004; a test compares the two).
const DEVICE_INDEXES: &[(&str, &str)] = &[
    (
        "devices_by_name",
        "CREATE INDEX IF NOT EXISTS devices_by_name ON devices (connection_id, name_key, id, name)",
    ),
    // The version and OTA state filters, in list order.
    (
        "devices_by_version",
        "CREATE INDEX IF NOT EXISTS devices_by_version ON devices (connection_id, firmware_version, name_key, id, name)",
    ),
    (
        "devices_by_state",
        "CREATE INDEX IF NOT EXISTS devices_by_state ON devices (connection_id, ota_status, name_key, id, name)",
    ),
];

/// Recreates any missing device index (after a bulk load that did not finish). Cheap when they
/// exist.
pub(super) fn ensure_device_indexes(conn: &Connection) -> rusqlite::Result<()> {
    for (_, create) in DEVICE_INDEXES {
        conn.execute_batch(create)?;
    }
    Ok(())
}

impl Cache {
    /// Whether any device of `connection_id` is cached.
    pub fn has_devices(&self, connection_id: &str) -> Result<bool, DeskError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE connection_id = ?1)",
                [connection_id],
                |row| row.get(0),
            )
            .map_err(|err| DeskError::cache("look for cached devices", &err))
    }

    /// Starts a bulk load if the devices table is empty (for every connection): drops the
    /// secondary indexes until [`Cache::end_device_bulk_load`]. Returns whether it did.
    pub fn begin_device_bulk_load(&mut self) -> Result<bool, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("prepare a bulk load", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        let empty: bool = tx
            .query_row("SELECT NOT EXISTS (SELECT 1 FROM devices)", [], |row| {
                row.get(0)
            })
            .map_err(fail)?;
        if !empty {
            return Ok(false);
        }
        for (name, _) in DEVICE_INDEXES {
            tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))
                .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        self.device_indexes_deferred = true;
        Ok(true)
    }

    /// Ends a bulk load: builds the device indexes (a no-op when they exist).
    pub fn end_device_bulk_load(&mut self) -> Result<(), DeskError> {
        ensure_device_indexes(&self.conn)
            .map_err(|err| DeskError::cache("index the devices", &err))?;
        self.device_indexes_deferred = false;
        Ok(())
    }
}
