//! Budgets per credential: a device flooding the server gets 429 with `Retry-After` while
//! another device polling normally gets none; the same for user tokens.

mod common;

use std::time::Duration;

use common::ota::fleet;
use common::*;

/// Sends `n` GETs of `path` with `api`'s token at once; how many were refused (each checked: 429,
/// RESOURCE_EXHAUSTED, a `Retry-After` of at least one second).
async fn flood(api: &Api, path: &str, n: usize) -> usize {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let api = api.clone();
        let path = path.to_owned();
        tasks.push(tokio::spawn(async move { api.get(&path).await }));
    }
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r.status.as_u16() == 429 {
            let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!(retry >= 1, "Retry-After {retry}");
            assert_eq!(r.code(), "RESOURCE_EXHAUSTED", "{}", r.body);
            refused += 1;
        } else {
            // 200 (an assignment) or 204 (nothing to do), or 200 for a user read.
            assert!(
                matches!(r.status.as_u16(), 200 | 204),
                "{} {}",
                r.status,
                r.body
            );
        }
    }
    refused
}

#[tokio::test]
async fn a_flooding_device_slows_no_other_device() {
    let f = fleet(
        2,
        &["--device-rate-limit", "5", "--device-rate-burst", "10"],
    )
    .await;
    let (flooder, quiet) = (&f.devices[0], &f.devices[1]);
    let flood_path = format!("/api/v1/devices/{}/ota", flooder.id);
    let quiet_path = format!("/api/v1/devices/{}/ota", quiet.id);

    // The quiet device polls twice a second (within its own budget) all along.
    let quiet_api = quiet.api.clone();
    let poller = tokio::spawn(async move {
        let mut statuses = Vec::new();
        for _ in 0..8 {
            statuses.push(quiet_api.get(&quiet_path).await.status.as_u16());
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        statuses
    });
    let mut refused = 0;
    for _ in 0..4 {
        refused += flood(&flooder.api, &flood_path, 100).await;
    }
    let statuses = poller.await.unwrap();
    assert!(refused > 0, "the flooding device was never refused");
    assert!(
        statuses.iter().all(|s| matches!(*s, 200 | 204)),
        "the quiet device was slowed: {statuses:?}"
    );
}

#[tokio::test]
async fn each_user_token_has_its_own_budget() {
    let dir = tempdir();
    let loud = token(dir.path(), "acme", "admin");
    let calm = token(dir.path(), "acme", "support");
    let server = Server::start_with(
        dir.path(),
        &["--user-rate-limit", "5", "--user-rate-burst", "10"],
    );
    let refused = flood(&Api::new(&server, &loud), "/api/v1/tenant", 100).await;
    assert!(refused > 0, "the flooding token was never refused");
    Api::new(&server, &calm)
        .get("/api/v1/tenant")
        .await
        .expect(200);
}
