//! The server's secrets under the data directory (the JWT secret, the download-URL key): 32
//! random bytes, base64, mode 0600, created on first use.
//!
//! A new secret is written to a temporary file and hard-linked into place, so two processes
//! starting at once (`serve` and `token`) agree on one secret and never read a half-written
//! file.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Reads the secret at `path`, creating it (0600) if it does not exist.
pub fn load_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = read(path)? {
        return Ok(secret);
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        let mut f = private_file(&tmp)?;
        f.write_all(STANDARD.encode(secret).as_bytes())?;
        f.sync_all()?;
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(secret.to_vec()),
        // Another process won the race; use its secret.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(path)?.with_context(|| format!("{} vanished", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// The secret stored at `path`, if there is one.
pub fn read(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let secret = STANDARD
                .decode(text.trim())
                .with_context(|| format!("{} is not base64", path.display()))?;
            anyhow::ensure!(secret.len() >= 32, "{} is too short", path.display());
            Ok(Some(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_secret_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let first = super::load_or_create(&path).unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(super::load_or_create(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
