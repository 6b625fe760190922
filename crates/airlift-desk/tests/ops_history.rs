//! A device's history exported as CSV through `ops::history` (the app's Export CSV, the CLI's
//! `devices history --csv`), against the real airliftd: synced when the server answers, the
//! cached copy, marked as such, once it is gone.

mod support;

use std::sync::Mutex;

use airlift_core::wire::{BulkCreateDevices, CreateDevice, CreateProfile};
use airlift_desk::cache::Cache;
use airlift_desk::device_history::CSV_COLUMNS;
use airlift_desk::ops::history::export_history;
use airlift_desk::ops::Session;

const CONN: &str = "lab";

#[tokio::test(flavor = "multi_thread")]
async fn the_export_is_fresh_online_and_the_cached_copy_offline() {
    let data = support::tempdir();
    let mut server = support::Server::start(data.path());
    let client = server.client("acme", "release-manager");
    let profile = client
        .create_profile(&CreateProfile {
            name: "lab".into(),
            device_type: "temp-sensor".into(),
        })
        .await
        .unwrap();
    let created = client
        .create_devices_bulk(&BulkCreateDevices {
            devices: vec![CreateDevice {
                name: "boiler room".into(),
                profile_id: profile.profile_id.clone(),
                device_type: "temp-sensor".into(),
                firmware_version: "1.0.0".into(),
            }],
        })
        .await
        .unwrap();
    let id = created.data[0].device.device_id.clone();
    let dir = support::tempdir();
    let cache = Mutex::new(Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache);
    let s = Session {
        client: &client,
        cache: &cache,
        connection_id: CONN,
    };

    let online = export_history(s, &id, None).await.unwrap();
    assert!(online.fresh);
    assert_eq!(online.offline_reason, None);
    let header = online.data.csv.lines().next().unwrap().to_owned();
    assert_eq!(header, CSV_COLUMNS.join(","));
    assert!(online.data.file_name.ends_with("-history.csv"));

    server.kill();
    let offline = export_history(s, &id, None).await.unwrap();
    assert!(!offline.fresh);
    assert!(offline.offline_reason.is_some());
    assert!(offline.age.is_some(), "the cached copy says how old it is");
    assert_eq!(offline.data.csv, online.data.csv);
}
