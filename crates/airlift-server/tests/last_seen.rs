//! A device's last contact (`last_seen_at` on the device JSON): absent until it polls, then the
//! time of its newest poll, report or command read, on the device and in the list; another
//! tenant still gets 404 for the device.

mod common;

use common::ota::*;
use common::*;

#[tokio::test]
async fn last_seen_at_follows_the_device_polls() {
    let f = fleet(2, &[]).await;
    let (polled, silent) = (&f.devices[0], &f.devices[1]);
    let path = |id: &str| format!("/api/v1/devices/{id}");

    let before = f.rm.get(&path(&polled.id)).await.expect(200);
    assert!(
        before.get("last_seen_at").is_none(),
        "no contact yet: {before}"
    );

    let start = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(polled.ota().await.status.as_u16(), 204);
    let after = f.rm.get(&path(&polled.id)).await.expect(200);
    let seen = after["last_seen_at"]
        .as_str()
        .unwrap_or_else(|| panic!("no last_seen_at after a poll: {after}"));
    let seen = time::OffsetDateTime::parse(seen, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339")
        .unix_timestamp();
    assert!(
        (start - 1..=start + 60).contains(&seen),
        "last contact {seen} is not the poll's time (~{start})"
    );

    // The list carries it too; the device that never polled has none.
    let list = f.rm.get("/api/v1/devices?limit=100").await.expect(200);
    let row = |id: &str| {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device_id"] == id)
            .cloned()
            .unwrap()
    };
    assert!(row(&polled.id)["last_seen_at"].is_string(), "{list}");
    assert!(row(&silent.id).get("last_seen_at").is_none(), "{list}");

    // Another tenant learns nothing about the device, its last contact included.
    let other = Api::for_tenant(&f.server, "globex", "admin");
    other
        .get(&path(&polled.id))
        .await
        .expect_error(404, "NOT_FOUND");
}
