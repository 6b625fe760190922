//! The command line.

use std::path::PathBuf;

use airlift_core::package::PackageType;
use airlift_desk::upload::PackageSpec;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Printed under `--help`: what scripts test.
const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    other error (internal, I/O, keyring)
  2    usage error (bad flags or input, missing token variable)
  3    server unreachable (reads answer from the cache unless --require-fresh)
  4    refused by the server or by the checks before sending (invalid, unauthenticated,
       permission, not found, already exists, precondition)
  5    checksum or signature verification failed
  6    `rollout wait` / `watch --exit-on-final`: --timeout passed first
  7    the server's TLS certificate is not trusted (see --ca-cert)
  10   rollout completed, every device succeeded      (rollout wait, watch --exit-on-final)
  11   rollout completed with some devices failed
  12   rollout completed: rolled back
  13   rollout paused
  14   rollout cancelled
  130  interrupted (Ctrl-C)

Environment: AIRLIFT_SERVER_URL (server), AIRLIFT_TOKEN (token), AIRLIFT_CA_CERT (CA file),
AIRLIFT_KEY_PASSPHRASE.";

#[derive(Debug, Parser)]
#[command(
    name = "airlift-cli",
    version,
    about = "Airlift OTA updates from the command line",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Print one JSON document on stdout (errors too: {"error": {"code", "message"}}).
    #[arg(long, global = true)]
    pub json: bool,
    /// Server base URL (instead of a saved connection). The old AIRLIFT_SERVER is still read.
    #[arg(long, global = true, env = "AIRLIFT_SERVER_URL")]
    pub server: Option<String>,
    /// Name of the environment variable holding the API token (with --server).
    #[arg(long, global = true, default_value = "AIRLIFT_TOKEN")]
    pub token_env: String,
    /// A CA certificate (PEM file) to trust for the server beside the system's: a server
    /// run with its own CA (airliftd --tls-cert). Given to `connection add`, it is saved with
    /// the connection; otherwise it beats the saved connection's.
    #[arg(long, global = true, env = "AIRLIFT_CA_CERT", value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,
    /// A saved connection (see `connection add`); the default one if neither this nor --server.
    #[arg(long, short = 'c', global = true)]
    pub connection: Option<String>,
    /// The offline cache folder: one file per server and tenant (default:
    /// $XDG_CACHE_HOME/airlift).
    #[arg(long, global = true, env = "AIRLIFT_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Fail with exit 3 instead of answering from the cache when the server is unreachable.
    #[arg(long, global = true)]
    pub require_fresh: bool,
    /// The connections file (default: $XDG_CONFIG_HOME/airlift/connections.json).
    #[arg(long, global = true, env = "AIRLIFT_CONFIG")]
    pub config: Option<PathBuf>,
    /// The signing key folder, shared with the desktop app (default: $XDG_DATA_HOME/airlift/keys).
    #[arg(long, global = true, env = "AIRLIFT_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
    /// The Idempotency-Key of the create this command sends (default: derived from the
    /// command's inputs, so running the same command again answers the first result).
    #[arg(long, global = true)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// SHA-256 and size of a file.
    Hash { file: PathBuf },
    /// Upload a firmware image (resuming an interrupted upload of the same file) and create
    /// its package.
    Upload(UploadArgs),
    /// Packages: create from an uploaded image, list.
    #[command(subcommand)]
    Package(PackageCommand),
    /// Uploaded firmware images.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Upload jobs (uploads in progress or finished).
    #[command(subcommand, name = "upload-job")]
    UploadJob(UploadJobCommand),
    /// Signing keys on this computer (shared with the desktop app) and their registration with
    /// the tenant.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Device profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Devices: list, history, create.
    #[command(subcommand, visible_alias = "device")]
    Devices(DevicesCommand),
    /// Rollouts: start, list, status, wait, pause, resume, advance, rollback, cancel,
    /// retry-failed, failure-reasons, devices.
    #[command(subcommand)]
    Rollout(RolloutCommand),
    /// Sync packages, rollouts and devices into the offline cache.
    Sync,
    /// Follow the server's rollout events, one line (or JSON document) per event, until
    /// interrupted (or, with --exit-on-final, until the rollout finishes); keeps the cache current.
    Watch(WatchArgs),
    /// Saved server connections (tokens go to the OS keyring, or a 0600 file without one).
    #[command(subcommand)]
    Connection(ConnectionCommand),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PackageKind {
    Fw,
    Sw,
}

