//! The command line: `airliftd serve`, `airliftd token` and `airliftd rotate-encryption-key`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::auth::{jwt, Role};
use crate::config::{self, AllowedHost, Config, DataDir};

#[derive(Debug, Parser)]
#[command(name = "airliftd", version, about = "Airlift fleet server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once at start and moved into the config: the size of `Serve` costs nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run the HTTP API on an embedded database and artifact store under --data.
    Serve {
        /// Data directory (created if missing): database, JWT secret, artifacts.
        #[arg(long, env = "AIRLIFT_DATA")]
        data: PathBuf,
        /// Address to listen on; port 0 picks a free port (printed on stdout).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// HOST or HOST:PORT a package's http(s) artifact_uri may name (repeatable).
        #[arg(long = "allow-artifact-host", value_name = "HOST[:PORT]")]
        allow_artifact_hosts: Vec<AllowedHost>,
        /// Largest accepted upload chunk, in bytes (larger requests get 413).
        #[arg(long, default_value_t = config::DEFAULT_MAX_CHUNK_BYTES)]
        max_chunk_bytes: u64,
        /// Largest accepted JSON body, in bytes.
        #[arg(long, default_value_t = config::DEFAULT_MAX_JSON_BYTES)]
        max_json_bytes: usize,
        /// Firmware images a tenant may hold; one more gets 429 RESOURCE_EXHAUSTED.
        #[arg(long, default_value_t = config::DEFAULT_MAX_IMAGES, value_parser = clap::value_parser!(u64).range(1..))]
        max_images: u64,
        /// Every upload job chunk but the last must hold at least this many bytes (seed 003:
        /// 5 MiB); test set-ups lower it to upload small files in several chunks.
        #[arg(long, default_value_t = airlift_core::upload_parts::MIN_PART_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
        min_chunk_bytes: u64,
        /// A rollout device silent this long (no verdict after its command or last report)
        /// is timed_out and counts as failed: 90s, 15m, 1h, 2d.
        #[arg(long, default_value = "1h", value_parser = config::parse_duration)]
        device_timeout: std::time::Duration,
        /// The base of the URLs the server hands out (download URLs, Location), as devices
        /// reach it; default http:// + the listen address.
        #[arg(long, env = "AIRLIFT_PUBLIC_URL", value_parser = config::parse_public_url)]
        public_url: Option<url::Url>,
        /// Lifetime of a device's download URL, 1s to 7d (seed 001: 1h). A poll always hands
        /// out a URL valid for at least half of it.
        #[arg(long, env = "AIRLIFT_DOWNLOAD_URL_TTL", default_value = "1h", value_parser = config::parse_download_url_ttl)]
        download_url_ttl: std::time::Duration,
        /// Where objects (upload parts, images, packages) live: file://PATH (default:
        /// DIR/objects under --data) or s3://BUCKET[/PREFIX], with credentials from
        /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
        #[arg(long, env = "AIRLIFT_STORAGE", value_parser = config::parse_storage)]
        storage: Option<config::StorageUrl>,
        /// An S3-compatible service to use instead of AWS (MinIO, …); path-style addressing.
        #[arg(long, env = "AIRLIFT_S3_ENDPOINT", value_parser = config::parse_s3_endpoint)]
        s3_endpoint: Option<url::Url>,
        /// The bucket's region.
        #[arg(long, env = "AIRLIFT_S3_REGION", default_value = config::DEFAULT_S3_REGION)]
        s3_region: String,
        /// The server key file that wraps encrypted images' keys (default DIR/encryption-key,
        /// created 0600 at first start). Keep it, and its backup, apart from the database.
        #[arg(long, env = "AIRLIFT_ENCRYPTION_KEY_FILE")]
        encryption_key_file: Option<PathBuf>,
    },
    /// Replace the server encryption key by a fresh one, re-wrapping every encrypted image's
    /// key with it (stop the server first; back up the new key file afterwards).
    RotateEncryptionKey {
        /// Data directory of the deployment.
        #[arg(long, env = "AIRLIFT_DATA")]
        data: PathBuf,
        /// The key file the server uses (default DIR/encryption-key).
        #[arg(long, env = "AIRLIFT_ENCRYPTION_KEY_FILE")]
        encryption_key_file: Option<PathBuf>,
    },
    /// Print a user JWT for TENANT and ROLE on stdout (creating the tenant if needed).
    ///
    /// The token is signed with the secret of the deployment under --data, so it is valid
    /// only for the server running on that directory; a directory that holds no deployment is
    /// refused unless --create says to start one there.
    Token {
        /// Data directory of the deployment (the one `serve --data` uses).
        #[arg(long, env = "AIRLIFT_DATA")]
        data: PathBuf,
        #[arg(long)]
        tenant: String,
        /// admin, release-manager or support.
        #[arg(long)]
        role: Role,
        /// Lifetime of the token: 90s, 15m, 12h, 30d.
        #[arg(long, default_value = "12h", value_parser = config::parse_duration)]
        ttl: std::time::Duration,
        /// Create a new deployment (database and secret) under --data if it holds none.
        #[arg(long)]
        create: bool,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Command::Serve {
            data,
            listen,
            allow_artifact_hosts,
            max_chunk_bytes,
            max_json_bytes,
            max_images,
            min_chunk_bytes,
            device_timeout,
            public_url,
            download_url_ttl,
            storage,
            s3_endpoint,
            s3_region,
            encryption_key_file,
        } => {
            let mut config = Config::new(data, listen);
            config.allowed_artifact_hosts = allow_artifact_hosts;
            config.max_chunk_bytes = max_chunk_bytes;
            config.max_json_bytes = max_json_bytes;
            config.max_images = max_images;
            config.min_chunk_bytes = min_chunk_bytes;
            config.device_timeout = device_timeout;
            config.public_url = public_url;
            config.download_url_ttl = download_url_ttl;
            config.storage = storage;
            config.s3_endpoint = s3_endpoint;
            config.s3_region = s3_region;
            config.encryption_key_file = encryption_key_file;
            serve(config)
        }
        Command::Token {
            data,
            tenant,
            role,
            ttl,
            create,
        } => token(data, &tenant, role, ttl, create),
        Command::RotateEncryptionKey {
            data,
            encryption_key_file,
        } => rotate_encryption_key(data, encryption_key_file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("airliftd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr so stdout stays machine-readable (`token` prints only the JWT, `serve`
/// only its address). `RUST_LOG` overrides the default level; `AIRLIFT_LOG_FORMAT=json`
/// switches to one JSON object per line.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal: escape codes in a log file are noise (and
    // formatting them cost 2 % of the CPU of a device poll).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if std::env::var("AIRLIFT_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(crate::app::serve(config))
}

fn token(
    data: PathBuf,
    tenant: &str,
    role: Role,
    ttl: std::time::Duration,
    create: bool,
) -> anyhow::Result<()> {
    let dir = DataDir::new(data);
    dir.check_not_a_file()?;
    if !dir.holds_deployment() && !create {
        // A mistyped --data would otherwise get a new database and secret, and a token the
        // running server rejects.
        anyhow::bail!(
            "{} holds no airliftd deployment (no {}); give the --data of the running server, \
             or pass --create to start a new deployment there",
            dir.root().display(),
            dir.database()
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        );
    }
    dir.create()?;
    let store = crate::store::sqlite::SqliteStore::open_blocking(&dir.database())?;
    let tenant = store.ensure_tenant_blocking(tenant)?;
    let keys = jwt::JwtKeys::load_or_create(&dir.jwt_secret())?;
    let token = keys.mint(&tenant.id, &tenant.name, role, ttl.as_secs())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{token}")?;
    out.flush()?;
    Ok(())
}

fn rotate_encryption_key(data: PathBuf, key_file: Option<PathBuf>) -> anyhow::Result<()> {
    let dir = DataDir::new(data);
    dir.check_not_a_file()?;
    anyhow::ensure!(
        dir.holds_deployment(),
        "{} holds no airliftd deployment; give the --data of the server",
        dir.root().display()
    );
    let key_file = key_file.unwrap_or_else(|| dir.encryption_key());
    let store = crate::store::sqlite::SqliteStore::open_blocking(&dir.database())?;
    let rotated = crate::crypto::rotate::rotate(&store, &key_file)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "server key rotated: now {} in {}; {} image key(s) re-wrapped. Back up the new key file.",
        rotated.new_key_id,
        key_file.display(),
        rotated.rewrapped
    )?;
    out.flush()?;
    Ok(())
}
