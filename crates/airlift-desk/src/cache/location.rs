//! Where the cache for one server and tenant lives: one SQLite file per (server, tenant).
//!
//! Two tenants on one server (or one tenant id on two servers) never share a file, so a query
//! can never return rows another token would not see, online or offline. The file name is a
//! hash of the normalized server URL and the tenant id, with the host as a readable prefix
//! (`acme.example.com-3f2a….sqlite3`), so `ls` tells the files apart without revealing tenants.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

/// The cache file for `server_url` and `tenant_id` inside `dir`.
///
/// URLs that name the same server give the same file: scheme and host are compared without
/// case, the default port (`:80` for http, `:443` for https) and trailing slashes are ignored.
pub fn cache_file(dir: &Path, server_url: &str, tenant_id: &str) -> PathBuf {
    let url = normalize_url(server_url);
    let mut hasher = Sha256::new();
    hasher.update(url.as_bytes());
    // A separator no URL holds, so ("a/b", "c") and ("a", "b/c")-style pairs cannot collide.
    hasher.update([0u8]);
    hasher.update(tenant_id.as_bytes());
    let digest = hex::encode(&hasher.finalize()[..16]);
    let prefix = readable_prefix(&url);
    let name = if prefix.is_empty() {
        format!("{digest}.sqlite3")
    } else {
        format!("{prefix}-{digest}.sqlite3")
    };
    dir.join(name)
}

/// The folder of cache files the desktop app and `airlift-cli` share: `$XDG_CACHE_HOME/airlift`
/// (default `~/.cache/airlift`). A server and tenant is one file in it whichever front opens
/// it, so a pending upload one front left is the other's to resume. `None` when neither
/// `XDG_CACHE_HOME` nor `HOME` is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })
        .map(|cache_home| cache_home.join("airlift"))
}

/// Moves the cache files in `old` (the folder the app kept its caches in before they were
/// shared) into `dir`, each `.sqlite3` file with its `-wal` and `-shm` companions. A file whose
/// name `dir` already holds (the same server and tenant, opened by the CLI meanwhile) stays in
/// `old`: the shared one is newer. Returns how many files moved; a file that cannot be moved
/// stays where it was (and is logged), a cache the next sync refills.
pub fn adopt_caches(old: &Path, dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(old) else {
        return 0;
    };
    let databases: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "sqlite3"))
        .collect();
    if databases.is_empty() {
        return 0;
    }
    if let Err(err) = std::fs::create_dir_all(dir) {
        tracing::warn!(%err, dir = %dir.display(), "could not create the shared cache folder");
        return 0;
    }
    let mut moved = 0;
    for db in databases {
        let Some(name) = db.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if dir.join(name).exists() {
            continue;
        }
        // The companions first: a database is visible in `dir` only with its journal.
        for suffix in ["-wal", "-shm", ""] {
            let from = old.join(format!("{name}{suffix}"));
            if !from.exists() {
                continue;
            }
            match std::fs::rename(&from, dir.join(format!("{name}{suffix}"))) {
                Ok(()) => moved += 1,
                Err(err) => {
                    tracing::warn!(%err, file = %from.display(), "could not move a cache file to the shared folder");
                    break;
                }
            }
        }
    }
    // Only succeeds once the old folder is empty.
    let _ = std::fs::remove_dir(old);
    moved
}

/// `HTTP://Example.com:80/api/` → `http://example.com/api`.
pub fn normalize_url(server_url: &str) -> String {
    let trimmed = server_url.trim().trim_end_matches('/');
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return trimmed.to_owned();
    };
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    if let Some(port) = default_port {
        if let Some(stripped) = authority.strip_suffix(port) {
            authority = stripped.to_owned();
        }
    }
    format!("{scheme}://{authority}{}", path.trim_end_matches('/'))
}

/// The host and port, with every character a file name might mind replaced by `_`.
fn readable_prefix(normalized_url: &str) -> String {
    let after_scheme = normalized_url
        .split_once("://")
        .map_or(normalized_url, |(_, rest)| rest);
    let authority = after_scheme.split('/').next().unwrap_or("");
    // Credentials in a URL (user:pass@host) must not end up in a file name.
    let host = authority.rsplit('@').next().unwrap_or("");
    host.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_server_and_tenant() {
        let dir = Path::new("/c");
        let a = cache_file(dir, "http://127.0.0.1:8080", "tenant-a");
        let b = cache_file(dir, "http://127.0.0.1:8080", "tenant-b");
        let other_server = cache_file(dir, "http://127.0.0.1:9090", "tenant-a");
        assert_ne!(a, b);
        assert_ne!(a, other_server);
        assert_eq!(a.parent(), Some(dir));
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("127.0.0.1_8080-"), "{name}");
        assert!(name.ends_with(".sqlite3"), "{name}");
        assert!(!name.contains("tenant-a"), "{name}");
    }

    #[test]
    fn spellings_of_one_server_share_a_file() {
        let dir = Path::new("/c");
        let base = cache_file(dir, "https://fleet.example.com", "t");
        for url in [
            "https://fleet.example.com/",
            "HTTPS://Fleet.Example.com",
            "https://fleet.example.com:443/",
            " https://fleet.example.com ",
        ] {
            assert_eq!(cache_file(dir, url, "t"), base, "{url}");
        }
        assert_ne!(cache_file(dir, "http://fleet.example.com", "t"), base);
        assert_ne!(
            cache_file(dir, "https://fleet.example.com/other", "t"),
            base
        );
    }

    #[test]
    fn the_apps_old_caches_move_to_the_shared_folder_without_overwriting() {
        let tmp = tempfile::tempdir().unwrap();
        let (old, dir) = (tmp.path().join("app/caches"), tmp.path().join("shared"));
        std::fs::create_dir_all(&old).unwrap();
        let a = cache_file(&old, "https://a.example", "t");
        let b = cache_file(&old, "https://b.example", "t");
        std::fs::write(&a, "app a").unwrap();
        std::fs::write(a.with_extension("sqlite3-wal"), "app a wal").unwrap();
        std::fs::write(&b, "app b").unwrap();
        // The CLI already keeps b's file in the shared folder: it stays as it is.
        std::fs::create_dir_all(&dir).unwrap();
        let shared_b = cache_file(&dir, "https://b.example", "t");
        std::fs::write(&shared_b, "cli b").unwrap();

        assert_eq!(adopt_caches(&old, &dir), 2);
        let shared_a = cache_file(&dir, "https://a.example", "t");
        assert_eq!(std::fs::read_to_string(&shared_a).unwrap(), "app a");
        assert_eq!(
            std::fs::read_to_string(shared_a.with_extension("sqlite3-wal")).unwrap(),
            "app a wal"
        );
        assert_eq!(std::fs::read_to_string(&shared_b).unwrap(), "cli b");
        assert!(b.exists(), "the file the shared folder already had stays");
        assert_eq!(adopt_caches(&old, &dir), 0, "a second call moves nothing");
        assert_eq!(adopt_caches(&tmp.path().join("none"), &dir), 0);
    }

    #[test]
    fn names_are_safe_file_names() {
        let path = cache_file(Path::new("/c"), "http://user:pw@[::1]:8080/x", "t");
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(!name.contains("pw"), "{name}");
        assert!(!name.contains('/') && !name.contains(':'), "{name}");
        let bare = cache_file(Path::new("/c"), "", "t");
        assert!(bare
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(".sqlite3"));
    }
}
