//! Issue 18's benchmark: a fleet of 1,000,000 simulated devices polling every 5 minutes
//! (≈ 3,300 polls/s, spread evenly) through nginx to 3 `airliftd` on one PostgreSQL (production
//! durability) and the S3 test server (s3s-fs), while 10,000 of them take a rollout (download
//! by presigned URL from S3, install, report). Then the same load again with one server killed
//! (kill -9) midway through a second rollout of another 10,000.
//!
//! Printed per phase: poll latency p50/p99 from nginx's access log (`$request_time`; target
//! p99 < 50 ms), errors (target 0), each server's CPU seconds and peak RSS, PostgreSQL's,
//! nginx's, s3s-fs's and the simulator's CPU, the simulator's peak RSS, and when the rollout
//! completed. Then one verdict line per target.
//!
//! A measurement, not a test: `bench/cluster-1m.sh` (release build) runs
//! `cargo bench -p airlift-sim --bench cluster_1m`. Knobs (environment):
//! - `AIRLIFT_BENCH_DEVICES` (1,000,000): the fleet;
//! - `AIRLIFT_BENCH_POLLS_PER_S` (3,333.3): the poll rate; each device polls every
//!   DEVICES / RATE seconds (300 s by default), so a smaller fleet keeps the same load;
//! - `AIRLIFT_BENCH_ROLLOUT_DEVICES` (DEVICES / 100): the devices of each rollout;
//! - `AIRLIFT_BENCH_PACKAGE_KIB` (1024): the package's size;
//! - `AIRLIFT_BENCH_MAX_PHASE_S` (3 × interval + 300): a rollout not completed by then is
//!   reported as missed.

mod access_log;
mod procs;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use airlift_sim::publish::{ensure_package, ensure_signing_key, PackageSpec};
use airlift_sim::signer::DemoSigner;
use airlift_sim::{creds, Fleet, Http, ProvisionSpec, UserApi};
use airlift_testkit::cluster::{LocalCluster, Logs};
use airlift_testkit::postgres::{psql, Postgres};
use serde_json::{json, Value};

use access_log::{AccessLog, Request, Window};

/// Servers behind nginx.
const NODES: usize = 3;
/// After a kill, the window whose errors count as "during the kill".
const KILL_WINDOW: Duration = Duration::from_secs(10);
/// The p99 the issue asks for.
const TARGET_P99_MS: u32 = 50;
const DEVICE_TYPE: &str = "sensor";

struct Settings {
    devices: usize,
    polls_per_s: f64,
    wave: usize,
    package_kib: usize,
    interval: Duration,
    max_phase: Duration,
}

impl Settings {
    fn from_env() -> Self {
        fn var<T: std::str::FromStr>(name: &str) -> Option<T> {
            std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
        }
        let devices: usize = var("AIRLIFT_BENCH_DEVICES").unwrap_or(1_000_000);
        let polls_per_s: f64 = var("AIRLIFT_BENCH_POLLS_PER_S").unwrap_or(10_000.0 / 3.0);
        let wave = var("AIRLIFT_BENCH_ROLLOUT_DEVICES")
            .unwrap_or(devices / 100)
            .max(1);
        assert!(
            devices > 2 * wave,
            "AIRLIFT_BENCH_DEVICES={devices} must exceed two rollouts of {wave}"
        );
        let interval = Duration::from_secs_f64(devices as f64 / polls_per_s);
        let max_phase = var::<u64>("AIRLIFT_BENCH_MAX_PHASE_S")
            .map_or(interval * 3 + Duration::from_secs(300), Duration::from_secs);
        Self {
            devices,
            polls_per_s,
            wave,
            package_kib: var("AIRLIFT_BENCH_PACKAGE_KIB").unwrap_or(1024),
            interval,
            max_phase,
        }
    }
}

/// Unix time now, in seconds (the access log's clock).
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The simulator process; interrupted (it then prints its summary) or killed on drop.
struct Sim {
    child: Child,
    summary: PathBuf,
    log: PathBuf,
}

