//! airliftd on PostgreSQL when PostgreSQL misbehaves: restarted in the middle of a rollout,
//! and several servers starting (and migrating) at once. Each test runs a real PostgreSQL 15
//! of its own (airlift-testkit), whatever `AIRLIFT_TEST_DATABASE` says.

mod common;

use std::time::{Duration, Instant};

use airlift_testkit::postgres::{assign_database, psql, Postgres};
use common::ota::fleet_in;
use common::*;
use serde_json::json;

/// Every answer while PostgreSQL goes away is a result or a clean 503 with a stable code:
/// never a dropped connection, a hang or another error.
fn assert_ok_or_clean_503(r: &Resp, what: &str) {
    match r.status.as_u16() {
        200 => {}
        503 => assert_eq!(r.code(), "INTERNAL", "{what}: {}", r.body),
        other => panic!("{what}: unexpected {other}: {}", r.body),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_restarted_mid_rollout_answers_503_then_the_server_reconnects() {
    let mut pg = Postgres::start();
    let url = pg.create_database();
    let dir = tempdir();
    assign_database(dir.path(), &url);
    let f = fleet_in(dir, 4, &["--user-rate-limit", "0"], &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/ota/rollouts/{id}");
    // Two acknowledged reports before the outage.
    for d in &f.devices[..2] {
        d.report(&id, "1.0.0", "DOWNLOAD").await.expect(200);
    }

    // Requests in flight while PostgreSQL stops (fast shutdown: connections are cut).
    let flood: Vec<_> = (0..8)
        .map(|_| {
            let rm = f.rm.clone();
            let path = path.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let until = Instant::now() + Duration::from_secs(3);
                while Instant::now() < until {
                    seen.push(rm.get(&path).await);
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut pg = tokio::task::spawn_blocking(move || {
        pg.stop();
        pg
    })
    .await
    .unwrap();
    let mut unavailable = 0;
    for task in flood {
        for r in task.await.unwrap() {
            assert_ok_or_clean_503(&r, "a read while PostgreSQL stops");
            unavailable += usize::from(r.status.as_u16() == 503);
        }
    }
    assert!(unavailable > 0, "some request met the outage");

    // While it is down: a clean 503 for operators and devices alike, nothing written.
    f.rm.get(&path).await.expect_error(503, "INTERNAL");
    f.devices[2]
        .report(&id, "1.0.0", "DOWNLOAD")
        .await
        .expect_error(503, "INTERNAL");
    let mut server = f.server;
    assert!(
        server.wait_timeout(Duration::from_millis(100)).is_none(),
        "airliftd kept running through the outage"
    );

    // PostgreSQL is back: the server reconnects by itself; acknowledged reports survived and
    // the refused one left nothing behind.
    let pg = tokio::task::spawn_blocking(move || {
        pg.resume();
        pg
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let rollout = loop {
        let r = f.rm.get(&path).await;
        if r.status.as_u16() == 200 {
            break r.body;
        }
        assert_ok_or_clean_503(&r, "a read after PostgreSQL came back");
        assert!(Instant::now() < deadline, "the server did not reconnect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rollout["counters"]["in_progress"], 2, "{rollout}");
    f.devices[2]
        .report(&id, "1.0.0", "DOWNLOAD")
        .await
        .expect(200);
    let rollout = f.rm.get(&path).await.expect(200);
    assert_eq!(rollout["counters"]["in_progress"], 3, "{rollout}");
    drop(server);
    drop(pg);
}

#[test]
fn two_servers_starting_at_once_migrate_one_database_once() {
    let pg = Postgres::start();
    let url = pg.create_database();
    let dirs = [tempdir(), tempdir()];
    for d in &dirs {
        assign_database(d.path(), &url);
    }
    // Both start together on the empty database: one migrates, the other waits for its lock.
    let servers: Vec<Server> = std::thread::scope(|s| {
        let started: Vec<_> = dirs
            .iter()
            .map(|d| s.spawn(|| Server::start(d.path())))
            .collect();
        started.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let applied = psql(
        &url,
        "SELECT count(*), max(version) FROM airlift_migrations",
    );
    let (count, latest) = applied.split_once('|').unwrap();
    assert_eq!(count, latest, "each migration applied once: {applied}");

    // `airliftd migrate` finds nothing left to do.
    let out = std::process::Command::new(BIN)
        .args(["migrate", "--database", &url, "--data"])
        .arg(dirs[0].path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("applied 0 migration(s)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Both serve the one database: what one writes, the other reads.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let one = Api::for_tenant(&servers[0], "acme", "release-manager");
        // The deployment's secret lives in the database: a token minted on one server's
        // directory is valid on the other.
        let two = Api::new(&servers[1], &one.token);
        let profile = one
            .post(
                "/api/v1/profiles",
                json!({"name": "shared", "device_type": "temp-sensor"}),
            )
            .await
            .expect(201);
        let id = profile["profile_id"].as_str().unwrap();
        let read = two.get(&format!("/api/v1/profiles/{id}")).await.expect(200);
        assert_eq!(read["name"], "shared");
    });
}

#[test]
fn migrate_refuses_a_database_it_cannot_reach_with_a_clear_message() {
    let dir = tempdir();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://airlift:secret@127.0.0.1:{port}/airlift");
    let out = std::process::Command::new(BIN)
        .args(["migrate", "--database", &url, "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(
        !err.contains("secret"),
        "the password is never printed: {err}"
    );
}

/// A flood against a pool of one connection whose statements block on a lock: every request
/// ends (no deadlock) with its answer or a clean 503, and the server serves again once the
/// lock is gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_flood_on_an_exhausted_pool_gets_clean_503s_and_no_deadlock() {
    let pg = Postgres::start();
    let url = pg.create_database();
    let dir = tempdir();
    assign_database(dir.path(), &url);
    let server = Server::start_with(
        dir.path(),
        &[
            "--database-pool-size",
            "1",
            "--database-statement-timeout",
            "2s",
        ],
    );
    let api = Api::for_tenant(&server, "acme", "admin");
    api.get("/api/v1/tenant").await.expect(200);

    // Another client holds the tenants table for a while.
    let holder = {
        let url = url.clone();
        std::thread::spawn(move || {
            psql(
                &url,
                "BEGIN; LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT;",
            )
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let flood: Vec<_> = (0..20)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { api.get("/api/v1/tenant").await })
        })
        .collect();
    let mut unavailable = 0;
    for task in flood {
        let r = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("every request of the flood ends")
            .unwrap();
        assert_ok_or_clean_503(&r, "a request on the exhausted pool");
        unavailable += usize::from(r.status.as_u16() == 503);
    }
    assert!(unavailable > 0, "the flood met the blocked pool");
    holder.join().unwrap();
    api.get("/api/v1/tenant").await.expect(200);
    drop(server);
    drop(pg);
}
