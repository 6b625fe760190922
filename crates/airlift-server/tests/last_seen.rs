//! A device's last contact (`last_seen_at` on the device JSON): absent until it polls, then the
//! time of its newest poll, report or command read, on the device and in the list, and after
//! a restart; another tenant still gets 404 for the device.

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

/// A poll (or command read, or report) with this `User-Agent`.
async fn poll_as(device: &Device, agent: &str) {
    let r = device
        .api
        .send(
            device
                .api
                .req(
                    reqwest::Method::GET,
                    &format!("/api/v1/devices/{}/ota", device.id),
                )
                .header(reqwest::header::USER_AGENT, agent),
        )
        .await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.body);
}

#[tokio::test]
async fn the_device_page_names_the_agent_it_last_polled_with_even_after_a_restart() {
    let mut f = fleet(2, &[]).await;
    let (agent, other) = (f.devices[0].clone(), f.devices[1].clone());
    let path = format!("/api/v1/devices/{}", agent.id);
    let before = f.rm.get(&path).await.expect(200);
    assert!(before.get("user_agent").is_none(), "no poll yet: {before}");

    poll_as(&agent, "airlift-agent/0.1.0").await;
    let after = f.rm.get(&path).await.expect(200);
    assert_eq!(after["user_agent"], "airlift-agent/0.1.0", "{after}");
    assert_eq!(
        after["change_seq"], before["change_seq"],
        "an agent is not a change of the device"
    );

    // A request without the header keeps what was known; a new version replaces it, and a
    // header past the limit is cut, not refused.
    assert_eq!(agent.ota().await.status.as_u16(), 204);
    assert_eq!(
        f.rm.get(&path).await.expect(200)["user_agent"],
        "airlift-agent/0.1.0"
    );
    let long = format!("airlift-agent/0.2.0 {}", "x".repeat(500));
    poll_as(&agent, &long).await;
    let cut = f.rm.get(&path).await.expect(200)["user_agent"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(cut.len(), airlift_core::wire::MAX_USER_AGENT_LEN);
    assert!(long.starts_with(&cut));
    poll_as(&agent, "airlift-agent/0.2.0").await;
    poll_as(&other, "airlift-sim/0.1.0").await;

    // Lists do not carry it (one device's page does); another tenant learns nothing.
    let list = f.rm.get("/api/v1/devices?limit=100").await.expect(200);
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d.get("user_agent").is_none()),
        "{list}"
    );
    Api::for_tenant(&f.server, "globex", "admin")
        .get(&path)
        .await
        .expect_error(404, "NOT_FOUND");

    let last_seen = f.rm.get(&path).await.expect(200)["last_seen_at"].clone();
    assert!(last_seen.is_string(), "{last_seen}");

    // Kept in the database: a restarted server (which has seen no poll yet) still names it,
    // and the last contact (written at the latest on the way out).
    let status = std::process::Command::new("kill")
        .args(["-TERM", &f.server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    f.server
        .wait_timeout(std::time::Duration::from_secs(10))
        .expect("exits on SIGTERM");
    let server = Server::start(f.dir.path());
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let restarted = rm.get(&path).await.expect(200);
    assert_eq!(
        restarted["last_seen_at"], last_seen,
        "the last contact before the restart: {restarted}"
    );
    assert_eq!(
        restarted["user_agent"], "airlift-agent/0.2.0",
        "{restarted}"
    );
    assert_eq!(restarted["change_seq"], before["change_seq"]);
    let sim = rm
        .get(&format!("/api/v1/devices/{}", other.id))
        .await
        .expect(200);
    assert_eq!(sim["user_agent"], "airlift-sim/0.1.0", "{sim}");
}
