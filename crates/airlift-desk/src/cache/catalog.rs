//! Packages, rollouts and rollout transition history.
//!
//! These lists are small (hundreds, not hundreds of thousands), so they are read whole, newest
//! first; only devices need keyset paging.

use std::str::FromStr;

use airlift_core::package::PackageType;
use airlift_core::payload::PayloadType;
use airlift_core::rollout::RolloutStatus;
use rusqlite::types::Type;
use rusqlite::{params, OptionalExtension as _, Row};

use super::rows::{PackageRow, RolloutRow, RolloutTransitionRow};
use super::{get_u64, to_sql_u64, Cache, UpsertStats};
use crate::error::DeskError;

const PACKAGE_COLUMNS: &str = "id, type, version, device_type, min_version, size_bytes, sha256, \
                               signature_status, created_at, release_notes, payload_type, stored_encrypted, \
                               storage_key";

const ROLLOUT_COLUMNS: &str = "id, package_id, status, counters, created_at, updated_at";

impl Cache {
    pub fn upsert_packages(
        &mut self,
        connection_id: &str,
        rows: &[PackageRow],
    ) -> Result<UpsertStats, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save packages", &err);
        let sizes = rows
            .iter()
            .map(|p| to_sql_u64("size_bytes", p.size_bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let tx = self.conn.transaction().map_err(fail)?;
        let mut stats = UpsertStats::default();
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO packages (connection_id, id, type, version, device_type, min_version,
                                           size_bytes, sha256, signature_status, created_at,
                                           release_notes, payload_type, stored_encrypted,
                                           storage_key)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                     ON CONFLICT (connection_id, id) DO UPDATE SET
                         type = excluded.type, version = excluded.version,
                         device_type = excluded.device_type, min_version = excluded.min_version,
                         size_bytes = excluded.size_bytes, sha256 = excluded.sha256,
                         signature_status = excluded.signature_status,
                         created_at = excluded.created_at, release_notes = excluded.release_notes,
                         payload_type = excluded.payload_type,
                         stored_encrypted = excluded.stored_encrypted,
                         storage_key = COALESCE(excluded.storage_key, packages.storage_key)
                     WHERE (packages.type, packages.version, packages.device_type,
                            packages.size_bytes, packages.sha256, packages.signature_status,
                            packages.created_at) IS NOT (excluded.type, excluded.version,
                            excluded.device_type, excluded.size_bytes, excluded.sha256,
                            excluded.signature_status, excluded.created_at)
                        OR packages.min_version IS NOT excluded.min_version
                        OR packages.release_notes IS NOT excluded.release_notes
                        OR packages.payload_type IS NOT excluded.payload_type
                        OR packages.stored_encrypted IS NOT excluded.stored_encrypted
                        OR packages.storage_key IS NOT COALESCE(excluded.storage_key, packages.storage_key)",
                )
                .map_err(fail)?;
            for (p, size) in rows.iter().zip(sizes) {
                let changed = stmt
                    .execute(params![
                        connection_id,
                        p.id,
                        p.package_type.as_str(),
                        p.version,
                        p.device_type,
                        p.min_version,
                        size,
                        p.sha256,
                        p.signature_status,
                        p.created_at,
                        p.release_notes,
                        p.payload_type.as_str(),
                        p.stored_encrypted,
                        p.storage_key,
                    ])
                    .map_err(fail)?;
                count(&mut stats, changed);
            }
        }
        tx.commit().map_err(fail)?;
        Ok(stats)
    }

    /// Every cached package, newest first.
    pub fn packages(&self, connection_id: &str) -> Result<Vec<PackageRow>, DeskError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {PACKAGE_COLUMNS} FROM packages WHERE connection_id = ?1
                 ORDER BY created_at DESC, id"
            ))
            .and_then(|mut stmt| stmt.query_map([connection_id], package_from_row)?.collect())
            .map_err(|err| DeskError::cache("list packages", &err))
    }

    pub fn package(&self, connection_id: &str, id: &str) -> Result<Option<PackageRow>, DeskError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {PACKAGE_COLUMNS} FROM packages WHERE connection_id = ?1 AND id = ?2"
            ))
            .and_then(|mut stmt| {
                stmt.query_row([connection_id, id], package_from_row)
                    .optional()
            })
            .map_err(|err| DeskError::cache("read a package", &err))
    }

    pub fn upsert_rollouts(
        &mut self,
        connection_id: &str,
        rows: &[RolloutRow],
    ) -> Result<UpsertStats, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save rollouts", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut stats = UpsertStats::default();
        {
            // counters are compared as JSON text; serde_json writes maps in a stable order.
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO rollouts (connection_id, id, package_id, status, counters,
                                           created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (connection_id, id) DO UPDATE SET
                         package_id = excluded.package_id, status = excluded.status,
                         counters = excluded.counters, created_at = excluded.created_at,
                         updated_at = excluded.updated_at
                     WHERE (rollouts.package_id, rollouts.status, rollouts.counters,
                            rollouts.created_at, rollouts.updated_at)
                        IS NOT (excluded.package_id, excluded.status, excluded.counters,
                                excluded.created_at, excluded.updated_at)",
                )
                .map_err(fail)?;
            for r in rows {
                let changed = stmt
                    .execute(params![
                        connection_id,
                        r.id,
                        r.package_id,
                        r.status.as_str(),
                        r.counters.to_string(),
                        r.created_at,
                        r.updated_at,
                    ])
                    .map_err(fail)?;
                count(&mut stats, changed);
            }
        }
        tx.commit().map_err(fail)?;
        Ok(stats)
    }

    /// Every cached rollout, newest first.
    pub fn rollouts(&self, connection_id: &str) -> Result<Vec<RolloutRow>, DeskError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {ROLLOUT_COLUMNS} FROM rollouts WHERE connection_id = ?1
                 ORDER BY created_at DESC, id"
            ))
            .and_then(|mut stmt| stmt.query_map([connection_id], rollout_from_row)?.collect())
            .map_err(|err| DeskError::cache("list rollouts", &err))
    }

    pub fn rollout(&self, connection_id: &str, id: &str) -> Result<Option<RolloutRow>, DeskError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {ROLLOUT_COLUMNS} FROM rollouts WHERE connection_id = ?1 AND id = ?2"
            ))
            .and_then(|mut stmt| {
                stmt.query_row([connection_id, id], rollout_from_row)
                    .optional()
            })
            .map_err(|err| DeskError::cache("read a rollout", &err))
    }

    /// Records transitions; ones already cached are ignored. Returns how many were new.
    pub fn append_rollout_transitions(
        &mut self,
        connection_id: &str,
        rows: &[RolloutTransitionRow],
    ) -> Result<usize, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save rollout history", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut added = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO rollout_transitions
                         (connection_id, rollout_id, at, from_status, to_status, reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(fail)?;
            for t in rows {
                added += stmt
                    .execute(params![
                        connection_id,
                        t.rollout_id,
                        t.at,
                        t.from_status.map(RolloutStatus::as_str),
                        t.to_status.as_str(),
                        t.reason,
                    ])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)?;
        Ok(added)
    }

    /// A rollout's status history, oldest first.
    pub fn rollout_transitions(
        &self,
        connection_id: &str,
        rollout_id: &str,
    ) -> Result<Vec<RolloutTransitionRow>, DeskError> {
        self.conn
            .prepare_cached(
                "SELECT rollout_id, at, from_status, to_status, reason FROM rollout_transitions
                 WHERE connection_id = ?1 AND rollout_id = ?2 ORDER BY at, to_status",
            )
            .and_then(|mut stmt| {
                stmt.query_map([connection_id, rollout_id], |row| {
                    let from: Option<String> = row.get(2)?;
                    Ok(RolloutTransitionRow {
                        rollout_id: row.get(0)?,
                        at: row.get(1)?,
                        from_status: from.map(|s| parse_column(2, &s)).transpose()?,
                        to_status: parse_column(3, &row.get::<_, String>(3)?)?,
                        reason: row.get(4)?,
                    })
                })?
                .collect()
            })
            .map_err(|err| DeskError::cache("read rollout history", &err))
    }
}

