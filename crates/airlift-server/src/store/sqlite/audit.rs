//! The audit log on SQLite.

use rusqlite::{params, Connection, Row};

use super::{db, page_of};
use crate::store::{AuditFilter, AuditRecord, Page, PageOf, StoreResult};

const COLUMNS: &str =
    "id, tenant_id, at, at_micros, actor, role, action, object_type, object_id, summary";

fn record(r: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        at: r.get(2)?,
        at_micros: r.get(3)?,
        actor: r.get(4)?,
        role: r.get(5)?,
        action: r.get(6)?,
        object_type: r.get(7)?,
        object_id: r.get(8)?,
        summary: r.get(9)?,
    })
}

pub fn append(c: &mut Connection, a: &AuditRecord) -> StoreResult<()> {
    c.prepare_cached(&format!(
        "INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))
    .map_err(db)?
    .execute(params![
        a.id,
        a.tenant_id,
        a.at,
        a.at_micros,
        a.actor,
        a.role,
        a.action,
        a.object_type,
        a.object_id,
        a.summary
    ])
    .map_err(db)?;
    Ok(())
}

/// Newest first, below `page.after`; one index range per filter (`audit_by_actor`,
/// `audit_by_action` or `audit_by_tenant`), read backwards. The object and `until` filters
/// ride on that range: a person looks one object up now and then, and the log holds people's
/// changes, not devices'.
pub fn list(
    c: &Connection,
    tenant: &str,
    filter: &AuditFilter,
    page: &Page,
) -> StoreResult<PageOf<AuditRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE tenant_id = ?1 AND (?2 IS NULL OR id < ?2)
               AND (?3 IS NULL OR actor = ?3)
               AND (?4 IS NULL OR action = ?4)
               AND (?5 IS NULL OR at_micros >= ?5)
               AND (?7 IS NULL OR object_type = ?7)
               AND (?8 IS NULL OR object_id = ?8)
               AND (?9 IS NULL OR at_micros <= ?9)
             ORDER BY id DESC LIMIT ?6"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(
            params![
                tenant,
                page.after,
                filter.actor,
                filter.action,
                filter.since_micros,
                i64::from(page.limit) + 1,
                filter.object_type,
                filter.object_id,
                filter.until_micros
            ],
            record,
        )
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, page.limit))
}
