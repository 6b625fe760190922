//! A rollout's progress over time and its failure reasons as last fetched (see
//! `migrations/0013_rollout_analytics.sql`), so the rollout view draws its chart and lists its
//! reasons offline too.

use airlift_core::wire::{FailureReason, TimelinePoint};
use rusqlite::{params, OptionalExtension as _};

use super::Cache;
use crate::error::DeskError;

/// A copy as last fetched, and when (Unix ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched<T> {
    pub data: T,
    pub synced_at_ms: i64,
}

impl Cache {
    /// Saves a rollout's timeline as the server answered it (oldest first). Points of past
    /// minutes never change, so only those from the newest one cached on are written; points
    /// the server no longer answers (older than its week) go.
    pub fn save_rollout_timeline(
        &mut self,
        connection_id: &str,
        rollout_id: &str,
        points: &[TimelinePoint],
        synced_at_ms: i64,
    ) -> Result<(), DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save a rollout's timeline", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        {
            match (points.first(), points.last()) {
                (Some(first), Some(last)) => tx
                    .execute(
                        "DELETE FROM rollout_timeline WHERE connection_id = ?1 AND rollout_id = ?2
                           AND (at < ?3 OR at > ?4)",
                        params![connection_id, rollout_id, first.at, last.at],
                    )
                    .map_err(fail)?,
                _ => tx
                    .execute(
                        "DELETE FROM rollout_timeline WHERE connection_id = ?1 AND rollout_id = ?2",
                        params![connection_id, rollout_id],
                    )
                    .map_err(fail)?,
            };
            let newest: Option<String> = tx
                .query_row(
                    "SELECT MAX(at) FROM rollout_timeline WHERE connection_id = ?1 AND rollout_id = ?2",
                    params![connection_id, rollout_id],
                    |row| row.get(0),
                )
                .map_err(fail)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO rollout_timeline
                         (connection_id, rollout_id, at, succeeded, failed, in_progress, pending)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (connection_id, rollout_id, at) DO UPDATE SET
                         succeeded = excluded.succeeded, failed = excluded.failed,
                         in_progress = excluded.in_progress, pending = excluded.pending",
                )
                .map_err(fail)?;
            let from = newest.as_deref().unwrap_or("");
            for p in points.iter().filter(|p| p.at.as_str() >= from) {
                insert
                    .execute(params![
                        connection_id,
                        rollout_id,
                        p.at,
                        count(p.succeeded),
                        count(p.failed),
                        count(p.in_progress),
                        count(p.pending)
                    ])
                    .map_err(fail)?;
            }
        }
        mark(
            &tx,
            connection_id,
            rollout_id,
            "timeline_synced_ms",
            synced_at_ms,
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)
    }

    /// A rollout's timeline as last fetched, oldest first (`None`: never fetched).
    pub fn rollout_timeline(
        &self,
        connection_id: &str,
        rollout_id: &str,
    ) -> Result<Option<Fetched<Vec<TimelinePoint>>>, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("read a rollout's timeline", &err);
        let Some(synced_at_ms) =
            synced(self, connection_id, rollout_id, "timeline_synced_ms").map_err(fail)?
        else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, succeeded, failed, in_progress, pending FROM rollout_timeline
                 WHERE connection_id = ?1 AND rollout_id = ?2 ORDER BY at",
            )
            .map_err(fail)?;
        let data = stmt
            .query_map(params![connection_id, rollout_id], |row| {
                Ok(TimelinePoint {
                    at: row.get(0)?,
                    succeeded: uncount(row.get(1)?),
                    failed: uncount(row.get(2)?),
                    in_progress: uncount(row.get(3)?),
                    pending: uncount(row.get(4)?),
                })
            })
            .map_err(fail)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?;
        Ok(Some(Fetched { data, synced_at_ms }))
    }

    /// Replaces a rollout's failure reasons with the server's answer (largest first).
    pub fn save_rollout_failures(
        &mut self,
        connection_id: &str,
        rollout_id: &str,
        reasons: &[FailureReason],
        synced_at_ms: i64,
    ) -> Result<(), DeskError> {
        let fail =
            |err: rusqlite::Error| DeskError::cache("save a rollout's failure reasons", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        tx.execute(
            "DELETE FROM rollout_failure_reasons WHERE connection_id = ?1 AND rollout_id = ?2",
            params![connection_id, rollout_id],
        )
        .map_err(fail)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO rollout_failure_reasons
                         (connection_id, rollout_id, rank, reason, status, count, samples, example)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(fail)?;
            for (rank, r) in reasons.iter().enumerate() {
                let samples = serde_json::to_string(&r.sample_device_ids).map_err(|err| {
                    DeskError::internal(format!("cannot encode failure samples: {err}"))
                })?;
                insert
                    .execute(params![
                        connection_id,
                        rollout_id,
                        rank as i64,
                        r.reason,
                        r.status,
                        count(r.count),
                        samples,
                        r.example_message
                    ])
                    .map_err(fail)?;
            }
        }
        mark(
            &tx,
            connection_id,
            rollout_id,
            "failures_synced_ms",
            synced_at_ms,
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)
    }

    /// A rollout's failure reasons as last fetched, largest first (`None`: never fetched).
    pub fn rollout_failures(
        &self,
        connection_id: &str,
        rollout_id: &str,
    ) -> Result<Option<Fetched<Vec<FailureReason>>>, DeskError> {
        let fail =
            |err: rusqlite::Error| DeskError::cache("read a rollout's failure reasons", &err);
        let Some(synced_at_ms) =
            synced(self, connection_id, rollout_id, "failures_synced_ms").map_err(fail)?
        else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT reason, status, count, samples, example FROM rollout_failure_reasons
                 WHERE connection_id = ?1 AND rollout_id = ?2 ORDER BY rank",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map(params![connection_id, rollout_id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(fail)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?;
        let data = rows
            .into_iter()
            .map(|(reason, status, n, samples, example_message)| {
                Ok(FailureReason {
                    reason,
                    status,
                    count: uncount(n),
                    sample_device_ids: serde_json::from_str(&samples).map_err(|err| {
                        DeskError::new(
                            crate::DeskErrorCode::CacheCorrupt,
                            format!("cached failure samples are unreadable ({err}); resync to replace them"),
                        )
                    })?,
                    example_message,
                })
            })
            .collect::<Result<Vec<_>, DeskError>>()?;
        Ok(Some(Fetched { data, synced_at_ms }))
    }
}

/// Records when one of a rollout's analytics was fetched (`column` is one of two literals).
fn mark(
    tx: &rusqlite::Transaction<'_>,
    connection_id: &str,
    rollout_id: &str,
    column: &'static str,
    at_ms: i64,
) -> rusqlite::Result<usize> {
    tx.execute(
        &format!(
            "INSERT INTO rollout_analytics (connection_id, rollout_id, {column}) VALUES (?1, ?2, ?3)
             ON CONFLICT (connection_id, rollout_id) DO UPDATE SET {column} = excluded.{column}"
        ),
        params![connection_id, rollout_id, at_ms],
    )
}

fn synced(
    cache: &Cache,
    connection_id: &str,
    rollout_id: &str,
    column: &'static str,
) -> rusqlite::Result<Option<i64>> {
    Ok(cache
        .conn
        .query_row(
            &format!(
                "SELECT {column} FROM rollout_analytics WHERE connection_id = ?1 AND rollout_id = ?2"
            ),
            params![connection_id, rollout_id],
            |row| row.get::<_, Option<i64>>(0),
        )
        .optional()?
        .flatten())
}

/// SQLite integers are signed; a device count never comes near 2^63.
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn uncount(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