fn count(stats: &mut UpsertStats, changed: usize) {
    if changed > 0 {
        stats.written += 1;
    } else {
        stats.unchanged += 1;
    }
}

fn package_from_row(row: &Row<'_>) -> rusqlite::Result<PackageRow> {
    Ok(PackageRow {
        id: row.get(0)?,
        package_type: parse_column::<PackageType>(1, &row.get::<_, String>(1)?)?,
        version: row.get(2)?,
        device_type: row.get(3)?,
        min_version: row.get(4)?,
        size_bytes: get_u64(row, 5)?,
        sha256: row.get(6)?,
        signature_status: row.get(7)?,
        created_at: row.get(8)?,
        release_notes: row.get(9)?,
        payload_type: parse_column::<PayloadType>(10, &row.get::<_, String>(10)?)?,
        stored_encrypted: row.get(11)?,
        storage_key: row.get(12)?,
    })
}

fn rollout_from_row(row: &Row<'_>) -> rusqlite::Result<RolloutRow> {
    let counters: String = row.get(3)?;
    Ok(RolloutRow {
        id: row.get(0)?,
        package_id: row.get(1)?,
        status: parse_column(2, &row.get::<_, String>(2)?)?,
        counters: serde_json::from_str(&counters).map_err(|err| {
            rusqlite::Error::FromSqlConversionFailure(3, Type::Text, Box::new(err))
        })?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

/// Parses a text column into a core enum; a value we never wrote means a damaged row.
fn parse_column<T>(idx: usize, value: &str) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    value
        .parse()
        .map_err(|err| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(err)))
}
