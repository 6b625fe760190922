//! Changes made through one server (revoked tokens, deleted devices, new packages, a device's
//! last contact) are seen by every other: caches follow the database.

use airlift_testkit::postgres::psql;

use crate::common::ota::{package, PKG_SIZE};
use crate::common::*;
use crate::harness::*;

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
