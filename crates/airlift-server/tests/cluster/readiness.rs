//! Each server's `/readyz` and `/healthz`, with and without its database.

use serde_json::{json, Value};

use crate::common::*;
use crate::harness::*;

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
