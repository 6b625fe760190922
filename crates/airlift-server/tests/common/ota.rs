//! Rollout helpers: a tenant with packages and a fleet, simulated devices, an SSE client.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;

/// Package bytes for tests (not tiny: several 64 KiB chunks).
pub const PKG_SIZE: usize = 200_000;

pub struct Fleet {
    pub server: Server,
    pub dir: tempfile::TempDir,
    pub admin: Api,
    pub rm: Api,
    pub profile: String,
    pub pkg: String,
    pub pkg_bytes: Vec<u8>,
    pub rollback_pkg: String,
    pub rollback_bytes: Vec<u8>,
    pub devices: Vec<Device>,
}

#[derive(Clone)]
pub struct Device {
    pub id: String,
    pub api: Api,
}

/// A server; tenant `acme` with packages 2.0.0 (rollout) and 1.0.1 (rollback) for
/// `temp-sensor`, a profile and `n` eligible devices on 1.0.0.
pub async fn fleet(n: usize, extra: &[&str]) -> Fleet {
    fleet_env(n, extra, &[]).await
}

/// [`fleet`] on a server with `env` added to its environment (S3 credentials).
pub async fn fleet_env(n: usize, extra: &[&str], env: &[(&str, &str)]) -> Fleet {
    fleet_in(tempdir(), n, extra, env).await
}

