//! What the commands share: where files live, the offline cache, the active connection, and
//! the upload in progress. Built once at start-up from the environment.
//!
//! The cache is one SQLite file per server and tenant (`airlift_desk::cache::location`): the
//! file of the active connection is open, and switching connections switches files. The tenant
//! comes from the token's claims; so that the first screen never waits for the keyring, the
//! file each connection used last is remembered (`cache-files.json`, names only, no secrets)
//! and opened at start-up, and checked against the token once it is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use airlift_desk::ca_cert::CaCert;
use airlift_desk::cache::location::{adopt_caches, cache_file, default_cache_dir, normalize_url};
use airlift_desk::cache::Cache;
use airlift_desk::client::{Client, ClientOptions, RateLimitObserver, TokenRefusedObserver};
use airlift_desk::connections::{Connections, KeyringOrFile, TokenStore as _};
use airlift_desk::ops::upload::UploadControl;
use airlift_desk::secret::Secret;
use airlift_desk::signing::default_keys_dir;
use airlift_desk::DeskError;

use crate::dto::connections::TokenRefused;
use crate::env::{ENV_CA_CERT, ENV_CONNECTION_NAME, ENV_DATA_DIR, ENV_SERVER_URL, ENV_TOKEN};

/// Files and folders the app writes.
#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    /// The cache while no connection is active (it stays empty).
    pub cache_file: PathBuf,
    /// One cache file per server and tenant: the folder `airlift-cli` uses too, so both find
    /// the same pending upload (`airlift_desk::cache::location::default_cache_dir`).
    pub caches_dir: PathBuf,
    /// The cache file each connection used last (see the module comment).
    pub cache_files_index: PathBuf,
    pub connections_file: PathBuf,
    pub keys_dir: PathBuf,
}

impl Paths {
    /// `AIRLIFT_DATA_DIR` holds everything when set (connections included); otherwise the
    /// platform data folder, and the desk's usual connections file.
    pub fn resolve(platform_data_dir: Option<PathBuf>) -> Result<Paths, DeskError> {
        let override_dir = std::env::var_os(ENV_DATA_DIR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let data_dir = override_dir
            .clone()
            .or(platform_data_dir)
            .ok_or_else(|| DeskError::internal("no data folder: set AIRLIFT_DATA_DIR"))?;
        // The key folder is shared with airlift-cli (contract item 7) unless a data folder is
        // forced, which keeps tests and demos away from the person's real keys.
        let keys_dir = match &override_dir {
            Some(dir) => dir.join("keys"),
            None => default_keys_dir().unwrap_or_else(|| data_dir.join("keys")),
        };
        // The caches are shared with airlift-cli too (the app's old folder is moved there),
        // unless a data folder is forced.
        let caches_dir = match &override_dir {
            Some(dir) => dir.join("caches"),
            None => match default_cache_dir() {
                Some(shared) => {
                    adopt_caches(&data_dir.join("caches"), &shared);
                    shared
                }
                None => data_dir.join("caches"),
            },
        };
        let connections_file = match override_dir {
            Some(dir) => dir.join("connections.json"),
            None => {
                Connections::default_path().unwrap_or_else(|| data_dir.join("connections.json"))
            }
        };
        Ok(Paths {
            cache_file: data_dir.join("cache.sqlite3"),
            caches_dir,
            cache_files_index: data_dir.join("cache-files.json"),
            keys_dir,
            connections_file,
            data_dir,
        })
    }
}

/// The connection the app currently talks to.
#[derive(Debug, Clone)]
pub struct Active {
    pub name: String,
    pub url: String,
    /// `None` until first needed for a saved connection (the keyring is read lazily so a
    /// slow Secret Service does not delay the first paint).
    pub token: Option<Secret>,
    pub token_loaded: bool,
    /// The CA trusted for this server beside the system's (the saved connection's PEM).
    pub ca_cert_pem: Option<String>,
}

impl Active {
    /// The running demo fleet as a connection (its token is known, never read from a keyring).
    pub fn demo(demo: &crate::demo::DemoFleet) -> Active {
        Active {
            name: crate::demo::DEMO_NAME.to_owned(),
            url: demo.url.clone(),
            token: Some(demo.token.clone()),
            token_loaded: true,
            ca_cert_pem: None,
        }
    }

