//! The offline cache, one test binary in topical files: the file itself (migrations, damage and
//! rebuilds, permissions), device lists (bulk upserts, keyset paging, search, filters), and the
//! other records (packages, rollouts, histories, uploads, sync cursors, secrets).

mod devices;
mod file;
mod records;

use std::path::{Path, PathBuf};
use std::time::Duration;

use airlift_core::package::PackageType;
use airlift_core::payload::PayloadType;
use airlift_core::rollout::RolloutStatus;
use airlift_desk::cache::rows::{
    DeviceRow, HistoryEntryRow, PackageRow, RolloutRow, RolloutTransitionRow,
};
use airlift_desk::cache::{verify_and_repair, Cache, Collection, DeviceQuery, DeviceSort};
use airlift_desk::DeskErrorCode;

const CONN: &str = "conn-prod";

fn cache_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("cache.sqlite")
}

fn open(path: &Path) -> Cache {
    let opened = Cache::open(path).expect("open cache");
    assert!(opened.rebuilt_from.is_none(), "unexpected rebuild");
    opened.cache
}

/// Device `i` of a synthetic fleet. Names mix case and repeat (every 1000th device shares a
/// name), so ordering has to fall back to the id and ignore ASCII case.
fn device(i: u32) -> DeviceRow {
    let name = match i % 3 {
        0 => format!("Gateway-{:05}", i % 50_000),
        1 => format!("gateway-{:05}", (i * 7) % 50_000),
        _ => format!("Sensor {:05}", i % 1000),
    };
    DeviceRow {
        id: format!("dev-{i:06}"),
        name,
        profile_id: Some(format!("prof-{}", i % 7)),
        device_type: "edge-gw".into(),
        firmware_version: Some("1.4.2".into()),
        target_version: None,
        ota_status: Some("idle".into()),
        progress: None,
        last_update_at: None,
        updated_at: "2026-11-20T10:00:00Z".into(),
        last_seen_at: None,
        user_agent: None,
    }
}

fn fleet(n: u32) -> Vec<DeviceRow> {
    (0..n).map(device).collect()
}

/// Pages through the whole list and returns every row, asserting each page is at most `limit`.
fn page_all(cache: &Cache, sort: DeviceSort, prefix: Option<&str>, limit: u32) -> Vec<DeviceRow> {
    let mut out = Vec::new();
    let mut query = DeviceQuery {
        sort,
        text: prefix.map(str::to_string),
        after: None,
        limit,
        ..DeviceQuery::default()
    };
    loop {
        let page = cache.list_devices(CONN, &query).expect("page");
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next {
            Some(next) => query.after = Some(next),
            None => return out,
        }
    }
}

/// The list's name order, as a person reads it: ASCII case ignored, digit runs compared by
/// value (`sensor 2` before `sensor 10`), then the id. Written apart from the cache's own key,
/// so the two check each other.
fn name_order(rows: &mut [DeviceRow]) {
    rows.sort_by(|a, b| (natural(&a.name), &a.id).cmp(&(natural(&b.name), &b.id)));
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    // Declared first: numbers sort before letters, as digits do before letters in ASCII.
    Number(u128),
    Char(char),
}

fn natural(name: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut number: Option<u128> = None;
    for c in name.chars() {
        match c.to_digit(10) {
            Some(d) => number = Some(number.unwrap_or(0) * 10 + u128::from(d)),
            None => {
                parts.extend(number.take().map(Part::Number));
                parts.push(Part::Char(c.to_ascii_lowercase()));
            }
        }
    }
    parts.extend(number.map(Part::Number));
    parts
}
