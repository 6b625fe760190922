//! Devices: bulk upserts and keyset-paged lists with prefix search.
//!
//! Fleets run to hundreds of thousands of devices, so lists page by key, never by OFFSET: the
//! cursor is the last row's (sort key, id), and the next page is one index range scan starting
//! right after it, as fast at row 90,000 as at row 0.

use rusqlite::{params, OptionalExtension as _, Row};
use serde::{Deserialize, Serialize};

use super::rows::DeviceRow;
use super::{Cache, UpsertStats};
use crate::error::DeskError;

/// The largest page a list returns, whatever the caller asks for.
pub const MAX_PAGE: u32 = 1000;

/// The order of a device list. Names compare case-insensitively, as a person expects; ids
/// compare exactly (they are opaque).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceSort {
    #[default]
    Name,
    Id,
}

/// Where a page ended: the last row's sort key and id. Opaque to the UI, which passes it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCursor {
    pub key: String,
    pub id: String,
}

/// One request for a page of devices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceQuery {
    pub sort: DeviceSort,
    /// Only devices whose id or name starts with this, ignoring ASCII case.
    pub prefix: Option<String>,
    /// Only devices running exactly this firmware version.
    pub version: Option<String>,
    /// Only devices in this OTA state (seed 001: `idle`, `updating`, `completed`, `failed`).
    pub state: Option<String>,
    /// Continue after this cursor (from the previous page's `next`).
    pub after: Option<DeviceCursor>,
    /// Rows per page; 0 means the default of 100, and anything above [`MAX_PAGE`] is capped.
    pub limit: u32,
}

/// A page of rows; `next` (pass it back as the cursor) is `None` on the last page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T, C = DeviceCursor> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

const COLUMNS: &str = "id, name, profile_id, device_type, firmware_version, target_version, \
                       ota_status, progress, last_update_at, updated_at";

// The WHERE on the upsert skips rows identical to what is cached: a re-sync of 100k mostly
// unchanged devices then rewrites only the changed pages, and the count says what changed.
// The OTA columns (?7..?10) keep their cached value when the row leaves them empty: the device
// list does not carry them (the rollout sync does), so a device sync must not erase them. A new
// device nobody updated yet is `idle` (seed 001), stored as such so the state index finds it.
const UPSERT: &str = "
    INSERT INTO devices (connection_id, id, name, profile_id, device_type, firmware_version,
                         target_version, ota_status, progress, last_update_at, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, COALESCE(?8, 'idle'), ?9, ?10, ?11)
    ON CONFLICT (connection_id, id) DO UPDATE SET
        name = excluded.name,
        profile_id = excluded.profile_id,
        device_type = excluded.device_type,
        firmware_version = excluded.firmware_version,
        target_version = COALESCE(?7, devices.target_version),
        ota_status = COALESCE(?8, devices.ota_status),
        progress = COALESCE(?9, devices.progress),
        last_update_at = COALESCE(?10, devices.last_update_at),
        updated_at = excluded.updated_at
    WHERE devices.name IS NOT excluded.name
       OR devices.profile_id IS NOT excluded.profile_id
       OR devices.device_type IS NOT excluded.device_type
       OR devices.firmware_version IS NOT excluded.firmware_version
       OR devices.target_version IS NOT COALESCE(?7, devices.target_version)
       OR devices.ota_status IS NOT COALESCE(?8, devices.ota_status)
       OR devices.progress IS NOT COALESCE(?9, devices.progress)
       OR devices.last_update_at IS NOT COALESCE(?10, devices.last_update_at)
       OR devices.updated_at IS NOT excluded.updated_at";

