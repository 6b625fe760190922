//! What every cluster test uses: a cluster, clients of its servers, a fleet, and waits with a
//! deadline (no timing is asserted).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use airlift_testkit::cluster::{LocalCluster, Logs};
use airlift_testkit::postgres::psql;
use serde_json::{json, Value};

use crate::common::ota::{Device, SseEvent};
use crate::common::Api;

/// How long a change may take to show everywhere before a test gives up (the servers take
/// well under a second; this only bounds a broken build's wait).
pub const DEADLINE: Duration = Duration::from_secs(15);

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn cluster(nodes: usize, nginx: bool) -> LocalCluster {
    LocalCluster::start(nodes, nginx, &[], Logs::Inherit)
}

/// A client of `base` acting with `token`.
pub fn api(base: &str, token: &str) -> Api {
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
pub fn device(base: &str, id: &str, token: &str) -> Device {
    Device {
        id: id.to_owned(),
        api: api(base, token),
    }
}

/// Tenant acme without signature requirement, a profile, `n` devices on 1.0.0 (ids and
/// tokens), all through `rm` (and `admin` for the tenant setting).
pub async fn fleet_on(admin: &Api, rm: &Api, n: usize) -> (String, Vec<(String, String)>) {
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
pub async fn events_until(
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
pub async fn eventually<F, Fut>(what: &str, mut check: F)
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
pub fn recount(url: &str, rollout: &str) -> BTreeMap<String, u64> {
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
pub fn counters(rollout: &Value) -> BTreeMap<String, u64> {
    rollout["counters"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| v.as_u64().filter(|n| *n > 0).map(|n| (k.clone(), n)))
        .collect()
}

/// A GET without a token: status and JSON body.
pub async fn get_json(http: &reqwest::Client, url: String) -> (u16, Value) {
    let r = http.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json::<Value>().await.unwrap_or(Value::Null))
}

/// Each of the rollout's `n` devices timed out exactly once, and the rollout completed once,
/// as the database records it.
pub fn assert_each_device_timed_out_once(url: &str, rollout: &str, n: usize) {
    let per_device = psql(
        url,
        &format!(
            "SELECT count(*) FROM device_history WHERE rollout_id = '{rollout}' AND kind = 'timed_out' \
             GROUP BY device_id"
        ),
    );
    assert_eq!(per_device.lines().collect::<Vec<_>>(), vec!["1"; n]);
    assert_eq!(
        psql(
            url,
            &format!(
                "SELECT count(*) FROM events WHERE rollout_id = '{rollout}' \
                 AND subject LIKE 'profile.ota.rollout.completed.%'"
            ),
        ),
        "1"
    );
}
