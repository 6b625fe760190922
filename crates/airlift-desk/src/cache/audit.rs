//! The audit log entries the person has seen, so the audit screen reads offline: kept as each
//! page arrives, listed newest first with the same filter the server applies
//! ([`crate::audit::CheckedAuditFilter`]).

use rusqlite::params;

use super::rows::AuditRow;
use super::Cache;
use crate::audit::{rfc3339_ms, CheckedAuditFilter};
use crate::error::DeskError;

const COLUMNS: &str = "id, at, actor, role, action, object_type, object_id, summary";

impl Cache {
    /// Keeps `rows` (entries never change: one seen before stays as it was). Returns how many
    /// were new.
    pub fn save_audit_entries(
        &mut self,
        connection_id: &str,
        rows: &[AuditRow],
    ) -> Result<usize, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save audit log entries", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut added = 0;
        {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "INSERT OR IGNORE INTO audit_entries (connection_id, at_ms, {COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                ))
                .map_err(fail)?;
            for r in rows {
                // The server writes RFC 3339; a time the desk cannot read sorts as the oldest.
                let at_ms = rfc3339_ms(&r.at).unwrap_or(0);
                added += stmt
                    .execute(params![
                        connection_id,
                        at_ms,
                        r.id,
                        r.at,
                        r.actor,
                        r.role,
                        r.action,
                        r.object_type,
                        r.object_id,
                        r.summary
                    ])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)?;
        Ok(added)
    }

    /// Up to `limit` cached entries matching `filter`, newest first, older than the entry
    /// `after` when given; and whether more match beyond them.
    pub fn audit_entries(
        &self,
        connection_id: &str,
        filter: &CheckedAuditFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<AuditRow>, bool), DeskError> {
        let limit = limit.max(1);
        let mut rows: Vec<AuditRow> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM audit_entries
                 WHERE connection_id = ?1 AND (?2 IS NULL OR id < ?2)
                   AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR action = ?4)
                   AND (?5 IS NULL OR object_type = ?5) AND (?6 IS NULL OR object_id = ?6)
                   AND (?7 IS NULL OR at_ms >= ?7) AND (?8 IS NULL OR at_ms <= ?8)
                 ORDER BY id DESC LIMIT ?9"
            ))
            .and_then(|mut stmt| {
                stmt.query_map(
                    params![
                        connection_id,
                        after,
                        filter.actor,
                        filter.action,
                        filter.object_type,
                        filter.object_id,
                        filter.since_ms,
                        filter.until_ms,
                        i64::from(limit) + 1
                    ],
                    |row| {
                        Ok(AuditRow {
                            id: row.get(0)?,
                            at: row.get(1)?,
                            actor: row.get(2)?,
                            role: row.get(3)?,
                            action: row.get(4)?,
                            object_type: row.get(5)?,
                            object_id: row.get(6)?,
                            summary: row.get(7)?,
                        })
                    },
                )?
                .collect()
            })
            .map_err(|err| DeskError::cache("read audit log entries", &err))?;
        let has_more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok((rows, has_more))
    }
}