    /// A saved connection, its token not read yet.
    pub fn saved(c: &airlift_desk::connections::Connection) -> Active {
        Active {
            name: c.name.clone(),
            url: c.url.clone(),
            token: None,
            token_loaded: false,
            ca_cert_pem: c.ca_cert_pem.clone(),
        }
    }

    /// The environment's connection (its token in memory only).
    pub fn env(env: &EnvConnection) -> Active {
        Active {
            name: env.name.clone(),
            url: env.url.clone(),
            token: env.token.clone(),
            token_loaded: true,
            ca_cert_pem: env.ca_cert.as_ref().map(|ca| ca.pem().to_owned()),
        }
    }
}

/// The connection given by environment variables, if any.
#[derive(Debug, Clone)]
pub struct EnvConnection {
    pub name: String,
    pub url: String,
    pub token: Option<Secret>,
    /// `AIRLIFT_CA_CERT`'s CA; a file that does not read is logged and left out (the server
    /// then says `TLS_UNTRUSTED`).
    pub ca_cert: Option<CaCert>,
}

impl EnvConnection {
    pub fn from_env() -> Option<EnvConnection> {
        let url = std::env::var(ENV_SERVER_URL)
            .ok()
            .filter(|u| !u.is_empty())?;
        let name = std::env::var(ENV_CONNECTION_NAME)
            .ok()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "environment".to_owned());
        let token = std::env::var(ENV_TOKEN)
            .ok()
            .filter(|t| !t.is_empty())
            .map(Secret::new);
        let ca_cert = std::env::var_os(ENV_CA_CERT)
            .filter(|p| !p.is_empty())
            .and_then(|path| match CaCert::read(std::path::Path::new(&path)) {
                Ok(ca) => Some(ca),
                Err(err) => {
                    tracing::warn!(%err, "{ENV_CA_CERT} is not a usable CA certificate");
                    None
                }
            });
        Some(EnvConnection {
            name,
            url,
            token,
            ca_cert,
        })
    }
}

/// What the app does when the server first refuses the active connection's token.
pub type TokenRefusedHook = Arc<dyn Fn(&TokenRefused) + Send + Sync>;

pub struct AppState {
    pub paths: Paths,
    pub cache: Arc<Mutex<Cache>>,
    pub env_connection: Option<EnvConnection>,
    pub active: Mutex<Option<Active>>,
    /// The upload in progress, to pause or cancel it.
    pub upload: Mutex<Option<UploadControl>>,
    pub demo: Mutex<Option<crate::demo::DemoFleet>>,
    /// The OS keyring, or a 0600 `tokens.json` beside the connections file where no keyring
    /// answers (a session without a secret service), the same store as airlift-cli's.
    pub tokens: KeyringOrFile,
    /// Tells the UI when a call waits out the server's `Retry-After` (set once the app runs).
    pub on_rate_limited: std::sync::OnceLock<RateLimitObserver>,
    /// The one record that the server refused the active connection's token (any call's 401,
    /// the event stream's included, through the client's `on_token_refused`): the status bar,
    /// the banner and the event watcher all read it. Cleared when the active connection or its
    /// token changes.
    token_refused: Arc<Mutex<Option<TokenRefused>>>,
    /// Counts [`AppState::set_active`]s: a client made before the last one (a call still in
    /// flight with the old token) is not heard.
    credentials_changed: Arc<std::sync::atomic::AtomicU64>,
    /// Told when the record above is first set (the app tells the UI); set once the app runs.
    pub on_token_refused: std::sync::OnceLock<TokenRefusedHook>,
}

