//! A rollout driven through any server, one killed on the way, and the simulator through
//! nginx: the same answers everywhere, each report counted once.

use airlift_testkit::postgres::psql;
use serde_json::json;

use crate::common::ota::{package, sse, PKG_SIZE};
use crate::common::*;
use crate::harness::*;

/// One device's whole update, each step through the next of `bases` (a poll, the download,
/// the acks, two reports and a repeated verdict).
async fn update_through(
    bases: &[String],
    k: usize,
    d: &(String, String),
    rollout: &str,
    pkg: &str,
    sha: &str,
) {
    let on = |step: usize| device(&bases[(k + step) % bases.len()], &d.0, &d.1);
    let a = on(0).ota().await.expect(200);
    assert_eq!(a["rollout_id"], rollout);
    let data = on(1).download(pkg, PKG_SIZE as u64).await;
    assert_eq!(sha256_hex(&data), sha);
    on(2).ack_all(&a).await;
    on(3)
        .report(rollout, "2.0.0", "DOWNLOAD_SUCCESS")
        .await
        .expect(200);
    on(4).report(rollout, "2.0.0", "success").await.expect(200);
    // The same verdict again, through another server: counted once.
    on(5).report(rollout, "2.0.0", "success").await.expect(200);
}

#[test]
fn a_rollout_driven_through_alternating_servers_survives_a_killed_one_and_counts_each_report_once()
{
    let mut c = cluster(3, true);
    let admin_token = c.token("acme", "admin");
    let token = c.token("acme", "release-manager");
    let bases: Vec<String> = (0..3).map(|i| c.base(i)).collect();
    let lb = c.url();
    let rt = runtime();
    let (id, pkg, sha, devices, mut streams) = rt.block_on(async {
        // Through nginx, as a client of the deployment would.
        let rm = api(&lb, &token);
        let (profile, devices) = fleet_on(&api(&lb, &admin_token), &rm, 6).await;
        let pkg_bytes = bytes(PKG_SIZE, 42);
        let pkg = package(&rm, "2.0.0", &pkg_bytes).await;
        // A subscriber on every server before anything happens.
        let mut streams = Vec::new();
        for b in &bases {
            streams.push(sse(&api(b, &token), None).await);
        }
        let created = api(&bases[0], &token)
            .post(
                "/api/v1/ota/rollouts",
                json!({"package_id": pkg, "target_profile_id": profile, "canary_percent": 100,
                       "failure_threshold_percent": 100}),
            )
            .await
            .expect(201);
        let id = created["rollout_id"].as_str().unwrap().to_owned();
        let sha = sha256_hex(&pkg_bytes);
        // Half the fleet updates with each step on another server than the step before.
        for (k, d) in devices[..3].iter().enumerate() {
            update_through(&bases, k, d, &id, &pkg, &sha).await;
        }
        (id, pkg, sha, devices, streams)
    });

    // kill -9 one server mid-rollout; the rest goes through the other two and through nginx.
    c.kill9(2);
    let survivors = vec![bases[0].clone(), bases[1].clone(), lb.clone()];
    let streamed = rt.block_on(async {
        for (k, d) in devices[3..].iter().enumerate() {
            update_through(&survivors, k, d, &id, &pkg, &sha).await;
        }

        // The living servers' subscribers saw the same numbered events, from start to
        // completion, and progress.
        let mut numbered = Vec::new();
        for (i, s) in streams[..2].iter_mut().enumerate() {
            let seen = events_until(s, "profile.ota.rollout.completed.").await;
            assert!(
                seen.iter()
                    .any(|e| e.event.starts_with("profile.ota.rollout.started.")),
                "server {i}: {seen:?}"
            );
            assert!(
                seen.iter().any(|e| e.event == "rollout.progress"),
                "server {i} streamed no progress: {seen:?}"
            );
            let ids: Vec<u64> = seen.iter().filter_map(|e| e.id).collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "server {i}: {ids:?}");
            numbered.push(ids);
        }
        assert_eq!(numbered[0], numbered[1]);

        // Every acknowledged report counted once: the counters equal a recount.
        for b in &survivors {
            let r = api(b, &token)
                .get(&format!("/api/v1/ota/rollouts/{id}"))
                .await
                .expect(200);
            assert_eq!(r["status"], "completed", "{r}");
            assert_eq!(r["outcome"], "succeeded", "{r}");
            assert_eq!(r["counters"]["successful"], 6, "{r}");
            assert_eq!(counters(&r), recount(&c.database_url, &id), "{r}");
        }
        numbered.remove(0)
    });
    // What they streamed is what the table holds.
    let numbered: Vec<u64> = psql(
        &c.database_url,
        &format!("SELECT id FROM events WHERE rollout_id = '{id}' ORDER BY id"),
    )
    .lines()
    .map(|l| l.parse().unwrap())
    .collect();
    assert_eq!(streamed, numbered);

    // The killed server comes back, answers alike, and a client reconnecting to it resumes
    // after the last id it saw.
    c.start_node(2);
    rt.block_on(async {
        let back = api(&bases[2], &token);
        let r = back
            .get(&format!("/api/v1/ota/rollouts/{id}"))
            .await
            .expect(200);
        assert_eq!(r["counters"]["successful"], 6, "{r}");
        let mut resumed = sse(&back, Some(numbered[0])).await;
        let replayed = events_until(&mut resumed, "profile.ota.rollout.completed.").await;
        let replayed_ids: Vec<u64> = replayed.iter().filter_map(|e| e.id).collect();
        assert_eq!(replayed_ids, numbered[1..].to_vec());
    });
}

