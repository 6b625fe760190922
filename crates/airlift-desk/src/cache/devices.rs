//! Devices: bulk upserts and keyset-paged lists in natural order, with substring search.
//!
//! Fleets run to hundreds of thousands of devices, so lists page by key, never by OFFSET: the
//! cursor is the last row's (sort key, id), and the next page is one index range scan starting
//! right after it, as fast at row 900,000 as at row 0.
//!
//! Names sort as a person reads them: `demo-2` before `demo-10` ([`natural_key`], stored in
//! `name_key`). A search matches any part of the id or the name, ignoring ASCII case. It walks
//! the list's index in list order, where every entry carries the name and the id, so it reads
//! no table row that does not match and stops as soon as a page is full: a term that many
//! devices match costs about one page; one that matches few devices scans the index once
//! (measured in benches/device_page.rs, figures in bench/RESULTS.md). An FTS5 trigram index
//! would answer rare terms faster, at the cost of an index several times the size of the
//! names, kept up on every device write.

use rusqlite::{params, OptionalExtension as _, Row};
use serde::{Deserialize, Serialize};

use super::rows::DeviceRow;
use super::{Cache, UpsertStats};
use crate::error::DeskError;

/// The largest page a list returns, whatever the caller asks for.
pub const MAX_PAGE: u32 = 1000;

/// The order of a device list. Names compare naturally (case-insensitive, numbers by value),
/// as a person expects; ids compare exactly (they are opaque).
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
    /// Only devices whose id or name contains this, ignoring ASCII case.
    pub text: Option<String>,
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
                       ota_status, progress, last_update_at, updated_at, last_seen_at, name_key, \
                       user_agent";

// The WHERE on the upsert skips rows identical to what is cached: a re-sync of 100k mostly
// unchanged devices then rewrites only the changed pages, and the count says what changed.
// The OTA columns (?7..?10) keep their cached value when the row leaves them empty: the device
// list does not carry them (the rollout sync does), so a device sync must not erase them. A new
// device nobody updated yet is `idle` (seed 001), stored as such so the state index finds it.
// The last contact (?13) keeps its cached value when the server has none (it restarted since),
// and so does the agent (?14), which only a device's own page carries.
const UPSERT: &str = "
    INSERT INTO devices (connection_id, id, name, profile_id, device_type, firmware_version,
                         target_version, ota_status, progress, last_update_at, updated_at,
                         name_key, last_seen_at, user_agent)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, COALESCE(?8, 'idle'), ?9, ?10, ?11, ?12, ?13, ?14)
    ON CONFLICT (connection_id, id) DO UPDATE SET
        name = excluded.name,
        name_key = excluded.name_key,
        last_seen_at = COALESCE(?13, devices.last_seen_at),
        user_agent = COALESCE(?14, devices.user_agent),
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
       OR devices.updated_at IS NOT excluded.updated_at
       OR devices.last_seen_at IS NOT COALESCE(?13, devices.last_seen_at)
       OR devices.user_agent IS NOT COALESCE(?14, devices.user_agent)";

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
                        natural_key(&d.name),
                        d.last_seen_at,
                        d.user_agent,
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

    /// Replaces the cached profiles of `connection_id` (id, name, device type) with `profiles`.
    pub fn replace_profiles(
        &mut self,
        connection_id: &str,
        profiles: &[(String, String, String)],
    ) -> Result<(), DeskError> {
        let fail = |err: rusqlite::Error| DeskError::cache("save profiles", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        tx.execute(
            "DELETE FROM profiles WHERE connection_id = ?1",
            [connection_id],
        )
        .map_err(fail)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO profiles (connection_id, id, name, device_type) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(fail)?;
            for (id, name, device_type) in profiles {
                stmt.execute(params![connection_id, id, name, device_type])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }

    /// The name of a cached profile.
    pub fn profile_name(
        &self,
        connection_id: &str,
        profile_id: &str,
    ) -> Result<Option<String>, DeskError> {
        self.conn
            .prepare_cached("SELECT name FROM profiles WHERE connection_id = ?1 AND id = ?2")
            .and_then(|mut stmt| {
                stmt.query_row(params![connection_id, profile_id], |row| row.get(0))
                    .optional()
            })
            .map_err(|err| DeskError::cache("read a profile", &err))
    }

    /// One page of devices in `query.sort` order, optionally filtered by text, version, state.
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
        let pattern = search_text(query).map(like_contains);
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
                stmt.query_map(&all[..bound], |row| {
                    Ok((device_from_row(row)?, row.get::<_, String>(11)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|err| DeskError::cache("list devices", &err))?;

        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|(d, key)| DeviceCursor {
                key: match query.sort {
                    DeviceSort::Name => key.clone(),
                    DeviceSort::Id => d.id.clone(),
                },
                id: d.id.clone(),
            })
        } else {
            None
        };
        Ok(Page {
            items: items.into_iter().map(|(d, _)| d).collect(),
            next,
        })
    }
}

/// The SELECT for one page of `query`; parameters are ?1 connection, ?2 cursor key, ?3 cursor
/// id, ?4 LIKE pattern, ?5 row limit, ?6 version, ?7 state. `indexed`: the device indexes exist
/// (not mid bulk load).
///
/// Every page is one range scan of the index that starts with the filter column (version,
/// state, or none) followed by the list order, so the cursor seeks straight to where the page
/// starts and no sort is needed; a text search only filters the entries of that range.
fn list_sql(query: &DeviceQuery, indexed: bool) -> String {
    let mut filters = vec!["connection_id = ?1"];
    let index = match (&query.version, &query.state) {
        (Some(_), Some(_)) => {
            filters.extend(["firmware_version = ?6", "ota_status = ?7"]);
            "devices_by_version"
        }
        (Some(_), None) => {
            filters.push("firmware_version = ?6");
            "devices_by_version"
        }
        (None, Some(_)) => {
            filters.push("ota_status = ?7");
            "devices_by_state"
        }
        (None, None) => "devices_by_name",
    };
    if search_text(query).is_some() {
        filters.push("(name LIKE ?4 ESCAPE '\\' OR id LIKE ?4 ESCAPE '\\')");
    }
    let (order, after) = match query.sort {
        DeviceSort::Name => ("name_key, id", "(name_key, id) > (?2, ?3)"),
        DeviceSort::Id => ("id", "id > ?3"),
    };
    if query.after.is_some() {
        filters.push(after);
    }
    // By id without a filter column, the primary key is the range to scan; otherwise the
    // index is forced, as the planner has no statistics to choose well.
    let index = match (query.sort, index, indexed) {
        (DeviceSort::Id, "devices_by_name", _) | (_, _, false) => String::new(),
        (_, index, true) => format!(" INDEXED BY {index}"),
    };
    let filters = filters.join(" AND ");
    if search_text(query).is_none() {
        return format!(
            "SELECT {COLUMNS} FROM devices{index} WHERE {filters} ORDER BY {order} LIMIT ?5"
        );
    }
    // A search reads the index alone (its entries carry name and id) to find one page of ids,
    // then the rows of that page by primary key: the table (WITHOUT ROWID, so no deferred
    // seek) is read for the matches only, not for every entry the scan passes. (As a join:
    // with `id IN (…)` the planner walks the whole name index to save sorting one page.)
    let columns: Vec<String> = COLUMNS
        .split(',')
        .map(|c| format!("d.{}", c.trim()))
        .collect();
    let page_order = match query.sort {
        DeviceSort::Name => "p.name_key, p.id",
        DeviceSort::Id => "p.id",
    };
    format!(
        "SELECT {} FROM (
             SELECT id, name_key FROM devices{index} WHERE {filters} ORDER BY {order} LIMIT ?5
         ) AS p JOIN devices d ON d.connection_id = ?1 AND d.id = p.id
         ORDER BY {page_order}",
        columns.join(", ")
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
        last_seen_at: row.get(10)?,
        user_agent: row.get(12)?,
    })
}

