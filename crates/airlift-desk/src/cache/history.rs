//! Per-device history (status reports, commands), newest first, paged by key.

use rusqlite::params;
use rusqlite::types::Type;
use serde::{Deserialize, Serialize};

use super::devices::{Page, MAX_PAGE};
use super::rows::HistoryEntryRow;
use super::Cache;
use crate::error::DeskError;

/// Where a history page ended: the last entry's time and kind (its key within the device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryCursor {
    pub at: String,
    pub kind: String,
}

impl Cache {
    /// Records history entries; entries already cached (same device, time and kind) are kept
    /// as they are, so overlapping sync windows do not duplicate lines. Returns how many were new.
    pub fn append_device_history(
        &mut self,
        connection_id: &str,
        entries: &[HistoryEntryRow],
    ) -> Result<usize, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save device history", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut added = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO device_history (connection_id, device_id, at, kind, detail)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(fail)?;
            for e in entries {
                added += stmt
                    .execute(params![
                        connection_id,
                        e.device_id,
                        e.at,
                        e.kind,
                        e.detail.to_string()
                    ])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)?;
        Ok(added)
    }

    /// One page of a device's history, newest first, continuing after `before` (the previous
    /// page's `next`). A reverse range scan of the primary key, however long the timeline.
    pub fn device_history(
        &self,
        connection_id: &str,
        device_id: &str,
        before: Option<&HistoryCursor>,
        limit: u32,
    ) -> Result<Page<HistoryEntryRow, HistoryCursor>, DeskError> {
        let limit = match limit {
            0 => 100,
            n => n.min(MAX_PAGE),
        };
        let (at, kind) = before.map_or((None, None), |c| {
            (Some(c.at.as_str()), Some(c.kind.as_str()))
        });
        let mut items = self
            .conn
            .prepare_cached(history_sql(before.is_some()))
            .and_then(|mut stmt| {
                stmt.query_map(
                    params![connection_id, device_id, at, kind, i64::from(limit) + 1],
                    |row| {
                        let detail: String = row.get(3)?;
                        Ok(HistoryEntryRow {
                            device_id: row.get(0)?,
                            at: row.get(1)?,
                            kind: row.get(2)?,
                            detail: serde_json::from_str(&detail).map_err(|err| {
                                rusqlite::Error::FromSqlConversionFailure(
                                    3,
                                    Type::Text,
                                    Box::new(err),
                                )
                            })?,
                        })
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|err| DeskError::cache("read device history", &err))?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|e| HistoryCursor {
                at: e.at.clone(),
                kind: e.kind.clone(),
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

/// Two statements rather than `?3 IS NULL OR ...`: only a plain row-value bound lets SQLite seek
/// the primary key to the cursor instead of filtering every newer entry.
fn history_sql(after_cursor: bool) -> &'static str {
    if after_cursor {
        "SELECT device_id, at, kind, detail FROM device_history
         WHERE connection_id = ?1 AND device_id = ?2 AND (at, kind) < (?3, ?4)
         ORDER BY at DESC, kind DESC LIMIT ?5"
    } else {
        "SELECT device_id, at, kind, detail FROM device_history
         WHERE connection_id = ?1 AND device_id = ?2
         ORDER BY at DESC, kind DESC LIMIT ?5"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_pages_seek_the_primary_key_backwards() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(&dir.path().join("c.sqlite"))
            .expect("open")
            .cache;
        let sql = format!("EXPLAIN QUERY PLAN {}", history_sql(true));
        let plan: Vec<String> = cache
            .conn
            .prepare(&sql)
            .expect("prepare")
            .query_map(params!["c", "d", "a", "k", 10], |row| row.get(3))
            .expect("plan")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        let plan = plan.join(" | ");
        assert!(
            plan.contains("PRIMARY KEY (connection_id=? AND device_id=? AND (at,kind)<(?,?))"),
            "{plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
