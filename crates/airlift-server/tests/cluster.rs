//! Several airliftd on one PostgreSQL database and one S3 bucket, from real processes
//! (airlift-testkit's `LocalCluster`: PostgreSQL 15, s3s-fs, the servers, nginx): any request
//! to any server, the same answers; events on every server; timed work once; caches that
//! follow the other servers' changes. Every wait polls with a deadline: no timing is asserted.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use airlift_testkit::cluster::{LocalCluster, Logs};
use airlift_testkit::postgres::psql;
use common::ota::{package, sse, Device, SseEvent, PKG_SIZE};
use common::*;
use serde_json::{json, Value};

/// How long a change may take to show everywhere before a test gives up (the servers take
/// well under a second; this only bounds a broken build's wait).
const DEADLINE: Duration = Duration::from_secs(15);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn cluster(nodes: usize, nginx: bool) -> LocalCluster {
    LocalCluster::start(nodes, nginx, &[], Logs::Inherit)
}

/// A client of `base` acting with `token`.
fn api(base: &str, token: &str) -> Api {
    Api {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        base: base.to_owned(),
        token: token.to_owned(),
    }
}

/// Device `id` (with `token`) talking to `base`.
fn device(base: &str, id: &str, token: &str) -> Device {
    Device {
        id: id.to_owned(),
        api: api(base, token),
    }
}

/// Tenant acme without signature requirement, a profile, `n` devices on 1.0.0 (ids and
/// tokens), all through `rm` (and `admin` for the tenant setting).
async fn fleet_on(admin: &Api, rm: &Api, n: usize) -> (String, Vec<(String, String)>) {
    admin.require_signatures(false).await;
    let profile = rm
        .post(
            "/api/v1/profiles",
            json!({"name": "temp-v2", "device_type": "temp-sensor"}),
        )
        .await
        .expect(201)["profile_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list: Vec<Value> = (0..n)
        .map(|i| {
            json!({"name": format!("sensor-{i}"), "profile_id": profile,
                   "device_type": "temp-sensor", "firmware_version": "1.0.0"})
        })
        .collect();
    let out = rm
        .post("/api/v1/devices/bulk", json!({"devices": list}))
        .await
        .expect(201);
    let devices = out["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["device_id"].as_str().unwrap().to_owned(),
                d["device_token"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (profile, devices)
}

/// Every event of `rx` up to and including the first whose name starts with `prefix`.
async fn events_until(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<SseEvent>,
    prefix: &str,
) -> Vec<SseEvent> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {prefix} event in time; saw {seen:?}"))
            .expect("event stream ended");
        let done = ev.event.starts_with(prefix);
        seen.push(ev);
        if done {
            return seen;
        }
    }
}

/// Polls `check` until it holds, or fails with `what` after [`DEADLINE`].
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The rollout's targets per state, counted in the database.
fn recount(url: &str, rollout: &str) -> BTreeMap<String, u64> {
    psql(
        url,
        &format!(
            "SELECT state, count(*) FROM rollout_targets WHERE rollout_id = '{rollout}' \
             AND state IS NOT NULL GROUP BY state"
        ),
    )
    .lines()
    .filter_map(|l| l.split_once('|'))
    .map(|(s, n)| (s.to_owned(), n.parse().unwrap()))
    .collect()
}

/// The rollout's counters as the API answers them, without the zeros.
fn counters(rollout: &Value) -> BTreeMap<String, u64> {
    rollout["counters"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| v.as_u64().filter(|n| *n > 0).map(|n| (k.clone(), n)))
        .collect()
}

/// A GET without a token: status and JSON body.
async fn get_json(http: &reqwest::Client, url: String) -> (u16, Value) {
    let r = http.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json::<Value>().await.unwrap_or(Value::Null))
}

