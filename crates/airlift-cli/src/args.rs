//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "airlift-cli",
    version,
    about = "Airlift OTA updates from the command line"
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
    /// Server base URL (instead of a saved connection).
    #[arg(long, global = true, env = "AIRLIFT_SERVER")]
    pub server: Option<String>,
    /// Name of the environment variable holding the API token (with --server).
    #[arg(long, global = true, default_value = "AIRLIFT_TOKEN")]
    pub token_env: String,
    /// A saved connection (see `connection add`); the default one if neither this nor --server.
    #[arg(long, short = 'c', global = true)]
    pub connection: Option<String>,
    /// The offline cache file (default: $XDG_CACHE_HOME/airlift/cache.sqlite3).
    #[arg(long, global = true, env = "AIRLIFT_CACHE")]
    pub cache: Option<PathBuf>,
    /// The connections file (default: $XDG_CONFIG_HOME/airlift/connections.json).
    #[arg(long, global = true, env = "AIRLIFT_CONFIG")]
    pub config: Option<PathBuf>,
    /// The signing key folder (default: $XDG_DATA_HOME/airlift/keys).
    #[arg(long, global = true, env = "AIRLIFT_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,
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
    /// Devices.
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// Rollouts: start, status, pause, resume, advance, rollback.
    #[command(subcommand)]
    Rollout(RolloutCommand),
    /// Sync packages, rollouts and devices into the offline cache.
    Sync,
    /// Follow the server's events (rollout transitions) until interrupted, one line (or JSON
    /// document) per event; keeps the cache current.
    Watch,
    /// Saved server connections (tokens go to the OS keyring).
    #[command(subcommand)]
    Connection(ConnectionCommand),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PackageKind {
    Fw,
    Sw,
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
    /// Sign with this stored key (name or id); its passphrase comes from --key-passphrase-env.
    #[arg(long)]
    pub key: Option<String>,
    #[arg(long, default_value = "AIRLIFT_KEY_PASSPHRASE")]
    pub key_passphrase_env: String,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    pub file: PathBuf,
    /// Package / image name (the upload job is named NAME-VERSION-TIME).
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub package: PackageFields,
    /// Part size in MiB.
    #[arg(long, default_value_t = 16)]
    pub part_size_mib: u64,
    /// Parts in flight at once.
    #[arg(long, default_value_t = 4)]
    pub parallel: usize,
    /// Upload the image only; do not create a package.
    #[arg(long)]
    pub no_package: bool,
}

#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Create a package from an uploaded image.
    Create {
        /// The firmware image id (from `upload --no-package`).
        #[arg(long)]
        image: String,
        #[command(flatten)]
        package: PackageFields,
    },
    /// List packages (from the cache, with its age, when the server is unreachable).
    List,
}

#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// List devices (from the cache, with its age, when the server is unreachable).
    List {
        /// Only devices whose id or name starts with this.
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
    },
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Start a rollout of a package to a profile.
    Start {
        #[arg(long)]
        package: String,
        #[arg(long)]
        profile: String,
        #[arg(long, default_value_t = 10)]
        canary_percent: u32,
        #[arg(long, default_value_t = 10)]
        failure_threshold_percent: u32,
        #[arg(long)]
        rollback_package: Option<String>,
        /// Include devices already on the package's version.
        #[arg(long)]
        force: bool,
    },
    /// State, counters and transition history.
    Status {
        rollout_id: String,
    },
    Pause {
        rollout_id: String,
    },
    Resume {
        rollout_id: String,
    },
    /// Raise the canary slice.
    Advance {
        rollout_id: String,
        #[arg(long)]
        canary_percent: u32,
    },
    Rollback {
        rollout_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Save a connection; the token is read from the environment variable --token-env names.
    Add {
        name: String,
        url: String,
    },
    List,
    Remove {
        name: String,
    },
}
