//! `airlift-sim demo`: a local airliftd with a demo tenant, profiles, a signed 2.0.0 package
//! and its 1.4.2 rollback package, and a few hundred simulated devices on 1.x firmware that run
//! until Ctrl-C / SIGTERM. Idempotent on an existing data directory: the tenant, profiles,
//! key, packages and devices found there are reused.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use rand::TryRngCore as _;
use serde::Serialize;

use crate::airliftd::{self, Server};
use crate::config::{RunConfig, StopCondition, StopHandle};
use crate::creds;
use crate::fleet::{Fleet, ProvisionSpec};
use crate::fsutil::{create_private_dir, write_private};
use crate::http::Http;
use crate::publish::{ensure_package, ensure_signing_key, PackageSpec};
use crate::signer::DemoSigner;
use crate::summary::Summary;
use crate::user_api::UserApi;
use crate::verify::Verifier;

pub const TENANT: &str = "demo";
pub const SENSOR_PROFILE: &str = "temp-sensor-v2";
pub const GATEWAY_PROFILE: &str = "gateway";
const TOKEN_TTL_SECS: u64 = 7 * 24 * 3600;
/// The demo's share of devices whose install fails (`--fail-install` overrides it): a few, so
/// that a newcomer's canary with the wizard's defaults (10 % slice, pause above 10 %) usually
/// passes and the rollout completes with a handful of failures to retry; a stricter threshold
/// (or `--fail-install 0.2`) shows the auto-pause and its notification.
pub const DEFAULT_FAIL_INSTALL: f64 = 0.03;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub data: PathBuf,
    pub listen: String,
    pub devices: usize,
    pub airliftd: Option<PathBuf>,
    /// The fleet's settings (server is filled in once airliftd listens).
    pub run: RunConfig,
}

/// The machine-readable line the demo prints first on stdout.
#[derive(Debug, Clone, Serialize)]
pub struct DemoInfo {
    pub url: String,
    pub admin_token: String,
    pub support_token: String,
    pub tenant: String,
    pub data_dir: String,
    pub server_pid: Option<u32>,
    pub devices: usize,
    pub profiles: serde_json::Value,
    pub packages: serde_json::Value,
}

/// Which profile and firmware device `i` of the demo gets: about one in seven is a gateway;
/// sensors run 1.4.2, one in five still 1.3.0.
fn device_kind(i: usize) -> (&'static str, &'static str, &'static str) {
    if i % 7 == 6 {
        (GATEWAY_PROFILE, "gateway", "1.9.0")
    } else if i % 5 == 4 {
        (SENSOR_PROFILE, "temp-sensor", "1.3.0")
    } else {
        (SENSOR_PROFILE, "temp-sensor", "1.4.2")
    }
}

fn load_or_create_signer(path: &Path) -> anyhow::Result<DemoSigner> {
    if path.exists() {
        let s =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return DemoSigner::from_seed_hex(&s).map_err(anyhow::Error::msg);
    }
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| anyhow::anyhow!("no OS randomness for the signing key: {e}"))?;
    let signer = DemoSigner::from_seed(seed);
    write_private(path, signer.seed_hex().as_bytes())?;
    Ok(signer)
}

/// Devices `0..n` of the demo: the file's, plus newly provisioned ones (appended to the file
/// after each bulk call, so a crash loses at most one batch's tokens).
async fn ensure_devices(
    api: &UserApi,
    path: &Path,
    n: usize,
    profile_ids: &[(&str, String)],
) -> anyhow::Result<Fleet> {
    let mut have = if path.exists() {
        creds::load(path)?
    } else {
        Vec::new()
    };
    let start = have.len();
    if start < n {
        // Group the missing indices by kind so each bulk call has one profile.
        let mut i = start;
        while i < n {
            let (profile, device_type, fw) = device_kind(i);
            let mut j = i;
            while j < n && device_kind(j) == (profile, device_type, fw) {
                j += 1;
            }
            let profile_id = profile_ids
                .iter()
                .find(|(name, _)| *name == profile)
                .map(|(_, id)| id.clone())
                .context("profile id")?;
            let fleet = Fleet::provision(
                api,
                &ProvisionSpec {
                    profile_id,
                    device_type: device_type.to_owned(),
                    firmware_version: fw.to_owned(),
                    count: j - i,
                    name_prefix: "demo".to_owned(),
                    first_number: i,
                },
            )
            .await?;
            creds::append(path, fleet.devices())?;
            have.extend(fleet.devices().iter().cloned());
            i = j;
        }
    }
    have.truncate(n);
    Ok(Fleet::new(have))
}