/// [`fleet_env`] on a server started on `dir` (whose database a test may have chosen).
pub async fn fleet_in(
    dir: tempfile::TempDir,
    n: usize,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Fleet {
    let server = Server::start_with_env(dir.path(), extra, env);
    let admin = Api::for_tenant(&server, "acme", "admin");
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    admin.require_signatures(false).await;
    let pkg_bytes = bytes(PKG_SIZE, 42);
    let rollback_bytes = bytes(PKG_SIZE / 2 + 123, 43);
    let pkg = package(&rm, "2.0.0", &pkg_bytes).await;
    let rollback_pkg = package(&rm, "1.0.1", &rollback_bytes).await;
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
    let devices = provision(&server, &rm, &profile, n, "temp-sensor", "1.0.0").await;
    Fleet {
        server,
        dir,
        admin,
        rm,
        profile,
        pkg,
        pkg_bytes,
        rollback_pkg,
        rollback_bytes,
        devices,
    }
}

pub async fn package(rm: &Api, version: &str, data: &[u8]) -> String {
    let image = rm.upload_image(&format!("fw-{version}"), data).await;
    let uri = image["datafile"].as_str().unwrap();
    rm.post(
        "/api/v1/ota/packages",
        package_body(version, uri, &sha256_hex(data), data.len() as u64),
    )
    .await
    .expect(201)["package_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn provision(
    server: &Server,
    rm: &Api,
    profile: &str,
    n: usize,
    device_type: &str,
    version: &str,
) -> Vec<Device> {
    if n == 0 {
        return Vec::new();
    }
    let list: Vec<Value> = (0..n)
        .map(|i| {
            json!({"name": format!("{device_type}-{version}-{i}"), "profile_id": profile,
                   "device_type": device_type, "firmware_version": version})
        })
        .collect();
    let out = rm
        .post("/api/v1/devices/bulk", json!({"devices": list}))
        .await
        .expect(201);
    out["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| Device {
            id: d["device_id"].as_str().unwrap().to_owned(),
            api: Api::new(server, d["device_token"].as_str().unwrap()),
        })
        .collect()
}

impl Fleet {
    pub async fn start(&self, body: Value) -> Value {
        self.rm.post("/api/v1/ota/rollouts", body).await.expect(201)
    }

    pub async fn rollout(&self, id: &str) -> Value {
        self.rm
            .get(&format!("/api/v1/ota/rollouts/{id}"))
            .await
            .expect(200)
    }

    /// The fleet's devices in `state` in rollout `id` (`pending`: outside the slice).
    pub async fn in_state(&self, id: &str, state: &str) -> Vec<Device> {
        let page = self
            .rm
            .get(&format!(
                "/api/v1/ota/rollouts/{id}/devices?state={state}&limit=1000"
            ))
            .await
            .expect(200);
        let ids: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["device_id"].as_str().unwrap())
            .collect();
        self.devices
            .iter()
            .filter(|d| ids.contains(&d.id.as_str()))
            .cloned()
            .collect()
    }

    pub async fn status(&self, id: &str) -> String {
        self.rollout(id).await["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Device {
    pub async fn ota(&self) -> Resp {
        self.api
            .get(&format!("/api/v1/devices/{}/ota", self.id))
            .await
    }

    pub async fn chunk(&self, package: &str, offset: u64, length: u64) -> reqwest::Response {
        self.api
            .req(
                reqwest::Method::GET,
                &format!(
                    "/api/v1/devices/{}/ota/chunk?package_id={package}&offset={offset}&length={length}",
                    self.id
                ),
            )
            .send()
            .await
            .unwrap()
    }

    /// Downloads the whole artifact in 64 KiB chunks, last chunk first (any order works).
    pub async fn download(&self, package: &str, size: u64) -> Vec<u8> {
        let mut out = vec![0u8; size as usize];
        let mut offsets: Vec<u64> = (0..size).step_by(65536).collect();
        offsets.reverse();
        for off in offsets {
            let r = self.chunk(package, off, 65536).await;
            assert_eq!(r.status(), 200);
            let complete = r.headers().get("x-ota-complete").is_some();
            let b = r.bytes().await.unwrap();
            assert_eq!(complete, off + b.len() as u64 == size);
            out[off as usize..off as usize + b.len()].copy_from_slice(&b);
        }
        out
    }

    pub async fn report(&self, rollout: &str, version: &str, status: &str) -> Resp {
        self.api
            .post(
                &format!("/api/v1/devices/{}/ota/report", self.id),
                json!({"rollout_id": rollout, "firmware_version": version, "status": status}),
            )
            .await
    }

    pub async fn ack_all(&self, assignment: &Value) {
        for c in assignment["commands"].as_array().unwrap() {
            let id = c["command_id"].as_str().unwrap();
            self.api
                .post(
                    &format!("/api/v1/devices/{}/commands/{id}/ack", self.id),
                    json!({}),
                )
                .await
                .expect(200);
        }
    }

    /// The whole device side: fetch the assignment, download and verify, ack, report success.
    pub async fn update(&self, expect_sha: &str) -> Value {
        let a = self.ota().await.expect(200);
        let pkg = a["package_id"].as_str().unwrap();
        let size = a["size_bytes"].as_u64().unwrap();
        let data = self.download(pkg, size).await;
        assert_eq!(sha256_hex(&data), expect_sha);
        assert_eq!(a["checksum"].as_str().unwrap(), expect_sha);
        self.ack_all(&a).await;
        let rollout = a["rollout_id"].as_str().unwrap();
        let version = a["version"].as_str().unwrap();
        self.report(rollout, version, "DOWNLOAD_SUCCESS")
            .await
            .expect(200);
        self.report(rollout, version, "success").await.expect(200);
        a
    }
}

/// One received SSE event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<u64>,
    pub event: String,
    pub data: Value,
}

/// Connects to `/api/v1/events` and forwards parsed events.
pub async fn sse(
    api: &Api,
    last_event_id: Option<u64>,
) -> tokio::sync::mpsc::UnboundedReceiver<SseEvent> {
    let mut rb = api
        .http
        .get(format!("{}/api/v1/events", api.base))
        .bearer_auth(&api.token);
    if let Some(id) = last_event_id {
        rb = rb.header("last-event-id", id.to_string());
    }
    let client = reqwest::Client::new();
    let req = rb.build().unwrap();
    let resp = client.execute(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut stream = resp.bytes_stream();
        let mut buf = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(i) = buf.find("\n\n") {
                let block: String = buf[..i].to_owned();
                buf.drain(..i + 2);
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // keep-alive comment
                }
                let data = serde_json::from_str(&data).unwrap_or(Value::Null);
                if tx.send(SseEvent { id, event, data }).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// Waits for the first event whose SSE event name starts with `prefix`.
pub async fn wait_event(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<SseEvent>,
    prefix: &str,
) -> SseEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {prefix} event within 20 s"))
            .expect("event stream ended");
        if ev.event.starts_with(prefix) {
            return ev;
        }
    }
}

/// Polls until the rollout has `status` (for asynchronous changes: timeouts).
pub async fn wait_status(f: &Fleet, id: &str, status: &str, limit: Duration) -> Value {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let r = f.rollout(id).await;
        if r["status"] == status {
            return r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "rollout never became {status}: {r}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
