//! The desk's side of bench/desk-cache.sh and the warm cache of bench/desk-startup.sh.
//!
//! The timed part is exactly what a device sync does to the cache once the rows have arrived:
//! [`DeviceSyncWriter`] (transactions of 10,000 rows, removal bookkeeping, the saved cursor).
//! Rows are built before the clock starts, as HTTP decoding is not the cache's cost.
//!
//! ```text
//! sync_bench schema DB                        create an empty, migrated cache (for sqlite3)
//! sync_bench initial DB FLEET                 first sync of FLEET devices   → "seconds written cpu"
//! sync_bench incremental DB FLEET CHANGES     then CHANGES changed devices  → "seconds written cpu"
//! sync_bench sql initial FLEET                the reference's SQL for the same rows
//! sync_bench sql incremental FLEET CHANGES
//! sync_bench warm DATA_DIR FLEET URL TENANT   a warm app cache (devices, packages, rollouts),
//!                                             where the app opens it for that server and tenant
//! ```

#[path = "../benches/support/fleet.rs"]
mod fleet;

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use airlift_core::package::PackageType;
use airlift_core::rollout::RolloutStatus;
use airlift_desk::cache::location::cache_file;
use airlift_desk::cache::rows::{PackageRow, RolloutRow};
use airlift_desk::cache::{Cache, Collection};
use airlift_desk::process_stats::own_cpu_time;
use airlift_desk::sync::DeviceSyncWriter;

type Fallible<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Fallible {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> Fallible<&str> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing argument {i}; see the example's doc comment").into())
    };
    let num = |i: usize| -> Fallible<u64> { Ok(arg(i)?.parse()?) };
    match arg(0)? {
        "schema" => {
            Cache::open(Path::new(arg(1)?))?;
        }
        "initial" => {
            let rows = (0..num(2)?).map(fleet::device).collect();
            sync(Path::new(arg(1)?), rows, true)?;
        }
        "incremental" => {
            let (n, changes) = (num(2)?, num(3)?);
            let rows = (0..changes)
                .map(|k| fleet::changed_device(fleet::changed_index(k, n, changes)))
                .collect();
            sync(Path::new(arg(1)?), rows, false)?;
        }
        "sql" => match arg(1)? {
            "initial" => println!("{}", fleet::initial_sql(num(2)?)),
            "incremental" => println!("{}", fleet::incremental_sql(num(2)?, num(3)?)),
            other => return Err(format!("unknown sql {other}").into()),
        },
        "warm" => {
            // The app keeps one cache file per server and tenant, in `caches/`.
            let db = cache_file(&Path::new(arg(1)?).join("caches"), arg(3)?, arg(4)?);
            std::fs::create_dir_all(db.parent().unwrap_or(Path::new(".")))?;
            warm(&db, num(2)?)?
        }
        other => return Err(format!("unknown command {other}").into()),
    }
    Ok(())
}

/// Writes `rows` as one sync does and prints the seconds it took, the rows written and the CPU
/// seconds it used.
fn sync(db: &Path, rows: Vec<airlift_desk::cache::rows::DeviceRow>, full: bool) -> Fallible {
    let cache = Mutex::new(Cache::open(db)?.cache);
    let cpu = own_cpu_time().unwrap_or_default();
    let started = Instant::now();
    let mut writer = DeviceSyncWriter::new(&cache, fleet::CONNECTION, full)?;
    for row in rows {
        writer.push(row)?;
    }
    let done = writer.finish("1")?;
    let secs = started.elapsed().as_secs_f64();
    let cpu = own_cpu_time().unwrap_or_default().saturating_sub(cpu);
    println!("{secs:.4} {} {:.2}", done.written, cpu.as_secs_f64());
    Ok(())
}

/// The cache a person has after using the app on a large fleet: every device, a catalog of 200
/// packages and 50 rollouts, all synced.
fn warm(db: &Path, n: u64) -> Fallible {
    sync(db, (0..n).map(fleet::device).collect(), true)?;
    let mut cache = Cache::open(db)?.cache;
    let packages: Vec<PackageRow> = (0..200u64)
        .map(|i| PackageRow {
            id: format!("pkg-{i:04}"),
            package_type: if i % 4 == 0 {
                PackageType::Sw
            } else {
                PackageType::Fw
            },
            version: format!("{}.{}.{}", 1 + i / 100, (i / 10) % 10, i % 10),
            device_type: ["edge-gw", "sensor-s2", "cam-4k"][(i % 3) as usize].into(),
            min_version: (i % 5 == 0).then(|| "1.0.0".into()),
            size_bytes: 8_000_000 + i * 123_457,
            sha256: format!("{:064x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            signature_status: "verified".into(),
            created_at: format!("2026-{:02}-{:02}T10:00:00Z", 1 + i / 28 % 12, 1 + i % 28),
            release_notes: Some(format!("Release {i}: fixes and improvements.")),
            stored_encrypted: i % 7 == 0,
            payload_type: Default::default(),
            storage_key: None,
        })
        .collect();
    cache.upsert_packages(fleet::CONNECTION, &packages)?;
    let rollouts: Vec<RolloutRow> = (0..50u64)
        .map(|i| RolloutRow {
            id: format!("ro-{i:04}"),
            package_id: format!("pkg-{:04}", i * 4 + 1),
            status: RolloutStatus::Completed,
            counters: serde_json::json!({ "succeeded": 20_000, "failed": 12 }),
            created_at: format!("2026-{:02}-01T10:00:00Z", 1 + i % 12),
            updated_at: format!("2026-{:02}-02T10:00:00Z", 1 + i % 12),
        })
        .collect();
    cache.upsert_rollouts(fleet::CONNECTION, &rollouts)?;
    for c in [Collection::Packages, Collection::Rollouts] {
        cache.mark_synced(fleet::CONNECTION, c, Some("1"))?;
    }
    cache.checkpoint()?;
    Ok(())
}
