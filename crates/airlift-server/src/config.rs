//! What `airliftd serve` runs with, and where things live under the data directory.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Seed 003: every upload request is at most 100 MiB.
pub const DEFAULT_MAX_CHUNK_BYTES: u64 = 100 * 1024 * 1024;
/// Seed 003: a tenant holds at most this many firmware images (`--max-images`).
pub const DEFAULT_MAX_IMAGES: u64 = 1000;
/// Big enough for a 10,000-device bulk provisioning body, small enough to parse in memory.
pub const DEFAULT_MAX_JSON_BYTES: usize = 8 * 1024 * 1024;

/// `--s3-region`'s default.
pub const DEFAULT_S3_REGION: &str = "us-east-1";

/// `--device-timeout`'s default.
pub const DEFAULT_DEVICE_TIMEOUT: Duration = Duration::from_secs(3600);

/// `90`, `90s`, `15m`, `1h`, `2d` → a duration (at least one second).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (try 30s, 15m, 1h)"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit in {s:?} (use s, m, h or d)")),
    };
    let secs = n.saturating_mul(mult);
    if secs == 0 {
        return Err("a duration must be at least 1s".to_owned());
    }
    Ok(Duration::from_secs(secs))
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Hosts a package's http(s) `artifact_uri` may point at; everything else is refused.
    pub allowed_artifact_hosts: Vec<AllowedHost>,
    pub max_chunk_bytes: u64,
    pub max_json_bytes: usize,
    /// Firmware images a tenant may hold.
    pub max_images: u64,
    /// Every upload job chunk but the last holds at least this many bytes (seed 003: 5 MiB).
    pub min_chunk_bytes: u64,
    /// How long an artifact download may stall (no bytes) before it is abandoned.
    pub artifact_read_timeout: Duration,
    /// A rollout device with no verdict this long after its command or last report is
    /// `timed_out` (rollouts may override it with `device_timeout_seconds`).
    pub device_timeout: Duration,
    /// How often the timeout sweep runs.
    pub sweep_interval: Duration,
    /// The server key file (`--encryption-key-file`); `None`: `DIR/encryption-key`.
    pub encryption_key_file: Option<PathBuf>,
    /// The key of the server's own download URLs (`--download-url-key-file`); `None`:
    /// `DIR/download-url-key`.
    pub download_url_key_file: Option<PathBuf>,
    /// `--database`: `None` is the SQLite file under the data directory.
    pub database: Option<Database>,
    /// PostgreSQL connections at most (`--database-pool-size`).
    pub database_pool_size: usize,
    /// A PostgreSQL statement running longer is cancelled (`--database-statement-timeout`).
    pub database_statement_timeout: Duration,
    /// The base of the URLs the server hands out (`--public-url`); `None`: `http://` + the
    /// address it listens on.
    pub public_url: Option<url::Url>,
    /// Lifetime of a device's download URL (`--download-url-ttl`).
    pub download_url_ttl: Duration,
    /// Where objects live (`--storage`); `None`: `DIR/objects`.
    pub storage: Option<StorageUrl>,
    /// `--s3-endpoint`: an S3-compatible service instead of AWS (path-style addressing).
    pub s3_endpoint: Option<url::Url>,
    /// `--s3-region`.
    pub s3_region: String,
    /// Requests one device token may make per second, sustained (`--device-rate-limit`; 0:
    /// no limit), and at once above it (`--device-rate-burst`).
    pub device_rate_limit: u32,
    pub device_rate_burst: u32,
    /// The same for each user token: JWTs and API tokens (`--user-rate-limit`,
    /// `--user-rate-burst`).
    pub user_rate_limit: u32,
    pub user_rate_burst: u32,
    /// Where Prometheus metrics are served (`--metrics-listen`); `None`: nowhere.
    pub metrics_listen: Option<SocketAddr>,
    /// `--tls-cert` and `--tls-key`: HTTPS on `--listen`; `None`: plain HTTP.
    pub tls: Option<TlsFiles>,
}

