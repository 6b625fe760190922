//! Device lists: bulk and incremental upserts, keyset paging in natural order, substring
//! search, filters.

use super::*;

#[test]
fn bulk_upsert_of_100k_then_incremental_upsert_writes_only_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let mut rows = fleet(100_000);
    let stats = cache.upsert_devices(CONN, &rows).expect("bulk upsert");
    assert_eq!((stats.written, stats.unchanged), (100_000, 0));
    assert_eq!(cache.count_devices(CONN).expect("count"), 100_000);

    for i in (0..100_000).step_by(10_000) {
        rows[i].ota_status = Some("downloading".into());
        rows[i].progress = Some(42);
    }
    let stats = cache.upsert_devices(CONN, &rows).expect("re-sync");
    assert_eq!((stats.written, stats.unchanged), (10, 99_990));
    let changed = cache
        .device(CONN, "dev-010000")
        .expect("read")
        .expect("exists");
    assert_eq!(changed.progress, Some(42));
    assert_eq!(changed.ota_status.as_deref(), Some("downloading"));
    let same = cache
        .device(CONN, "dev-010001")
        .expect("read")
        .expect("exists");
    assert_eq!(same, device(10_001));
    assert!(cache.device(CONN, "dev-999999").expect("read").is_none());

    // Devices the server no longer lists are removed by id.
    let removed = cache
        .delete_devices(CONN, &["dev-000000", "dev-000001", "dev-999999"])
        .expect("delete");
    assert_eq!(removed, 2);
    assert_eq!(cache.count_devices(CONN).expect("count"), 99_998);
}

#[test]
fn keyset_paging_over_100k_devices_returns_every_row_once_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let rows = fleet(100_000);
    cache.upsert_devices(CONN, &rows).expect("upsert");
    // Another connection's devices must never leak into this one's pages.
    cache
        .upsert_devices("conn-staging", &fleet(500))
        .expect("other connection");

    let mut expected = rows.clone();
    name_order(&mut expected);
    let by_name = page_all(&cache, DeviceSort::Name, None, 1000);
    assert_eq!(by_name.len(), expected.len());
    assert!(by_name == expected, "name order differs");

    let by_id = page_all(&cache, DeviceSort::Id, None, 777);
    let mut expected_ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    expected_ids.sort();
    let got_ids: Vec<String> = by_id.into_iter().map(|d| d.id).collect();
    assert_eq!(got_ids, expected_ids);
}

#[test]
fn a_deep_cursor_continues_exactly_after_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    cache.upsert_devices(CONN, &fleet(100_000)).expect("upsert");
    let mut expected = fleet(100_000);
    name_order(&mut expected);

    // A cursor as the UI holds it after 90k rows (its key is opaque: taken from the pages).
    let cursor_after = |rows: usize| {
        let mut query = DeviceQuery {
            limit: 1000,
            ..Default::default()
        };
        for _ in 0..rows / 1000 {
            query.after = cache.list_devices(CONN, &query).expect("page").next;
        }
        let tail = rows % 1000;
        if tail > 0 {
            query.limit = tail as u32;
            query.after = cache.list_devices(CONN, &query).expect("page").next;
        }
        query.after.expect("a cursor")
    };
    let query = DeviceQuery {
        sort: DeviceSort::Name,
        after: Some(cursor_after(90_000)),
        limit: 50,
        ..Default::default()
    };
    let page = cache.list_devices(CONN, &query).expect("deep page");
    assert_eq!(page.items, expected[90_000..90_050].to_vec());
    let next = page.next.expect("more pages");
    assert_eq!(next.id, expected[90_049].id);

    // The last page says so.
    let tail = DeviceQuery {
        after: Some(cursor_after(99_990)),
        limit: 50,
        ..Default::default()
    };
    let page = cache.list_devices(CONN, &tail).expect("tail");
    assert_eq!(page.items.len(), 10);
    assert!(page.next.is_none());
}

