//! The audit log on PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{exec, page_of, rows, AuditFilter, AuditRecord, Page, PageOf, StoreResult};

const COLUMNS: &str =
    "id, tenant_id, at, at_micros, actor, role, action, object_type, object_id, summary";

fn record(r: &Row) -> AuditRecord {
    AuditRecord {
        id: r.get(0),
        tenant_id: r.get(1),
        at: r.get(2),
        at_micros: r.get(3),
        actor: r.get(4),
        role: r.get(5),
        action: r.get(6),
        object_type: r.get(7),
        object_id: r.get(8),
        summary: r.get(9),
    }
}

pub async fn append(c: &impl GenericClient, a: &AuditRecord) -> StoreResult<()> {
    exec(
        c,
        &format!(
            "INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        &[
            &a.id,
            &a.tenant_id,
            &a.at,
            &a.at_micros,
            &a.actor,
            &a.role,
            &a.action,
            &a.object_type,
            &a.object_id,
            &a.summary,
        ],
    )
    .await?;
    Ok(())
}

/// Newest first, below `page.after` (see the SQLite adapter: the same query).
pub async fn list(
    c: &impl GenericClient,
    tenant: &str,
    filter: &AuditFilter,
    page: &Page,
) -> StoreResult<PageOf<AuditRecord>> {
    let found = rows(
        c,
        &format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE tenant_id = $1 AND ($2::text IS NULL OR id < $2::text)
               AND ($3::text IS NULL OR actor = $3::text)
               AND ($4::text IS NULL OR action = $4::text)
               AND ($5::bigint IS NULL OR at_micros >= $5::bigint)
               AND ($7::text IS NULL OR object_type = $7::text)
               AND ($8::text IS NULL OR object_id = $8::text)
               AND ($9::bigint IS NULL OR at_micros <= $9::bigint)
             ORDER BY id DESC LIMIT $6"
        ),
        &[
            &tenant,
            &page.after,
            &filter.actor,
            &filter.action,
            &filter.since_micros,
            &(i64::from(page.limit) + 1),
            &filter.object_type,
            &filter.object_id,
            &filter.until_micros,
        ],
    )
    .await?;
    Ok(page_of(found.iter().map(record).collect(), page.limit))
}