impl AppState {
    pub fn open(paths: Paths) -> Result<AppState, DeskError> {
        let env_connection = EnvConnection::from_env();
        let active = match &env_connection {
            Some(env) => Some(Active::env(env)),
            None => Connections::load(&paths.connections_file)
                .ok()
                .and_then(|c| c.resolve(None).ok().map(Active::saved)),
        };
        let file = match &active {
            Some(a) => cache_file_of(&paths, a),
            None => paths.cache_file.clone(),
        };
        let opened = open_cache(&file)?;
        if let Some(old) = &opened.rebuilt_from {
            tracing::warn!(moved_to = %old.display(), "the offline cache was unreadable and was rebuilt");
        }
        let tokens = KeyringOrFile::beside(&paths.connections_file);
        let state = AppState {
            paths,
            cache: Arc::new(Mutex::new(opened.cache)),
            env_connection,
            active: Mutex::new(active),
            upload: Mutex::new(None),
            demo: Mutex::new(None),
            tokens,
            on_rate_limited: std::sync::OnceLock::new(),
            token_refused: Arc::new(Mutex::new(None)),
            credentials_changed: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            on_token_refused: std::sync::OnceLock::new(),
        };
        Ok(state)
    }

    pub fn connections(&self) -> Result<Connections, DeskError> {
        Connections::load(&self.paths.connections_file)
    }

    pub fn active(&self) -> Result<Option<Active>, DeskError> {
        Ok(lock(&self.active)?.clone())
    }

    /// The active connection's name, or `FAILED_PRECONDITION` when there is none.
    pub fn active_name(&self) -> Result<String, DeskError> {
        self.active()?.map(|a| a.name).ok_or_else(no_connection)
    }

    /// A client for the active connection (reading its token from the keyring on first use).
    pub fn client(&self) -> Result<(String, Client), DeskError> {
        let mut guard = lock(&self.active)?;
        let active = guard.as_mut().ok_or_else(no_connection)?;
        let first_read = !active.token_loaded;
        if first_read {
            active.token = self.tokens.get(&active.name)?;
            active.token_loaded = true;
        }
        let ca_cert = active
            .ca_cert_pem
            .as_deref()
            .map(CaCert::parse)
            .transpose()?;
        let options = ClientOptions {
            ca_cert,
            on_rate_limited: self.on_rate_limited.get().cloned(),
            on_token_refused: Some(self.token_refused_observer(&active.name)),
            ..client_options()
        };
        let client = Client::new(&active.url, active.token.clone(), options)?;
        let snapshot = active.clone();
        drop(guard);
        if first_read {
            // The token names the tenant: the remembered file is checked against it.
            self.use_cache_of(&snapshot)?;
        }
        Ok((snapshot.name, client))
    }

    /// Whether the server refused the active connection's token, and what it said.
    pub fn token_refused(&self) -> Result<Option<TokenRefused>, DeskError> {
        let active = self.active()?.map(|a| a.name);
        Ok(lock(&self.token_refused)?
            .clone()
            .filter(|r| Some(&r.connection) == active.as_ref()))
    }

    /// Hears a refusal of `connection`'s token from a client made for it. A client may outlive
    /// a switch or a new token (a call in flight): what it hears after that is not recorded.
    fn token_refused_observer(&self, connection: &str) -> TokenRefusedObserver {
        use std::sync::atomic::Ordering;
        let connection = connection.to_owned();
        let hook = self.on_token_refused.get().cloned();
        let record = Arc::clone(&self.token_refused);
        let changed = Arc::clone(&self.credentials_changed);
        let made_at = changed.load(Ordering::SeqCst);
        TokenRefusedObserver::new(move |err| {
            if changed.load(Ordering::SeqCst) != made_at {
                return;
            }
            let refused = TokenRefused {
                connection: connection.clone(),
                message: err.message().to_owned(),
            };
            {
                let Ok(mut slot) = record.lock() else {
                    return;
                };
                if slot.as_ref().is_some_and(|r| r.connection == connection) {
                    return;
                }
                *slot = Some(refused.clone());
            }
            tracing::warn!(connection = %refused.connection, "the server refused the connection's token");
            if let Some(hook) = &hook {
                hook(&refused);
            }
        })
    }