#[test]
fn search_matches_any_part_of_the_id_or_name_ignoring_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    cache.upsert_devices(CONN, &fleet(20_000)).expect("upsert");
    let mut special = device(999_999);
    special.id = "lab_1%x".into();
    special.name = "Bench rig".into();
    let mut decoy = device(999_998);
    decoy.id = "labX1".into();
    decoy.name = "Other".into();
    cache
        .upsert_devices(CONN, &[special, decoy, inside_row()])
        .expect("upsert");

    // Any part of the name, any case; paged through with a small page to cross page
    // boundaries, in the list's order.
    let hits = page_all(&cache, DeviceSort::Name, Some("SOR 0012"), 3);
    let mut expected: Vec<DeviceRow> = fleet(20_000)
        .into_iter()
        .filter(|d| d.name.to_ascii_lowercase().contains("sor 0012"))
        .collect();
    name_order(&mut expected);
    assert_eq!(hits.len(), expected.len());
    assert!(!hits.is_empty());
    assert!(hits == expected);

    // "119" finds every id and name with 119 anywhere: dev-000119, dev-001190..., xx-119-yy.
    let hits = page_all(&cache, DeviceSort::Id, Some("119"), 100);
    let ids: Vec<&str> = hits.iter().map(|d| d.id.as_str()).collect();
    assert!(ids.contains(&"dev-000119"), "{ids:?}");
    assert!(ids.contains(&"dev-011900"), "{ids:?}");
    assert!(ids.contains(&"xx-119-yy"), "{ids:?}");
    let mut all = fleet(20_000);
    all.push(inside_row());
    let want = all
        .iter()
        .filter(|d| d.id.contains("119") || d.name.contains("119"))
        .count();
    assert_eq!(hits.len(), want);

    // Id prefix still works (it is a part too).
    let hits = page_all(&cache, DeviceSort::Id, Some("DEV-01999"), 100);
    let ids: Vec<&str> = hits.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        (19_990..20_000)
            .map(|i| format!("dev-{i:06}"))
            .collect::<Vec<_>>()
    );

    // LIKE wildcards in the search text are literal.
    let hits = page_all(&cache, DeviceSort::Id, Some("b_1%"), 10);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, "lab_1%x");

    assert!(page_all(&cache, DeviceSort::Name, Some("zzz"), 10).is_empty());
    // An empty search box lists everything.
    assert_eq!(
        page_all(&cache, DeviceSort::Id, Some(""), 1000).len(),
        20_003
    );
}

/// A device whose id holds "119" in its middle.
fn inside_row() -> DeviceRow {
    let mut inside = device(999_997);
    inside.id = "xx-119-yy".into();
    inside.name = "Cellar".into();
    inside
}

#[test]
fn names_sort_naturally_and_page_by_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let rows: Vec<DeviceRow> = [0, 1, 10, 100, 2, 20, 3, 119, 11]
        .iter()
        .map(|&i| {
            let mut d = device(i);
            d.name = format!("demo-{i}");
            d
        })
        .collect();
    cache.upsert_devices(CONN, &rows).expect("upsert");
    let names: Vec<String> = page_all(&cache, DeviceSort::Name, None, 2)
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(
        names,
        [
            "demo-0", "demo-1", "demo-2", "demo-3", "demo-10", "demo-11", "demo-20", "demo-100",
            "demo-119"
        ]
    );
}

/// Pages through a filtered search and returns every id.
fn page_ids(cache: &Cache, mut query: DeviceQuery) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let page = cache.list_devices(CONN, &query).expect("page");
        assert!(page.items.len() <= query.limit as usize);
        ids.extend(page.items.into_iter().map(|d| d.id));
        match page.next {
            Some(next) => query.after = Some(next),
            None => return ids,
        }
    }
}