impl Sim {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGINT, then its JSON summary.
    fn stop(mut self) -> Value {
        let _ = Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.summary)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_else(|| {
                panic!(
                    "the simulator left no summary; its log:\n{}",
                    tail(&self.log)
                )
            })
    }

    fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "the simulator stopped ({status}); its log:\n{}",
                tail(&self.log)
            );
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// CPU seconds of everything measured, at one moment.
#[derive(Clone)]
struct Cpu {
    nodes: Vec<f64>,
    postgres: f64,
    nginx: f64,
    s3: f64,
    sim: f64,
}

struct Pids {
    nodes: Vec<Option<u32>>,
    postgres: u32,
    nginx: u32,
    s3: u32,
    sim: u32,
}

impl Pids {
    fn cpu(&self) -> Cpu {
        Cpu {
            nodes: self
                .nodes
                .iter()
                .map(|p| p.map_or(0.0, procs::tree_cpu))
                .collect(),
            postgres: procs::tree_cpu(self.postgres),
            nginx: procs::tree_cpu(self.nginx),
            s3: procs::tree_cpu(self.s3),
            sim: procs::tree_cpu(self.sim),
        }
    }

    /// Every server's and the simulator's peak RSS starts afresh.
    fn reset_peaks(&self) {
        for pid in self.nodes.iter().flatten().chain([&self.sim]) {
            procs::reset_peak(*pid);
        }
    }
}

/// What one phase measured.
struct Phase {
    name: &'static str,
    window: Window,
    rollout: Option<f64>,
    /// Whether a server was to be killed in this phase.
    killing: bool,
    /// Kill -9 of a server: (which, seconds into the phase, errors during the kill window,
    /// the window after it).
    kill: Option<(usize, f64, Window, Window)>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let s = Settings::from_env();
    println!(
        "cluster-1m: {} devices polling every {:.1} s ({:.0} polls/s), rollouts of {} devices × {} KiB, {NODES} airliftd + nginx + PostgreSQL 15 (durable) + s3s-fs on loopback; load {} at start",
        s.devices,
        s.interval.as_secs_f64(),
        s.polls_per_s,
        s.wave,
        s.package_kib,
        procs::load()
    );
    let mut cluster =
        LocalCluster::start_on(Postgres::start_durable(), NODES, true, &[], Logs::Files);
    let nginx = cluster.nginx().expect("nginx runs");
    let url = nginx.url();
    let mut log = AccessLog::new(nginx.access_log());
    let token = cluster.token("acme", "admin");
    let api = UserApi::new(
        Http::new(&url, 16, airlift_sim::USER_AGENT).expect("HTTP client"),
        &token,
    );