impl Cache {
    /// Inserts or updates `rows` in one transaction with one prepared statement.
    pub fn upsert_devices(
        &mut self,
        connection_id: &str,
        rows: &[DeviceRow],
    ) -> Result<UpsertStats, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save devices", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut stats = UpsertStats::default();
        {
            let mut stmt = tx.prepare_cached(UPSERT).map_err(fail)?;
            for d in rows {
                let changed = stmt
                    .execute(params![
                        connection_id,
                        d.id,
                        d.name,
                        d.profile_id,
                        d.device_type,
                        d.firmware_version,
                        d.target_version,
                        d.ota_status,
                        d.progress,
                        d.last_update_at,
                        d.updated_at,
                    ])
                    .map_err(fail)?;
                if changed > 0 {
                    stats.written += 1;
                } else {
                    stats.unchanged += 1;
                }
            }
        }
        tx.commit().map_err(fail)?;
        Ok(stats)
    }

    /// Removes devices the server no longer lists.
    pub fn delete_devices(
        &mut self,
        connection_id: &str,
        ids: &[&str],
    ) -> Result<usize, DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("remove devices", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut removed = 0;
        {
            let mut stmt = tx
                .prepare_cached("DELETE FROM devices WHERE connection_id = ?1 AND id = ?2")
                .map_err(fail)?;
            for id in ids {
                removed += stmt.execute(params![connection_id, id]).map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)?;
        Ok(removed)
    }

    pub fn device(&self, connection_id: &str, id: &str) -> Result<Option<DeviceRow>, DeskError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM devices WHERE connection_id = ?1 AND id = ?2"
            ))
            .and_then(|mut stmt| {
                stmt.query_row(params![connection_id, id], device_from_row)
                    .optional()
            })
            .map_err(|err| DeskError::cache("read a device", &err))
    }

    pub fn count_devices(&self, connection_id: &str) -> Result<u64, DeskError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM devices WHERE connection_id = ?1",
                [connection_id],
                |row| super::get_u64(row, 0),
            )
            .map_err(|err| DeskError::cache("count devices", &err))
    }

    /// One page of devices in `query.sort` order, optionally filtered by a prefix.
    pub fn list_devices(
        &self,
        connection_id: &str,
        query: &DeviceQuery,
    ) -> Result<Page<DeviceRow>, DeskError> {
        let limit = match query.limit {
            0 => 100,
            n => n.min(MAX_PAGE),
        };
        let sql = list_sql(query, !self.device_indexes_deferred);
        let (key, id) = query.after.as_ref().map_or((None, None), |c| {
            (Some(c.key.as_str()), Some(c.id.as_str()))
        });
        let pattern = search_prefix(query).map(like_prefix);
        // One extra row tells whether there is a next page without a second query.
        let fetch = i64::from(limit) + 1;

        let mut items = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| {
                let all = params![
                    connection_id,
                    key,
                    id,
                    pattern,
                    fetch,
                    query.version,
                    query.state
                ];
                // SQLite counts parameters up to the highest number the SQL uses (?5, the LIMIT,
                // is always there), so bind exactly that many; lower unused ones are harmless.
                let bound = stmt.parameter_count();
                stmt.query_map(&all[..bound], device_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|err| DeskError::cache("list devices", &err))?;

        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|d| DeviceCursor {
                key: match query.sort {
                    DeviceSort::Name => d.name.clone(),
                    DeviceSort::Id => d.id.clone(),
                },
                id: d.id.clone(),
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

/// The SELECT for one page of `query`; parameters are ?1 connection, ?2 cursor key, ?3 cursor
/// id, ?4 LIKE pattern, ?5 row limit. `indexed`: the device indexes exist (not mid bulk load).
fn list_sql(query: &DeviceQuery, indexed: bool) -> String {
    if query.version.is_some() || query.state.is_some() {
        return filtered_sql(query, indexed);
    }
    let (order, after) = match query.sort {
        // `name` is declared COLLATE NOCASE, so this row value comparison lets SQLite seek
        // `devices_by_name` straight to the cursor: deep pages cost the same as the first.
        DeviceSort::Name => ("name, id", "(name, id) > (?2, ?3)"),
        DeviceSort::Id => ("id", "id > ?3"),
    };
    let after = if query.after.is_some() {
        format!(" AND {after}")
    } else {
        String::new()
    };
    if search_prefix(query).is_none() {
        return format!(
            "SELECT {COLUMNS} FROM devices WHERE connection_id = ?1{after} ORDER BY {order} LIMIT ?5"
        );
    }
    // "id or name starts with" as one WHERE with OR defeats both indexes; a UNION of two index
    // range scans (each forced, as the planner has no statistics to choose well) does not. Each
    // branch stops at one page, so a page costs at most two pages of rows plus one small sort.
    let branch = |index: &str, column: &str| {
        let index = if indexed {
            format!(" INDEXED BY {index}")
        } else {
            String::new()
        };
        format!(
            "SELECT * FROM (SELECT {COLUMNS} FROM devices{index}
               WHERE connection_id = ?1 AND {column} LIKE ?4 ESCAPE '\\'{after}
               ORDER BY {order} LIMIT ?5)"
        )
    };
    format!(
        "SELECT {COLUMNS} FROM ({} UNION {}) ORDER BY {} LIMIT ?5",
        branch("devices_by_name", "name"),
        branch("devices_by_id_nocase", "id"),
        // Collation is spelled out: it is not obvious that it survives the compound subquery.
        match query.sort {
            DeviceSort::Name => "name COLLATE NOCASE, id",
            DeviceSort::Id => "id",
        }
    )
}

/// A page filtered by version and/or state: one range scan of the index that starts with the
/// filter column, in (name, id) order, so the cursor seeks straight into the filtered range. A
/// prefix search on top only filters rows inside that range. Mid bulk load (`indexed` false)
/// the index is not there yet, and the page is a scan.
fn filtered_sql(query: &DeviceQuery, indexed: bool) -> String {
    let (index, mut filters) = match (&query.version, &query.state) {
        (Some(_), Some(_)) => (
            "devices_by_version",
            vec!["firmware_version = ?6", "ota_status = ?7"],
        ),
        (Some(_), None) => ("devices_by_version", vec!["firmware_version = ?6"]),
        _ => ("devices_by_state", vec!["ota_status = ?7"]),
    };
    if search_prefix(query).is_some() {
        filters.push("(name LIKE ?4 ESCAPE '\\' OR id LIKE ?4 ESCAPE '\\')");
    }
    let (order, after) = match query.sort {
        DeviceSort::Name => ("name, id", "(name, id) > (?2, ?3)"),
        DeviceSort::Id => ("id", "id > ?3"),
    };
    if query.after.is_some() {
        filters.push(after);
    }
    let index = if indexed {
        format!(" INDEXED BY {index}")
    } else {
        String::new()
    };
    format!(
        "SELECT {COLUMNS} FROM devices{index}
         WHERE connection_id = ?1 AND {} ORDER BY {order} LIMIT ?5",
        filters.join(" AND ")
    )
}

fn device_from_row(row: &Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok(DeviceRow {
        id: row.get(0)?,
        name: row.get(1)?,
        profile_id: row.get(2)?,
        device_type: row.get(3)?,
        firmware_version: row.get(4)?,
        target_version: row.get(5)?,
        ota_status: row.get(6)?,
        progress: row.get(7)?,
        last_update_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}

/// The prefix to filter by; an empty search box means no filter (not a UNION over everything).
fn search_prefix(query: &DeviceQuery) -> Option<&str> {
    query.prefix.as_deref().filter(|p| !p.is_empty())
}

/// `prefix%` with LIKE's wildcards in `prefix` escaped, so searching "a_1" finds only "a_1...".
fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan SQLite picks for a page query, as one string of EXPLAIN QUERY PLAN details.
    fn plan(cache: &Cache, query: &DeviceQuery) -> String {
        let sql = format!("EXPLAIN QUERY PLAN {}", list_sql(query, true));
        let mut stmt = cache.conn.prepare(&sql).expect("prepare");
        let all = params!["c", "k", "i", "p%", 10, "v", "s"];
        let count = stmt.parameter_count();
        let rows = stmt
            .query_map(&all[..count], |row| row.get::<_, String>(3))
            .expect("plan")
            .collect::<rusqlite::Result<Vec<_>>>()
            .expect("rows");
        rows.join(" | ")
    }

    #[test]
    fn pages_are_index_range_scans_without_a_sort() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(&dir.path().join("c.sqlite"))
            .expect("open")
            .cache;
        let cursor = Some(DeviceCursor {
            key: "k".into(),
            id: "i".into(),
        });

        let by_name = plan(
            &cache,
            &DeviceQuery {
                after: cursor.clone(),
                ..Default::default()
            },
        );
        assert!(
            by_name.contains("INDEX devices_by_name (connection_id=? AND (name,id)>(?,?))"),
            "{by_name}"
        );
        assert!(!by_name.contains("TEMP B-TREE"), "{by_name}");

        let by_id = plan(
            &cache,
            &DeviceQuery {
                sort: DeviceSort::Id,
                after: cursor.clone(),
                ..Default::default()
            },
        );
        assert!(
            by_id.contains("PRIMARY KEY") && by_id.contains("id>?"),
            "{by_id}"
        );
        assert!(!by_id.contains("TEMP B-TREE"), "{by_id}");

        // A prefix search is two LIKE range scans, one per NOCASE index.
        let search = plan(
            &cache,
            &DeviceQuery {
                prefix: Some("ab".into()),
                after: cursor.clone(),
                ..Default::default()
            },
        );
        assert!(
            search.contains("INDEX devices_by_name (connection_id=? AND name>? AND name<?)"),
            "{search}"
        );
        assert!(
            search.contains("INDEX devices_by_id_nocase (connection_id=? AND id>? AND id<?)"),
            "{search}"
        );
    }

    #[test]
    fn filtered_pages_seek_the_filter_index_to_the_cursor() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(&dir.path().join("c.sqlite"))
            .expect("open")
            .cache;
        let after = Some(DeviceCursor {
            key: "k".into(),
            id: "i".into(),
        });
        let by_version = plan(
            &cache,
            &DeviceQuery {
                version: Some("2.0.0".into()),
                after: after.clone(),
                ..Default::default()
            },
        );
        assert!(
            by_version.contains(
                "INDEX devices_by_version (connection_id=? AND firmware_version=? AND (name,id)>(?,?))"
            ),
            "{by_version}"
        );
        assert!(!by_version.contains("TEMP B-TREE"), "{by_version}");
        let by_state = plan(
            &cache,
            &DeviceQuery {
                state: Some("failed".into()),
                prefix: Some("dev".into()),
                after,
                ..Default::default()
            },
        );
        assert!(
            by_state.contains(
                "INDEX devices_by_state (connection_id=? AND ota_status=? AND (name,id)>(?,?))"
            ),
            "{by_state}"
        );
        assert!(!by_state.contains("TEMP B-TREE"), "{by_state}");
    }

    #[test]
    fn like_prefix_escapes_wildcards() {
        assert_eq!(like_prefix("dev"), "dev%");
        assert_eq!(like_prefix("a_1%\\"), "a\\_1\\%\\\\%");
    }
}