/// The server's certificate chain and private key, PEM files (`--tls-cert`, `--tls-key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Config {
    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> Self {
        Self {
            data_dir,
            listen,
            allowed_artifact_hosts: Vec::new(),
            max_chunk_bytes: DEFAULT_MAX_CHUNK_BYTES,
            max_json_bytes: DEFAULT_MAX_JSON_BYTES,
            max_images: DEFAULT_MAX_IMAGES,
            min_chunk_bytes: airlift_core::upload_parts::MIN_PART_BYTES,
            artifact_read_timeout: Duration::from_secs(30),
            device_timeout: DEFAULT_DEVICE_TIMEOUT,
            sweep_interval: Duration::from_secs(1),
            encryption_key_file: None,
            download_url_key_file: None,
            database: None,
            database_pool_size: DEFAULT_DATABASE_POOL_SIZE,
            database_statement_timeout: DEFAULT_DATABASE_STATEMENT_TIMEOUT,
            public_url: None,
            download_url_ttl: crate::downloads::DEFAULT_TTL,
            storage: None,
            s3_endpoint: None,
            s3_region: DEFAULT_S3_REGION.to_owned(),
            device_rate_limit: DEFAULT_DEVICE_RATE_LIMIT,
            device_rate_burst: DEFAULT_DEVICE_RATE_BURST,
            user_rate_limit: DEFAULT_USER_RATE_LIMIT,
            user_rate_burst: DEFAULT_USER_RATE_BURST,
            metrics_listen: None,
            tls: None,
        }
    }

    /// The database to open: `--database`, else the SQLite file under `--data`.
    pub fn database(&self) -> Database {
        self.database
            .clone()
            .unwrap_or_else(|| Database::Sqlite(DataDir::new(self.data_dir.clone()).database()))
    }
}

/// A device polls every few seconds and fetches a package in a few ranges: 50 a second with
/// 500 at once leaves a healthy device far below its budget, while one looping on the server
/// is cut off before it costs other devices anything.
pub const DEFAULT_DEVICE_RATE_LIMIT: u32 = 50;
pub const DEFAULT_DEVICE_RATE_BURST: u32 = 500;
/// A person or a pipeline: generous (a sync pages through lists, an upload sends its parts
/// in parallel), yet a runaway script is held to it.
pub const DEFAULT_USER_RATE_LIMIT: u32 = 200;
pub const DEFAULT_USER_RATE_BURST: u32 = 2000;

/// `--database-pool-size`'s default.
pub const DEFAULT_DATABASE_POOL_SIZE: usize = 16;
/// `--database-statement-timeout`'s default.
pub const DEFAULT_DATABASE_STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// `--database URL`: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    /// The URL as given (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl FromStr for Database {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file path, e.g. sqlite:///var/lib/airlift/airlift.db"
                        .to_owned(),
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            crate::store::postgres::tls::parse_options(s).map_err(|e| format!("{e:#}"))?;
            return Ok(Self::Postgres(s.to_owned()));
        }
        Err(format!(
            "unknown database URL {:?}: use sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB",
            crate::store::postgres::redacted(s)
        ))
    }
}

/// Never prints a password.
impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            Self::Postgres(url) => f.write_str(&crate::store::postgres::redacted(url)),
        }
    }
}

/// The data directory's layout, in one place.
#[derive(Debug, Clone)]
pub struct DataDir(PathBuf);

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self(root.into())
    }
    pub fn root(&self) -> &Path {
        &self.0
    }

    /// Creates the directory if needed, private to the owner (0700): it holds the JWT secret
    /// and every tenant's artifacts. An existing directory keeps its mode.
    pub fn create(&self) -> anyhow::Result<()> {
        self.check_not_a_file()?;
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder
            .create(&self.0)
            .map_err(|e| anyhow::anyhow!("creating the data directory {}: {e}", self.0.display()))
    }

    /// `--data` must name a directory (existing or not): a file there is refused with a
    /// sentence saying so, instead of the OS's "File exists".
    pub fn check_not_a_file(&self) -> anyhow::Result<()> {
        match std::fs::metadata(&self.0) {
            Ok(m) if !m.is_dir() => anyhow::bail!(
                "--data {} is a file, not a directory; give the data directory (it is created if \
                 missing)",
                self.0.display()
            ),
            _ => Ok(()),
        }
    }

    /// Whether a deployment lives here: `serve` has created its database.
    pub fn holds_deployment(&self) -> bool {
        self.database().is_file()
    }
    pub fn database(&self) -> PathBuf {
        self.0.join("airlift.db")
    }
    pub fn jwt_secret(&self) -> PathBuf {
        self.0.join("jwt-secret")
    }
    /// The server key that wraps encrypted images' data keys (unless `--encryption-key-file`).
    pub fn encryption_key(&self) -> PathBuf {
        self.0.join("encryption-key")
    }
    /// The key the server signs its own download URLs with (embedded storage).
    pub fn download_url_key(&self) -> PathBuf {
        self.0.join("download-url-key")
    }
    /// Root of the local `object_store`; keys below it follow seed 001's layout.
    pub fn objects(&self) -> PathBuf {
        self.0.join("objects")
    }
}

/// `--storage`: where objects live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUrl {
    /// `file://PATH`: a directory of the local file system.
    File(PathBuf),
    /// `s3://BUCKET[/PREFIX]`.
    S3 { bucket: String, prefix: String },
}

