//! Server connections: names and URLs in a JSON config file, tokens in the OS keyring.
//!
//! The config file holds no secrets (it may end up in backups or dotfile repos); each
//! connection's API token is stored in the OS keyring (the Secret Service on Linux, e.g.
//! gnome-keyring) under service [`KEYRING_SERVICE`] and the connection's name. Tokens are
//! [`Secret`]s: never in the cache, the config file, or a `Debug` print.
//!
//! Where no keyring runs (a CI runner, an SSH session without a desktop), [`KeyringOrFile`]
//! keeps tokens in a file of their own instead ([`FileTokens`]: `tokens.json` beside the
//! connections file, mode 0600 in a 0700 folder), still never in the connections file.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ca_cert::CaCert;
use crate::error::{DeskError, DeskErrorCode};
use crate::secret::Secret;

/// The keyring service name tokens are filed under.
pub const KEYRING_SERVICE: &str = "airlift";

/// One saved server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Unique, chosen by the person ("production"); also the cache's connection id.
    pub name: String,
    /// Base URL, e.g. `https://fleet.example.com`.
    pub url: String,
    /// A CA certificate (PEM) trusted for this server beside the system's: public, so it
    /// lives here, not in the keyring; checked when saved ([`CaCert::parse`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert_pem: Option<String>,
}

impl Connection {
    /// The connection's CA, checked (a file edited by hand could hold anything).
    pub fn ca_cert(&self) -> Result<Option<CaCert>, DeskError> {
        self.ca_cert_pem
            .as_deref()
            .map(|pem| {
                CaCert::parse(pem).map_err(|err| {
                    DeskError::new(
                        err.code(),
                        format!("connection {:?}: {}", self.name, err.message()),
                    )
                })
            })
            .transpose()
    }
}

/// The PEM is long and of no use in a log line: only whether there is one.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("ca_cert", &self.ca_cert_pem.as_ref().map(|_| "PEM"))
            .finish()
    }
}

/// The config file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionsFile {
    #[serde(default)]
    pub connections: Vec<Connection>,
    /// The connection used when none is named.
    #[serde(default)]
    pub default: Option<String>,
}

/// Where tokens live. The real one is [`KeyringTokens`]; tests may substitute their own.
pub trait TokenStore: Send + Sync {
    fn get(&self, connection: &str) -> Result<Option<Secret>, DeskError>;
    fn set(&self, connection: &str, token: &Secret) -> Result<(), DeskError>;
    /// Removes the token; absent is fine.
    fn delete(&self, connection: &str) -> Result<(), DeskError>;
}

/// Tokens in the OS keyring via the `keyring` crate.
#[derive(Debug, Clone)]
pub struct KeyringTokens {
    service: String,
}

impl Default for KeyringTokens {
    fn default() -> Self {
        Self::new(KEYRING_SERVICE)
    }
}

impl KeyringTokens {
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    fn entry(&self, connection: &str) -> Result<keyring::Entry, DeskError> {
        keyring::Entry::new(&self.service, connection).map_err(keyring_error)
    }
}

fn keyring_error(err: keyring::Error) -> DeskError {
    // The keyring's errors never contain the secret itself.
    DeskError::keyring(format!("the OS keyring failed: {err}"))
}

impl TokenStore for KeyringTokens {
    fn get(&self, connection: &str) -> Result<Option<Secret>, DeskError> {
        match self.entry(connection)?.get_password() {
            Ok(token) => Ok(Some(Secret::new(token))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(keyring_error(err)),
        }
    }

    fn set(&self, connection: &str, token: &Secret) -> Result<(), DeskError> {
        self.entry(connection)?
            .set_password(token.expose())
            .map_err(keyring_error)
    }

    fn delete(&self, connection: &str) -> Result<(), DeskError> {
        match self.entry(connection)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(keyring_error(err)),
        }
    }
}

/// Tokens in one JSON file (`{"tokens": {"name": "token"}}`), mode 0600 in a 0700 folder,
/// written atomically. For machines without a keyring.
#[derive(Debug, Clone)]
pub struct FileTokens {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
struct TokensFile {
    #[serde(default)]
    tokens: std::collections::BTreeMap<String, String>,
}

impl FileTokens {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
        }
    }

    /// `tokens.json` beside a connections file.
    pub fn beside(connections_file: &Path) -> Self {
        Self::new(&connections_file.with_file_name("tokens.json"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<TokensFile, DeskError> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| {
                // serde's message could quote part of the file, i.e. a token.
                DeskError::keyring(format!(
                    "{} is not a token file airlift can read; remove it and add the \
                     connections again",
                    self.path.display()
                ))
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(TokensFile::default()),
            Err(err) => Err(DeskError::io("read", &self.path, &err)),
        }
    }

    fn write(&self, file: &TokensFile) -> Result<(), DeskError> {
        let json = serde_json::to_vec_pretty(file)
            .map_err(|err| DeskError::internal(format!("could not encode tokens: {err}")))?;
        write_private(&self.path, &json)
    }
}

impl TokenStore for FileTokens {
    fn get(&self, connection: &str) -> Result<Option<Secret>, DeskError> {
        Ok(self.read()?.tokens.remove(connection).map(Secret::new))
    }

    fn set(&self, connection: &str, token: &Secret) -> Result<(), DeskError> {
        let mut file = self.read()?;
        file.tokens
            .insert(connection.to_owned(), token.expose().to_owned());
        self.write(&file)
    }

    fn delete(&self, connection: &str) -> Result<(), DeskError> {
        let mut file = self.read()?;
        if file.tokens.remove(connection).is_some() {
            self.write(&file)?;
        }
        Ok(())
    }
}

/// The OS keyring when one answers, else [`FileTokens`]. A token is read from the keyring
/// first, then from the file.
#[derive(Debug, Clone)]
pub struct KeyringOrFile {
    pub keyring: KeyringTokens,
    pub file: FileTokens,
}

/// Where [`KeyringOrFile::store`] put a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPlace {
    Keyring,
    File,
}

