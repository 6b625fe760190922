//! `airliftd migrate-data --from sqlite://PATH --to postgres://...`: an embedded deployment's
//! rows copied into an empty PostgreSQL database, so it grows into PostgreSQL without losing
//! its history. One transaction: all rows or none. Values are converted by the PostgreSQL
//! column's type (SQLite keeps booleans as integers); change cursors and history numbers keep
//! their values and the sequences continue after them; `device_polls` is rebuilt from its
//! definition at the end instead of row by row.

use std::path::Path;

use rusqlite::types::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

/// Tables in an order their foreign keys accept (rollouts by id: a retry comes after the
/// rollout it retries).
const TABLES: &[(&str, &str)] = &[
    ("tenants", "id"),
    ("data_keys", "id"),
    ("profiles", "id"),
    ("devices", "id"),
    ("upload_jobs", "id"),
    ("upload_chunks", "job_id, chunk_id"),
    ("images", "id"),
    ("signing_keys", "id"),
    ("packages", "rowid"),
    ("rollouts", "id"),
    ("rollout_skipped", "rollout_id"),
    ("rollout_targets", "rollout_id, position"),
    ("rollout_transitions", "rollout_id, seq"),
    ("device_commands", "id"),
    ("device_reports", "device_id, report_id"),
    ("device_history", "seq"),
    ("events", "tenant_id, id"),
    ("idempotency_keys", "tenant_id, key_hash"),
    ("api_tokens", "id"),
    ("bootstrap_tokens", "id"),
    ("audit_log", "id"),
    ("rollout_failure_reasons", "rollout_id, reason, status"),
    ("rollout_timeline", "rollout_id, minute_unix"),
];

/// Rows written per INSERT statement.
const BATCH: usize = 500;

/// Copies every row; returns (table, rows) per table. Refuses a target that holds a tenant.
pub async fn import(sqlite: &Path, url: &str) -> anyhow::Result<Vec<(&'static str, u64)>> {
    super::migrate(url).await?;
    // Bring the source to the latest SQLite schema (a no-op on a current deployment).
    crate::store::sqlite::SqliteStore::open_blocking(sqlite)?;
    let source =
        rusqlite::Connection::open_with_flags(sqlite, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut client = super::connect(url).await?;
    let result = copy_all(&source, &mut client.0).await;
    client.close().await;
    result
}

async fn copy_all(
    source: &rusqlite::Connection,
    client: &mut Client,
) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let tx = client.transaction().await?;
    let tenants: i64 = tx
        .query_one("SELECT count(*) FROM tenants", &[])
        .await?
        .get(0);
    if tenants > 0 {
        anyhow::bail!(
            "the PostgreSQL database already holds {tenants} tenant(s); migrate-data copies \
             into an empty database only"
        );
    }
    // `device_polls` is rebuilt once at the end: no trigger per copied row.
    tx.batch_execute(
        "ALTER TABLE rollout_targets DISABLE TRIGGER USER;
         ALTER TABLE rollouts DISABLE TRIGGER USER;",
    )
    .await?;
    let mut copied = Vec::new();
    for (table, order) in TABLES {
        copied.push((*table, copy_table(source, &tx, table, order).await?));
    }
    tx.batch_execute(
        "ALTER TABLE rollout_targets ENABLE TRIGGER USER;
         ALTER TABLE rollouts ENABLE TRIGGER USER;
         INSERT INTO device_polls (device_id, tenant_id, rollout_id, package_id, command)
             SELECT device_id, tenant_id, rollout_id, package_id, command FROM device_assignments;
         SELECT setval('airlift_change_seq', GREATEST(1,
             (SELECT COALESCE(MAX(change_seq), 0) FROM devices),
             (SELECT COALESCE(MAX(change_seq), 0) FROM packages),
             (SELECT COALESCE(MAX(change_seq), 0) FROM rollouts)));
         SELECT setval(pg_get_serial_sequence('device_history', 'seq'),
             GREATEST(1, (SELECT COALESCE(MAX(seq), 0) FROM device_history)));",
    )
    .await?;
    tx.commit().await?;
    Ok(copied)
}

/// The PostgreSQL columns of `table` with their types, in order.
async fn target_columns(
    tx: &tokio_postgres::Transaction<'_>,
    table: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    Ok(tx
        .query(
            "SELECT column_name, data_type FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1
             ORDER BY ordinal_position",
            &[&table],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

async fn copy_table(
    source: &rusqlite::Connection,
    tx: &tokio_postgres::Transaction<'_>,
    table: &str,
    order: &str,
) -> anyhow::Result<u64> {
    let columns = target_columns(tx, table).await?;
    // SQLite numbers packages by rowid; PostgreSQL keeps that number as `change_seq`.
    let select_list: Vec<String> = columns
        .iter()
        .map(|(c, _)| {
            if table == "packages" && c == "change_seq" {
                "rowid".to_owned()
            } else {
                format!("\"{c}\"")
            }
        })
        .collect();
    let mut stmt = source.prepare(&format!(
        "SELECT {} FROM {table} ORDER BY {order}",
        select_list.join(", ")
    ))?;
    let names: Vec<String> = columns.iter().map(|(c, _)| format!("\"{c}\"")).collect();
    let identity = table == "device_history";
    let mut rows = stmt.query([])?;
    let mut batch: Vec<Vec<Box<dyn ToSql + Sync + Send>>> = Vec::new();
    let mut copied = 0u64;
    while let Some(row) = rows.next()? {
        let mut values: Vec<Box<dyn ToSql + Sync + Send>> = Vec::with_capacity(columns.len());
        for (i, (name, ty)) in columns.iter().enumerate() {
            let v: Value = row.get(i)?;
            values.push(convert(v, ty).map_err(|e| anyhow::anyhow!("{table}.{name}: {e}"))?);
        }
        batch.push(values);
        if batch.len() == BATCH {
            copied += insert(tx, table, &names, identity, &batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        copied += insert(tx, table, &names, identity, &batch).await?;
    }
    Ok(copied)
}

async fn insert(
    tx: &tokio_postgres::Transaction<'_>,
    table: &str,
    names: &[String],
    identity: bool,
    batch: &[Vec<Box<dyn ToSql + Sync + Send>>],
) -> anyhow::Result<u64> {
    let width = names.len();
    let tuples: Vec<String> = (0..batch.len())
        .map(|r| {
            let params: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) {} VALUES {}",
        names.join(", "),
        if identity {
            "OVERRIDING SYSTEM VALUE"
        } else {
            ""
        },
        tuples.join(", ")
    );
    let params: Vec<&(dyn ToSql + Sync)> = batch
        .iter()
        .flatten()
        .map(|v| v.as_ref() as &(dyn ToSql + Sync))
        .collect();
    Ok(tx.execute(&sql, &params).await?)
}

/// One SQLite value as the PostgreSQL column type wants it.
fn convert(v: Value, ty: &str) -> Result<Box<dyn ToSql + Sync + Send>, String> {
    Ok(match (ty, v) {
        ("bigint", Value::Integer(i)) => Box::new(i),
        ("bigint", Value::Null) => Box::new(None::<i64>),
        ("boolean", Value::Integer(i)) => Box::new(i != 0),
        ("boolean", Value::Null) => Box::new(None::<bool>),
        ("text", Value::Text(s)) => Box::new(s),
        ("text", Value::Null) => Box::new(None::<String>),
        ("bytea", Value::Blob(b)) => Box::new(b),
        ("bytea", Value::Null) => Box::new(None::<Vec<u8>>),
        (ty, v) => return Err(format!("cannot store {:?} as {ty}", v.data_type())),
    })
}