    // The package (2.0.0, signed) on S3, and three profiles: the polling fleet and two waves.
    let signer = DemoSigner::from_seed([1; 32]);
    ensure_signing_key(&api, &signer, "release")
        .await
        .expect("signing key");
    let package = ensure_package(
        &api,
        &signer,
        &PackageSpec {
            device_type: DEVICE_TYPE.into(),
            version: "2.0.0".into(),
            min_version: "1.0.0".into(),
            size: s.package_kib * 1024,
            release_notes: String::new(),
        },
    )
    .await
    .expect("package");
    let work = tempfile::Builder::new()
        .prefix("airlift-cluster-1m")
        .tempdir()
        .expect("a work directory");
    let devices_file = work.path().join("devices.jsonl");
    let t = Instant::now();
    let mut profiles = Vec::new();
    for (name, count) in [
        ("fleet", s.devices - 2 * s.wave),
        ("wave-1", s.wave),
        ("wave-2", s.wave),
    ] {
        let profile = api
            .ensure_profile(name, DEVICE_TYPE)
            .await
            .expect("profile");
        let fleet = Fleet::provision(
            &api,
            &ProvisionSpec {
                profile_id: profile.profile_id.clone(),
                device_type: DEVICE_TYPE.into(),
                firmware_version: "1.4.2".into(),
                count,
                name_prefix: name.into(),
                first_number: 0,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("provisioning {name}: {e}"));
        creds::append(&devices_file, fleet.devices()).expect("devices file");
        profiles.push(profile.profile_id);
    }
    println!(
        "set-up: provisioned {} devices through nginx (bulk API, 10,000 a call) in {:.1} s",
        s.devices,
        t.elapsed().as_secs_f64()
    );
    let key = work.path().join("release.pem");
    std::fs::write(&key, signer.public_key_pem().expect("public key")).expect("key file");

    let mut sim = start_sim(&s, &url, &devices_file, &key, work.path());
    let mut pids = Pids {
        nodes: (0..NODES).map(|i| Some(cluster.node(i).pid())).collect(),
        postgres: cluster.postgres.postmaster_pid().expect("postmaster pid"),
        nginx: nginx.master_pid().expect("nginx pid"),
        s3: cluster.s3.pid(),
        sim: sim.pid(),
    };
    // Every device makes its first poll within one interval of the start, at a random
    // moment: the rate is steady from the start. Let the simulator load its file and the
    // connections open.
    let warmup = (s.interval / 10).clamp(Duration::from_secs(10), Duration::from_secs(30));
    tokio::time::sleep(warmup).await;
    sim.check_alive();
    log.read_new();
    println!(
        "simulator: {} devices running after {:.0} s; RSS {:.0} MiB, peak {:.0} MiB so far (reading its devices file)",
        s.devices,
        warmup.as_secs_f64(),
        procs::rss_mib(sim.pid()).unwrap_or(0.0),
        procs::peak_rss_mib(sim.pid()).unwrap_or(0.0)
    );

    let mut phases = Vec::new();
    for (i, name) in ["3 servers", "one server killed midway"]
        .into_iter()
        .enumerate()
    {
        let kill = i == 1;
        let phase = run_phase(
            name,
            &s,
            &api,
            &package.package_id,
            &profiles[1 + i],
            &mut cluster,
            &mut pids,
            &mut sim,
            &mut log,
            kill,
        )
        .await;
        phases.push(phase);
    }

    let sim_rss = procs::peak_rss_mib(sim.pid()).unwrap_or(0.0);
    let sim_cpu = procs::tree_cpu(sim.pid());
    let summary = sim.stop();
    println!(
        "simulator: CPU {sim_cpu:.1} s over the run, peak RSS {sim_rss:.0} MiB during the second phase for {} devices ({:.0} bytes a device); errors after its retries: {}; jobs {}; firmware {}",
        s.devices,
        sim_rss * 1024.0 * 1024.0 / s.devices as f64,
        summary["errors"],
        summary["jobs"],
        summary["firmware"]
    );

    let load = procs::load1();
    for p in &phases {
        let lat = p.kill.as_ref().map_or(&p.window, |k| &k.3).poll_latency;
        let scope = match (&p.kill, p.killing) {
            (Some(_), _) => "after the kill",
            (None, false) => "3 servers",
            // The phase ended before its kill was due (AIRLIFT_BENCH_MAX_PHASE_S too short).
            (None, true) => "second phase, no server killed",
        };
        println!(
            "cluster-1m poll latency, {scope}: p99 {} ms, p50 {} ms over {} polls (nginx $request_time), target p99 < {TARGET_P99_MS} ms: {}; load {load}",
            lat.p99,
            lat.p50,
            lat.count,
            verdict(lat.count > 0 && lat.p99 < TARGET_P99_MS)
        );
        match &p.kill {
            None => println!(
                "cluster-1m errors, {scope}: {} of {} requests, target 0: {}; load {load}",
                p.window.errors_text(),
                p.window.requests,
                verdict(p.window.error_count() == 0)
            ),
            Some((_, _, during, _)) => {
                let outside = p.window.error_count() - during.error_count();
                println!(
                    "cluster-1m errors, one server killed: {} during the {} s after the kill (requests in flight on the killed server; the simulator retries them), {outside} at other times, of {} requests, target 0 outside the kill: {}; load {load}",
                    during.errors_text(),
                    KILL_WINDOW.as_secs(),
                    p.window.requests,
                    verdict(outside == 0)
                );
            }
        }
        println!(
            "cluster-1m rollout of {} devices, {}: {}, target completes: {}; load {load}",
            s.wave,
            p.name,
            p.rollout.map_or("not completed".to_owned(), |t| format!(
                "completed in {t:.1} s"
            )),
            verdict(p.rollout.is_some())
        );
    }
    println!(
        "cluster-1m simulator errors after retries: {}, target 0: {}; load {load}",
        summary["errors"],
        verdict(summary["errors"].as_u64() == Some(0))
    );
    drop(cluster);
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "missed"
    }
}