/// The key a name sorts by: ASCII lower case (as NOCASE compares), and every run of digits
/// written as its length (two digits) followed by the number without leading zeros, so that
/// numbers compare by value: `demo-2` → `demo-012` sorts before `demo-10` → `demo-0210`.
/// Digits still sort before letters, as in a plain comparison.
pub fn natural_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 8);
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_digit() {
            key.push(c.to_ascii_lowercase());
            continue;
        }
        let mut digits = String::from(c);
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(d);
            chars.next();
        }
        let number = digits.trim_start_matches('0');
        let number = if number.is_empty() { "0" } else { number };
        // 99 digits are far beyond any device name; longer runs still sort after shorter ones.
        key.push_str(&format!("{:02}", number.len().min(99)));
        key.push_str(number);
    }
    key
}

/// The text to search for; an empty search box means no filter.
fn search_text(query: &DeviceQuery) -> Option<&str> {
    query.text.as_deref().filter(|p| !p.is_empty())
}

/// `%text%` with LIKE's wildcards in `text` escaped, so searching "a_1" finds only "a_1".
fn like_contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
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
            by_name.contains("INDEX devices_by_name (connection_id=? AND (name_key,id)>(?,?))"),
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

        // A text search walks the same range of the name index, reading only its entries
        // (they carry name and id) and no table row that does not match.
        let search = plan(
            &cache,
            &DeviceQuery {
                text: Some("ab".into()),
                after: cursor.clone(),
                ..Default::default()
            },
        );
        assert!(
            search.contains(
                "COVERING INDEX devices_by_name (connection_id=? AND (name_key,id)>(?,?))"
            ),
            "{search}"
        );
        // Then one primary-key lookup per id of the page.
        assert!(
            search.contains("PRIMARY KEY (connection_id=? AND id=?)"),
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
                "INDEX devices_by_version (connection_id=? AND firmware_version=? AND (name_key,id)>(?,?))"
            ),
            "{by_version}"
        );
        assert!(!by_version.contains("TEMP B-TREE"), "{by_version}");
        let by_state = plan(
            &cache,
            &DeviceQuery {
                state: Some("failed".into()),
                text: Some("dev".into()),
                after,
                ..Default::default()
            },
        );
        assert!(
            by_state.contains(
                "COVERING INDEX devices_by_state (connection_id=? AND ota_status=? AND (name_key,id)>(?,?))"
            ),
            "{by_state}"
        );
        assert!(!by_state.contains("TEMP B-TREE"), "{by_state}");
    }

    #[test]
    fn like_contains_escapes_wildcards() {
        assert_eq!(like_contains("dev"), "%dev%");
        assert_eq!(like_contains("a_1%\\"), "%a\\_1\\%\\\\%");
    }

    #[test]
    fn natural_keys_order_numbers_by_value() {
        let mut names = vec![
            "demo-10",
            "demo-2",
            "Demo-1",
            "demo-100",
            "demo-02b",
            "demo-2a",
            "demo",
            "demo-x",
            "sensor-9-b",
            "sensor-10-a",
        ];
        names.sort_by_key(|n| (natural_key(n), n.to_string()));
        assert_eq!(
            names,
            [
                "demo",
                "Demo-1",
                "demo-2",
                "demo-2a",
                "demo-02b",
                "demo-10",
                "demo-100",
                "demo-x",
                "sensor-9-b",
                "sensor-10-a"
            ]
        );
        assert_eq!(natural_key("A007"), "a017");
        assert_eq!(natural_key("x0"), "x010");
    }
}