#[test]
fn every_server_is_ready_until_its_database_goes_away_and_again_once_it_is_back() {
    let mut c = cluster(2, false);
    let rt = runtime();
    let http = reqwest::Client::new();
    let bases = [c.base(0), c.base(1)];
    let names: Vec<Value> = rt.block_on(async {
        let mut names = Vec::new();
        for b in &bases {
            assert_eq!(
                get_json(&http, format!("{b}/healthz")).await,
                (200, json!({"status": "ok"}))
            );
            let (status, ready) = get_json(&http, format!("{b}/readyz")).await;
            assert_eq!(status, 200, "{ready}");
            assert_eq!(ready["status"], "ready");
            assert_eq!(ready["database"], "ok");
            assert_eq!(ready["storage"], "ok");
            names.push(ready["node"].clone());
        }
        names
    });
    assert_ne!(names[0], names[1], "each server has a name of its own");

    c.postgres.stop();
    rt.block_on(async {
        for b in &bases {
            eventually("readyz answers 503 without its database", || {
                let (http, url) = (http.clone(), format!("{b}/readyz"));
                async move {
                    let (status, body) = get_json(&http, url).await;
                    status == 503
                        && body["code"] == "INTERNAL"
                        && body["message"]
                            .as_str()
                            .is_some_and(|m| m.contains("database"))
                }
            })
            .await;
            // Alive all the same: a load balancer stops sending, nothing restarts it.
            assert_eq!(get_json(&http, format!("{b}/healthz")).await.0, 200);
        }
    });
    c.postgres.resume();
    rt.block_on(async {
        for b in &bases {
            eventually("readyz answers 200 once the database is back", || {
                let (http, url) = (http.clone(), format!("{b}/readyz"));
                async move { get_json(&http, url).await.0 == 200 }
            })
            .await;
        }
    });
}

