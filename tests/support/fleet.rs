//! A small real fleet for the end-to-end tests: airliftd, a firmware package, devices
//! provisioned and run by the real `airlift-sim` (fast polls, fixed seed, injected install
//! failures), and a rollout that drives them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use airlift_core::package::PackageType;
use airlift_core::wire::{CreateRollout, Package, Profile, RolloutSummary, UpdateTenant};
use airlift_desk::cache::Cache;
use airlift_desk::client::{Client, ListParams};
use airlift_desk::secret::Secret;
use airlift_desk::upload::{publish, upload_file, PackageSpec, UploadRequest};
use airlift_desk::CancelToken;

use super::airliftd::Airliftd;
use super::Guard;

/// What the simulator's failing devices report: commas and quotes on purpose (CSV quoting).
pub const FAIL_MESSAGE: &str = "Flash write failed at block 0x3f00: \"bad checksum\", retry later";

pub struct Fleet {
    pub server: Airliftd,
    pub token: String,
    pub client: Client,
    pub devices_file: PathBuf,
    pub package: Package,
    pub profile: Profile,
    _sim: Option<Guard>,
}

impl Fleet {
    /// airliftd with `count` temp-sensors on 1.0.0 (profile `lab`, named `lab-sensor-N`), a few
    /// gateways on 1.9.0 nobody updates, and firmware 2.0.0 for the sensors.
    pub async fn start(dir: &Path, count: usize) -> Fleet {
        let server = Airliftd::start(&dir.join("server"));
        let token = server.token("acme", "admin");
        let client = Client::new(
            &server.url,
            Some(Secret::new(token.clone())),
            Default::default(),
        )
        .expect("API client");
        client
            .update_tenant(&UpdateTenant {
                require_signatures: Some(false),
            })
            .await
            .expect("tenant settings");
        let devices_file = dir.join("devices.jsonl");
        provision(
            &server,
            &token,
            &devices_file,
            "lab",
            "temp-sensor",
            "1.0.0",
            count,
            "lab-sensor",
        );
        let spare = dir.join("gateways.jsonl");
        provision(
            &server, &token, &spare, "field", "gateway", "1.9.0", 4, "gateway",
        );
        let profile = client
            .profiles(&ListParams::new(100, None))
            .await
            .expect("profiles")
            .data
            .into_iter()
            .find(|p| p.name == "lab")
            .expect("airlift-sim created profile lab");
        let package = publish_firmware(
            &client,
            dir,
            "2.0.0",
            vec![0xa5u8; 160_000],
            "Faster sampling.",
        )
        .await;
        Fleet {
            server,
            token,
            client,
            devices_file,
            package,
            profile,
            _sim: None,
        }
    }

    /// Runs the sensors: they poll every 300 ms and `fail_install` of them (by seed) report
    /// INSTALL_ERROR with [`FAIL_MESSAGE`]. They stop with the fleet.
    pub fn run_devices(&mut self, fail_install: f64) {
        self.run_sim(fail_install, &[]);
    }

    /// Runs the sensors like [`Fleet::run_devices`], none failing by chance but each device
    /// named in `faults` (`INDEX=KIND` as `airlift-sim --device-fault` takes it, e.g. `0=install`
    /// (INSTALL_ERROR with [`FAIL_MESSAGE`]), `2=download` (the link breaks off), `3=corrupt`
    /// (the bytes do not match their SHA-256)) failing that way: a few different messages.
    pub fn run_devices_with_faults(&mut self, faults: &[&str]) {
        self.run_sim(0.0, faults);
    }

    fn run_sim(&mut self, fail_install: f64, faults: &[&str]) {
        let child = Command::new(airlift_testkit::bin("airlift-sim"))
            .args(["run", "--devices"])
            .arg(&self.devices_file)
            .args(["--seed", "7", "--poll", "300ms", "--install-time", "100ms"])
            .args([
                "--reboot-time",
                "100ms",
                "--fail-install",
                &fail_install.to_string(),
            ])
            .args(faults.iter().flat_map(|f| ["--device-fault", f]))
            .args(["--fail-message", FAIL_MESSAGE])
            .args([
                "--no-signature-check",
                "--until",
                "forever",
                "--max-time",
                "5m",
            ])
            .env("AIRLIFT_SERVER_URL", &self.server.url)
            .env("AIRLIFT_TOKEN", &self.token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run airlift-sim");
        self._sim = Some(Guard(child));
    }

    /// Starts a rollout of the package to every sensor at once.
    pub async fn roll_out(&self, failure_threshold_percent: u32) -> String {
        self.client
            .create_rollout(&CreateRollout {
                package_id: self.package.package_id.clone(),
                target_profile_id: Some(self.profile.profile_id.clone()),
                canary_percent: Some(100),
                failure_threshold_percent,
                ..CreateRollout::default()
            })
            .await
            .expect("start a rollout")
            .rollout_id
    }

    /// Waits until `done` holds for the rollout (polling the server).
    pub async fn wait_rollout(
        &self,
        id: &str,
        what: &str,
        done: impl Fn(&RolloutSummary) -> bool,
    ) -> RolloutSummary {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let r = self
                .client
                .rollout(id)
                .await
                .expect("read the rollout")
                .summary;
            if done(&r) {
                return r;
            }
            assert!(Instant::now() < deadline, "rollout never got {what}: {r:?}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn provision(
    server: &Airliftd,
    token: &str,
    out: &Path,
    profile: &str,
    device_type: &str,
    firmware: &str,
    count: usize,
    prefix: &str,
) {
    let result = Command::new(airlift_testkit::bin("airlift-sim"))
        .args([
            "provision",
            "--profile-name",
            profile,
            "--device-type",
            device_type,
        ])
        .args(["--firmware", firmware, "--name-prefix", prefix])
        .args(["-n", &count.to_string(), "--out"])
        .arg(out)
        .env("AIRLIFT_SERVER_URL", &server.url)
        .env("AIRLIFT_TOKEN", token)
        .output()
        .expect("run airlift-sim provision");
    assert!(
        result.status.success(),
        "airlift-sim provision: {}",
        String::from_utf8_lossy(&result.stderr)
    );
}

/// Temp-sensor firmware `version` (for devices from 1.0.0 on) made of `bytes`, uploaded as
/// image `temp-sensor-VERSION` and published unsigned.
pub async fn publish_firmware(
    client: &Client,
    dir: &Path,
    version: &str,
    bytes: Vec<u8>,
    release_notes: &str,
) -> Package {
    let cache = std::sync::Mutex::new(
        Cache::open(&dir.join(format!("publisher-{version}.sqlite3")))
            .expect("cache")
            .cache,
    );
    let file = dir.join(format!("temp-sensor-{version}.bin"));
    std::fs::write(&file, bytes).expect("artifact");
    let uploaded = upload_file(
        client,
        &cache,
        "publisher",
        &UploadRequest::new(&file, &format!("temp-sensor-{version}")),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .expect("upload");
    let spec = PackageSpec {
        package_type: PackageType::Fw,
        version: version.into(),
        device_type: "temp-sensor".into(),
        min_version: "1.0.0".into(),
        release_notes: release_notes.into(),
    };
    publish(client, &uploaded.image, &uploaded.sha256, None, &spec)
        .await
        .expect("publish")
        .package
}
