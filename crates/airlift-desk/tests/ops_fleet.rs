//! Connecting, syncing, searching the fleet and opening a device through `ops` (what the app's
//! Settings and devices screen and `airlift-cli connection | sync | devices` all call), against
//! the real airliftd, without a window.

mod support;

use std::sync::Mutex;

use airlift_core::wire::{BulkCreateDevices, CreateDevice, CreateProfile};
use airlift_desk::cache::Cache;
use airlift_desk::client::ClientOptions;
use airlift_desk::ops::connect::check_connection;
use airlift_desk::ops::devices::{
    devices_starting_with, refresh_device, search_devices, DeviceSearch,
};
use airlift_desk::ops::sync::{sync_all, sync_fleet};
use airlift_desk::ops::Session;
use airlift_desk::role::Role;
use airlift_desk::secret::Secret;
use airlift_desk::DeskErrorCode;

const CONN: &str = "lab";

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_is_checked_synced_searched_and_a_device_opened_with_its_agent() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let token = server.token("acme", "release-manager");

    // Connect: the token reads the tenant; a wrong one is refused with its code.
    let check = check_connection(
        &server.base,
        Some(&Secret::new(token.as_str())),
        ClientOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(check.packages_seen, 0);
    assert!(check.tenant.is_some());
    assert_eq!(check.role, Some(Role::ReleaseManager));
    let refused = check_connection(
        &server.base,
        Some(&Secret::new("not-a-token")),
        ClientOptions::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), DeskErrorCode::Unauthenticated, "{refused}");

    let client = support::client_for(&server.base, Some(&token));
    let profile = client
        .create_profile(&CreateProfile {
            name: "lab".into(),
            device_type: "temp-sensor".into(),
        })
        .await
        .unwrap();
    let device = |name: &str| CreateDevice {
        name: name.into(),
        profile_id: profile.profile_id.clone(),
        device_type: "temp-sensor".into(),
        firmware_version: "1.0.0".into(),
    };
    let created = client
        .create_devices_bulk(&BulkCreateDevices {
            devices: vec![device("boiler-2"), device("boiler-10"), device("cellar")],
        })
        .await
        .unwrap();
    let dir = support::tempdir();
    let cache = Mutex::new(Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache);
    let s = Session {
        client: &client,
        cache: &cache,
        connection_id: CONN,
    };

    // Sync: everything, then the fleet again (nothing changed).
    let all = sync_all(s).await.unwrap();
    assert_eq!(all.devices.listed, 3);
    assert_eq!(all.packages.listed, 0);
    let again = sync_fleet(s).await.unwrap();
    assert!(again.incremental);
    assert_eq!(again.written, 0);

    // Search: any part of the name, blank filters ignored, names in natural order.
    let page = search_devices(
        &cache.lock().unwrap(),
        CONN,
        &DeviceSearch {
            text: " BOILER ".into(),
            version: Some(String::new()),
            ..DeviceSearch::default()
        },
    )
    .unwrap();
    let names: Vec<&str> = page.items.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["boiler-2", "boiler-10"]);
    let starting = devices_starting_with(&cache.lock().unwrap(), CONN, Some("cel")).unwrap();
    assert_eq!(starting.len(), 1);
    assert_eq!(starting[0].name, "cellar");

    // A device polls with its agent's User-Agent; opening its page caches the agent.
    let polled = &created.data[2];
    let answer = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/devices/{}/ota",
            server.base, polled.device.device_id
        ))
        .bearer_auth(&polled.device_token)
        .header(reqwest::header::USER_AGENT, "airlift-agent/0.1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 204);
    let id = polled.device.device_id.as_str();
    assert_eq!(refresh_device(s, id).await.unwrap(), None, "no assignment");
    let row = cache.lock().unwrap().device(CONN, id).unwrap().unwrap();
    assert_eq!(row.user_agent.as_deref(), Some("airlift-agent/0.1.0"));
    assert!(row.last_seen_at.is_some());

    // A fleet sync after that keeps the agent (lists do not carry it).
    sync_all(s).await.unwrap();
    let row = cache.lock().unwrap().device(CONN, id).unwrap().unwrap();
    assert_eq!(row.user_agent.as_deref(), Some("airlift-agent/0.1.0"));

    // An unknown device is the server's NOT_FOUND, and nothing is cached for it.
    let missing = refresh_device(s, "dev_missing").await.unwrap_err();
    assert_eq!(missing.code(), DeskErrorCode::NotFound, "{missing}");
    assert!(cache
        .lock()
        .unwrap()
        .device(CONN, "dev_missing")
        .unwrap()
        .is_none());
}
