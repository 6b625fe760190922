//! The command line: `provision`, `run` and `demo`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::RunConfig;
use crate::faults::{parse_device_fault, FaultKind, FaultPlan, DEFAULT_FAIL_MESSAGE};

#[derive(Debug, Parser)]
#[command(
    name = "airlift-sim",
    version,
    about = "Simulated OTA device fleet for airliftd"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Provision N devices into a profile (bulk API) and write their ids and tokens (0600).
    Provision(Box<ProvisionArgs>),
    /// Run simulated devices (from a devices file, or provisioned now) until a stop condition.
    Run(Box<RunArgs>),
    /// Start a local airliftd with a demo tenant, packages and devices; run until Ctrl-C.
    Demo(Box<DemoArgs>),
}

/// Where the server is when neither `--server` nor a variable says.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8080";
/// The simulator's old name for `AIRLIFT_SERVER_URL`, still read.
const DEPRECATED_SERVER_VAR: &str = "AIRLIFT_URL";

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Fleet server base URL [default: http://127.0.0.1:8080; AIRLIFT_URL is still read, deprecated].
    #[arg(long, env = "AIRLIFT_SERVER_URL")]
    pub server: Option<String>,
    /// User JWT (admin or release-manager to provision; any role to read signing keys).
    /// Prefer the environment variable: a flag shows up in `ps`.
    #[arg(long, env = "AIRLIFT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A CA certificate (PEM file) to trust beside the built-in roots: a server with a
    /// certificate of its own CA (airliftd --tls-cert).
    #[arg(long, env = "AIRLIFT_CA_CERT", value_name = "PATH")]
    pub ca_cert: Option<std::path::PathBuf>,
}

impl ServerArgs {
    /// The `--ca-cert` file's PEM, read (a missing or unreadable file stops the start).
    pub fn ca_pem(&self) -> anyhow::Result<Option<Vec<u8>>> {
        use anyhow::Context as _;
        self.ca_cert
            .as_deref()
            .map(|p| std::fs::read(p).with_context(|| format!("--ca-cert {}", p.display())))
            .transpose()
    }

    /// The server URL: `--server`, else `AIRLIFT_SERVER_URL`, else the deprecated
    /// `AIRLIFT_URL` (with one line on stderr saying so), else [`DEFAULT_SERVER_URL`].
    pub fn url(&self) -> String {
        resolve_server_url(
            self.server.as_deref(),
            std::env::var(DEPRECATED_SERVER_VAR).ok().as_deref(),
        )
    }
}

fn resolve_server_url(given: Option<&str>, deprecated: Option<&str>) -> String {
    static WARNED: std::sync::Once = std::sync::Once::new();
    match (given, deprecated.filter(|v| !v.trim().is_empty())) {
        (Some(url), _) => url.to_owned(),
        (None, Some(old)) => {
            WARNED.call_once(|| {
                eprintln!(
                    "airlift-sim: {DEPRECATED_SERVER_VAR} is deprecated; set AIRLIFT_SERVER_URL instead"
                );
            });
            old.to_owned()
        }
        (None, None) => DEFAULT_SERVER_URL.to_owned(),
    }
}