fn start_sim(s: &Settings, url: &str, devices: &Path, key: &Path, dir: &Path) -> Sim {
    let summary = dir.join("sim-summary.json");
    let log = dir.join("sim.log");
    let child = Command::new(airlift_testkit::bin("airlift-sim"))
        .args(["run", "--devices"])
        .arg(devices)
        .arg("--public-key")
        .arg(key)
        .args(["--seed", "1", "--jitter", "0.1"])
        .args(["--poll", &format!("{}ms", s.interval.as_millis())])
        .args(["--install-time", "1s", "--reboot-time", "2s"])
        .args(["--max-in-flight", "128", "--max-active-jobs", "512"])
        .args(["--until", "forever"])
        .env("AIRLIFT_SERVER_URL", url)
        // No token: the simulator would list every device to refresh their versions.
        .env_remove("AIRLIFT_TOKEN")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&summary).expect("summary file"))
        .stderr(std::fs::File::create(&log).expect("simulator log"))
        .spawn()
        .expect("start airlift-sim");
    Sim {
        child,
        summary,
        log,
    }
}

/// The server holding the timekeeper lease (the one running the timed work): the harder one
/// to lose. Server 0 when the lease names none of them.
fn timekeeper(cluster: &LocalCluster) -> usize {
    let holder = psql(
        &cluster.database_url,
        "SELECT holder FROM cluster_leases WHERE name = 'timekeeper'",
    );
    (0..cluster.len())
        .find(|i| {
            std::fs::read_to_string(cluster.data_dir(*i).join("node-id"))
                .is_ok_and(|id| id.trim() == holder.trim())
        })
        .unwrap_or(0)
}

