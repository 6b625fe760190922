//! Which server, which token, which cache: resolved once from flags, environment and the
//! saved connections.

use std::path::PathBuf;
use std::sync::Mutex;

use airlift_desk::cache::Cache;
use airlift_desk::client::{Client, ClientOptions};
use airlift_desk::connections::{Connections, KeyringTokens, TokenStore as _};
use airlift_desk::secret::Secret;
use airlift_desk::signing::KeyStore;

use crate::args::Global;
use crate::exit::Failure;

pub struct Context {
    pub client: Client,
    /// The cache's connection id: the saved connection's name, or `url:BASE`.
    pub connection_id: String,
}

pub fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)))
}

pub fn config_path(g: &Global) -> Result<PathBuf, Failure> {
    g.config
        .clone()
        .or_else(Connections::default_path)
        .ok_or_else(|| {
            Failure::usage("no --config given and neither XDG_CONFIG_HOME nor HOME is set")
        })
}

impl Context {
    pub fn new(g: &Global) -> Result<Self, Failure> {
        let (url, token, connection_id) = match &g.server {
            Some(url) => {
                let token = token_from_env(&g.token_env)?;
                (
                    url.clone(),
                    token,
                    format!("url:{}", url.trim_end_matches('/')),
                )
            }
            None => {
                let connections = Connections::load(&config_path(g)?)?;
                let conn = connections
                    .resolve(g.connection.as_deref())
                    .map_err(|err| {
                        Failure::usage(format!(
                            "{}; pass --server URL or save one with `airlift-cli connection add`",
                            err.message()
                        ))
                    })?;
                let token = KeyringTokens::default().get(&conn.name)?;
                (conn.url.clone(), token, conn.name.clone())
            }
        };
        let client = Client::new(&url, token, ClientOptions::default())
            .map_err(|err| Failure::usage(err.message().to_owned()))?;
        Ok(Self {
            client,
            connection_id,
        })
    }
}

pub fn token_from_env(var: &str) -> Result<Option<Secret>, Failure> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(Some(Secret::new(v.trim()))),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Failure::usage(format!("${var} is not valid UTF-8")))
        }
    }
}

pub fn open_cache(g: &Global) -> Result<Mutex<Cache>, Failure> {
    let path = g
        .cache
        .clone()
        .or_else(|| {
            xdg("XDG_CACHE_HOME", ".cache").map(|d| d.join("airlift").join("cache.sqlite3"))
        })
        .ok_or_else(|| {
            Failure::usage("no --cache given and neither XDG_CACHE_HOME nor HOME is set")
        })?;
    let opened = Cache::open_verified(&path)?;
    if let Some(old) = &opened.rebuilt_from {
        eprintln!(
            "note: the offline cache was unusable and has been rebuilt (old file kept at {})",
            old.display()
        );
    }
    Ok(Mutex::new(opened.cache))
}

pub fn open_keys(g: &Global) -> Result<KeyStore, Failure> {
    let dir = g
        .keys_dir
        .clone()
        .or_else(airlift_desk::signing::default_keys_dir)
        .ok_or_else(|| {
            Failure::usage("no --keys-dir given and neither XDG_DATA_HOME nor HOME is set")
        })?;
    Ok(KeyStore::open(&dir)?)
}