    /// Makes `active` the connection the app talks to, with its server and tenant's cache.
    /// A new connection or a new token: whatever the server refused before is history.
    pub fn set_active(&self, active: Option<Active>) -> Result<(), DeskError> {
        {
            // Under the lock `client` reads the active connection with: a client is made
            // either before the change (and no longer heard) or after it.
            let mut current = lock(&self.active)?;
            *current = active.clone();
            self.credentials_changed
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        *lock(&self.token_refused)? = None;
        match active {
            Some(a) => self.use_cache_of(&a),
            None => self.switch_cache(&self.paths.cache_file.clone()),
        }
    }

    /// Opens the cache file of `active`'s server and tenant (unless it is already open).
    fn use_cache_of(&self, active: &Active) -> Result<(), DeskError> {
        self.switch_cache(&cache_file_of(&self.paths, active))
    }

    fn switch_cache(&self, file: &Path) -> Result<(), DeskError> {
        let mut cache = lock(&self.cache)?;
        if cache.path() == file {
            return Ok(());
        }
        let opened = open_cache(file)?;
        if let Some(old) = &opened.rebuilt_from {
            tracing::warn!(moved_to = %old.display(), "the offline cache was unreadable and was rebuilt");
        }
        *cache = opened.cache;
        Ok(())
    }

    pub fn keys_dir(&self) -> &Path {
        &self.paths.keys_dir
    }
}

/// The cache file of `active`'s server and tenant. With the token not read yet (a saved
/// connection at start-up), the file the connection used last; with neither, the empty one.
fn cache_file_of(paths: &Paths, active: &Active) -> PathBuf {
    match active.token.as_ref().filter(|_| active.token_loaded) {
        Some(token) => {
            let file = match airlift_desk::role::tenant_of(token) {
                Some(tenant) => cache_file(&paths.caches_dir, &active.url, &tenant),
                // A token the desk cannot read (not a JWT) names no tenant: its cache is its
                // own connection's, never one a tenant-named token fills.
                None => cache_file(
                    &paths.caches_dir,
                    &active.url,
                    &format!("\0connection:{}", active.name),
                ),
            };
            remember_cache_file(paths, active, &file);
            file
        }
        None if active.token_loaded => paths.cache_file.clone(),
        None => remembered_cache_file(paths, active).unwrap_or_else(|| paths.cache_file.clone()),
    }
}

fn open_cache(file: &Path) -> Result<airlift_desk::cache::OpenedCache, DeskError> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|err| DeskError::io("create", dir, &err))?;
    }
    Cache::open(file)
}

/// The index's key for a connection: its name and server (a renamed server is another file).
fn index_key(active: &Active) -> String {
    format!("{} {}", active.name, normalize_url(&active.url))
}

fn read_index(paths: &Paths) -> BTreeMap<String, String> {
    std::fs::read(&paths.cache_files_index)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The cache file `active` used last, if it is still there.
fn remembered_cache_file(paths: &Paths, active: &Active) -> Option<PathBuf> {
    let name = read_index(paths).remove(&index_key(active))?;
    // Only a bare file name inside the caches folder is taken from the index.
    let file = paths.caches_dir.join(Path::new(&name).file_name()?);
    file.is_file().then_some(file)
}

/// Notes `file` as `active`'s cache; failing to write the note costs only a slower next start.
fn remember_cache_file(paths: &Paths, active: &Active, file: &Path) {
    let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let mut index = read_index(paths);
    if index.get(&index_key(active)).map(String::as_str) == Some(name) {
        return;
    }
    index.insert(index_key(active), name.to_owned());
    let written = serde_json::to_vec_pretty(&index)
        .map_err(std::io::Error::other)
        .and_then(|bytes| {
            let tmp = paths.cache_files_index.with_extension("json.tmp");
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &paths.cache_files_index)
        });
    if let Err(err) = written {
        tracing::warn!(%err, "could not note which cache file a connection uses");
    }
}

