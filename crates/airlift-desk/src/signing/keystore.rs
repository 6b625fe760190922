//! Private keys at rest: one folder, each key encrypted under a passphrase the caller holds.
//!
//! Per key, two files named by its id:
//! * `<id>.json`: name, algorithm, public key and fingerprint, readable without the passphrase
//!   so the UI can list keys and register public keys without unlocking anything;
//! * `<id>.key.pem`: the private key as PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2: scrypt +
//!   AES-256-CBC), a standard format `openssl pkey -in <file>` also opens with the passphrase.
//!
//! The folder is 0700 and the files 0600; files are written to a temporary name and renamed, so
//! a crash never leaves half a key. The passphrase itself is never stored.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use airlift_core::signing::SigningAlgorithm;
use pkcs8::pkcs5::{pbes2, scrypt};
use pkcs8::LineEnding;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::key::SigningKey;
use crate::error::{DeskError, DeskErrorCode};

/// scrypt's recommended cost (N = 2^17, r = 8, p = 1: 128 MiB and a fraction of a second per
/// unlock in a release build). Unlocking is rare (once per signing session), so this buys a lot of
/// resistance to offline guessing for no noticeable delay.
pub const DEFAULT_SCRYPT_LOG_N: u8 = scrypt::Params::RECOMMENDED_LOG_N;

/// A PEM private key is a few hundred bytes (a few KiB with a certificate chain around it).
const MAX_PEM_FILE_BYTES: u64 = 64 * 1024;

/// A key's public description, stored next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub key_id: String,
    pub name: String,
    pub algorithm: SigningAlgorithm,
    /// SPKI PEM, as the tenant's `POST /api/v1/signing-keys` wants it.
    pub public_key_pem: String,
    /// Hex SHA-256 of the DER public key (the same fingerprint `airlift-core` computes).
    pub fingerprint: String,
    pub created_at_ms: i64,
}

/// The key folder.
pub struct KeyStore {
    dir: PathBuf,
    scrypt_log_n: u8,
}

impl KeyStore {
    /// Opens (creating, mode 0700) the key folder.
    pub fn open(dir: &Path) -> Result<Self, DeskError> {
        Self::open_with_cost(dir, DEFAULT_SCRYPT_LOG_N)
    }