/// Sets everything up, prints the info line, runs until Ctrl-C or SIGTERM, stops airliftd and
/// returns the fleet's summary.
pub async fn run(opts: DemoOptions) -> anyhow::Result<Summary> {
    create_private_dir(&opts.data)?;
    let server_dir = opts.data.join("server");
    let sim_dir = opts.data.join("sim");
    create_private_dir(&sim_dir)?;
    let bin = airliftd::locate(opts.airliftd.as_deref())?;
    let server = Server::start(&bin, &server_dir, &opts.listen, &[]).await?;
    let admin = airliftd::token(&bin, &server_dir, TENANT, "admin", TOKEN_TTL_SECS).await?;
    let support = airliftd::token(&bin, &server_dir, TENANT, "support", TOKEN_TTL_SECS).await?;
    let http = Http::new(&server.url, opts.run.max_in_flight, crate::USER_AGENT)
        .map_err(|e| anyhow::anyhow!("HTTP client: {e}"))?;
    let api = UserApi::new(http, &admin);

    let sensor = api
        .ensure_profile(SENSOR_PROFILE, "temp-sensor")
        .await
        .context("profile")?;
    let gateway = api
        .ensure_profile(GATEWAY_PROFILE, "gateway")
        .await
        .context("profile")?;
    let signer = load_or_create_signer(&sim_dir.join("signing-key.hex"))?;
    ensure_signing_key(&api, &signer, "demo-release-key").await?;
    let spec = |version: &str, size: usize, notes: &str| PackageSpec {
        device_type: "temp-sensor".to_owned(),
        version: version.to_owned(),
        min_version: "1.0.0".to_owned(),
        size,
        release_notes: notes.to_owned(),
    };
    let new_pkg = ensure_package(
        &api,
        &signer,
        &spec(
            "2.0.0",
            384 * 1024,
            "Fix sensor drift above 60C; reduce idle current.",
        ),
    )
    .await?;
    let old_pkg = ensure_package(
        &api,
        &signer,
        &spec(
            "1.4.2",
            320 * 1024,
            "Last known good build (rollback target).",
        ),
    )
    .await?;
    let mut fleet = ensure_devices(
        &api,
        &sim_dir.join("devices.jsonl"),
        opts.devices,
        &[
            (SENSOR_PROFILE, sensor.profile_id.clone()),
            (GATEWAY_PROFILE, gateway.profile_id.clone()),
        ],
    )
    .await?;

    fleet.refresh_firmware(&api).await?;

    let info = DemoInfo {
        url: server.url.clone(),
        admin_token: admin,
        support_token: support,
        tenant: TENANT.to_owned(),
        data_dir: opts.data.display().to_string(),
        server_pid: server.pid(),
        devices: fleet.len(),
        profiles: serde_json::json!({ SENSOR_PROFILE: sensor.profile_id, GATEWAY_PROFILE: gateway.profile_id }),
        packages: serde_json::json!({
            "temp-sensor-fw-2.0.0": new_pkg.package_id,
            "temp-sensor-fw-1.4.2": old_pkg.package_id,
        }),
    };
    {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, &info)?;
        writeln!(out)?;
        out.flush()?;
    }

    let mut cfg = opts.run.clone();
    cfg.server = server.url.clone();
    // A key created and registered in the app while the demo runs is learned by the devices
    // the first time they meet a package it signed.
    cfg.verifier = Verifier::fetching(api.clone(), cfg.key_refresh_interval)
        .await
        .map_err(anyhow::Error::msg)?;
    let stop = StopHandle::new();
    spawn_signal_stop(stop.clone());
    let summary = fleet.run(cfg, StopCondition::Handle(stop)).await;
    server.stop(Duration::from_secs(10)).await;
    summary
}

/// Stops `stop` on Ctrl-C or SIGTERM.
pub fn spawn_signal_stop(stop: StopHandle) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        stop.stop();
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn device_mix() {
        let kinds: Vec<_> = (0..35).map(super::device_kind).collect();
        let gateways = kinds
            .iter()
            .filter(|k| k.0 == super::GATEWAY_PROFILE)
            .count();
        assert_eq!(gateways, 5);
        assert!(kinds.iter().any(|k| k.2 == "1.3.0"));
    }
}
