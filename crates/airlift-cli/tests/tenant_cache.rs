//! One cache folder, two tenants: each sees only its own devices, online and offline; a token
//! that cannot be read sees no cached data; --require-fresh refuses the cache.

mod common;
#[path = "../../airlift-desk/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use airlift_core::wire::{BulkCreateDevices, CreateDevice, CreateProfile};

/// `airlift-cli ARGS` against `base` with `token`, sharing `cache_dir`.
fn run(base: &str, token: &str, cache_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::CLI)
        .args(args)
        .arg("--cache-dir")
        .arg(cache_dir)
        .env_clear()
        .env("HOME", cache_dir)
        .env("AIRLIFT_SERVER_URL", base)
        .env("AIRLIFT_TOKEN", token)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("not JSON ({err}): {text}"))
}

fn names(doc: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = doc["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn provision(server: &support::Server, tenant: &str, names: &[&str]) {
    let admin = server.client(tenant, "admin");
    let profile = admin
        .create_profile(&CreateProfile {
            name: "lab".into(),
            device_type: "temp-sensor".into(),
        })
        .await
        .unwrap();
    let devices = names
        .iter()
        .map(|n| CreateDevice {
            name: (*n).to_owned(),
            profile_id: profile.profile_id.clone(),
            device_type: "temp-sensor".into(),
            firmware_version: "1.0.0".into(),
        })
        .collect();
    admin
        .create_devices_bulk(&BulkCreateDevices { devices })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tenants_one_cache_folder_never_mix() {
    let data = support::tempdir();
    let mut server = support::Server::start(data.path());
    provision(&server, "acme", &["acme-1", "acme-2"]).await;
    provision(&server, "nosig", &["nosig-1", "nosig-2", "nosig-3"]).await;
    let acme = server.token("acme", "support");
    let nosig = server.token("nosig", "support");
    let cache = tempfile::tempdir().unwrap();
    let base = server.base.clone();
    let acme_names = vec!["acme-1".to_owned(), "acme-2".to_owned()];
    let nosig_names = vec![
        "nosig-1".to_owned(),
        "nosig-2".to_owned(),
        "nosig-3".to_owned(),
    ];

    // Online: each tenant gets its own answer (and fills its own cache file).
    for _ in 0..2 {
        for (token, expected) in [(&nosig, &nosig_names), (&acme, &acme_names)] {
            let (code, out, err) = run(&base, token, cache.path(), &["--json", "devices", "list"]);
            assert_eq!(code, 0, "{out} {err}");
            let doc = json(&out);
            assert_eq!(doc["fresh"], true);
            assert_eq!(&names(&doc), expected);
            assert_eq!(doc["total"], expected.len());
        }
    }
    let files: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".sqlite3"))
        .collect();
    assert_eq!(files.len(), 2, "one cache file per tenant");

    // Offline: still each its own, marked stale in JSON and in text.
    server.kill();
    for (token, expected) in [(&acme, &acme_names), (&nosig, &nosig_names)] {
        let (code, out, err) = run(&base, token, cache.path(), &["--json", "devices", "list"]);
        assert_eq!(code, 0, "{out} {err}");
        let doc = json(&out);
        assert_eq!(doc["fresh"], false);
        assert!(doc["offline_reason"].as_str().unwrap().contains(&base));
        assert_eq!(&names(&doc), expected);

        let (code, text, _) = run(&base, token, cache.path(), &["devices", "list"]);
        assert_eq!(code, 0);
        assert!(
            text.starts_with("STALE: the server is unreachable"),
            "{text}"
        );
        for name in expected {
            assert!(text.contains(name.as_str()), "{text}");
        }

        let (code, out, _) = run(
            &base,
            token,
            cache.path(),
            &["--json", "--require-fresh", "devices", "list"],
        );
        assert_eq!(code, 3, "{out}");
        assert_eq!(json(&out)["error"]["code"], "OFFLINE");
    }

    // A token nobody can read gets no cached data at all.
    for token in ["garbage", &common::unsigned_token("some-other-tenant")] {
        let (code, out, _) = run(&base, token, cache.path(), &["--json", "devices", "list"]);
        let doc = json(&out);
        assert!(
            doc.get("devices").is_none() || doc["devices"] == serde_json::json!([]),
            "{doc}"
        );
        if token == "garbage" {
            assert_eq!(code, 4, "{out}");
            assert_eq!(doc["error"]["code"], "UNAUTHENTICATED");
        }
    }
}
