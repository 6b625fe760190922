//! One bucket for every server: concurrent creations leave no stray object, and start-up
//! clean-up runs only on a server alone that holds the cleanup lease.

use airlift_testkit::cluster::LocalCluster;
use airlift_testkit::postgres::psql;

use crate::common::ota::PKG_SIZE;
use crate::common::*;
use crate::harness::*;

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
