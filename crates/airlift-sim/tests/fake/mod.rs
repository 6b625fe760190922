//! A tiny in-process stand-in for airliftd's device protocol (axum on 127.0.0.1:0): one
//! package assigned to every device with one persistent command each, recording every chunk
//! request, report and ack, so the simulator's device logic can be checked without the real
//! server.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use airlift_sim::creds::{DeviceCreds, DeviceToken};
use airlift_sim::signer::DemoSigner;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

pub const VERSION: &str = "2.0.0";
pub const PACKAGE: &str = "pkg_fake";
pub const ROLLOUT: &str = "rol_fake";

#[derive(Default)]
pub struct Log {
    /// (offset, length asked) per device.
    pub chunks: HashMap<String, Vec<(u64, u64)>>,
    /// Reports (the JSON bodies) per device, in order.
    pub reports: HashMap<String, Vec<Value>>,
    pub acks: HashMap<String, Vec<String>>,
    /// Devices that reached a verdict (no assignment any more).
    pub done: HashMap<String, bool>,
    /// When each device polled, in order.
    pub polls: HashMap<String, Vec<std::time::Instant>>,
}

#[derive(Clone)]
pub struct Fake {
    pub artifact: Arc<Vec<u8>>,
    pub sha256: String,
    pub signature: String,
    pub log: Arc<Mutex<Log>>,
}

pub struct Running {
    pub url: String,
    pub fake: Fake,
    pub signer: DemoSigner,
}

impl Running {
    pub fn reports(&self, device: &str) -> Vec<Value> {
        self.fake
            .log
            .lock()
            .unwrap()
            .reports
            .get(device)
            .cloned()
            .unwrap_or_default()
    }

    pub fn statuses(&self, device: &str) -> Vec<String> {
        self.reports(device)
            .iter()
            .map(|r| r["status"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    pub fn chunks(&self, device: &str) -> Vec<(u64, u64)> {
        self.fake
            .log
            .lock()
            .unwrap()
            .chunks
            .get(device)
            .cloned()
            .unwrap_or_default()
    }

    pub fn polls(&self, device: &str) -> Vec<std::time::Instant> {
        self.fake
            .log
            .lock()
            .unwrap()
            .polls
            .get(device)
            .cloned()
            .unwrap_or_default()
    }

    pub fn acks(&self, device: &str) -> Vec<String> {
        self.fake
            .log
            .lock()
            .unwrap()
            .acks
            .get(device)
            .cloned()
            .unwrap_or_default()
    }
}

pub fn devices(n: usize) -> Vec<DeviceCreds> {
    (0..n)
        .map(|i| DeviceCreds {
            device_id: format!("dev_{i}"),
            device_token: DeviceToken::new(format!("tok-dev_{i}")),
            name: format!("sim-{i}"),
            profile_id: "prof".into(),
            device_type: "temp-sensor".into(),
            firmware_version: "1.4.2".into(),
        })
        .collect()
}

fn authorized(headers: &HeaderMap, id: &str) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer tok-{id}"))
}

async fn ota(State(f): State<Fake>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !authorized(&headers, &id) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut log = f.log.lock().unwrap();
    log.polls
        .entry(id.clone())
        .or_default()
        .push(std::time::Instant::now());
    if log.done.contains_key(&id) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let acked = log.acks.get(&id).is_some_and(|a| !a.is_empty());
    let commands = if acked {
        json!([])
    } else {
        json!([{ "command_id": format!("cmd-{id}"), "kind": "ota_start", "rollout_id": ROLLOUT,
                 "package_id": PACKAGE, "version": VERSION, "created_at": "2026-01-01T00:00:00Z",
                 "delivery_count": 1 }])
    };
    Json(json!({
        "package_id": PACKAGE, "type": "fw", "version": VERSION,
        "size_bytes": f.artifact.len(), "checksum": f.sha256, "signature": f.signature,
        "rollout_id": ROLLOUT, "command": "ota_start", "commands": commands,
        "config_otau": {"version": VERSION, "name": format!("temp-sensor {VERSION}"),
            "description": "", "type": "FILE",
            "payload": format!("/api/v1/devices/{id}/ota/download?package_id={PACKAGE}")},
    }))
    .into_response()
}

#[derive(Deserialize)]
struct ChunkQ {
    package_id: String,
    offset: u64,
    length: u64,
}

async fn chunk(
    State(f): State<Fake>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ChunkQ>,
) -> Response {
    if !authorized(&headers, &id) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if q.package_id != PACKAGE {
        return StatusCode::FORBIDDEN.into_response();
    }
    let total = f.artifact.len() as u64;
    if q.offset >= total {
        return StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    }
    f.log
        .lock()
        .unwrap()
        .chunks
        .entry(id)
        .or_default()
        .push((q.offset, q.length));
    let len = q.length.min(65536).min(total - q.offset);
    let end = q.offset + len;
    let body = f.artifact[q.offset as usize..end as usize].to_vec();
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        "content-range",
        HeaderValue::from_str(&format!("bytes {}-{}/{total}", q.offset, end - 1)).unwrap(),
    );
    if end == total {
        h.insert("x-ota-complete", HeaderValue::from_static("true"));
    }
    r
}

async fn report(
    State(f): State<Fake>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers, &id) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let status = body["status"].as_str().unwrap_or("").to_owned();
    let mut log = f.log.lock().unwrap();
    if status == "INSTALLED_VERSION" || status.ends_with("_ERROR") || status == "INSTALL_ABORTED" {
        log.done.insert(id.clone(), true);
    }
    log.reports.entry(id).or_default().push(body);
    Json(json!({"report_id": "r", "duplicate": false, "device_state": null, "rollout_status": "active"}))
        .into_response()
}

async fn ack(
    State(f): State<Fake>,
    Path((id, cmd)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers, &id) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    f.log
        .lock()
        .unwrap()
        .acks
        .entry(id)
        .or_default()
        .push(cmd.clone());
    Json(json!({"command_id": cmd, "acked_at": "2026-01-01T00:00:00Z"})).into_response()
}

/// Serves `artifact`, signed by a fresh demo key (or with `bad_signature`, by another key).
pub async fn start(artifact: Vec<u8>, bad_signature: bool) -> Running {
    let signer = DemoSigner::from_seed([9; 32]);
    let signature = if bad_signature {
        DemoSigner::from_seed([10; 32]).sign(&artifact)
    } else {
        signer.sign(&artifact)
    };
    let fake = Fake {
        sha256: hex::encode(Sha256::digest(&artifact)),
        artifact: Arc::new(artifact),
        signature,
        log: Arc::default(),
    };
    let app = Router::new()
        .route("/api/v1/devices/{id}/ota", get(ota))
        .route("/api/v1/devices/{id}/ota/chunk", get(chunk))
        .route("/api/v1/devices/{id}/ota/report", post(report))
        .route("/api/v1/devices/{id}/commands/{cmd}/ack", post(ack))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Running { url, fake, signer }
}
