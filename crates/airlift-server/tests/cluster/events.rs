//! Live events across servers: progress counted on one streams on another, and a stream
//! ends wherever it is open once its token is revoked.

use serde_json::json;

use crate::common::ota::{package, sse, PKG_SIZE};
use crate::common::*;
use crate::harness::*;

#[test]
fn progress_counted_on_one_server_streams_on_another() {
    let c = cluster(2, false);
    let admin_token = c.token("acme", "admin");
    let token = c.token("acme", "release-manager");
    let (one, two) = (c.base(0), c.base(1));
    runtime().block_on(async {
        let rm = api(&one, &token);
        let (profile, devices) = fleet_on(&api(&one, &admin_token), &rm, 2).await;
        let pkg = package(&rm, "2.0.0", &bytes(PKG_SIZE, 3)).await;
        // The only subscriber is on the second server; everything happens on the first.
        let mut stream = sse(&api(&two, &token), None).await;
        let id = rm
            .post(
                "/api/v1/ota/rollouts",
                json!({"package_id": pkg, "target_profile_id": profile, "canary_percent": 100,
                       "failure_threshold_percent": 100}),
            )
            .await
            .expect(201)["rollout_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let started = events_until(&mut stream, "profile.ota.rollout.started.").await;
        assert!(started.last().unwrap().event.ends_with(&id));
        let (device_id, device_token) = &devices[0];
        device(&one, device_id, device_token)
            .report(&id, "1.0.0", "DOWNLOAD")
            .await
            .expect(200);
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let ev = tokio::time::timeout_at(deadline, stream.recv())
                .await
                .expect("a progress event from the other server")
                .expect("the stream is open");
            if ev.event == "rollout.progress" && ev.data["counters"]["in_progress"] == 1 {
                assert_eq!(ev.data["rollout_id"], id.as_str());
                break;
            }
        }
    });
}

/// An event stream open on one server ends within a second when its token is revoked through
/// another: each stream checks its token's row in the database, which every server shares.
#[test]
fn an_event_stream_ends_on_every_server_when_its_token_is_revoked() {
    let c = cluster(2, false);
    let admin_token = c.token("acme", "admin");
    runtime().block_on(async {
        let admin = api(&c.base(0), &admin_token);
        let made = admin
            .post(
                "/api/v1/api-tokens",
                serde_json::json!({"name": "dashboard", "role": "support"}),
            )
            .await
            .expect(201);
        let secret = made["token"].as_str().unwrap().to_owned();
        let mut stream = sse(&api(&c.base(1), &secret), None).await;
        admin
            .delete(&format!(
                "/api/v1/api-tokens/{}",
                made["id"].as_str().unwrap()
            ))
            .await
            .expect(204);
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            match tokio::time::timeout_at(deadline, stream.recv()).await {
                Ok(None) => break,
                Ok(Some(_)) => continue,
                Err(_) => panic!("the stream on the other server did not end"),
            }
        }
        api(&c.base(1), &secret)
            .get("/api/v1/events")
            .await
            .expect_error(401, "UNAUTHENTICATED");
    });
}
