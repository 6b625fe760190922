//! Which server, which token, which cache: resolved once from flags, environment and the
//! saved connections.

use std::path::PathBuf;
use std::sync::Mutex;

use airlift_desk::ca_cert::CaCert;
use airlift_desk::cache::location::{cache_file, default_cache_dir};
use airlift_desk::cache::Cache;
use airlift_desk::client::{Client, ClientOptions, RateLimitObserver};
use airlift_desk::connections::{Connections, KeyringOrFile, TokenStore as _};
use airlift_desk::role::{role_of, tenant_of, Role};
use airlift_desk::secret::Secret;
use airlift_desk::signing::KeyStore;
use airlift_desk::{DeskError, DeskErrorCode};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::args::Global;
use crate::exit::Failure;

/// The variable older versions read for the server URL.
const OLD_SERVER_ENV: &str = "AIRLIFT_SERVER";

pub struct Context {
    pub client: Client,
    /// The cache's connection id: the saved connection's name, or `url:BASE`.
    pub connection_id: String,
    /// The tenant the token speaks for (its `tid` claim), when the token can be read.
    pub tenant: Option<String>,
    /// The token's role, when it can be read (the server decides; this only lets a write that
    /// would be refused fail before it starts).
    pub role: Option<Role>,
    /// Reads fail with `OFFLINE` rather than answer from the cache.
    pub require_fresh: bool,
    url: String,
    cache_dir: Option<PathBuf>,
    pub idempotency_key: Option<String>,
}

pub fn config_path(g: &Global) -> Result<PathBuf, Failure> {
    g.config
        .clone()
        .or_else(Connections::default_path)
        .ok_or_else(|| {
            Failure::usage("no --config given and neither XDG_CONFIG_HOME nor HOME is set")
        })
}

/// `--server`, `$AIRLIFT_SERVER_URL`, or the deprecated `$AIRLIFT_SERVER` (with one line saying
/// so on stderr).
fn server_url(g: &Global) -> Option<String> {
    if let Some(url) = g.server.clone().filter(|u| !u.trim().is_empty()) {
        return Some(url);
    }
    let old = std::env::var(OLD_SERVER_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())?;
    eprintln!(
        "airlift-cli: ${OLD_SERVER_ENV} is deprecated; set $AIRLIFT_SERVER_URL instead (read \
         {old} from ${OLD_SERVER_ENV} this time)"
    );
    Some(old)
}

impl Context {
    /// Resolves the server and its token. A token that is missing fails here, before anything
    /// is sent.
    pub fn new(g: &Global) -> Result<Self, Failure> {
        let given_ca = given_ca_cert(g)?;
        let (url, token, connection_id, saved_ca) = match server_url(g) {
            Some(url) => {
                let token = token_from_env(&g.token_env)?.ok_or_else(|| {
                    Failure::usage(format!(
                        "${} is not set: put the API token there (`airliftd token ...` prints \
                         one), or name another variable with --token-env",
                        g.token_env
                    ))
                })?;
                let id = format!("url:{}", url.trim_end_matches('/'));
                (url, token, id, None)
            }
            None => {
                let path = config_path(g)?;
                let connections = Connections::load(&path)?;
                let conn = connections
                    .resolve(g.connection.as_deref())
                    .map_err(|err| {
                        Failure::usage(format!(
                            "{}; pass --server URL (or set $AIRLIFT_SERVER_URL) or save one with \
                             `airlift-cli connection add`",
                            err.message()
                        ))
                    })?;
                let token = KeyringOrFile::beside(&path)
                    .get(&conn.name)?
                    .ok_or_else(|| {
                        Failure::usage(format!(
                            "no token is stored for connection {:?}: save it again with \
                         `{} connection add {} {}`",
                            conn.name, "AIRLIFT_TOKEN=... airlift-cli", conn.name, conn.url
                        ))
                    })?;
                (conn.url.clone(), token, conn.name.clone(), conn.ca_cert()?)
            }
        };
        let tenant = tenant_of(&token);
        let role = role_of(&token);
        let options = ClientOptions {
            ca_cert: given_ca.or(saved_ca),
            on_rate_limited: Some(RateLimitObserver::new(|w| {
                eprintln!(
                    "airlift-cli: rate limited by the server ({}), retrying in {} s",
                    w.call,
                    w.wait.as_secs().max(1)
                );
            })),
            ..ClientOptions::default()
        };
        let client = Client::new(&url, Some(token), options)
            .map_err(|err| Failure::usage(err.message().to_owned()))?;
        Ok(Self {
            client,
            connection_id,
            tenant,
            role,
            require_fresh: g.require_fresh,
            url,
            cache_dir: g.cache_dir.clone(),
            idempotency_key: g.idempotency_key.clone(),
        })
    }

