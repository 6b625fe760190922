//! One page (100 rows) of the device list from the offline cache of a 1,000,000-device fleet,
//! 900,000 rows deep, by keyset cursor: the target is ≤ 1 ms (issue 9). No timing is asserted;
//! bench/desk-page.sh reads criterion's estimate and prints the verdict.
//!
//! And the first page of a search on a part of the id or name: `search_common` (a term in 10 %
//! of the names: the page fills early) and `search_rare` (a term one or two devices hold: the
//! whole list index is scanned once, the worst case).
//!
//! `cargo bench -p airlift-desk --bench device_page` (env FLEET to change the fleet size).

#[path = "support/fleet.rs"]
mod fleet;

use std::hint::black_box;

use airlift_desk::cache::{Cache, DeviceCursor, DeviceQuery, DeviceSort, MAX_PAGE};
use criterion::{criterion_group, criterion_main, Criterion};

/// The cursor after the first `offset` rows in `sort` order, found by paging as the UI would.
fn cursor_at(cache: &Cache, sort: DeviceSort, offset: u64) -> DeviceCursor {
    let mut query = DeviceQuery {
        sort,
        limit: MAX_PAGE,
        ..DeviceQuery::default()
    };
    let mut seen = 0u64;
    loop {
        let page = cache.list_devices(fleet::CONNECTION, &query).expect("list");
        seen += page.items.len() as u64;
        let next = page.next.expect("the fleet is larger than the offset");
        if seen >= offset {
            assert_eq!(seen, offset, "offset must be a multiple of {MAX_PAGE}");
            return next;
        }
        query.after = Some(next);
    }
}

fn device_page(c: &mut Criterion) {
    let fleet: u64 = std::env::var("FLEET")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let offset = fleet / 10 * 9 / u64::from(MAX_PAGE) * u64::from(MAX_PAGE);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cache = Cache::open(&dir.path().join("cache.sqlite3"))
        .expect("open cache")
        .cache;
    let ids: Vec<u64> = (0..fleet).collect();
    for chunk in ids.chunks(10_000) {
        let rows: Vec<_> = chunk.iter().map(|&i| fleet::device(i)).collect();
        cache
            .upsert_devices(fleet::CONNECTION, &rows)
            .expect("fill cache");
    }

    let mut group = c.benchmark_group("device_page");
    for (name, sort) in [("by_name", DeviceSort::Name), ("by_id", DeviceSort::Id)] {
        let query = DeviceQuery {
            sort,
            after: Some(cursor_at(&cache, sort, offset)),
            limit: 100,
            ..DeviceQuery::default()
        };
        group.bench_function(format!("{name}_at_{offset}"), |b| {
            b.iter(|| {
                let page = cache
                    .list_devices(fleet::CONNECTION, black_box(&query))
                    .expect("page");
                assert_eq!(page.items.len(), 100);
                page
            });
        });
    }
    for (name, text, hits) in [
        ("search_common", "gateway-00", 100),
        ("search_rare", "0123457", 2),
    ] {
        let query = DeviceQuery {
            text: Some(text.into()),
            limit: 100,
            ..DeviceQuery::default()
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let page = cache
                    .list_devices(fleet::CONNECTION, black_box(&query))
                    .expect("page");
                assert!((1..=hits).contains(&page.items.len()), "{text}");
                page
            });
        });
    }
    group.finish();
}

criterion_group!(benches, device_page);
criterion_main!(benches);
