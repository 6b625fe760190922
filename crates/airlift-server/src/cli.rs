//! The command line: `airliftd serve`, `airliftd token`, `airliftd migrate` and
//! `airliftd rotate-encryption-key`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::auth::{jwt, Role};
use crate::config::{self, AllowedHost, Config, DataDir, Database};
use crate::config_file;

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
        /// A TOML file of serve's options (keys are the long option names); flags and
        /// AIRLIFT_* variables beat it (docs/operations/configuration.md). Its variable is
        /// AIRLIFTD_CONFIG: airlift-cli's own file is AIRLIFT_CONFIG.
        #[arg(long, env = config_file::CONFIG_ENV, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Data directory (created if missing): database, JWT secret, artifacts.
        #[arg(long, env = "AIRLIFT_DATA")]
        data: PathBuf,
        /// Address to listen on; port 0 picks a free port (printed on stdout).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// HOST or HOST:PORT a package's http(s) artifact_uri may name (repeatable).
        #[arg(
            long = "allow-artifact-host",
            value_name = "HOST[:PORT]",
            value_delimiter = ','
        )]
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
        #[command(flatten)]
        database: DatabaseArgs,
        /// PostgreSQL: connections at most (each is a backend process; keep the sum over every
        /// server under the database's max_connections). Requests wait up to 10 s for one,
        /// then get 503.
        #[arg(long, env = "AIRLIFT_DATABASE_POOL_SIZE", default_value_t = config::DEFAULT_DATABASE_POOL_SIZE as u64, value_parser = clap::value_parser!(u64).range(1..=1000))]
        database_pool_size: u64,
        /// PostgreSQL: a statement running longer is cancelled (its request gets 503).
        #[arg(long, env = "AIRLIFT_DATABASE_STATEMENT_TIMEOUT", default_value = "60s", value_parser = config::parse_duration)]
        database_statement_timeout: std::time::Duration,
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
        /// Requests per second one device token may make, sustained; more get 429
        /// RESOURCE_EXHAUSTED with Retry-After. Each device has its own budget. 0: no limit.
        #[arg(long, value_name = "N", default_value_t = config::DEFAULT_DEVICE_RATE_LIMIT)]
        device_rate_limit: u32,
        /// Requests one device token may make at once above --device-rate-limit.
        #[arg(long, value_name = "N", default_value_t = config::DEFAULT_DEVICE_RATE_BURST, value_parser = clap::value_parser!(u32).range(1..))]
        device_rate_burst: u32,
        /// Requests per second one user token (a JWT or an API token) may make, sustained;
        /// more get 429 RESOURCE_EXHAUSTED with Retry-After. 0: no limit.
        #[arg(long, value_name = "N", default_value_t = config::DEFAULT_USER_RATE_LIMIT)]
        user_rate_limit: u32,
        /// Requests one user token may make at once above --user-rate-limit.
        #[arg(long, value_name = "N", default_value_t = config::DEFAULT_USER_RATE_BURST, value_parser = clap::value_parser!(u32).range(1..))]
        user_rate_burst: u32,
        /// Serve Prometheus metrics at GET /metrics on this second address (e.g.
        /// 127.0.0.1:9090; port 0 picks one, printed on stdout after the listening line).
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<SocketAddr>,
        /// Log lines as text for a person, or one JSON object per line for a collector.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
        /// The key of the server's own download URLs (file:// storage; default
        /// DIR/download-url-key, created 0600 at first start). Several servers sharing one
        /// storage directory must all name the same file. S3 storage needs none.
        #[arg(long, env = "AIRLIFT_DOWNLOAD_URL_KEY_FILE")]
        download_url_key_file: Option<PathBuf>,
        /// Serve HTTPS on --listen with this certificate chain (PEM: the server's certificate
        /// first, then intermediates); needs --tls-key. Plain HTTP to the port is then refused
        /// with a 400, and the URLs the server hands out start with https:// (unless
        /// --public-url says otherwise). SIGHUP reloads both files: new connections get the
        /// new certificate, open ones keep theirs. --metrics-listen stays plain HTTP.
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1; keep it 0600).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Replace the server encryption key by a fresh one, re-wrapping every encrypted image's
    /// key with it (stop the server first; back up the new key file afterwards).
    RotateEncryptionKey {
        /// A TOML file of serve's options (keys are the long option names); flags and
        /// AIRLIFT_* variables beat it (docs/operations/configuration.md). Its variable is
        /// AIRLIFTD_CONFIG: airlift-cli's own file is AIRLIFT_CONFIG.
        #[arg(long, env = config_file::CONFIG_ENV, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Data directory of the deployment.
        #[arg(long, env = "AIRLIFT_DATA")]
        data: PathBuf,
        /// The key file the server uses (default DIR/encryption-key).
        #[arg(long, env = "AIRLIFT_ENCRYPTION_KEY_FILE")]
        encryption_key_file: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Print a user JWT for TENANT and ROLE on stdout (creating the tenant if needed).
    ///
    /// The token is signed with the secret of the deployment under --data, so it is valid
    /// only for the server running on that directory; a directory that holds no deployment is
    /// refused unless --create says to start one there.
    Token {
        /// A TOML file of serve's options (keys are the long option names); flags and
        /// AIRLIFT_* variables beat it (docs/operations/configuration.md). Its variable is
        /// AIRLIFTD_CONFIG: airlift-cli's own file is AIRLIFT_CONFIG.
        #[arg(long, env = config_file::CONFIG_ENV, value_name = "FILE")]
        config: Option<PathBuf>,
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
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Apply the database's schema migrations and exit (serve applies them at start too;
    /// several servers starting at once on one PostgreSQL database do not race).
    Migrate {
        /// A TOML file of serve's options (keys are the long option names); flags and
        /// AIRLIFT_* variables beat it (docs/operations/configuration.md). Its variable is
        /// AIRLIFTD_CONFIG: airlift-cli's own file is AIRLIFT_CONFIG.
        #[arg(long, env = config_file::CONFIG_ENV, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Data directory (its SQLite file is the default database).
        #[arg(long, env = "AIRLIFT_DATA")]
        data: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Copy an embedded (SQLite) deployment's rows into an empty PostgreSQL database, all in
    /// one transaction; then serve with --database postgres://... and the same --data.
    MigrateData {
        /// The SQLite database: sqlite://PATH (DIR/airlift.db of the old deployment).
        #[arg(long, value_name = "URL")]
        from: Database,
        /// The PostgreSQL database: postgres://USER:PASSWORD@HOST:PORT/DB (migrated if new).
        #[arg(long, value_name = "URL")]
        to: Database,
    },
    /// Configuration files: check one, or print the reference of every option.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Check FILE as `serve --config FILE` would read it: every key an option, every value
    /// one it takes (exit code 2 naming the first that is not).
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the reference page of every serve option (docs/operations/configuration.md).
    Reference,
}

#[derive(Debug, clap::Args)]
struct DatabaseArgs {
    /// sqlite://PATH (default: airlift.db under --data) or
    /// postgres://USER:PASSWORD@HOST:PORT/DB.
    #[arg(long, env = "AIRLIFT_DATABASE", value_name = "URL")]
    database: Option<Database>,
}

/// The command line as parsed: `Cli` with every serve option's `AIRLIFT_*` variable added.
pub fn command() -> clap::Command {
    use clap::CommandFactory as _;
    Cli::command().mut_subcommand(config_file::SERVE, config_file::with_env)
}

/// A configuration that cannot be used (unknown key, bad value): the spec's exit code.
const BAD_CONFIGURATION: u8 = 2;

pub fn run() -> ExitCode {
    use clap::FromArgMatches as _;
    let cmd = command();
    let args = match config_file::layer(&cmd, std::env::args_os().collect()) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("airliftd: {message}");
            return ExitCode::from(BAD_CONFIGURATION);
        }
    };
    let cli = match cmd
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let log_format = match &cli.command {
        Command::Serve { log_format, .. } => *log_format,
        _ if std::env::var(config_file::env_name("log-format")).as_deref() == Ok("json") => {
            LogFormat::Json
        }
        _ => LogFormat::Text,
    };
    init_tracing(log_format);
    let result = match cli.command {
        Command::Serve {
            config: _,
            data,
            listen,
            allow_artifact_hosts,
            max_chunk_bytes,
            max_json_bytes,
            max_images,
            min_chunk_bytes,
            device_timeout,
            database,
            database_pool_size,
            database_statement_timeout,
            public_url,
            download_url_ttl,
            storage,
            s3_endpoint,
            s3_region,
            encryption_key_file,
            device_rate_limit,
            device_rate_burst,
            user_rate_limit,
            user_rate_burst,
            metrics_listen,
            log_format: _,
            download_url_key_file,
            tls_cert,
            tls_key,
        } => {
            let mut config = Config::new(data, listen);
            config.allowed_artifact_hosts = allow_artifact_hosts;
            config.max_chunk_bytes = max_chunk_bytes;
            config.max_json_bytes = max_json_bytes;
            config.max_images = max_images;
            config.min_chunk_bytes = min_chunk_bytes;
            config.device_timeout = device_timeout;
            config.database = database.database;
            config.database_pool_size = usize::try_from(database_pool_size).unwrap_or(1);
            config.database_statement_timeout = database_statement_timeout;
            config.public_url = public_url;
            config.download_url_ttl = download_url_ttl;
            config.storage = storage;
            config.s3_endpoint = s3_endpoint;
            config.s3_region = s3_region;
            config.encryption_key_file = encryption_key_file;
            config.device_rate_limit = device_rate_limit;
            config.device_rate_burst = device_rate_burst;
            config.user_rate_limit = user_rate_limit;
            config.user_rate_burst = user_rate_burst;
            config.metrics_listen = metrics_listen;
            config.download_url_key_file = download_url_key_file;
            config.tls = tls_cert
                .zip(tls_key)
                .map(|(cert, key)| config::TlsFiles { cert, key });
            serve(config)
        }
        Command::Token {
            config: _,
            data,
            tenant,
            role,
            ttl,
            create,
            database,
        } => token(data, database.database, &tenant, role, ttl, create),
        Command::Migrate { data, database, .. } => migrate(data, database.database),
        Command::MigrateData { from, to } => migrate_data(from, to),
        Command::Config { action } => return config_command(action),
        Command::RotateEncryptionKey {
            config: _,
            data,
            encryption_key_file,
            database,
        } => rotate_encryption_key(data, encryption_key_file, database.database),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("airliftd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs go to stderr so stdout stays machine-readable (`token` prints only the JWT, `serve`
/// only its address). `RUST_LOG` overrides the default level; `--log-format json` (or
/// `AIRLIFT_LOG_FORMAT=json`) switches to one JSON object per line.
fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // The PostgreSQL driver logs every statement's parameters at DEBUG, and some parameters
    // are secrets (the deployment's JWT secret): it never logs below INFO, whatever RUST_LOG
    // says.
    let filter = match "tokio_postgres=info".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    // Colours only for a person at a terminal: escape codes in a log file are noise (and
    // formatting them cost 2 % of the CPU of a device poll).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if format == LogFormat::Json {
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
    database: Option<Database>,
    tenant: &str,
    role: Role,
    ttl: std::time::Duration,
    create: bool,
) -> anyhow::Result<()> {
    let dir = DataDir::new(data);
    dir.check_not_a_file()?;
    let database = database.unwrap_or_else(|| Database::Sqlite(dir.database()));
    // A mistyped --data (or --database) would otherwise start a new deployment, and print a
    // token the running server rejects.
    let refuse = |what: String, missing: String| {
        anyhow::anyhow!(
            "{what} holds no airliftd deployment{missing}; give the --data (and --database) of \
             the running server, or pass --create to start a new deployment there"
        )
    };
    let (tenant, keys) = match database {
        Database::Sqlite(path) => {
            if !path.is_file() && !create {
                return Err(refuse(
                    dir.root().display().to_string(),
                    format!(
                        " (no {})",
                        path.file_name()
                            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                    ),
                ));
            }
            dir.create()?;
            let store = crate::store::sqlite::SqliteStore::open_blocking(&path)?;
            let tenant = store.ensure_tenant_blocking(tenant)?;
            (tenant, jwt::JwtKeys::load_or_create(&dir.jwt_secret())?)
        }
        Database::Postgres(url) => current_thread()?.block_on(async {
            use crate::store::TenantStore as _;
            let options = crate::store::postgres::PgOptions {
                pool_size: 1,
                ..Default::default()
            };
            let store = crate::store::postgres::PgStore::open(&url, options).await?;
            if !store.holds_deployment().await? && !create {
                return Err(refuse(
                    format!(
                        "{} (database {})",
                        dir.root().display(),
                        crate::store::postgres::redacted(&url)
                    ),
                    " (no secret yet)".to_owned(),
                ));
            }
            dir.create()?;
            let adopt = crate::secret_file::read(&dir.jwt_secret())?;
            let secret = store.jwt_secret(adopt, jwt::JwtKeys::new_secret()?).await?;
            let tenant = store.ensure_tenant(tenant).await?;
            anyhow::Ok((tenant, jwt::JwtKeys::from_secret(&secret)))
        })?,
    };
    let token = keys.mint(&tenant.id, &tenant.name, role, ttl.as_secs())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{token}")?;
    out.flush()?;
    Ok(())
}

fn rotate_encryption_key(
    data: PathBuf,
    key_file: Option<PathBuf>,
    database: Option<Database>,
) -> anyhow::Result<()> {
    let dir = DataDir::new(data);
    dir.check_not_a_file()?;
    let key_file = key_file.unwrap_or_else(|| dir.encryption_key());
    let rotated = match database {
        None | Some(Database::Sqlite(_)) => {
            let path = match database {
                Some(Database::Sqlite(path)) => path,
                _ => dir.database(),
            };
            anyhow::ensure!(
                path.is_file(),
                "{} holds no airliftd deployment; give the --data (and --database) of the server",
                dir.root().display()
            );
            let store = crate::store::sqlite::SqliteStore::open_blocking(&path)?;
            current_thread()?.block_on(crate::crypto::rotate::rotate(&store, &key_file))?
        }
        Some(Database::Postgres(url)) => current_thread()?.block_on(async {
            let options = crate::store::postgres::PgOptions {
                pool_size: 1,
                ..Default::default()
            };
            let store = crate::store::postgres::PgStore::open(&url, options).await?;
            crate::crypto::rotate::rotate(&store, &key_file).await
        })?,
    };
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

/// Applies the migrations of `--database` (or the SQLite file under `--data`) and exits.
fn migrate(data: PathBuf, database: Option<Database>) -> anyhow::Result<()> {
    let dir = DataDir::new(data);
    dir.check_not_a_file()?;
    match database.unwrap_or_else(|| Database::Sqlite(dir.database())) {
        Database::Sqlite(path) => {
            if path == dir.database() {
                dir.create()?;
            }
            crate::store::sqlite::SqliteStore::open_blocking(&path)?;
            eprintln!("airliftd: {} is at the latest schema", path.display());
        }
        Database::Postgres(url) => {
            let applied = current_thread()?.block_on(crate::store::postgres::migrate(&url))?;
            eprintln!(
                "airliftd: applied {applied} migration(s); {} is at the latest schema",
                crate::store::postgres::redacted(&url)
            );
        }
    }
    Ok(())
}

/// `migrate-data`: SQLite → PostgreSQL, printing what it copied.
fn migrate_data(from: Database, to: Database) -> anyhow::Result<()> {
    let (Database::Sqlite(path), Database::Postgres(url)) = (&from, &to) else {
        anyhow::bail!("migrate-data copies --from sqlite://PATH --to postgres://...");
    };
    if !path.is_file() {
        anyhow::bail!("--from {}: no such SQLite database", path.display());
    }
    let copied =
        current_thread()?.block_on(crate::store::postgres::import_sqlite::import(path, url))?;
    for (table, rows) in copied {
        eprintln!("airliftd: {table}: {rows} row(s)");
    }
    eprintln!(
        "airliftd: copied {} into {}",
        path.display(),
        crate::store::postgres::redacted(url)
    );
    Ok(())
}

fn current_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// `airliftd config check FILE` and `airliftd config reference`.
fn config_command(action: ConfigAction) -> ExitCode {
    let cmd = command();
    let Some(serve) = cmd.find_subcommand(config_file::SERVE) else {
        return ExitCode::FAILURE;
    };
    match action {
        ConfigAction::Check { file } => match config_file::read(&file, serve) {
            Ok(settings) => {
                let keys: Vec<&str> = settings.iter().map(|(k, _)| k.as_str()).collect();
                println!(
                    "{}: ok ({} option(s): {})",
                    file.display(),
                    keys.len(),
                    keys.join(", ")
                );
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("airliftd: {message}");
                ExitCode::from(BAD_CONFIGURATION)
            }
        },
        ConfigAction::Reference => {
            print!("{}", crate::config_reference::markdown(serve));
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    /// docs/operations/configuration.md is what `airliftd config reference` prints.
    #[test]
    fn the_configuration_reference_page_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/operations/configuration.md"
        );
        let cmd = super::command();
        let serve = cmd.find_subcommand(super::config_file::SERVE).unwrap();
        let expected = crate::config_reference::markdown(serve);
        let found = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            found == expected,
            "{path} is not current: run `cargo run -p airlift-server --bin airliftd -- config \
             reference > docs/operations/configuration.md`"
        );
    }

    #[test]
    fn the_command_line_is_consistent() {
        super::command().debug_assert();
    }
}