#[test]
fn airlift_sim_updates_a_fleet_through_nginx_unchanged() {
    let c = cluster(3, true);
    let admin_token = c.token("acme", "admin");
    let token = c.token("acme", "release-manager");
    let lb = c.url();
    let work = tempdir();
    let devices_file = work.path().join("devices.jsonl");
    let sim = airlift_testkit::bin("airlift-sim");
    let rt = runtime();
    let (profile, pkg) = rt.block_on(async {
        let rm = api(&lb, &token);
        api(&lb, &admin_token).require_signatures(false).await;
        let profile = rm
            .post(
                "/api/v1/profiles",
                json!({"name": "sim", "device_type": "temp-sensor"}),
            )
            .await
            .expect(201)["profile_id"]
            .as_str()
            .unwrap()
            .to_owned();
        (profile, package(&rm, "2.0.0", &bytes(PKG_SIZE, 5)).await)
    });
    // The simulator as its README runs it, pointed at the load balancer.
    let provisioned = std::process::Command::new(&sim)
        .args(["provision", "--profile", &profile, "-n", "12", "--out"])
        .arg(&devices_file)
        .env("AIRLIFT_SERVER_URL", &lb)
        .env("AIRLIFT_TOKEN", &token)
        .output()
        .unwrap();
    assert!(
        provisioned.status.success(),
        "{}",
        String::from_utf8_lossy(&provisioned.stderr)
    );
    let id = rt.block_on(async {
        api(&lb, &token)
            .post(
                "/api/v1/ota/rollouts",
                json!({"package_id": pkg, "target_profile_id": profile, "canary_percent": 100,
                       "failure_threshold_percent": 100}),
            )
            .await
            .expect(201)["rollout_id"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let ran = std::process::Command::new(&sim)
        .args(["run", "--devices"])
        .arg(&devices_file)
        .args(["--poll", "1s", "--until", "settled", "--quiet", "4s"])
        .args(["--max-time", "120s"])
        .env("AIRLIFT_SERVER_URL", &lb)
        .env("AIRLIFT_TOKEN", &token)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    rt.block_on(async {
        // Every server answers the finished rollout alike.
        for i in 0..c.len() {
            let r = api(&c.base(i), &token)
                .get(&format!("/api/v1/ota/rollouts/{id}"))
                .await
                .expect(200);
            assert_eq!(r["status"], "completed", "{r}");
            assert_eq!(r["counters"]["successful"], 12, "{r}");
            assert_eq!(counters(&r), recount(&c.database_url, &id), "{r}");
        }
    });
}