    /// Like [`KeyStore::open`] with a chosen scrypt cost for keys written from now on (keys
    /// already stored carry their own parameters). Lower costs are for tests only.
    pub fn open_with_cost(dir: &Path, scrypt_log_n: u8) -> Result<Self, DeskError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|err| DeskError::io("create the key folder", dir, &err))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            scrypt_log_n,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Generates a new key and stores it under `passphrase`.
    pub fn create(
        &self,
        name: &str,
        algorithm: SigningAlgorithm,
        passphrase: &str,
    ) -> Result<StoredKey, DeskError> {
        let key = SigningKey::generate(algorithm)?;
        self.store(name, &key, passphrase)
    }

    /// Imports a PEM private key (see [`SigningKey::from_pem`]); `pem_passphrase` opens an
    /// encrypted PEM, `passphrase` protects the stored copy (they may be the same).
    pub fn import_pem(
        &self,
        name: &str,
        pem: &str,
        pem_passphrase: Option<&str>,
        passphrase: &str,
    ) -> Result<StoredKey, DeskError> {
        let key = SigningKey::from_pem(pem, pem_passphrase)?;
        self.store(name, &key, passphrase)
    }

    /// Imports the private key in the PEM file at `path` (what a file picker returns): see
    /// [`KeyStore::import_pem`]. A file that cannot be a PEM key (too big, binary) is refused
    /// with `INVALID_ARGUMENT` and a sentence saying what to pick instead.
    pub fn import_file(
        &self,
        name: &str,
        path: &Path,
        pem_passphrase: Option<&str>,
        passphrase: &str,
    ) -> Result<StoredKey, DeskError> {
        let meta = fs::metadata(path).map_err(|err| DeskError::io("open", path, &err))?;
        if !meta.is_file() {
            return Err(DeskError::invalid_argument(format!(
                "{} is not a file; choose the private key's .pem file",
                path.display()
            )));
        }
        if meta.len() > MAX_PEM_FILE_BYTES {
            return Err(DeskError::invalid_argument(format!(
                "{} is {} bytes, far too big for a private key; choose the key's .pem file",
                path.display(),
                meta.len()
            )));
        }
        let bytes =
            Zeroizing::new(fs::read(path).map_err(|err| DeskError::io("read", path, &err))?);
        let pem = std::str::from_utf8(&bytes).map_err(|_| {
            DeskError::invalid_argument(format!(
                "{} is not a PEM text file (a binary DER key? convert it with `openssl pkey -in \
                 key.der -inform DER -out key.pem`)",
                path.display()
            ))
        })?;
        self.import_pem(name, pem, pem_passphrase, passphrase)
    }

    /// Every stored key, sorted by name. A damaged description file is skipped (and logged)
    /// rather than hiding every other key.
    pub fn list(&self) -> Result<Vec<StoredKey>, DeskError> {
        let entries =
            fs::read_dir(&self.dir).map_err(|err| DeskError::io("list", &self.dir, &err))?;
        let mut keys = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|err| DeskError::io("list", &self.dir, &err))?
                .path();
            if path.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            match read_description(&path) {
                Ok(key) => keys.push(key),
                Err(err) => {
                    tracing::warn!(path = %path.display(), %err, "skipping a damaged key description")
                }
            }
        }
        keys.sort_by(|a, b| (&a.name, &a.key_id).cmp(&(&b.name, &b.key_id)));
        Ok(keys)
    }

    /// The description of one key.
    pub fn get(&self, key_id: &str) -> Result<StoredKey, DeskError> {
        read_description(&self.description_path(key_id)?)
    }

    /// Decrypts a stored key for signing. `WRONG_PASSPHRASE` if the passphrase does not open it.
    pub fn unlock(&self, key_id: &str, passphrase: &str) -> Result<SigningKey, DeskError> {
        let stored = self.get(key_id)?;
        let path = self.private_path(key_id)?;
        let pem = fs::read_to_string(&path).map_err(|err| DeskError::io("read", &path, &err))?;
        let key = SigningKey::from_encrypted_pkcs8_pem(&pem, passphrase)?.ok_or_else(|| {
            DeskError::keyring(format!("{} does not hold a supported key", path.display()))
        })?;
        // Guards against swapped or hand-edited files: the private key must match the public
        // key the UI showed and the tenant registered.
        if key.public_key()?.fingerprint() != stored.fingerprint {
            return Err(DeskError::keyring(format!(
                "the private key in {} does not match its description {}.json; \
                 remove the key and import it again",
                path.display(),
                key_id
            )));
        }
        Ok(key)
    }

    /// Re-encrypts a stored key under a new passphrase (the old one must unlock it).
    pub fn change_passphrase(
        &self,
        key_id: &str,
        old_passphrase: &str,
        new_passphrase: &str,
    ) -> Result<(), DeskError> {
        if new_passphrase.is_empty() {
            return Err(DeskError::invalid_argument(
                "choose a passphrase: keys are never stored unencrypted",
            ));
        }
        let key = self.unlock(key_id, old_passphrase)?;
        let encrypted = self.encrypt(&key, new_passphrase)?;
        // The rename in `write_private_file` swaps the file atomically: a crash leaves either
        // the old or the new encryption, never neither.
        write_private_file(&self.private_path(key_id)?, encrypted.as_bytes())
    }

    /// Deletes a key's files. The key cannot be recovered afterwards.
    pub fn delete(&self, key_id: &str) -> Result<(), DeskError> {
        let private = self.private_path(key_id)?;
        let description = self.description_path(key_id)?;
        if !description.exists() {
            return Err(not_found(key_id));
        }
        // Private key first: if we crash in between, what remains is a harmless public key.
        for path in [private, description] {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(DeskError::io("delete", &path, &err)),
            }
        }
        Ok(())
    }

    fn store(
        &self,
        name: &str,
        key: &SigningKey,
        passphrase: &str,
    ) -> Result<StoredKey, DeskError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(DeskError::invalid_argument(
                "a key name must be 1 to 100 printable characters",
            ));
        }
        if passphrase.is_empty() {
            return Err(DeskError::invalid_argument(
                "choose a passphrase: keys are never stored unencrypted",
            ));
        }
        let public = key.public_key()?;
        let fingerprint = public.fingerprint();
        // The id derives from the key material, so importing the same key twice is detected.
        let key_id = format!("key-{}", &fingerprint[..16]);
        let description = self.description_path(&key_id)?;
        if description.exists() {
            let stored_as = read_description(&description)
                .map(|k| format!("{:?} ({key_id})", k.name))
                .unwrap_or_else(|_| key_id.clone());
            return Err(DeskError::new(
                DeskErrorCode::AlreadyExists,
                format!("this key is already stored as {stored_as}"),
            ));
        }
        let encrypted = self.encrypt(key, passphrase)?;
        let stored = StoredKey {
            key_id: key_id.clone(),
            name: name.to_string(),
            algorithm: key.algorithm(),
            public_key_pem: key.public_key_pem()?,
            fingerprint,
            created_at_ms: crate::clock::now_ms(),
        };
        let description = serde_json::to_vec_pretty(&stored)
            .map_err(|err| DeskError::internal(format!("could not describe the key: {err}")))?;
        // Private key first, description last: a key is listed only once it is complete.
        write_private_file(&self.private_path(&key_id)?, encrypted.as_bytes())?;
        write_private_file(&self.description_path(&key_id)?, &description)?;
        Ok(stored)
    }

    fn encrypt(&self, key: &SigningKey, passphrase: &str) -> Result<Zeroizing<String>, DeskError> {
        let fail = |what: &str| DeskError::internal(format!("could not encrypt the key: {what}"));
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        getrandom::fill(&mut salt)
            .and_then(|()| getrandom::fill(&mut iv))
            .map_err(|err| fail(&err.to_string()))?;
        let cost = scrypt::Params::new(
            self.scrypt_log_n,
            scrypt::Params::RECOMMENDED_R,
            scrypt::Params::RECOMMENDED_P,
            32,
        )
        .map_err(|err| fail(&err.to_string()))?;
        let params = pbes2::Parameters::scrypt_aes256cbc(cost, &salt, &iv)
            .map_err(|err| fail(&err.to_string()))?;
        let der = key.to_pkcs8_der()?;
        let info = pkcs8::PrivateKeyInfo::try_from(der.as_bytes())
            .map_err(|err| fail(&err.to_string()))?;
        let encrypted = info
            .encrypt_with_params(params, passphrase)
            .map_err(|err| fail(&err.to_string()))?;
        encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .map_err(|err| fail(&err.to_string()))
    }

    fn description_path(&self, key_id: &str) -> Result<PathBuf, DeskError> {
        Ok(self.dir.join(format!("{}.json", checked_id(key_id)?)))
    }

    fn private_path(&self, key_id: &str) -> Result<PathBuf, DeskError> {
        Ok(self.dir.join(format!("{}.key.pem", checked_id(key_id)?)))
    }
}

/// Key ids come back from the UI; only our own shape is accepted, so an id can never name a
/// file outside the key folder.
fn checked_id(key_id: &str) -> Result<&str, DeskError> {
    let ok = key_id.len() == 20
        && key_id.starts_with("key-")
        && key_id[4..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if ok {
        Ok(key_id)
    } else {
        Err(DeskError::invalid_argument(format!(
            "{key_id:?} is not a signing key id (expected key- and 16 hex digits)"
        )))
    }
}

fn not_found(key_id: &str) -> DeskError {
    DeskError::new(
        DeskErrorCode::NotFound,
        format!("no signing key {key_id} on this computer"),
    )
}

fn read_description(path: &Path) -> Result<StoredKey, DeskError> {
    let bytes = fs::read(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => not_found(
            path.file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default(),
        ),
        _ => DeskError::io("read", path, &err),
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|err| DeskError::keyring(format!("{} is damaged: {err}", path.display())))
}

/// Writes `bytes` to `path` with mode 0600 via a temporary file and a rename.
fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), DeskError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        // `mode` only applies when the file is created; a stale temp file keeps its old mode.
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|err| {
        let _ = fs::remove_file(&tmp);
        DeskError::io("write", path, &err)
    })
}