#[test]
fn version_and_state_filters_page_by_key_and_a_device_sync_keeps_ota_states() {
    use airlift_desk::cache::DeviceOta;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let mut rows = fleet(10_000);
    for (i, row) in rows.iter_mut().enumerate() {
        if i % 4 == 0 {
            row.firmware_version = Some("2.0.0".into());
        }
        // A device the server lists carries no OTA state: it starts idle.
        row.ota_status = None;
    }
    cache.upsert_devices(CONN, &rows).expect("upsert");

    let ota = |i: usize, rollout: &str, created: &str, status: &str| DeviceOta {
        device_id: rows[i].id.clone(),
        rollout_id: rollout.into(),
        rollout_created_at: created.into(),
        target_version: Some("2.0.0".into()),
        ota_status: status.into(),
        rollout_state: Some("failed".into()),
        progress: Some(60),
        last_status: Some("INSTALL_ERROR".into()),
        last_message: Some("Not enough memory".into()),
        last_update_at: Some("2026-03-01T10:00:00Z".into()),
    };
    let failed: Vec<DeviceOta> = (0..10_000)
        .step_by(7)
        .map(|i| ota(i, "rol_new", "2026-03-01T09:00:00Z", "failed"))
        .collect();
    assert_eq!(
        cache.set_device_ota(CONN, &failed).expect("set"),
        failed.len()
    );
    // An older rollout read later does not hide the newer one's state.
    let rollout = |id: &str, created: &str| RolloutRow {
        id: id.into(),
        package_id: "pkg".into(),
        status: RolloutStatus::Active,
        counters: serde_json::json!({}),
        created_at: created.into(),
        updated_at: created.into(),
    };
    cache
        .upsert_rollouts(
            CONN,
            &[
                rollout("rol_new", "2026-03-01T09:00:00Z"),
                rollout("rol_old", "2026-02-01T09:00:00Z"),
            ],
        )
        .expect("rollouts");
    let older = vec![ota(0, "rol_old", "2026-02-01T09:00:00Z", "completed")];
    assert_eq!(cache.set_device_ota(CONN, &older).expect("set"), 0);
    let again = vec![ota(0, "rol_new", "2026-03-01T09:00:00Z", "failed")];
    assert_eq!(cache.set_device_ota(CONN, &again).expect("set"), 1);

    // Re-syncing the device list (no OTA columns) keeps the states.
    cache.upsert_devices(CONN, &rows).expect("re-sync");
    let d0 = cache
        .device(CONN, &rows[0].id)
        .expect("read")
        .expect("exists");
    assert_eq!(d0.ota_status.as_deref(), Some("failed"));
    assert_eq!(d0.target_version.as_deref(), Some("2.0.0"));
    let detail = cache
        .device_ota(CONN, &rows[0].id)
        .expect("read")
        .expect("has one");
    assert_eq!(detail.last_message.as_deref(), Some("Not enough memory"));
    assert!(cache.device_ota(CONN, &rows[1].id).expect("read").is_none());

    let by_state = page_ids(
        &cache,
        DeviceQuery {
            state: Some("failed".into()),
            limit: 100,
            ..DeviceQuery::default()
        },
    );
    let mut expected: Vec<String> = failed.iter().map(|o| o.device_id.clone()).collect();
    assert_eq!(by_state.len(), expected.len());
    let mut sorted = by_state.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every failed device exactly once");
    let idle = page_ids(
        &cache,
        DeviceQuery {
            state: Some("idle".into()),
            limit: 1000,
            ..DeviceQuery::default()
        },
    );
    assert_eq!(idle.len(), 10_000 - failed.len());

    let by_version = page_ids(
        &cache,
        DeviceQuery {
            version: Some("2.0.0".into()),
            limit: 333,
            ..DeviceQuery::default()
        },
    );
    assert_eq!(by_version.len(), 2_500);
    // Both filters and a prefix together.
    let both = page_ids(
        &cache,
        DeviceQuery {
            version: Some("2.0.0".into()),
            state: Some("failed".into()),
            text: Some("DEV-00".into()),
            limit: 7,
            ..DeviceQuery::default()
        },
    );
    let want = (0..10_000)
        .filter(|i| i % 4 == 0 && i % 7 == 0 && *i < 10_000)
        .filter(|i| rows[*i].id.starts_with("dev-00"))
        .count();
    assert_eq!(both.len(), want);

    let facets = cache.device_facets(CONN).expect("facets");
    assert_eq!(facets.total, 10_000);
    assert_eq!(facets.versions[0].value, "1.4.2");
    assert_eq!(facets.versions[0].count, 7_500);
    let failed_count = facets
        .states
        .iter()
        .find(|s| s.value == "failed")
        .expect("failed facet")
        .count;
    assert_eq!(failed_count, failed.len() as u64);
}

