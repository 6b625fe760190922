//! `airliftd migrate-data`: an embedded deployment grows into PostgreSQL without losing its
//! history. A rollout under way on SQLite reads the same on PostgreSQL afterwards, goes on
//! there, and a second copy into the now non-empty database is refused.

mod common;

use airlift_testkit::postgres::{assign_database, shared};
use common::ota::{fleet_in, Device};
use common::*;
use serde_json::{json, Value};

fn migrate_data(from: &str, to: &str) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(["migrate-data", "--from", from, "--to", to])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// What a deployment answers about a rollout, its devices, a device's history and another
/// device's poll.
async fn snapshot(rm: &Api, id: &str, updated_id: &str, waiting: &Api, waiting_id: &str) -> Value {
    let mut rollout = rm
        .get(&format!("/api/v1/ota/rollouts/{id}"))
        .await
        .expect(200);
    rollout.as_object_mut().unwrap().remove("allowed_actions");
    // Each poll counts a delivery (written a moment later): not part of the comparison.
    let mut poll = waiting
        .get(&format!("/api/v1/devices/{waiting_id}/ota"))
        .await
        .expect(200);
    for c in poll["commands"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("delivery_count");
    }
    // Download URLs name the server's address and carry a fresh signature and expiry.
    drop_urls(&mut poll);
    if let Some(otau) = poll["config_otau"].as_object_mut() {
        otau.remove("payload"); // a FILE package's payload is its download URL
    }
    json!({
        "rollout": rollout,
        "devices": rm.get(&format!("/api/v1/ota/rollouts/{id}/devices?limit=100")).await.expect(200),
        "history": rm.get(&format!("/api/v1/devices/{updated_id}/history")).await.expect(200),
        "poll": poll,
        "packages": rm.get("/api/v1/ota/packages").await.expect(200),
    })
}

/// Removes every field that is a URL or its expiry (they name the server that answered).
fn drop_urls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !k.contains("url") && !k.contains("expires"));
            map.values_mut().for_each(drop_urls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_urls),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_embedded_deployment_moves_into_postgres_with_its_history() {
    let dir = tempdir();
    let sqlite = format!("sqlite://{}", dir.path().join("airlift.db").display());
    // The old deployment is embedded, whatever the harness's switch says.
    assign_database(dir.path(), &sqlite);
    let f = fleet_in(dir, 6, &[], &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 50, "failure_threshold_percent": 100}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let sent = f.in_state(&id, "command_sent").await;
    sent[0].update(&sha256_hex(&f.pkg_bytes)).await;
    sent[1]
        .report(&id, "1.0.0", "INSTALL_ERROR")
        .await
        .expect(200);
    let before = snapshot(&f.rm, &id, &sent[0].id, &sent[2].api, &sent[2].id).await;
    let old_token = f.rm.token.clone();
    let common::ota::Fleet { server, dir, .. } = f;
    drop(server);

    let url = shared().create_database();
    let out = migrate_data(&sqlite, &url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("rollout_targets: 6 row(s)"), "{said}");

    // The same directory (its secret, its artifacts) on PostgreSQL now.
    assign_database(dir.path(), &url);
    let server = Server::start(dir.path());
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let on = |d: &Device| Api::new(&server, &d.api.token);
    let after = snapshot(&rm, &id, &sent[0].id, &on(&sent[2]), &sent[2].id).await;
    assert_eq!(before, after, "the deployment reads the same on PostgreSQL");
    // The directory's secret became the database's: tokens minted before still work.
    Api::new(&server, &old_token)
        .get("/api/v1/tenant")
        .await
        .expect(200);

    // The rollout goes on there: history numbers and change cursors continue.
    let last_seq = after["history"]["data"][0]["seq"].as_u64().unwrap();
    let waiting = Device {
        id: sent[2].id.clone(),
        api: on(&sent[2]),
    };
    waiting.report(&id, "1.0.0", "DOWNLOAD").await.expect(200);
    let history = rm
        .get(&format!("/api/v1/devices/{}/history", waiting.id))
        .await
        .expect(200);
    assert!(
        history["data"][0]["seq"].as_u64().unwrap() > last_seq,
        "{history}"
    );
    let rollout = rm
        .get(&format!("/api/v1/ota/rollouts/{id}"))
        .await
        .expect(200);
    assert_eq!(rollout["counters"]["in_progress"], 1, "{rollout}");
    assert!(
        rollout["change_seq"].as_u64() > before["rollout"]["change_seq"].as_u64(),
        "{rollout}"
    );

    // A second copy into the database, which now holds a tenant, is refused; nothing changes.
    let again = migrate_data(&sqlite, &url);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("empty database only"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    rm.get(&format!("/api/v1/ota/rollouts/{id}"))
        .await
        .expect(200);
}

#[test]
fn migrate_data_names_what_it_needs() {
    let dir = tempdir();
    let missing = format!("sqlite://{}", dir.path().join("nope.db").display());
    let out = migrate_data(&missing, "postgres://airlift@127.0.0.1:1/x");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such SQLite database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = migrate_data("postgres://a@127.0.0.1:1/x", "postgres://b@127.0.0.1:1/y");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--from sqlite://PATH --to postgres://"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
