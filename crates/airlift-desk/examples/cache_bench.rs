//! Measures the offline cache on a large fleet: bulk upsert, no-op re-sync, and keyset paging.
//!
//! `cargo run --release -p airlift-desk --example cache_bench -- [rows]` (default 1,000,000).

use std::time::Instant;

use airlift_desk::cache::rows::DeviceRow;
use airlift_desk::cache::{Cache, DeviceQuery};

fn device(i: u32) -> DeviceRow {
    DeviceRow {
        id: format!("dev-{i:07}"),
        name: format!("gateway-{:07}", (i * 7919) % 1_000_000),
        profile_id: Some(format!("prof-{}", i % 7)),
        device_type: "edge-gw".into(),
        firmware_version: Some("1.4.2".into()),
        target_version: None,
        ota_status: Some("idle".into()),
        progress: None,
        last_update_at: Some("2026-11-20T09:00:00Z".into()),
        updated_at: "2026-11-20T10:00:00Z".into(),
        last_seen_at: None,
        user_agent: None,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("airlift-cache-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut cache = Cache::open(&dir.join("cache.sqlite"))?.cache;
    let rows: Vec<DeviceRow> = (0..n).map(device).collect();

    let t = Instant::now();
    let stats = cache.upsert_devices("bench", &rows)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "insert   {n} rows in {secs:.2} s = {:.0} rows/s ({stats:?})",
        f64::from(n) / secs
    );

    let t = Instant::now();
    let stats = cache.upsert_devices("bench", &rows)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "re-sync  {n} unchanged rows in {secs:.2} s = {:.0} rows/s ({stats:?})",
        f64::from(n) / secs
    );

    let t = Instant::now();
    let mut query = DeviceQuery {
        limit: 1000,
        ..Default::default()
    };
    let mut seen = 0usize;
    let mut pages = 0usize;
    loop {
        let page = cache.list_devices("bench", &query)?;
        seen += page.items.len();
        pages += 1;
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "paging   {seen} rows in {pages} pages in {secs:.2} s = {:.2} ms/page",
        secs * 1e3 / pages as f64
    );

    let t = Instant::now();
    let hits = cache.list_devices(
        "bench",
        &DeviceQuery {
            text: Some("GATEWAY-00123".into()),
            limit: 100,
            ..Default::default()
        },
    )?;
    println!(
        "search   {} hits in {:.2} ms",
        hits.items.len(),
        t.elapsed().as_secs_f64() * 1e3
    );

    cache.checkpoint()?;
    drop(cache);
    let size = std::fs::metadata(dir.join("cache.sqlite"))?.len();
    let t = Instant::now();
    let reopened = Cache::open(&dir.join("cache.sqlite"))?;
    println!(
        "reopen   {:.0} MB file (integrity check + migrations) in {:.2} s, rebuilt: {}",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        reopened.rebuilt_from.is_some()
    );
    drop(reopened);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
