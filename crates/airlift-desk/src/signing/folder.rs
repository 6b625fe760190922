//! The one key folder the desktop app and `airlift-cli` share.
//!
//! `$XDG_DATA_HOME/airlift/keys` (default `~/.local/share/airlift/keys`). Earlier app versions
//! kept keys in the app's own data folder (`~/.local/share/dev.airlift.desktop/keys`); those are
//! moved here the first time the folder is asked for, so a key made in the app signs in a
//! pipeline and the other way round.

use std::fs;
use std::path::{Path, PathBuf};

/// The app's data folder name (its Tauri identifier), where keys used to live.
const OLD_APP_FOLDER: &str = "dev.airlift.desktop";

/// The shared key folder, after moving any keys still in the app's old folder. `None` when
/// neither `XDG_DATA_HOME` nor `HOME` is set. A key that cannot be moved stays where it was (and
/// is logged): it is never lost, only not yet listed.
pub fn default_keys_dir() -> Option<PathBuf> {
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(keys_dir_in(&data_home))
}

/// [`default_keys_dir`] under a given data home.
pub fn keys_dir_in(data_home: &Path) -> PathBuf {
    let dir = data_home.join("airlift").join("keys");
    let old = data_home.join(OLD_APP_FOLDER).join("keys");
    if old.is_dir() {
        move_keys(&old, &dir);
    }
    dir
}

/// Moves every key (its `.key.pem`, then its `.json` description, so a key is listed only once
/// complete) from `old` to `new`. A key already in `new` (same id: same key material) is left
/// in `old` untouched.
fn move_keys(old: &Path, new: &Path) {
    let Ok(entries) = fs::read_dir(old) else {
        return;
    };
    let descriptions: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
        .collect();
    if descriptions.is_empty() {
        return;
    }
    if let Err(err) = super::keystore::KeyStore::open(new) {
        tracing::warn!(%err, "could not create the shared key folder; keys stay in the old one");
        return;
    }
    for description in descriptions {
        let Some(id) = description.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let private = old.join(format!("{id}.key.pem"));
        let new_description = new.join(format!("{id}.json"));
        if new_description.exists() {
            continue;
        }
        let moved = move_file(&private, &new.join(format!("{id}.key.pem")))
            .and_then(|()| move_file(&description, &new_description));
        match moved {
            Ok(()) => {
                tracing::info!(key = id, to = %new.display(), "moved a signing key to the shared key folder")
            }
            Err(err) => {
                tracing::warn!(key = id, %err, "could not move a signing key; it stays in {}", old.display())
            }
        }
    }
    // Only succeeds once the old folder is empty; otherwise what is left stays visible.
    let _ = fs::remove_dir(old);
}

/// Renames, or copies then removes across file systems (the copy keeps the 0600 mode).
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if fs::rename(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to)?;
    fs::remove_file(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{KeyStore, SigningAlgorithm};

    #[test]
    fn keys_in_the_old_app_folder_are_moved_and_still_unlock() {
        let home = tempfile::tempdir().unwrap();
        let old = home.path().join("dev.airlift.desktop/keys");
        let stored = KeyStore::open_with_cost(&old, 10)
            .unwrap()
            .create("app key", SigningAlgorithm::Ed25519, "pw")
            .unwrap();

        let dir = keys_dir_in(home.path());
        assert_eq!(dir, home.path().join("airlift/keys"));
        let store = KeyStore::open(&dir).unwrap();
        assert_eq!(store.list().unwrap(), vec![stored.clone()]);
        store.unlock(&stored.key_id, "pw").unwrap();
        assert!(!old.exists(), "the emptied old folder is removed");

        // Asking again is a no-op.
        assert_eq!(keys_dir_in(home.path()), dir);
        assert_eq!(store.list().unwrap().len(), 1);
    }

    #[test]
    fn a_key_already_in_the_shared_folder_is_not_overwritten() {
        let home = tempfile::tempdir().unwrap();
        let new = KeyStore::open_with_cost(&home.path().join("airlift/keys"), 10).unwrap();
        let kept = new
            .create("cli key", SigningAlgorithm::Ed25519, "pw")
            .unwrap();
        let old = home.path().join("dev.airlift.desktop/keys");
        fs::create_dir_all(&old).unwrap();
        fs::copy(
            new.dir().join(format!("{}.json", kept.key_id)),
            old.join(format!("{}.json", kept.key_id)),
        )
        .unwrap();
        fs::write(old.join(format!("{}.key.pem", kept.key_id)), "other").unwrap();

        keys_dir_in(home.path());
        new.unlock(&kept.key_id, "pw").unwrap();
        assert!(old.join(format!("{}.key.pem", kept.key_id)).exists());
    }
}
