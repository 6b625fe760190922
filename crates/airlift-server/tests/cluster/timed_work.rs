//! Timed work (the timeout sweep) runs once across servers: taken over when its holder dies,
//! and exactly-once when two sweep together.

use std::collections::BTreeMap;

use airlift_testkit::postgres::psql;
use serde_json::{json, Value};

use crate::common::ota::{package, PKG_SIZE};
use crate::common::*;
use crate::harness::*;

#[test]
fn a_killed_timekeeper_s_timeouts_are_taken_over_and_each_device_times_out_once() {
    let mut c = cluster(2, false);
    let admin_token = c.token("acme", "admin");
    let token = c.token("acme", "release-manager");
    let rt = runtime();
    // The first server took the timekeeper lease.
    let first = rt.block_on(async {
        let r = reqwest::get(format!("{}/readyz", c.base(0))).await.unwrap();
        r.json::<Value>().await.unwrap()["node"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    assert_eq!(
        psql(
            &c.database_url,
            "SELECT holder FROM cluster_leases WHERE name = 'timekeeper'"
        ),
        first
    );
    let other = c.base(1);
    let (id, n) = rt.block_on(async {
        let rm = api(&other, &token);
        let (profile, devices) = fleet_on(&api(&other, &admin_token), &rm, 4).await;
        let pkg = package(&rm, "2.0.0", &bytes(PKG_SIZE, 9)).await;
        let created = rm
            .post(
                "/api/v1/ota/rollouts",
                json!({"package_id": pkg, "target_profile_id": profile, "canary_percent": 100,
                       "failure_threshold_percent": 100, "device_timeout_seconds": 3}),
            )
            .await
            .expect(201);
        (
            created["rollout_id"].as_str().unwrap().to_owned(),
            devices.len(),
        )
    });
    // The timekeeper dies before any device is due; no device ever answers.
    c.kill9(0);
    rt.block_on(async {
        let rm = api(&other, &token);
        let path = format!("/api/v1/ota/rollouts/{id}");
        eventually("the other server times the devices out", || {
            let (rm, path) = (rm.clone(), path.clone());
            async move { rm.get(&path).await.expect(200)["status"] == "completed" }
        })
        .await;
        let r = rm.get(&path).await.expect(200);
        assert_eq!(r["counters"]["timed_out"], n as u64, "{r}");
        assert_eq!(r["outcome"], "some_failed", "{r}");
        assert_eq!(counters(&r), recount(&c.database_url, &id), "{r}");
    });
    assert_each_device_timed_out_once(&c.database_url, &id, n);
    assert_ne!(
        psql(
            &c.database_url,
            "SELECT holder FROM cluster_leases WHERE name = 'timekeeper' \
             AND expires_at > clock_timestamp()"
        ),
        first,
        "the lease moved to the living server"
    );

    // The killed server comes back and serves again beside the other one.
    c.start_node(0);
    rt.block_on(async {
        let r = api(&c.base(0), &token)
            .get(&format!("/api/v1/ota/rollouts/{id}"))
            .await
            .expect(200);
        assert_eq!(r["status"], "completed");
    });
}

#[test]
fn two_servers_racing_on_one_timeout_sweep_count_each_device_once() {
    use airlift_server::store::postgres::{PgOptions, PgStore};
    let mut c = cluster(1, false);
    let admin_token = c.token("acme", "admin");
    let token = c.token("acme", "release-manager");
    let rt = runtime();
    let base = c.base(0);
    let (id, n) = rt.block_on(async {
        let rm = api(&base, &token);
        let (profile, devices) = fleet_on(&api(&base, &admin_token), &rm, 12).await;
        let pkg = package(&rm, "2.0.0", &bytes(PKG_SIZE, 11)).await;
        let created = rm
            .post(
                "/api/v1/ota/rollouts",
                json!({"package_id": pkg, "target_profile_id": profile, "canary_percent": 100,
                       "failure_threshold_percent": 100, "device_timeout_seconds": 3600}),
            )
            .await
            .expect(201);
        (
            created["rollout_id"].as_str().unwrap().to_owned(),
            devices.len(),
        )
    });
    // No server runs now: two stores on the database (what two servers hold) sweep the same
    // overdue devices at the same moment, over and over.
    c.kill9(0);
    let url = c.database_url.clone();
    rt.block_on(async {
        let one = PgStore::open(&url, PgOptions::default()).await.unwrap();
        let two = PgStore::open(&url, PgOptions::default()).await.unwrap();
        let later = airlift_server::ids::unix_now() + 7200;
        let mut swept_events = 0;
        for _ in 0..5 {
            let (a, b) = tokio::join!(
                airlift_server::engine::sweep_timeouts(&one, later),
                airlift_server::engine::sweep_timeouts(&two, later),
            );
            for swept in [a.expect("sweep one"), b.expect("sweep two")] {
                swept_events += swept.iter().map(|s| s.events.len()).sum::<usize>();
            }
        }
        assert!(swept_events >= 1, "the sweeps published the completion");
    });
    assert_each_device_timed_out_once(&url, &id, n);
    assert_eq!(
        recount(&url, &id),
        BTreeMap::from([("timed_out".to_owned(), n as u64)])
    );
    // The row's counters (what GET answers) say the same.
    c.start_node(0);
    runtime().block_on(async {
        let r = api(&c.base(0), &token)
            .get(&format!("/api/v1/ota/rollouts/{id}"))
            .await
            .expect(200);
        assert_eq!(counters(&r), recount(&url, &id), "{r}");
        assert_eq!(r["status"], "completed", "{r}");
    });
}