#[derive(Debug, Args)]
pub struct ProvisionArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Devices file to write (JSON lines, mode 0600).
    #[arg(long)]
    pub out: PathBuf,
    /// Append to --out instead of replacing it.
    #[arg(long)]
    pub append: bool,
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Profile id to provision into.
    #[arg(long)]
    pub profile: Option<String>,
    /// Profile name (created with --device-type if missing), instead of --profile.
    #[arg(long, conflicts_with = "profile")]
    pub profile_name: Option<String>,
    #[arg(long, default_value = "temp-sensor")]
    pub device_type: String,
    /// Firmware version the new devices report.
    #[arg(long, default_value = "1.4.2")]
    pub firmware: String,
    /// How many devices.
    #[arg(long, short = 'n', default_value_t = 100)]
    pub count: usize,
    #[arg(long, default_value = "sim")]
    pub name_prefix: String,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Devices file (from `provision`).
    #[arg(long, conflicts_with = "provision")]
    pub devices: Option<PathBuf>,
    /// Provision this many devices first (with --profile/--profile-name; needs a token).
    #[arg(long)]
    pub provision: Option<usize>,
    #[arg(long, requires = "provision")]
    pub profile: Option<String>,
    #[arg(long, requires = "provision", conflicts_with = "profile")]
    pub profile_name: Option<String>,
    #[arg(long, default_value = "temp-sensor")]
    pub device_type: String,
    #[arg(long, default_value = "1.4.2")]
    pub firmware: String,
    /// Where to save provisioned devices (0600), for a later `run --devices`.
    #[arg(long, requires = "provision")]
    pub save: Option<PathBuf>,
    /// Public key PEM file(s) to verify signatures with (instead of fetching the tenant's).
    #[arg(long = "public-key")]
    pub public_keys: Vec<PathBuf>,
    /// Do not check signatures (checksums are always checked).
    #[arg(long)]
    pub no_signature_check: bool,
    #[command(flatten)]
    pub sim: SimArgs,
    /// settled (no work for --quiet after some), forever (until Ctrl-C), or a duration.
    #[arg(long, default_value = "settled")]
    pub until: String,
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    pub quiet: Duration,
    /// Stop after this long whatever happens.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub max_time: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Global seed: which devices fail is a pure function of it and the fractions.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Mean poll interval per device.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5s")]
    pub poll: Duration,
    /// Poll jitter fraction.
    #[arg(long, default_value_t = 0.5)]
    pub jitter: f64,
    #[arg(long, value_parser = humantime::parse_duration, default_value = "500ms")]
    pub install_time: Duration,
    #[arg(long, value_parser = humantime::parse_duration, default_value = "1s")]
    pub reboot_time: Duration,
    /// Fraction of devices whose install fails (INSTALL_ERROR with --fail-message);
    /// default 0, or 0.2 for `demo` (so a rollout with a 10 % threshold auto-pauses).
    #[arg(long)]
    pub fail_install: Option<f64>,
    #[arg(long, default_value = DEFAULT_FAIL_MESSAGE)]
    pub fail_message: String,
    /// Fraction whose download breaks off (DOWNLOAD_ERROR).
    #[arg(long, default_value_t = 0.0)]
    pub fail_download: f64,
    /// Fraction that receive corrupted bytes (caught by SHA-256, never installed).
    #[arg(long, default_value_t = 0.0)]
    pub corrupt: f64,
    /// Fraction that go silent after taking their command.
    #[arg(long, default_value_t = 0.0)]
    pub hang: f64,
    /// Fraction that drop off mid-download for --offline-for, then resume.
    #[arg(long, default_value_t = 0.0)]
    pub offline: f64,
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    pub offline_for: Duration,
    /// Force a fault on one device: INDEX=install|download|corrupt|hang (repeatable).
    #[arg(long = "device-fault", value_parser = parse_device_fault)]
    pub device_faults: Vec<(u64, FaultKind)>,
    /// Faults also hit rollback commands (by default only ota_start).
    #[arg(long)]
    pub faults_on_rollback: bool,
    /// Requests in flight across the fleet.
    #[arg(long, default_value_t = 128)]
    pub max_in_flight: usize,
    /// Devices working on a job at once (the rest wait, `queued`).
    #[arg(long, default_value_t = 256)]
    pub max_active_jobs: usize,
    /// Live summary on stderr even when it is not a terminal (then a plain line every 5 s).
    #[arg(long)]
    pub progress: bool,
    /// At most one fetch of the tenant's signing keys per this long, when a signature
    /// verifies with none of the keys the devices know (a key registered after the start).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    pub key_refresh_interval: Duration,
    /// Include every device's outcome in the JSON summary.
    #[arg(long)]
    pub per_device: bool,
    /// Download through the 64 KiB chunk endpoint instead of the assignment's download URL.
    #[arg(long)]
    pub chunks: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Demo data directory (server data under server/, tokens and key under sim/).
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    #[arg(long, default_value_t = 300)]
    pub devices: usize,
    /// The airliftd binary (default: next to this executable, then PATH).
    #[arg(long)]
    pub airliftd: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
}

impl SimArgs {
    /// The run configuration these flags describe (server and keys filled in by the caller).
    pub fn to_config(&self, server: &str, default_fail_install: f64) -> RunConfig {
        let mut c = RunConfig::new(server);
        c.seed = self.seed;
        c.poll_interval = self.poll;
        c.jitter = self.jitter;
        c.install_time = self.install_time;
        c.reboot_time = self.reboot_time;
        c.faults = FaultPlan {
            fail_install: self.fail_install.unwrap_or(default_fail_install),
            fail_download: self.fail_download,
            corrupt: self.corrupt,
            hang: self.hang,
            offline: self.offline,
            offline_for: self.offline_for,
            fail_message: self.fail_message.clone(),
            by_index: self.device_faults.iter().copied().collect(),
        };
        c.faults_on_rollback = self.faults_on_rollback;
        c.max_in_flight = self.max_in_flight;
        c.max_active_jobs = self.max_active_jobs;
        c.progress = self.progress || crate::fleet::stderr_is_tty();
        c.per_device = self.per_device;
        c.key_refresh_interval = self.key_refresh_interval;
        if self.chunks {
            c.download = crate::config::DownloadVia::Chunks;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_url_prefers_the_flag_then_the_new_variable_then_the_old_one() {
        assert_eq!(
            resolve_server_url(Some("http://new:1"), Some("http://old:2")),
            "http://new:1"
        );
        assert_eq!(
            resolve_server_url(None, Some("http://old:2")),
            "http://old:2"
        );
        assert_eq!(resolve_server_url(None, Some(" ")), DEFAULT_SERVER_URL);
        assert_eq!(resolve_server_url(None, None), DEFAULT_SERVER_URL);
    }
}