#[test]
fn an_embedded_server_is_ready_on_its_own_files() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    runtime().block_on(async {
        let r = reqwest::get(server.url("/readyz")).await.unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "ready");
    });
}

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
fn revoked_tokens_deleted_devices_and_new_packages_are_seen_by_every_server() {
    let c = cluster(3, false);
    let admin_token = c.token("acme", "admin");
    let token = c.token("acme", "release-manager");
    let bases: Vec<String> = (0..3).map(|i| c.base(i)).collect();
    runtime().block_on(async {
        let rm = api(&bases[0], &token);
        let (_, devices) = fleet_on(&api(&bases[0], &admin_token), &rm, 3).await;
        // Every server knows every device's token (its cache holds them for a minute).
        for b in &bases {
            for (id, tok) in &devices {
                assert_eq!(device(b, id, tok).ota().await.status, 204);
            }
        }

        // A token replaced (what a revocation writes) and a device deleted in the database
        // stop working on every server, whichever cached them.
        let (revoked, revoked_token) = &devices[0];
        let (deleted, deleted_token) = &devices[1];
        psql(
            &c.database_url,
            &format!("UPDATE devices SET token_hash = 'revoked-{revoked}' WHERE id = '{revoked}'"),
        );
        psql(
            &c.database_url,
            &format!("DELETE FROM devices WHERE id = '{deleted}'"),
        );
        for b in &bases {
            for (id, tok) in [(revoked, revoked_token), (deleted, deleted_token)] {
                let d = device(b, id, tok);
                eventually("an old device token is refused", || {
                    let d = d.clone();
                    async move { d.ota().await.status == 401 }
                })
                .await;
                d.ota().await.expect_error(401, "UNAUTHENTICATED");
            }
        }
        // The third device is untouched everywhere.
        for b in &bases {
            assert_eq!(
                device(b, &devices[2].0, &devices[2].1).ota().await.status,
                204
            );
        }

        // A package created through one server is read and listed through the others.
        let pkg = package(&rm, "2.0.0", &bytes(PKG_SIZE, 7)).await;
        for b in &bases[1..] {
            let other = api(b, &token);
            other
                .get(&format!("/api/v1/ota/packages/{pkg}"))
                .await
                .expect(200);
            let list = other.get("/api/v1/ota/packages").await.expect(200);
            assert!(
                list["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["package_id"] == pkg.as_str()),
                "{list}"
            );
        }
    });
}

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
    // Each device timed out once, and the rollout completed once.
    let per_device = psql(
        &c.database_url,
        &format!(
            "SELECT count(*) FROM device_history WHERE rollout_id = '{id}' AND kind = 'timed_out' \
             GROUP BY device_id"
        ),
    );
    assert_eq!(per_device.lines().collect::<Vec<_>>(), vec!["1"; n]);
    assert_eq!(
        psql(
            &c.database_url,
            &format!(
                "SELECT count(*) FROM events WHERE rollout_id = '{id}' \
                 AND subject LIKE 'profile.ota.rollout.completed.%'"
            ),
        ),
        "1"
    );
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
    let per_device = psql(
        &url,
        &format!(
            "SELECT count(*) FROM device_history WHERE rollout_id = '{id}' AND kind = 'timed_out' \
             GROUP BY device_id"
        ),
    );
    assert_eq!(per_device.lines().collect::<Vec<_>>(), vec!["1"; n]);
    assert_eq!(
        recount(&url, &id),
        BTreeMap::from([("timed_out".to_owned(), n as u64)])
    );
    assert_eq!(
        psql(
            &url,
            &format!(
                "SELECT count(*) FROM events WHERE rollout_id = '{id}' \
                 AND subject LIKE 'profile.ota.rollout.completed.%'"
            ),
        ),
        "1"
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

#[tokio::test]
async fn a_poll_that_hands_out_a_command_is_answered_once_its_delivery_is_written() {
    let f = common::ota::fleet(2, &[]).await;
    f.start(
        json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
                   "failure_threshold_percent": 100}),
    )
    .await;
    for round in 1..=3u64 {
        let a = f.devices[0].ota().await.expect(200);
        assert_eq!(a["commands"][0]["delivery_count"], round, "{a}");
    }
    // Killed right after its last answer: the deliveries it answered are all stored.
    let db = Db::of(f.dir.path());
    let device = f.devices[0].id.clone();
    f.server.kill9();
    assert_eq!(
        db.ints(&format!(
            "SELECT delivery_count FROM device_commands WHERE device_id = '{device}'"
        )),
        vec![3]
    );
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

/// An API token revoked through one server is refused by every other at once: each request
/// reads the token's row, so there is no cache to invalidate.
#[test]
fn an_api_token_revoked_on_one_server_is_refused_by_every_server() {
    let c = cluster(2, false);
    let admin_token = c.token("acme", "admin");
    let bases: Vec<String> = (0..2).map(|i| c.base(i)).collect();
    runtime().block_on(async {
        let admin = api(&bases[0], &admin_token);
        let made = admin
            .post(
                "/api/v1/api-tokens",
                serde_json::json!({"name": "ci", "role": "support"}),
            )
            .await
            .expect(201);
        let secret = made["token"].as_str().unwrap();
        for b in &bases {
            api(b, secret).get("/api/v1/tenant").await.expect(200);
        }
        admin
            .delete(&format!(
                "/api/v1/api-tokens/{}",
                made["id"].as_str().unwrap()
            ))
            .await
            .expect(204);
        for b in &bases {
            api(b, secret)
                .get("/api/v1/tenant")
                .await
                .expect_error(401, "UNAUTHENTICATED");
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

#[test]
fn a_device_s_last_contact_through_one_server_is_answered_by_every_server() {
    let c = cluster(2, false);
    let admin_token = c.token("acme", "admin");
    let token = c.token("acme", "release-manager");
    let bases: Vec<String> = (0..2).map(|i| c.base(i)).collect();
    runtime().block_on(async {
        let rm = api(&bases[0], &token);
        let (_, devices) = fleet_on(&api(&bases[0], &admin_token), &rm, 2).await;
        let (id, tok) = &devices[0];
        let path = format!("/api/v1/devices/{id}");
        for b in &bases {
            let d = api(b, &token).get(&path).await.expect(200);
            assert!(d.get("last_seen_at").is_none(), "no contact yet: {d}");
        }
        // The device polls server 0 only; server 1 answers its last contact too.
        assert_eq!(device(&bases[0], id, tok).ota().await.status, 204);
        let here = api(&bases[0], &token).get(&path).await.expect(200)["last_seen_at"].clone();
        assert!(here.is_string(), "{here}");
        let other = api(&bases[1], &token);
        eventually("the other server answers the device's last contact", || {
            let (other, path, here) = (other.clone(), path.clone(), here.clone());
            async move { other.get(&path).await.expect(200)["last_seen_at"] == here }
        })
        .await;
        // The list of the other server too; the device that never polled has none anywhere.
        let list = other.get("/api/v1/devices?limit=100").await.expect(200);
        let row = |id: &str| {
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["device_id"] == id)
                .cloned()
                .unwrap()
        };
        assert_eq!(row(id)["last_seen_at"], here, "{list}");
        assert!(row(&devices[1].0).get("last_seen_at").is_none(), "{list}");
    });
}

#[test]
fn two_servers_creating_one_package_version_at_once_make_one_package_and_leave_no_stray_object() {
    let c = cluster(2, false);
    let admin_token = c.token("acme", "admin");
    let token = c.token("acme", "release-manager");
    let (rm0, rm1) = (api(&c.base(0), &token), api(&c.base(1), &token));
    runtime().block_on(async {
        api(&c.base(0), &admin_token)
            .require_signatures(false)
            .await;
        let same = bytes(PKG_SIZE, 21);
        let other = bytes(PKG_SIZE, 22);
        let image = |rm: &Api, name: &'static str, data: Vec<u8>| {
            let rm = rm.clone();
            async move {
                let img = rm.upload_image(name, &data).await;
                let uri = img["datafile"].as_str().unwrap().to_owned();
                (uri, sha256_hex(&data), data.len() as u64)
            }
        };
        let (uri_same, sha_same, len_same) = image(&rm0, "fw-same", same).await;
        let (uri_other, sha_other, len_other) = image(&rm1, "fw-other", other).await;
        // Rounds of two creations of one version at once, one through each server: the same
        // bytes, then different bytes. Whoever wins, the other gets 409.
        for round in 0..4 {
            let version = format!("3.0.{round}");
            let (b0, b1) = if round % 2 == 0 {
                let b = package_body(&version, &uri_same, &sha_same, len_same);
                (b.clone(), b)
            } else {
                (
                    package_body(&version, &uri_same, &sha_same, len_same),
                    package_body(&version, &uri_other, &sha_other, len_other),
                )
            };
            let (r0, r1) = tokio::join!(
                rm0.post("/api/v1/ota/packages", b0),
                rm1.post("/api/v1/ota/packages", b1)
            );
            let mut statuses = [r0.status.as_u16(), r1.status.as_u16()];
            statuses.sort();
            assert_eq!(
                statuses,
                [201, 409],
                "round {round}: {} / {}",
                r0.body,
                r1.body
            );
            let loser = if r0.status.as_u16() == 409 { r0 } else { r1 };
            loser.expect_error(409, "ALREADY_EXISTS");
        }
        let listed = rm0.get("/api/v1/ota/packages?limit=100").await.expect(200);
        assert_eq!(listed["data"].as_array().unwrap().len(), 4, "{listed}");
    });
    // Every object under firmware/ is a package's, and nothing is left in staging.
    let mut stored: Vec<String> = psql(&c.database_url, "SELECT storage_key FROM packages")
        .lines()
        .map(str::to_owned)
        .collect();
    stored.sort();
    stored.dedup();
    let keys = c.s3.keys(airlift_testkit::cluster::BUCKET);
    let firmware: Vec<&String> = keys.iter().filter(|k| k.starts_with("firmware/")).collect();
    assert_eq!(
        firmware.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        stored.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "objects: {keys:?}"
    );
    assert!(
        !keys.iter().any(|k| k.starts_with("staging/")),
        "objects: {keys:?}"
    );
}

#[test]
fn start_up_clean_up_runs_only_on_a_server_alone_that_holds_the_cleanup_lease() {
    let mut c = cluster(2, false);
    let stray = "staging/left-by-a-killed-server";
    let path = c.s3.object_path(airlift_testkit::cluster::BUCKET, stray);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"half an artifact").unwrap();
    let has_stray = |c: &LocalCluster| {
        c.s3.keys(airlift_testkit::cluster::BUCKET)
            .iter()
            .any(|k| k == stray)
    };
    assert!(has_stray(&c));
    // The heartbeats of killed servers run out (what LEASE_TTL does by itself).
    let expire_heartbeats = |c: &LocalCluster| {
        psql(
            &c.database_url,
            "UPDATE cluster_leases SET expires_at = now() - interval '1 second'
             WHERE name LIKE 'node:%'",
        );
    };

    // A server restarting beside a live one leaves it: it may be that server's upload.
    c.kill9(1);
    c.start_node(1);
    assert!(has_stray(&c), "deleted while another server was alive");

    // Alone, but another server holds the cleanup lease: left to that server.
    c.kill9(0);
    c.kill9(1);
    expire_heartbeats(&c);
    psql(
        &c.database_url,
        "INSERT INTO cluster_leases (name, holder, expires_at)
         VALUES ('cleanup', 'another-server', now() + interval '1 hour')
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder,
             expires_at = EXCLUDED.expires_at",
    );
    c.start_node(0);
    assert!(
        has_stray(&c),
        "deleted while another server held the cleanup lease"
    );

    // Alone and the lease free: cleaned before the server listens, and the lease given back.
    c.kill9(0);
    expire_heartbeats(&c);
    psql(
        &c.database_url,
        "DELETE FROM cluster_leases WHERE name = 'cleanup'",
    );
    c.start_node(0);
    assert!(!has_stray(&c), "left behind by a server alone");
    assert_eq!(
        psql(
            &c.database_url,
            "SELECT count(*) FROM cluster_leases WHERE name = 'cleanup' AND expires_at > now()"
        ),
        "0"
    );
}