    /// The cache of this server and tenant. A token whose tenant cannot be read gets no cache
    /// at all (`UNAUTHENTICATED`): cached rows must never be another tenant's.
    pub fn open_cache(&self) -> Result<Mutex<Cache>, Failure> {
        let tenant = self.tenant.as_deref().ok_or_else(|| {
            Failure::Desk(DeskError::new(
                DeskErrorCode::Unauthenticated,
                "the API token is not one airlift-cli can read (no tenant in it), so no cached \
                 data is shown for it; get a new token (`airliftd token --tenant NAME --role \
                 ROLE`)",
            ))
        })?;
        let dir = self
            .cache_dir
            .clone()
            .or_else(default_cache_dir)
            .ok_or_else(|| {
                Failure::usage("no --cache-dir given and neither XDG_CACHE_HOME nor HOME is set")
            })?;
        let path = cache_file(&dir, &self.url, tenant);
        let opened = Cache::open_verified(&path)?;
        if let Some(old) = &opened.rebuilt_from {
            eprintln!(
                "note: the offline cache was unusable and has been rebuilt (old file kept at {})",
                old.display()
            );
        }
        Ok(Mutex::new(opened.cache))
    }

    /// A client that sends an `Idempotency-Key` for the create `what` with these inputs: the
    /// `--idempotency-key` given (suffixed with `what` when `suffix` says the command sends
    /// more than one create), or one derived from the tenant, `what` and the inputs, so the same
    /// command run again is answered with the first result instead of creating twice.
    pub fn creating<T: Serialize>(&self, what: &str, inputs: &T) -> Result<Client, Failure> {
        let key = match &self.idempotency_key {
            Some(given) => format!("{given}:{what}"),
            None => derived_key(self.tenant.as_deref().unwrap_or(""), what, inputs)?,
        };
        Ok(self.client.with_idempotency_key(&key)?)
    }
}

/// `airlift-cli:WHAT:<32 hex digits>` from the canonical JSON of the inputs.
pub fn derived_key<T: Serialize>(tenant: &str, what: &str, inputs: &T) -> Result<String, Failure> {
    let json = serde_json::to_vec(inputs).map_err(|err| {
        Failure::Desk(DeskError::internal(format!(
            "could not encode the request: {err}"
        )))
    })?;
    let mut hasher = Sha256::new();
    hasher.update(tenant.as_bytes());
    hasher.update([0]);
    hasher.update(what.as_bytes());
    hasher.update([0]);
    hasher.update(&json);
    Ok(format!(
        "airlift-cli:{what}:{}",
        hex_prefix(&hasher.finalize()[..16])
    ))
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `--ca-cert PATH` (or `AIRLIFT_CA_CERT`), read and checked: a bad file is a usage error.
pub fn given_ca_cert(g: &Global) -> Result<Option<CaCert>, Failure> {
    g.ca_cert
        .as_deref()
        .map(|path| CaCert::read(path).map_err(|err| Failure::usage(err.message().to_owned())))
        .transpose()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_follow_the_inputs() {
        let a = derived_key("t1", "rollout", &serde_json::json!({"p": 1})).unwrap();
        assert_eq!(
            a,
            derived_key("t1", "rollout", &serde_json::json!({"p": 1})).unwrap()
        );
        assert!(a.starts_with("airlift-cli:rollout:"));
        assert_ne!(
            a,
            derived_key("t1", "rollout", &serde_json::json!({"p": 2})).unwrap()
        );
        assert_ne!(
            a,
            derived_key("t2", "rollout", &serde_json::json!({"p": 1})).unwrap()
        );
        assert_ne!(
            a,
            derived_key("t1", "package", &serde_json::json!({"p": 1})).unwrap()
        );
    }
}