impl KeyringOrFile {
    /// The keyring, with `tokens.json` beside `connections_file` as the fallback.
    pub fn beside(connections_file: &Path) -> Self {
        Self {
            keyring: KeyringTokens::default(),
            file: FileTokens::beside(connections_file),
        }
    }

    /// Stores the token in the keyring, or in the file when the keyring fails.
    pub fn store(&self, connection: &str, token: &Secret) -> Result<TokenPlace, DeskError> {
        match self.keyring.set(connection, token) {
            Ok(()) => {
                // A stale copy in the file must not outlive the new token.
                self.file.delete(connection)?;
                Ok(TokenPlace::Keyring)
            }
            Err(err) => {
                tracing::info!(error = %err, file = %self.file.path().display(), "no usable keyring: the token goes to the token file");
                self.file.set(connection, token)?;
                Ok(TokenPlace::File)
            }
        }
    }
}

impl TokenStore for KeyringOrFile {
    fn get(&self, connection: &str) -> Result<Option<Secret>, DeskError> {
        match self.keyring.get(connection) {
            Ok(Some(token)) => Ok(Some(token)),
            Ok(None) | Err(_) => self.file.get(connection),
        }
    }

    fn set(&self, connection: &str, token: &Secret) -> Result<(), DeskError> {
        self.store(connection, token).map(|_| ())
    }

    fn delete(&self, connection: &str) -> Result<(), DeskError> {
        let from_keyring = self.keyring.delete(connection);
        self.file.delete(connection)?;
        // Without a keyring there is nothing to delete there.
        if let Err(err) = from_keyring {
            tracing::debug!(error = %err, "no keyring to delete the token from");
        }
        Ok(())
    }
}

/// The saved connections, backed by one JSON file.
#[derive(Debug)]
pub struct Connections {
    path: PathBuf,
    file: ConnectionsFile,
}

impl Connections {
    /// `$XDG_CONFIG_HOME/airlift/connections.json` (or `~/.config/...`).
    pub fn default_path() -> Option<PathBuf> {
        std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .map(|base| base.join("airlift").join("connections.json"))
    }

    /// Loads the file; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<Self, DeskError> {
        let file = match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| {
                DeskError::invalid_argument(format!(
                    "{} is not a valid connections file: {err}",
                    path.display()
                ))
            })?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => ConnectionsFile::default(),
            Err(err) => return Err(DeskError::io("read", path, &err)),
        };
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn list(&self) -> &[Connection] {
        &self.file.connections
    }

    pub fn get(&self, name: &str) -> Option<&Connection> {
        self.file.connections.iter().find(|c| c.name == name)
    }

    /// The named connection, or the default one when `name` is `None`.
    pub fn resolve(&self, name: Option<&str>) -> Result<&Connection, DeskError> {
        let wanted = name.or(self.file.default.as_deref()).ok_or_else(|| {
            DeskError::invalid_argument("no connection named and no default connection saved")
        })?;
        self.get(wanted).ok_or_else(|| {
            DeskError::new(
                DeskErrorCode::NotFound,
                format!("no saved connection is named {wanted:?}"),
            )
        })
    }

    /// Adds or replaces a connection, storing its token in `tokens` (never in the file).
    pub fn save(
        &mut self,
        conn: Connection,
        token: Option<&Secret>,
        tokens: &dyn TokenStore,
    ) -> Result<(), DeskError> {
        validate(&conn)?;
        if let Some(token) = token {
            tokens.set(&conn.name, token)?;
        }
        if self.file.default.is_none() {
            self.file.default = Some(conn.name.clone());
        }
        self.file.connections.retain(|c| c.name != conn.name);
        self.file.connections.push(conn);
        self.write()
    }

    /// Removes a connection and its token.
    pub fn remove(&mut self, name: &str, tokens: &dyn TokenStore) -> Result<(), DeskError> {
        tokens.delete(name)?;
        self.file.connections.retain(|c| c.name != name);
        if self.file.default.as_deref() == Some(name) {
            self.file.default = self.file.connections.first().map(|c| c.name.clone());
        }
        self.write()
    }

    pub fn set_default(&mut self, name: &str) -> Result<(), DeskError> {
        self.resolve(Some(name))?;
        self.file.default = Some(name.to_owned());
        self.write()
    }

    /// Writes the file atomically (temp file + rename), mode 0600 in a 0700 folder.
    fn write(&self) -> Result<(), DeskError> {
        let json = serde_json::to_vec_pretty(&self.file)
            .map_err(|err| DeskError::internal(format!("could not encode connections: {err}")))?;
        write_private(&self.path, &json)
    }
}

