//! Checking and rotating the server key (docs/operations/encryption.md).
//!
//! A rotation never leaves a data key that no key in the file opens: the new key is added to the
//! file first (beside the old one), then every data key is re-wrapped with it in one database
//! transaction, and only then is the old key dropped from the file. A crash between two steps
//! leaves a file that still opens every data key; running the rotation again finishes it.

use std::path::Path;

use airlift_core::encryption::SealedDataKey;
use anyhow::Context as _;

use super::server_key::random_key;
use super::{DataKeys, ServerKeys};
use crate::store::DataKeyStore;

/// Fails (naming what is missing) unless every sealed data key opens with `keys`: a server
/// started with the wrong key file must not come up and fail every encrypted download.
pub fn check_all_open(
    keys: &DataKeys,
    sealed: &[SealedDataKey],
    key_file: &Path,
) -> anyhow::Result<()> {
    let broken: Vec<&SealedDataKey> = sealed.iter().filter(|k| keys.open(k).is_err()).collect();
    if let Some(first) = broken.first() {
        let mut needed: Vec<&str> = broken.iter().map(|k| k.server_key_id.as_str()).collect();
        needed.sort_unstable();
        needed.dedup();
        anyhow::bail!(
            "{} of {} encrypted images' keys do not open with the server key file {} (it holds \
             key(s) {:?}; they need {:?}, e.g. data key {}). Start the server with the \
             deployment's key file (--encryption-key-file), restored from its backup",
            broken.len(),
            sealed.len(),
            key_file.display(),
            keys.server_keys().ids().collect::<Vec<_>>(),
            needed,
            first.id
        );
    }
    Ok(())
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotated {
    pub new_key_id: String,
    pub rewrapped: usize,
}

/// Replaces the server key in `key_file` by a fresh one and re-wraps every data key with it.
/// Run while no server uses the deployment (a running server holds the old key in memory).
pub async fn rotate(store: &dyn DataKeyStore, key_file: &Path) -> anyhow::Result<Rotated> {
    let old = ServerKeys::load(key_file)?.with_context(|| {
        format!(
            "{} does not exist: there is no key to rotate",
            key_file.display()
        )
    })?;
    let sealed = store
        .data_keys()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    check_all_open(&DataKeys::new(old.clone()), &sealed, key_file)?;
    // 1. The file holds the new key (current) and the old ones.
    let both = old.with_new_current(random_key()?);
    both.save(key_file)?;
    // 2. Every data key re-wrapped with the new key, all or nothing.
    let keys = DataKeys::new(both.clone());
    let mut rewrapped = Vec::with_capacity(sealed.len());
    for s in &sealed {
        let key = keys.open(s).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        rewrapped.push(
            keys.seal(&key, s.id.clone())
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        );
    }
    let rewrapped_count = rewrapped.len();
    store
        .replace_data_keys(rewrapped)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // 3. The old keys leave the file.
    let new = both.only_current();
    new.save(key_file)?;
    Ok(Rotated {
        new_key_id: new.current_id().to_owned(),
        rewrapped: rewrapped_count,
    })
}
