//! Making a signing key: created here or imported from a PEM file, into the key folder the app
//! and `airlift-cli` share. The passphrase rule is this one for both, and the deliberately slow
//! key derivation runs off the async threads.

use std::path::PathBuf;

use crate::error::DeskError;
use crate::signing::{KeyStore, SigningAlgorithm, StoredKey};

/// The shortest passphrase a new key takes: it is all that protects the key if the computer's
/// files are copied.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Creates a key named `name` in `keys`, encrypted under `passphrase`.
pub async fn create_key(
    keys: KeyStore,
    name: String,
    algorithm: SigningAlgorithm,
    passphrase: String,
) -> Result<StoredKey, DeskError> {
    check_passphrase(&passphrase)?;
    blocking(move || keys.create(&name, algorithm, &passphrase)).await
}

/// Imports the private key in the PEM file `pem` (unlocked with `file_passphrase` when it is
/// encrypted) as `name`, encrypted under `passphrase`.
pub async fn import_key(
    keys: KeyStore,
    name: String,
    pem: PathBuf,
    file_passphrase: Option<String>,
    passphrase: String,
) -> Result<StoredKey, DeskError> {
    check_passphrase(&passphrase)?;
    blocking(move || keys.import_file(&name, &pem, file_passphrase.as_deref(), &passphrase)).await
}

/// Starts with `passphrase:` so a form can show it next to that field.
fn check_passphrase(passphrase: &str) -> Result<(), DeskError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(DeskError::invalid_argument(format!(
            "passphrase: use at least {MIN_PASSPHRASE_CHARS} characters; it is all that protects \
             the key if this computer's files are copied"
        )));
    }
    Ok(())
}

async fn blocking(
    work: impl FnOnce() -> Result<StoredKey, DeskError> + Send + 'static,
) -> Result<StoredKey, DeskError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| DeskError::internal(format!("the key store stopped unexpectedly: {err}")))?
}