/// Fewer, shorter retries than the desk's default: the UI shows cached data meanwhile and a
/// person is waiting for "offline" rather than for a fourth attempt.
pub fn client_options() -> ClientOptions {
    let defaults = ClientOptions::default();
    ClientOptions {
        connect_timeout: std::time::Duration::from_secs(5),
        retry: airlift_desk::client::RetryPolicy {
            max_attempts: 2,
            ..defaults.retry
        },
        ..defaults
    }
}

pub fn no_connection() -> DeskError {
    DeskError::new(
        airlift_desk::DeskErrorCode::FailedPrecondition,
        "no server connection yet: add one in Settings",
    )
}

pub fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, DeskError> {
    m.lock()
        .map_err(|_| DeskError::internal("an app state lock was poisoned"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JWT-shaped token whose payload is `claims` (the desk reads claims, never checks them).
    fn token(claims: &str) -> Secret {
        const URL_SAFE: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut payload = String::new();
        for chunk in claims.as_bytes().chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                payload.push(URL_SAFE[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        Secret::new(format!("eyJhbGciOiJub25lIn0.{payload}.sig"))
    }

    fn paths(dir: &Path) -> Paths {
        Paths {
            data_dir: dir.to_path_buf(),
            cache_file: dir.join("cache.sqlite3"),
            caches_dir: dir.join("caches"),
            cache_files_index: dir.join("cache-files.json"),
            connections_file: dir.join("connections.json"),
            keys_dir: dir.join("keys"),
        }
    }

    fn active(name: &str, url: &str, token: Option<Secret>) -> Active {
        Active {
            name: name.into(),
            url: url.into(),
            token_loaded: token.is_some(),
            token,
            ca_cert_pem: None,
        }
    }

    #[test]
    fn each_server_and_tenant_has_its_cache_and_a_saved_connection_finds_it_without_its_token() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = paths(dir.path());
        let url = "http://fleet.example:8080";
        let acme = cache_file_of(&p, &active("prod", url, Some(token(r#"{"tid":"acme"}"#))));
        let globex = cache_file_of(&p, &active("prod", url, Some(token(r#"{"tid":"globex"}"#))));
        assert_ne!(acme, globex, "two tenants never share a file");
        assert_eq!(acme.parent(), Some(p.caches_dir.as_path()));
        assert_eq!(acme, cache_file(&p.caches_dir, url, "acme"));

        // At the next start the token is still in the keyring: the file used last opens.
        std::fs::create_dir_all(&p.caches_dir).unwrap();
        std::fs::write(&globex, b"").unwrap();
        assert_eq!(cache_file_of(&p, &active("prod", url, None)), globex);
        // Another connection name knows no file yet: the empty default.
        assert_eq!(
            cache_file_of(&p, &active("staging", url, None)),
            p.cache_file
        );

        // A token that names no tenant gets a file of its own connection, no tenant's.
        let opaque = cache_file_of(
            &p,
            &active("lab", url, Some(Secret::new("opaque".to_owned()))),
        );
        assert!(opaque != acme && opaque != globex);
    }

    #[test]
    fn a_garbled_index_is_ignored_and_names_outside_the_caches_folder_are_not_followed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = paths(dir.path());
        let a = active("prod", "http://x", None);
        std::fs::write(&p.cache_files_index, b"{not json").unwrap();
        assert_eq!(cache_file_of(&p, &a), p.cache_file);
        let outside = dir.path().join("elsewhere.sqlite3");
        std::fs::write(&outside, b"").unwrap();
        let index = r#"{"prod http://x": "../elsewhere.sqlite3"}"#;
        std::fs::write(&p.cache_files_index, index).unwrap();
        assert_eq!(cache_file_of(&p, &a), p.cache_file);
    }
}