#[allow(clippy::too_many_arguments)]
async fn run_phase(
    name: &'static str,
    s: &Settings,
    api: &UserApi,
    package: &str,
    profile: &str,
    cluster: &mut LocalCluster,
    pids: &mut Pids,
    sim: &mut Sim,
    log: &mut AccessLog,
    kill: bool,
) -> Phase {
    println!("phase \"{name}\" (load {})", procs::load());
    pids.reset_peaks();
    let cpu0 = pids.cpu();
    let from = unix_now();
    let started = Instant::now();
    let created: Value = api
        .post(
            "/api/v1/ota/rollouts",
            &json!({"package_id": package, "target_profile_id": profile,
                    "strategy": "all_at_once", "failure_threshold_percent": 10}),
        )
        .await
        .unwrap_or_else(|e| panic!("create the rollout: {e}"));
    let id = created["rollout_id"]
        .as_str()
        .expect("rollout id")
        .to_owned();
    let mut completed = None;
    let mut counters = Value::Null;
    let mut killed: Option<(usize, f64, f64, Cpu)> = None;
    // A progress line every 30 s (over the last 10 s of the access log).
    let mut next_line = Duration::from_secs(30);
    let mut requests: Vec<Request> = Vec::new();
    loop {
        let elapsed = started.elapsed();
        // Midway: half a poll interval in (every device polled about half as often as it
        // will), or half the longest phase if that comes first.
        if kill && killed.is_none() && elapsed >= (s.interval / 2).min(s.max_phase / 2) {
            let victim = timekeeper(cluster);
            let before = pids.cpu();
            // Taken before the signal: a request cut by it ends (and is logged) after it.
            let at = unix_now();
            cluster.kill9(victim);
            pids.nodes[victim] = None;
            killed = Some((victim, elapsed.as_secs_f64(), at, before));
            println!(
                "  [{:6.1} s] kill -9 server {victim} (the timekeeper)",
                elapsed.as_secs_f64()
            );
        }
        match api
            .get::<Value>(&format!("/api/v1/ota/rollouts/{id}"))
            .await
        {
            Ok(r) => {
                counters = r["counters"].clone();
                if completed.is_none() && r["status"] == "completed" {
                    completed = Some(elapsed.as_secs_f64());
                    println!(
                        "  [{:6.1} s] rollout completed: {counters}",
                        elapsed.as_secs_f64()
                    );
                }
                if !matches!(r["status"].as_str(), Some("active" | "completed")) {
                    println!("  rollout is {}: {counters}", r["status"]);
                    break;
                }
            }
            Err(e) => println!(
                "  [{:6.1} s] reading the rollout: {e}",
                elapsed.as_secs_f64()
            ),
        }
        sim.check_alive();
        // Read the log as it grows (a 1M-device phase writes ~100 MB of it).
        requests.extend(log.read_new());
        let done = completed.is_some() && elapsed >= s.interval;
        if done || elapsed >= s.max_phase {
            break;
        }
        if elapsed >= next_line {
            let w = Window::of(&requests, unix_now() - 10.0, unix_now());
            println!(
                "  [{:6.1} s] {:.0} polls/s over the last 10 s, {}, errors {}; rollout {counters}; load {}",
                elapsed.as_secs_f64(),
                w.polls as f64 / 10.0,
                w.poll_latency,
                w.errors_text(),
                procs::load1()
            );
            next_line = elapsed + Duration::from_secs(30);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu1 = pids.cpu();
    // Requests that ended by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    requests.extend(log.read_new());
    let to = from + seconds;
    let window = Window::of(&requests, from, to);
    let kill_figures = killed.as_ref().map(|(victim, at, t, _)| {
        let during = Window::of(&requests, *t, t + KILL_WINDOW.as_secs_f64());
        let after = Window::of(&requests, t + KILL_WINDOW.as_secs_f64(), to);
        (*victim, *at, during, after)
    });
    print_phase(
        s,
        name,
        &window,
        seconds,
        &cpu0,
        &cpu1,
        pids,
        killed.as_ref(),
    );
    if let Some((victim, at, during, after)) = &kill_figures {
        println!(
            "  kill -9 of server {victim} at {at:.1} s: {} errors in the {} s after it (requests in flight on it; the simulator retries them), {} requests moved by nginx to another server in that time; afterwards (2 servers): polls {}, errors {}, {} requests moved (nginx tries the dead server again every 2 s)",
            during.errors_text(),
            KILL_WINDOW.as_secs(),
            during.moved,
            after.poll_latency,
            after.errors_text(),
            after.moved
        );
    }
    println!(
        "  rollout of {} devices: {}; counters {counters}",
        s.wave,
        completed.map_or("not completed".to_owned(), |t| format!(
            "completed {t:.1} s after its creation"
        ))
    );
    Phase {
        name,
        window,
        rollout: completed,
        killing: kill,
        kill: kill_figures,
    }
}

#[allow(clippy::too_many_arguments)]
fn print_phase(
    s: &Settings,
    name: &str,
    w: &Window,
    seconds: f64,
    cpu0: &Cpu,
    cpu1: &Cpu,
    pids: &Pids,
    killed: Option<&(usize, f64, f64, Cpu)>,
) {
    println!(
        "  {name}: {} polls in {seconds:.1} s ({:.0}/s, target {:.0}/s; in one second at least {}, at most {}), latency at nginx ($request_time) {}, at the servers ($upstream_response_time) {}; errors {} of {} requests",
        w.polls,
        w.polls as f64 / seconds,
        s.polls_per_s,
        w.polls_per_s_min,
        w.polls_per_s_max,
        w.poll_latency,
        w.upstream_latency,
        w.errors_text(),
        w.requests
    );
    let mut parts = Vec::new();
    for i in 0..cpu0.nodes.len() {
        // A killed server: its CPU up to the kill, its peak unknown afterwards.
        let (end, rss) = match (killed, pids.nodes[i]) {
            (Some((victim, _, _, before)), _) if *victim == i => (before.nodes[i], None),
            (_, pid) => (cpu1.nodes[i], pid.and_then(procs::peak_rss_mib)),
        };
        parts.push(format!(
            "server {i} {:.1} s{}",
            end - cpu0.nodes[i],
            rss.map_or(" (killed)".to_owned(), |r| format!(
                " (peak RSS {r:.0} MiB)"
            ))
        ));
    }
    println!(
        "  CPU seconds: {}; PostgreSQL {:.1} s; nginx {:.1} s; s3s-fs {:.1} s; simulator {:.1} s (peak RSS {:.0} MiB)",
        parts.join(", "),
        cpu1.postgres - cpu0.postgres,
        cpu1.nginx - cpu0.nginx,
        cpu1.s3 - cpu0.s3,
        cpu1.sim - cpu0.sim,
        procs::peak_rss_mib(pids.sim).unwrap_or(0.0)
    );
}