/// Writes `bytes` to `path` atomically (temp file + rename), mode 0600 in a 0700 folder.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), DeskError> {
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|err| DeskError::io("create the config folder", dir, &err))?;
    }
    let tmp = path.with_extension("json.tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|err| DeskError::io("write", &tmp, &err))?;
    // `mode` only applies to a new file; a stale temp file keeps its old mode.
    f.set_permissions(fs::Permissions::from_mode(0o600))
        .and_then(|()| f.write_all(bytes))
        .and_then(|()| f.sync_all())
        .map_err(|err| DeskError::io("write", &tmp, &err))?;
    fs::rename(&tmp, path).map_err(|err| DeskError::io("replace", path, &err))
}

/// A connection can be saved: a name without control characters, an http(s) URL without
/// credentials in it.
pub fn validate(conn: &Connection) -> Result<(), DeskError> {
    if conn.name.trim().is_empty() || conn.name.chars().any(char::is_control) {
        return Err(DeskError::invalid_argument(
            "a connection needs a name without control characters",
        ));
    }
    let url = reqwest::Url::parse(&conn.url).map_err(|err| {
        DeskError::invalid_argument(format!("{:?} is not a URL: {err}", conn.url))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(DeskError::invalid_argument(format!(
            "{:?} is not an http(s) URL",
            conn.url
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DeskError::invalid_argument(
            "a connection URL must not carry credentials; the token goes to the keyring",
        ));
    }
    conn.ca_cert()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct MemTokens(Mutex<HashMap<String, String>>);

    impl TokenStore for MemTokens {
        fn get(&self, c: &str) -> Result<Option<Secret>, DeskError> {
            Ok(self.0.lock().unwrap().get(c).map(Secret::new))
        }
        fn set(&self, c: &str, t: &Secret) -> Result<(), DeskError> {
            self.0.lock().unwrap().insert(c.into(), t.expose().into());
            Ok(())
        }
        fn delete(&self, c: &str) -> Result<(), DeskError> {
            self.0.lock().unwrap().remove(c);
            Ok(())
        }
    }

    #[test]
    fn tokens_never_reach_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg").join("connections.json");
        let tokens = MemTokens::default();
        let mut c = Connections::load(&path).unwrap();
        let conn = Connection {
            name: "prod".into(),
            url: "http://127.0.0.1:9".into(),
            ca_cert_pem: None,
        };
        c.save(conn.clone(), Some(&Secret::new("tok-SECRET")), &tokens)
            .unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("tok-SECRET"));
        assert!(!format!("{c:?}").contains("tok-SECRET"));
        let again = Connections::load(&path).unwrap();
        assert_eq!(again.resolve(None).unwrap(), &conn);
        assert_eq!(tokens.get("prod").unwrap().unwrap().expose(), "tok-SECRET");
        let mut again = again;
        again.remove("prod", &tokens).unwrap();
        assert!(tokens.get("prod").unwrap().is_none());
        assert!(again.resolve(None).is_err());
        let bad = Connection {
            name: "x".into(),
            url: "http://user:pw@h".into(),
            ca_cert_pem: None,
        };
        assert!(again.save(bad, None, &tokens).is_err());
    }

    #[test]
    fn the_token_file_is_private_and_keeps_each_connection() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let tokens = FileTokens::beside(&dir.path().join("cfg/connections.json"));
        assert_eq!(tokens.path(), dir.path().join("cfg/tokens.json"));
        assert!(tokens.get("prod").unwrap().is_none());
        tokens.set("prod", &Secret::new("tok-1")).unwrap();
        tokens.set("lab", &Secret::new("tok-2")).unwrap();
        tokens.set("prod", &Secret::new("tok-3")).unwrap();
        assert_eq!(tokens.get("prod").unwrap().unwrap().expose(), "tok-3");
        assert_eq!(tokens.get("lab").unwrap().unwrap().expose(), "tok-2");
        let mode = fs::metadata(tokens.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = fs::metadata(dir.path().join("cfg"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        tokens.delete("prod").unwrap();
        tokens.delete("prod").unwrap();
        assert!(tokens.get("prod").unwrap().is_none());
        assert!(tokens.get("lab").unwrap().is_some());

        fs::write(tokens.path(), "{not json tok-SECRET").unwrap();
        let err = tokens.get("lab").unwrap_err();
        assert!(!err.message().contains("tok-SECRET"), "{err}");
    }
}