/// The device search's filter counts are its rows: a fleet where devices appear in several
/// rollouts (each device counted once, in its newest rollout's state), every state and
/// version count equals the rows its filter lists, and the counts add up to the fleet.
#[test]
fn filter_counts_equal_rows_when_devices_are_in_several_rollouts() {
    use airlift_desk::cache::DeviceOta;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = open(&cache_path(&dir));
    let mut rows = fleet(258);
    for (i, row) in rows.iter_mut().enumerate() {
        row.ota_status = None;
        row.firmware_version = Some(if i % 5 == 0 { "2.1.0" } else { "2.0.0" }.into());
    }
    cache.upsert_devices(CONN, &rows).expect("upsert");
    let rollout = |id: &str, created: &str| RolloutRow {
        id: id.into(),
        package_id: "pkg".into(),
        status: airlift_core::rollout::RolloutStatus::Completed,
        counters: serde_json::json!({}),
        created_at: created.into(),
        updated_at: created.into(),
    };
    cache
        .upsert_rollouts(
            CONN,
            &[
                rollout("rol_first", "2026-01-01T09:00:00Z"),
                rollout("rol_second", "2026-02-01T09:00:00Z"),
                rollout("rol_retry", "2026-03-01T09:00:00Z"),
            ],
        )
        .expect("rollouts");
    let ota = |i: usize, rollout: &str, created: &str, status: &str| DeviceOta {
        device_id: rows[i].id.clone(),
        rollout_id: rollout.into(),
        rollout_created_at: created.into(),
        target_version: Some("2.1.0".into()),
        ota_status: status.into(),
        rollout_state: None,
        progress: None,
        last_status: None,
        last_message: None,
        last_update_at: Some(created.into()),
    };
    // The first rollout took 94 devices (47 updated, 47 failed); the second the same 94 plus
    // 60 more; a retry of the failed ones 30 of them. Synced newest first, oldest last, as a
    // sync may read them.
    let first: Vec<DeviceOta> = (0..94)
        .map(|i| {
            let status = if i % 2 == 0 { "completed" } else { "failed" };
            ota(i, "rol_first", "2026-01-01T09:00:00Z", status)
        })
        .collect();
    let second: Vec<DeviceOta> = (0..154)
        .map(|i| {
            let status = if i % 3 == 0 { "failed" } else { "completed" };
            ota(i, "rol_second", "2026-02-01T09:00:00Z", status)
        })
        .collect();
    let retry: Vec<DeviceOta> = (0..154)
        .filter(|i| i % 3 == 0)
        .take(30)
        .map(|i| ota(i, "rol_retry", "2026-03-01T09:00:00Z", "updating"))
        .collect();
    for batch in [&retry, &second, &first] {
        cache.set_device_ota(CONN, batch).expect("set");
    }

    let facets = cache.device_facets(CONN).expect("facets");
    assert_eq!(facets.total, 258);
    let rows_of = |state: Option<&str>, version: Option<&str>| {
        page_ids(
            &cache,
            DeviceQuery {
                state: state.map(str::to_owned),
                version: version.map(str::to_owned),
                limit: 50,
                ..Default::default()
            },
        )
        .len() as u64
    };
    for f in &facets.states {
        assert_eq!(f.count, rows_of(Some(&f.value), None), "state {}", f.value);
    }
    for f in &facets.versions {
        assert_eq!(
            f.count,
            rows_of(None, Some(&f.value)),
            "version {}",
            f.value
        );
    }
    let states: u64 = facets.states.iter().map(|f| f.count).sum();
    let versions: u64 = facets.versions.iter().map(|f| f.count).sum();
    assert_eq!((states, versions), (258, 258), "{facets:?}");
    // Each device in its newest rollout's state: 30 retrying, the rest of the second's.
    let count = |s: &str| {
        facets
            .states
            .iter()
            .find(|f| f.value == s)
            .map_or(0, |f| f.count)
    };
    assert_eq!(count("updating"), 30);
    assert_eq!(count("failed"), 52 - 30);
    assert_eq!(count("completed"), 154 - 52);
    assert_eq!(count("idle"), 258 - 154);
}

#[test]
fn a_device_keeps_its_agent_until_its_page_names_another() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cache_path(&dir);
    let mut cache = open(&path);
    let mut page = device(1);
    page.user_agent = Some("airlift-agent/0.1.0".into());
    cache
        .upsert_devices(CONN, std::slice::from_ref(&page))
        .expect("page");
    assert_eq!(
        cache.device(CONN, &page.id).expect("read"),
        Some(page.clone())
    );

    // A fleet sync's row carries no agent: the cached one stays, and nothing is rewritten.
    let listed = device(1);
    let stats = cache
        .upsert_devices(CONN, std::slice::from_ref(&listed))
        .expect("list");
    assert_eq!((stats.written, stats.unchanged), (0, 1));
    let kept = cache.device(CONN, &page.id).expect("read").expect("row");
    assert_eq!(kept.user_agent.as_deref(), Some("airlift-agent/0.1.0"));

    // The page after an agent upgrade replaces it, and it survives reopening the file.
    page.user_agent = Some("airlift-agent/0.2.0".into());
    let stats = cache
        .upsert_devices(CONN, std::slice::from_ref(&page))
        .expect("upgrade");
    assert_eq!(stats.written, 1);
    drop(cache);
    let cache = open(&path);
    let read = cache.device(CONN, &page.id).expect("read").expect("row");
    assert_eq!(read.user_agent.as_deref(), Some("airlift-agent/0.2.0"));
    // Lists carry it too (the row is the same).
    let listed = page_all(&cache, DeviceSort::Id, None, 10);
    assert_eq!(listed[0].user_agent.as_deref(), Some("airlift-agent/0.2.0"));
}