pub fn parse_storage(s: &str) -> Result<StorageUrl, String> {
    let s = s.trim();
    if let Some(path) = s.strip_prefix("file://") {
        if path.is_empty() {
            return Err("file:// needs a directory: file:///var/lib/airlift/objects".to_owned());
        }
        return Ok(StorageUrl::File(PathBuf::from(path)));
    }
    if s.starts_with("s3://") {
        let (bucket, prefix) = crate::artifacts::S3Config::parse(s)?;
        return Ok(StorageUrl::S3 { bucket, prefix });
    }
    Err(format!(
        "{s:?} is neither file://PATH nor s3://BUCKET[/PREFIX]"
    ))
}

/// `--s3-endpoint`: an http(s) URL of an S3-compatible service.
pub fn parse_s3_endpoint(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s.trim()).map_err(|e| format!("not a URL: {s:?} ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{s:?} is not an http(s) URL with a host"));
    }
    Ok(url)
}

/// `--download-url-ttl`: a duration from 1s to 7d.
pub fn parse_download_url_ttl(s: &str) -> Result<Duration, String> {
    use crate::downloads::{MAX_TTL, MIN_TTL};
    let d = parse_duration(s)?;
    if d < MIN_TTL || d > MAX_TTL {
        return Err(format!("{s:?} is outside 1s..7d"));
    }
    Ok(d)
}

/// `--public-url`: an http(s) URL with nothing after its path (no query, no fragment).
pub fn parse_public_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s.trim()).map_err(|e| format!("not a URL: {s:?} ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{s:?} is not an http(s) URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "{s:?} must not carry a query, a fragment or credentials"
        ));
    }
    Ok(url)
}

/// The public URL in force: `--public-url`, else `http://` (`https://` with `--tls-cert`) +
/// the address bound (an unspecified address such as 0.0.0.0 is given as it is: set
/// `--public-url` for devices elsewhere).
pub fn public_url(config: &Config, bound: SocketAddr) -> url::Url {
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    config.public_url.clone().unwrap_or_else(|| {
        url::Url::parse(&format!("{scheme}://{bound}/")).expect("a socket address makes a URL")
    })
}

/// One `--allow-artifact-host` entry: `HOST` (the scheme's default port only) or `HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    host: String,
    port: Option<u16>,
}

impl AllowedHost {
    /// Whether `url` (already known to be http or https) names this host and port.
    pub fn matches(&self, url: &url::Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if !host.eq_ignore_ascii_case(&self.host) {
            return false;
        }
        match (self.port, url.port_or_known_default()) {
            (Some(want), Some(got)) => want == got,
            // `Url` reports no port when it is the scheme's default.
            (None, _) => url.port().is_none(),
            (Some(_), None) => false,
        }
    }
}

impl FromStr for AllowedHost {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        // Reuse the URL parser so IPv6 literals and ports are handled the way requests are.
        let url = url::Url::parse(&format!("http://{s}/"))
            .map_err(|e| format!("not a HOST[:PORT]: {s:?} ({e})"))?;
        let host = url
            .host_str()
            .ok_or_else(|| format!("no host in {s:?}"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if url.path() != "/" || url.username() != "" || url.query().is_some() {
            return Err(format!("not a HOST[:PORT]: {s:?}"));
        }
        // `Url` drops an explicit default port (":80"), which then means "default port only",
        // exactly what was asked.
        Ok(Self {
            host,
            port: url.port(),
        })
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn database_urls_parse_and_hide_passwords() {
        assert_eq!(
            "sqlite:///var/lib/a.db".parse::<Database>().unwrap(),
            Database::Sqlite("/var/lib/a.db".into())
        );
        let pg: Database = "postgres://u:secret@db:5432/airlift".parse().unwrap();
        assert!(!format!("{pg:?}").contains("secret"), "{pg:?}");
        assert!("mysql://x".parse::<Database>().is_err());
        assert!("sqlite://".parse::<Database>().is_err());
    }

    #[test]
    fn host_and_port_must_both_match() {
        let h: AllowedHost = "127.0.0.1:8080".parse().unwrap();
        assert!(h.matches(&url("http://127.0.0.1:8080/a.bin")));
        assert!(!h.matches(&url("http://127.0.0.1:8081/a.bin")));
        assert!(!h.matches(&url("http://127.0.0.2:8080/a.bin")));
        let h: AllowedHost = "Artifacts.Example.com".parse().unwrap();
        assert!(h.matches(&url("https://artifacts.example.com/fw.bin")));
        assert!(!h.matches(&url("https://artifacts.example.com:8443/fw.bin")));
        assert!("http://x".parse::<AllowedHost>().is_err());
    }
}