/// Which key signs, and how it is unlocked. Passphrases never come from the command line.
#[derive(Debug, Args)]
pub struct KeyChoice {
    /// Sign with this stored key (name or id).
    #[arg(long, conflicts_with = "key_file")]
    pub key: Option<String>,
    /// Sign with the private key in this PEM file (for pipelines; encrypted or not).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// The environment variable holding the key's passphrase.
    #[arg(long, default_value = "AIRLIFT_KEY_PASSPHRASE")]
    pub key_passphrase_env: String,
    /// A file holding the key's passphrase (its first line), instead of the variable.
    #[arg(long)]
    pub key_passphrase_file: Option<PathBuf>,
}

impl KeyChoice {
    /// The key as the person named it, for messages: `'release'`, `from key.pem`.
    pub fn describe(&self) -> String {
        match (&self.key, &self.key_file) {
            (Some(name), _) => format!("'{name}'"),
            (None, Some(file)) => format!("from {}", file.display()),
            (None, None) => "(none)".to_owned(),
        }
    }
}

#[derive(Debug, Args)]
pub struct PackageFields {
    /// Semantic version of the package.
    #[arg(long)]
    pub version: String,
    #[arg(long = "type", value_enum)]
    pub package_type: PackageKind,
    #[arg(long)]
    pub device_type: String,
    #[arg(long)]
    pub min_version: String,
    #[arg(long, default_value = "")]
    pub release_notes: String,
    #[command(flatten)]
    pub signing: KeyChoice,
}

impl PackageFields {
    /// The package these flags describe, as the desk makes it.
    pub fn spec(&self) -> PackageSpec {
        PackageSpec {
            package_type: match self.package_type {
                PackageKind::Fw => PackageType::Fw,
                PackageKind::Sw => PackageType::Sw,
            },
            version: self.version.trim().to_owned(),
            device_type: self.device_type.clone(),
            min_version: self.min_version.trim().to_owned(),
            release_notes: self.release_notes.clone(),
        }
    }
}

/// Seed 003's smallest part but the last, in MiB.
const MIN_PART_MIB: u64 = airlift_core::upload_parts::MIN_PART_BYTES >> 20;

#[derive(Debug, Args)]
pub struct UploadArgs {
    pub file: PathBuf,
    /// Package / image name (the upload job is named NAME-VERSION-TIME).
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub package: PackageFields,
    /// Part size in MiB: 5 to 100 (seed 003: every part but the last holds at least 5 MiB).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(MIN_PART_MIB..=100))]
    pub part_size_mib: u64,
    /// Parts in flight at once.
    #[arg(long, default_value_t = 4)]
    pub parallel: usize,
    /// Upload the image only; do not create a package.
    #[arg(long)]
    pub no_package: bool,
    /// Ask the server to store the image (and the package's bytes) encrypted
    /// (`datafile_encryption`); devices get the key with their assignment.
    #[arg(long)]
    pub encrypt: bool,
}

#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Create a package from an uploaded image.
    Create {
        /// The firmware image id (from `upload --no-package`, `image list`, or a failed upload).
        #[arg(long)]
        image: String,
        #[command(flatten)]
        package: Box<PackageFields>,
    },
    /// List packages (from the cache, with its age, when the server is unreachable).
    List,
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// List the tenant's uploaded images and which of them no package was made from.
    List,
    /// Delete an image no package was made from, and its bytes on the server.
    Delete { image_id: String },
}

