//! The server key: 32 random bytes that wrap every image's data key, kept in a file outside the
//! database (`DIR/encryption-key`, or `--encryption-key-file`), created 0600 at first start. A
//! database backup alone therefore never decrypts an image; the key file is backed up apart
//! (docs/operations/encryption.md).
//!
//! The file holds one key per line, `ID BASE64`, the first line the current key (new data keys
//! are wrapped with it) and any later lines older keys still able to unwrap. Lines starting with
//! `#` are comments. `ID` is derived from the key (the first 8 bytes of its SHA-256, hex), so a
//! wrapped key names the server key it needs.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use airlift_core::encryption::KEY_BYTES;

#[derive(Clone)]
pub struct ServerKeys {
    /// Current key first.
    keys: Vec<(String, [u8; KEY_BYTES])>,
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "ServerKeys({ids:?})")
    }
}

/// A key's id: the first 8 bytes of its SHA-256, hex.
pub fn key_id(key: &[u8; KEY_BYTES]) -> String {
    let mut h = crate::hashing::Sha256::new();
    h.update(key);
    hex::encode(&h.finish()[..8])
}

pub fn random_key() -> anyhow::Result<[u8; KEY_BYTES]> {
    let mut key = [0u8; KEY_BYTES];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(key)
}

impl ServerKeys {
    pub fn from_keys(keys: Vec<[u8; KEY_BYTES]>) -> anyhow::Result<Self> {
        anyhow::ensure!(!keys.is_empty(), "no server key");
        Ok(Self {
            keys: keys.into_iter().map(|k| (key_id(&k), k)).collect(),
        })
    }

    /// Reads the key file, or creates it with one fresh key when it does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        if let Some(keys) = Self::load(path)? {
            return Ok(keys);
        }
        let keys = Self::from_keys(vec![random_key()?])?;
        keys.write_new(path)?;
        tracing::info!(file = %path.display(), key = %keys.current_id(), "created the server encryption key: back it up apart from the database");
        // Another process may have won the race: use what is in the file.
        Self::load(path)?.context("the new encryption key file vanished")
    }

    /// The key file's keys; `None` when there is no file.
    pub fn load(path: &Path) -> anyhow::Result<Option<Self>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || {
                format!(
                    "{} line {}: expected `ID BASE64-KEY`",
                    path.display(),
                    n + 1
                )
            };
            let (id, b64) = line.split_once(' ').with_context(bad)?;
            let key: [u8; KEY_BYTES] = STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|k| k.try_into().ok())
                .with_context(|| format!("{}: not a base64 32-byte key", bad()))?;
            anyhow::ensure!(
                key_id(&key) == id,
                "{} line {}: the id {id} is not the key's ({}); the file was edited by hand?",
                path.display(),
                n + 1,
                key_id(&key)
            );
            keys.push(key);
        }
        anyhow::ensure!(!keys.is_empty(), "{} holds no key", path.display());
        Self::from_keys(keys).map(Some)
    }

    /// Writes the file (0600) by write, fsync, rename, fsync of the directory: a crash leaves
    /// the old file or the new one, never a mix.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        self.write_file(&tmp)?;
        std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
        sync_dir(path)
    }

    fn write_new(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        self.write_file(&tmp)?;
        let linked = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => sync_dir(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }

    fn write_file(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut f = options
            .open(path)
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(
            f,
            "# airliftd server encryption keys: the first wraps new image keys, the others\n\
             # still unwrap older ones. Back this file up apart from the database."
        )?;
        for (id, key) in &self.keys {
            writeln!(f, "{id} {}", STANDARD.encode(key))?;
        }
        f.sync_all()?;
        Ok(())
    }

    pub fn current_id(&self) -> &str {
        &self.keys[0].0
    }

    pub fn current(&self) -> (&str, &[u8; KEY_BYTES]) {
        (&self.keys[0].0, &self.keys[0].1)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(id, _)| id.as_str())
    }

    pub fn by_id(&self, id: &str) -> Option<&[u8; KEY_BYTES]> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key)
    }

    /// These keys with `key` in front as the current one.
    pub fn with_new_current(&self, key: [u8; KEY_BYTES]) -> Self {
        let mut keys = vec![(key_id(&key), key)];
        keys.extend(self.keys.iter().cloned());
        Self { keys }
    }

    /// Only the current key (after every wrapped key was re-wrapped with it).
    pub fn only_current(&self) -> Self {
        Self {
            keys: vec![self.keys[0].clone()],
        }
    }
}

fn sync_dir(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("encryption-key");
        let a = ServerKeys::load_or_create(&path).unwrap();
        let b = ServerKeys::load_or_create(&path).unwrap();
        assert_eq!(a.current(), b.current());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let rotated = a.with_new_current(random_key().unwrap());
        rotated.save(&path).unwrap();
        let read = ServerKeys::load(&path).unwrap().unwrap();
        assert_eq!(read.ids().count(), 2);
        assert!(read.by_id(a.current_id()).is_some());
        std::fs::write(&path, "abc AAAA\n").unwrap();
        assert!(ServerKeys::load(&path).is_err());
    }
}
