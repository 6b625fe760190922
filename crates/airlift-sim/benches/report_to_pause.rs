//! Report → auto-pause, as an operator's SSE client sees it, while the server takes a steady
//! 3,000 device reports per second.
//!
//! Background load: 3,000 devices of one big rollout report download progress once a second
//! each. Probes: small rollouts (10 devices, 10% threshold) each get two failure reports; the
//! second one crosses the threshold. The latency is from sending that report to the `paused`
//! event arriving on `/api/v1/events`. A measurement, not a test:
//! `cargo bench -p airlift-sim --bench report_to_pause` (bench/server-rollout.sh runs it;
//! `DATABASE=postgres`: on a PostgreSQL 15 of its own with production durability).

#[path = "../tests/e2e/mod.rs"]
mod e2e;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlift_core::wire::OtaReport;
use airlift_sim::{Fleet, Http, ProvisionSpec};
use serde_json::{json, Value};

const LOAD_DEVICES: usize = 3_000;
const RATE_PER_SEC: u64 = 3_000;
const PROBES: usize = 40;
const PROBE_DEVICES: usize = 10;

type Seen = Arc<Mutex<HashMap<String, Instant>>>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let database = e2e::Database::from_env();
    let env = e2e::env_on(database, LOAD_DEVICES, 4096, &[], &[]).await;
    let load = env
        .create_rollout(json!({"canary_percent": 100, "failure_threshold_percent": 100}))
        .await;
    let load_id = load["rollout_id"].as_str().expect("rollout id").to_owned();

    let mut probes = Vec::new();
    for p in 0..PROBES {
        let profile = env
            .api
            .ensure_profile(&format!("probe-{p}"), "temp-sensor")
            .await
            .expect("probe profile");
        let fleet = Fleet::provision(
            &env.api,
            &ProvisionSpec {
                profile_id: profile.profile_id.clone(),
                device_type: "temp-sensor".into(),
                firmware_version: "1.4.2".into(),
                count: PROBE_DEVICES,
                name_prefix: format!("probe{p}"),
                first_number: 0,
            },
        )
        .await
        .expect("probe devices");
        let r: Value = env
            .api
            .post(
                "/api/v1/ota/rollouts",
                &json!({"package_id": env.package_id, "target_profile_id": profile.profile_id,
                        "canary_percent": 100, "failure_threshold_percent": 10}),
            )
            .await
            .expect("probe rollout");
        probes.push((r["rollout_id"].as_str().expect("id").to_owned(), fleet));
    }

    let seen: Seen = Arc::default();
    // The watcher is a support user, like an operator's desktop app.
    let watcher = env.token("acme", "support").await;
    tokio::spawn(follow_events(env.server.url.clone(), watcher, seen.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A separate client for the load, so probes never queue behind it in one pool.
    let load_http = Http::new(&env.server.url, 512, airlift_sim::USER_AGENT).expect("client");
    let probe_http = Http::new(&env.server.url, 16, airlift_sim::USER_AGENT).expect("client");
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let generator = tokio::spawn(generate_load(
        load_http,
        env.fleet.devices().to_vec(),
        load_id,
        sent.clone(),
        failed.clone(),
        stop.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(3)).await; // reach a steady state

    let started = Instant::now();
    let sent_before = sent.load(Ordering::Relaxed);
    let mut latencies = Vec::new();
    for (rollout, fleet) in &probes {
        let devs = fleet.devices();
        probe_http
            .report(&devs[0], &failure(rollout))
            .await
            .expect("first failure");
        let t0 = Instant::now();
        probe_http
            .report(&devs[1], &failure(rollout))
            .await
            .expect("second failure");
        let deadline = t0 + Duration::from_secs(30);
        let at = loop {
            if let Some(at) = seen.lock().ok().and_then(|m| m.get(rollout).copied()) {
                break at;
            }
            assert!(Instant::now() < deadline, "no paused event for {rollout}");
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        latencies.push(at.saturating_duration_since(t0));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let elapsed = started.elapsed();
    let reports = sent.load(Ordering::Relaxed) - sent_before;
    stop.store(true, Ordering::Relaxed);
    let _ = generator.await;

    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    let rate = reports as f64 / elapsed.as_secs_f64();
    let p99 = pct(0.99);
    println!(
        "report → auto-pause on SSE on {database:?} at {rate:.0} reports/s ({} failed): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} probes (target p99 ≤ 1 s at 3,000/s): {}",
        failed.load(Ordering::Relaxed),
        pct(0.5).as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3,
        latencies.len(),
        if p99 <= Duration::from_secs(1) && rate >= 0.95 * RATE_PER_SEC as f64 { "met" } else { "missed" }
    );
}

fn failure(rollout: &str) -> OtaReport {
    OtaReport {
        report_id: None,
        device_id: None,
        rollout_id: rollout.to_owned(),
        firmware_version: "1.4.2".into(),
        status: "INSTALL_ERROR".into(),
        message: Some("Not enough memory to install".into()),
        progress: None,
    }
}

/// Progress reports at `RATE_PER_SEC`, round-robin over the devices, in 10 ms ticks.
async fn generate_load(
    http: Http,
    devices: Vec<airlift_sim::creds::DeviceCreds>,
    rollout: String,
    sent: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let per_tick = RATE_PER_SEC / 100;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut k: u64 = 0;
    let devices = Arc::new(devices);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        for _ in 0..per_tick {
            let i = (k % devices.len() as u64) as usize;
            let round = k / devices.len() as u64;
            k += 1;
            let report = OtaReport {
                report_id: None,
                device_id: None,
                rollout_id: rollout.clone(),
                firmware_version: "1.4.2".into(),
                status: "DOWNLOAD_STEP".into(),
                message: Some(format!("chunk {round}")),
                progress: Some((round % 99) as u32 + 1),
            };
            let (http, devices, sent, failed) =
                (http.clone(), devices.clone(), sent.clone(), failed.clone());
            tokio::spawn(async move {
                match http.report(&devices[i], &report).await {
                    Ok(()) => sent.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
            });
        }
    }
}

/// Follows `/api/v1/events` and notes when each rollout's `paused` event arrived.
async fn follow_events(base: String, token: String, seen: Seen) {
    let client = reqwest::Client::new();
    let mut resp = client
        .get(format!("{base}/api/v1/events"))
        .bearer_auth(token)
        .send()
        .await
        .expect("events stream");
    let mut buf = String::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let now = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find('\n') {
            let line: String = buf.drain(..=end).collect();
            let Some(data) = line.trim_end().strip_prefix("data:") else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<Value>(data.trim()) else {
                continue;
            };
            if v["kind"] == "paused" {
                if let (Some(id), Ok(mut m)) = (v["rollout_id"].as_str(), seen.lock()) {
                    m.entry(id.to_owned()).or_insert(now);
                }
            }
        }
    }
}