#[derive(Debug, Subcommand)]
pub enum UploadJobCommand {
    /// List the tenant's upload jobs.
    List,
    /// Delete an upload job and the parts the server holds for it.
    Delete { upload_job_id: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyAlgorithm {
    Ed25519,
    #[value(name = "ecdsa-p256-sha256")]
    EcdsaP256,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key, stored encrypted under the passphrase in --passphrase-env (or -file).
    Create {
        name: String,
        #[arg(long, value_enum, default_value = "ed25519")]
        algorithm: KeyAlgorithm,
        #[command(flatten)]
        passphrase: PassphraseSource,
    },
    /// Import a PEM private key (PKCS#8, SEC1 or encrypted PKCS#8); the stored copy is
    /// encrypted under the passphrase (which also opens an encrypted PEM).
    Import {
        pem: PathBuf,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        passphrase: PassphraseSource,
    },
    /// The keys on this computer.
    List,
    /// Register a stored key's public key with the tenant (needs admin or release-manager).
    Register {
        /// Key name or id.
        key: String,
    },
    /// Print a stored key's public key (PEM), e.g. for a device's trusted keys.
    Public {
        /// Key name or id.
        key: String,
    },
}

#[derive(Debug, Args)]
pub struct PassphraseSource {
    /// The environment variable holding the passphrase.
    #[arg(long, default_value = "AIRLIFT_KEY_PASSPHRASE")]
    pub passphrase_env: String,
    /// A file holding the passphrase (its first line), instead of the variable.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// The tenant's device profiles.
    List,
    /// Create a profile.
    Create {
        name: String,
        #[arg(long)]
        device_type: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// List devices with their OTA state (from the cache, with its age, when the server is
    /// unreachable).
    List {
        /// Only devices whose id or name starts with this (case-insensitive).
        #[arg(long)]
        prefix: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// A device's OTA timeline, newest first (from the cache when the server is unreachable).
    History {
        device_id: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print CSV (the desk's export columns) instead of text or JSON.
        #[arg(long)]
        csv: bool,
    },
    /// Provision a device; prints its device token once (keep it: it is not shown again).
    Create {
        name: String,
        /// Profile name or id.
        #[arg(long)]
        profile: String,
        /// Default: the profile's device type.
        #[arg(long)]
        device_type: Option<String>,
        #[arg(long)]
        firmware_version: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Strategy {
    Canary,
    Rolling,
    AllAtOnce,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WaitUntil {
    /// Wait through pauses until the rollout is completed.
    Completed,
    /// Wait until it is paused (or completed: it cannot pause any more).
    Paused,
    /// Stop at the first of paused or completed.
    AnyFinal,
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Start a rollout of a package to a profile (or to listed devices); with --start-at it
    /// waits, scheduled, until then.
    #[command(visible_alias = "create")]
    Start {
        #[arg(long)]
        package: String,
        /// Profile name or id.
        #[arg(long, required_unless_present = "device")]
        profile: Option<String>,
        /// Target exactly these devices (repeat the flag) instead of a profile.
        #[arg(long, conflicts_with = "profile")]
        device: Vec<String>,
        #[arg(long, value_enum)]
        strategy: Option<Strategy>,
        /// The first slice (canary) or first batch (rolling).
        #[arg(long)]
        canary_percent: Option<u32>,
        /// Rolling: the size of each batch.
        #[arg(long)]
        batch_percent: Option<u32>,
        /// Rolling: the success a batch needs before the next one starts.
        #[arg(long)]
        min_batch_success_percent: Option<u32>,
        #[arg(long, default_value_t = 10)]
        failure_threshold_percent: u32,
        #[arg(long)]
        rollback_package: Option<String>,
        /// Seconds a device may stay silent before it counts as timed out.
        #[arg(long)]
        device_timeout: Option<u64>,
        /// Include devices already on the package's version.
        #[arg(long)]
        force: bool,
        /// Include devices running a newer version (skipped otherwise).
        #[arg(long)]
        allow_downgrade: bool,
        #[command(flatten)]
        plan: Box<PlanArgs>,
    },
    /// The tenant's rollouts, newest first.
    List,
    /// State, outcome, counters (update and rollback) and transition history.
    Status { rollout_id: String },
    /// Wait until the rollout reaches a state; the exit code says which (see --help).
    Wait {
        rollout_id: String,
        #[arg(long, value_enum, default_value = "any-final")]
        until: WaitUntil,
        /// Give up after this long (e.g. 90s, 15m, 2h; plain numbers are seconds): exit 6.
        #[arg(long, default_value = "1h")]
        timeout: String,
        /// Seconds between checks.
        #[arg(long, default_value_t = 2)]
        interval: u64,
    },
    /// Pause an active rollout: no device is told to start any more until it is resumed.
    Pause { rollout_id: String },
    /// Resume a paused rollout.
    Resume { rollout_id: String },
    /// Raise the canary slice.
    Advance {
        rollout_id: String,
        #[arg(long)]
        canary_percent: u32,
    },
    /// Roll back: devices that installed the package are told to install the rollback package.
    Rollback { rollout_id: String },
    /// Cancel a scheduled, active or paused rollout for good: devices not yet told are never
    /// told, devices already told get `ota_cancel`.
    Cancel { rollout_id: String },
    /// A rollout's failure reasons, grouped, largest first (a table; --json for scripts).
    ///
    /// Numbers, paths and hex are taken out of the devices' messages, so "disk full: 512 MB
    /// free" and "disk full: 498 MB free" are one reason. Each row: how many devices, the
    /// status, a few of the devices and the reason. From the cache, with its age, when the
    /// server is unreachable.
    FailureReasons { rollout_id: String },
    /// A rollout's devices with their state and last message: all, one state's, or one failure
    /// reason's (copy it from `failure-reasons`).
    Devices {
        rollout_id: String,
        /// Only the devices counted under this failure reason, exactly as `failure-reasons`
        /// prints it.
        #[arg(long, value_name = "REASON", conflicts_with = "state")]
        failure_reason: Option<String>,
        /// With --failure-reason: only the group with this status (e.g. INSTALL_ERROR,
        /// TIMED_OUT), when the reason has several.
        #[arg(long, value_name = "STATUS", requires = "failure_reason")]
        failure_status: Option<String>,
        /// Only devices in this state: scheduled, command_sent, in_progress, successful,
        /// failed, timed_out or pending (not told yet).
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        /// Rows to print, 1 to 1000.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// Rows to skip first (the next page: the previous --offset plus --limit).
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// Start a new rollout over exactly the failed and timed-out devices of a completed one.
    RetryFailed {
        rollout_id: String,
        #[arg(long)]
        canary_percent: Option<u32>,
        #[arg(long)]
        failure_threshold_percent: Option<u32>,
        #[arg(long)]
        device_timeout: Option<u64>,
    },
}

/// Phases, start time, maintenance window, retries and `min_devices` of a new rollout (spec,
/// Milestone 2), as the app's wizard offers them.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A named phase plan, the same as the app's wizard offers (instead of --phase; the
    /// rollout starts with its first phase's slice, so no --canary-percent either).
    #[arg(long, value_name = "NAME", value_parser = preset_names(),
          conflicts_with_all = ["phases", "canary_percent", "batch_percent", "min_batch_success_percent"])]
    pub preset: Option<String>,
    /// A phase of a self-advancing rollout: PERCENT[:SOAK[:MIN_SUCCESS]], e.g. 10:1h:95 (soak
    /// 30m, 2h, 1h30m, 90s or 0; the health gate in percent, default 0). Repeat the flag for
    /// each phase, strictly rising and ending at 100.
    #[arg(long = "phase", value_name = "PERCENT[:SOAK[:MIN_SUCCESS]]")]
    pub phases: Vec<String>,
    /// The failure threshold applies only once this many devices have a verdict.
    #[arg(long)]
    pub min_devices: Option<u64>,
    /// Start at this time (RFC 3339, e.g. 2026-12-24T02:00:00+01:00); until then the rollout
    /// is scheduled and tells no device anything.
    #[arg(long)]
    pub start_at: Option<String>,
    /// Maintenance window: the days it opens on, comma-separated (mon,tue,wed,thu,fri,sat,sun;
    /// default every day).
    #[arg(long, value_delimiter = ',', requires = "window_start")]
    pub window_days: Vec<String>,
    /// Maintenance window: opening time, HH:MM in --window-timezone.
    #[arg(long, requires_all = ["window_end", "window_timezone"])]
    pub window_start: Option<String>,
    /// Maintenance window: closing time, HH:MM (before the opening time: the next morning).
    #[arg(long, requires = "window_start")]
    pub window_end: Option<String>,
    /// Maintenance window: its IANA time zone, e.g. Europe/Berlin.
    #[arg(long, requires = "window_start")]
    pub window_timezone: Option<String>,
    /// Retries: attempts per device in all, the first included (2 to 10).
    #[arg(long, requires = "retry_backoff")]
    pub retry_attempts: Option<u32>,
    /// Retries: the wait before the second attempt (e.g. 5m); it doubles for each further one.
    #[arg(long, requires = "retry_attempts")]
    pub retry_backoff: Option<String>,
}

/// The names `--preset` takes, each with what it does (airlift-core's presets, the app's too).
fn preset_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(airlift_core::phases::presets().into_iter().map(|p| {
        let phases: Vec<String> = p.phases.iter().map(|s| format!("{}%", s.percent)).collect();
        clap::builder::PossibleValue::new(p.name).help(format!(
            "{}: {}",
            phases.join(" -> "),
            p.hint
        ))
    }))
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only this rollout's events.
    #[arg(long)]
    pub rollout: Option<String>,
    /// Stop when the rollout is completed or paused; the exit code says which (see --help).
    #[arg(long, requires = "rollout")]
    pub exit_on_final: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Save a connection; the token is read from the environment variable --token-env names
    /// and kept in the OS keyring (or, without one, a 0600 file next to the connections file).
    Add { name: String, url: String },
    /// The saved connections.
    List,
    /// Forget a saved connection and its stored token.
    Remove { name: String },
}
