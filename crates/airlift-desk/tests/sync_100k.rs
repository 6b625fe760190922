//! 100,000 devices provisioned in 10 bulk calls, synced into the cache in pages of 1,000.

mod support;

use std::collections::HashSet;
use std::sync::Mutex;

use airlift_core::wire::{BulkCreateDevices, CreateDevice, CreateProfile};
use airlift_desk::cache::{Cache, Collection, DeviceQuery, DeviceSort};
use airlift_desk::client::ListParams;
use airlift_desk::sync::{resync, sync_devices};

const CONN: &str = "fleet";

#[tokio::test(flavor = "multi_thread")]
async fn sync_of_100k_devices() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let client = server.client("acme", "admin");
    let profile = client
        .create_profile(&CreateProfile {
            name: "all".into(),
            device_type: "temp-sensor".into(),
        })
        .await
        .unwrap();
    for batch in 0..10 {
        let devices = (0..10_000)
            .map(|i| CreateDevice {
                name: format!("dev-{batch}-{i:05}"),
                profile_id: profile.profile_id.clone(),
                device_type: "temp-sensor".into(),
                firmware_version: "1.0.0".into(),
            })
            .collect();
        let done = client
            .create_devices_bulk(&BulkCreateDevices { devices })
            .await
            .unwrap();
        assert_eq!(done.count, 10_000);
    }
    // The server pages 1,000 at most.
    let first = client.devices(&ListParams::new(1000, None)).await.unwrap();
    assert_eq!(first.data.len(), 1000);
    assert!(first.has_more);

    let dir = support::tempdir();
    let cache = Mutex::new(
        Cache::open(&dir.path().join("cache.sqlite3"))
            .unwrap()
            .cache,
    );
    let started = std::time::Instant::now();
    let report = sync_devices(&client, &cache, CONN).await.unwrap();
    eprintln!(
        "first sync of 100k devices: {:?} ({report:?})",
        started.elapsed()
    );
    assert_eq!(report.listed, 100_000);
    assert_eq!(report.pages, 100);
    assert_eq!(report.written, 100_000);
    assert_eq!(report.removed, 0);
    assert!(!report.incremental);

    {
        let c = cache.lock().unwrap();
        assert_eq!(c.count_devices(CONN).unwrap(), 100_000);
        assert!(c.synced_at_ms(CONN, Collection::Devices).unwrap().is_some());
        // Page through the cache: 100 pages of 1,000, every id once.
        let mut seen = HashSet::new();
        let mut query = DeviceQuery {
            sort: DeviceSort::Id,
            limit: 1000,
            ..Default::default()
        };
        let mut pages = 0;
        loop {
            let page = c.list_devices(CONN, &query).unwrap();
            pages += 1;
            for d in page.items {
                assert_eq!(d.profile_id.as_deref(), Some(profile.profile_id.as_str()));
                assert!(seen.insert(d.id));
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 100_000);
        assert!((100..=101).contains(&pages), "{pages} pages");
        let hits = c
            .list_devices(
                CONN,
                &DeviceQuery {
                    text: Some("dev-7-0001".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(hits.items.len(), 10);
    }

    // The next sync is incremental: nothing changed, nothing listed.
    let again = sync_devices(&client, &cache, CONN).await.unwrap();
    assert!(again.incremental);
    assert_eq!((again.listed, again.written, again.pages), (0, 0, 1));

    // One new device: an incremental sync lists exactly it.
    let one = CreateDevice {
        name: "late-joiner".into(),
        profile_id: profile.profile_id.clone(),
        device_type: "temp-sensor".into(),
        firmware_version: "1.0.0".into(),
    };
    client.create_device(&one).await.unwrap();
    let delta = sync_devices(&client, &cache, CONN).await.unwrap();
    assert_eq!((delta.listed, delta.written), (1, 1));
    assert_eq!(cache.lock().unwrap().count_devices(CONN).unwrap(), 100_001);

    // A forced full re-sync lists everything and writes nothing (rows unchanged).
    resync(&cache, CONN, Collection::Devices).unwrap();
    let full = sync_devices(&client, &cache, CONN).await.unwrap();
    assert!(!full.incremental);
    assert_eq!((full.listed, full.written, full.removed), (100_001, 0, 0));
}
